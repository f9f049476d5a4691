/*
 * Blocks larger than a top-level block: one mapping each, recorded in an
 * open-addressing hash table keyed by address (linear probing, deletion by
 * backward shift, doubled when half full).  The table, not the block, says
 * whether a pointer is a live large block, so free never reads memory it
 * has not checked.  A large block freed twice is no longer in the table,
 * and the second free reports HB_FREE_INVALID.
 */
#include "buddy_internal.h"

#include <string.h>

#include <heapbench/alloc_util.h>

/* Fibonacci hashing: the top bits of page number * 2^64/phi. */
static size_t home_of(const bd_heap *h, uintptr_t addr)
{
    uint64_t x = (uint64_t)(addr >> 12) * 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> (64 - __builtin_ctzll(h->nbigs_slots)));
}

static size_t find_slot(const bd_heap *h, uintptr_t addr)
{
    if (!h->nbigs_slots)
        return SIZE_MAX;
    for (size_t i = home_of(h, addr);; i = (i + 1) & (h->nbigs_slots - 1)) {
        if (h->bigs[i].addr == addr)
            return i;
        if (!h->bigs[i].addr)
            return SIZE_MAX;
    }
}

static void put(bd_heap *h, uintptr_t addr, size_t len)
{
    size_t i = home_of(h, addr);
    while (h->bigs[i].addr)
        i = (i + 1) & (h->nbigs_slots - 1);
    h->bigs[i] = (bd_big){ addr, len };
}

/* Makes room for one more entry, keeping the table at most half full so
 * probe runs stay short. */
static bool reserve_one(bd_heap *h)
{
    if ((h->nbigs + 1) * 2 <= h->nbigs_slots)
        return true;
    size_t old_n = h->nbigs_slots, n = old_n ? old_n * 2 : 256;
    bd_big *old = h->bigs, *fresh = h->src.map(h->src.ctx, n * sizeof *fresh);
    if (!fresh)
        return false;
    h->bigs = fresh;
    h->nbigs_slots = n;
    for (size_t i = 0; i < old_n; i++)
        if (old[i].addr)
            put(h, old[i].addr, old[i].len);
    if (old)
        h->src.unmap(h->src.ctx, old, old_n * sizeof *old);
    return true;
}

static void remove_at(bd_heap *h, size_t hole)
{
    size_t mask = h->nbigs_slots - 1;
    for (size_t j = (hole + 1) & mask; h->bigs[j].addr; j = (j + 1) & mask) {
        size_t home = home_of(h, h->bigs[j].addr);
        bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (!stays) {
            h->bigs[hole] = h->bigs[j];
            hole = j;
        }
    }
    h->bigs[hole] = (bd_big){ 0, 0 };
    h->nbigs--;
}

void *bd_big_alloc(bd_heap *h, size_t size)
{
    size_t len;
    if (!hb_round_up(size, h->src.page_size, &len) || !reserve_one(h))
        return NULL;
    void *p = h->src.map(h->src.ctx, len);
    if (!p)
        return NULL;
    put(h, (uintptr_t)p, len);
    h->nbigs++;
    return p;
}

/* Bytes of the large block at p, or 0 when p is not one. */
size_t bd_big_len(const bd_heap *h, const void *p)
{
    size_t i = find_slot(h, (uintptr_t)p);
    return i == SIZE_MAX ? 0 : h->bigs[i].len;
}

int bd_big_free(bd_heap *h, void *p)
{
    size_t i = find_slot(h, (uintptr_t)p);
    if (i == SIZE_MAX)
        return HB_FREE_INVALID;
    h->src.unmap(h->src.ctx, p, h->bigs[i].len);
    remove_at(h, i);
    return HB_FREE_OK;
}

void bd_big_release_all(bd_heap *h)
{
    for (size_t i = 0; i < h->nbigs_slots; i++)
        if (h->bigs[i].addr)
            h->src.unmap(h->src.ctx, (void *)h->bigs[i].addr, h->bigs[i].len);
    if (h->bigs)
        h->src.unmap(h->src.ctx, h->bigs, h->nbigs_slots * sizeof *h->bigs);
    h->bigs = NULL;
    h->nbigs_slots = h->nbigs = 0;
}
