/*
 * Runs above two pages (the original's requests above MAXALLOCSAVE): one
 * mapping each, recorded in an open-addressing hash table keyed by
 * address (Fibonacci hashing, linear probing, deletion by backward shift,
 * doubled when half full).  A hash rather than usage[] because map() may
 * place a run anywhere in the address space.  The table, not the run,
 * says whether a pointer is a live large run, so free never reads memory
 * it has not checked; a run freed twice is gone from the table and the
 * second free reports HB_FREE_INVALID.
 */
#include "pow2_internal.h"

#include <heapbench/alloc_util.h>

/* The top bits of page number * 2^64/phi spread consecutive pages. */
static size_t home_of(const p2_heap *h, uintptr_t addr)
{
    uint64_t x = (uint64_t)(addr >> h->page_shift) * 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> (64 - __builtin_ctzll(h->large_slots)));
}

static size_t find_slot(const p2_heap *h, uintptr_t addr)
{
    if (!h->large_slots)
        return SIZE_MAX;
    for (size_t i = home_of(h, addr);; i = (i + 1) & (h->large_slots - 1)) {
        if (h->large[i].addr == addr)
            return i;
        if (!h->large[i].addr)
            return SIZE_MAX;
    }
}

static void put(p2_heap *h, uintptr_t addr, size_t len)
{
    size_t i = home_of(h, addr);
    while (h->large[i].addr)
        i = (i + 1) & (h->large_slots - 1);
    h->large[i] = (p2_large){ addr, len };
}

/* Room for one more entry, the table kept at most half full. */
static bool reserve_one(p2_heap *h)
{
    if ((h->nlarge + 1) * 2 <= h->large_slots)
        return true;
    size_t old_n = h->large_slots, n = old_n ? old_n * 2 : 256;
    p2_large *old = h->large, *fresh = h->src.map(h->src.ctx, n * sizeof *fresh);
    if (!fresh)
        return false;
    h->large = fresh;
    h->large_slots = n;
    for (size_t i = 0; i < old_n; i++)
        if (old[i].addr)
            put(h, old[i].addr, old[i].len);
    if (old)
        h->src.unmap(h->src.ctx, old, old_n * sizeof *old);
    return true;
}

/* Later members of the probe run move into the hole unless their home
 * lies cyclically in (hole, j]: no lookup then crosses an empty slot
 * that hides its key. */
static void remove_at(p2_heap *h, size_t hole)
{
    size_t mask = h->large_slots - 1;
    for (size_t j = (hole + 1) & mask; h->large[j].addr; j = (j + 1) & mask) {
        size_t home = home_of(h, h->large[j].addr);
        bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (!stays) {
            h->large[hole] = h->large[j];
            hole = j;
        }
    }
    h->large[hole] = (p2_large){ 0, 0 };
    h->nlarge--;
}

void *p2_large_alloc(p2_heap *h, size_t size)
{
    size_t len;
    if (!hb_round_up(size, h->src.page_size, &len) || !reserve_one(h))
        return NULL;
    void *p = h->src.map(h->src.ctx, len);
    if (!p)
        return NULL;
    put(h, (uintptr_t)p, len);
    h->nlarge++;
    return p;
}

/* Bytes of the large run starting at p, or 0 when p starts none. */
size_t p2_large_len(const p2_heap *h, const void *p)
{
    size_t i = find_slot(h, (uintptr_t)p);
    return i == SIZE_MAX ? 0 : h->large[i].len;
}

int p2_large_free(p2_heap *h, void *p)
{
    size_t i = find_slot(h, (uintptr_t)p);
    if (i == SIZE_MAX)
        return HB_FREE_INVALID;
    h->src.unmap(h->src.ctx, p, h->large[i].len);
    remove_at(h, i);
    return HB_FREE_OK;
}

void p2_large_release_all(p2_heap *h)
{
    for (size_t i = 0; i < h->large_slots; i++)
        if (h->large[i].addr)
            h->src.unmap(h->src.ctx, (void *)h->large[i].addr, h->large[i].len);
    if (h->large)
        h->src.unmap(h->src.ctx, h->large, h->large_slots * sizeof *h->large);
    h->large = NULL;
    h->large_slots = h->nlarge = 0;
}
