/*
 * Large blocks: a request of at least mmap_threshold bytes gets a mapping of
 * its own, which free() returns at once.  Such a block has no header: its
 * payload is the start of the mapping (or, for aligned_alloc, the first
 * suitably aligned address in it).
 *
 * The heap finds its mapped blocks through an open-addressing set keyed by
 * payload address (linear probing), kept in a mapping of its own.  Lookup
 * never dereferences the pointer being freed, so a wild or stale pointer
 * outside the heap is refused without a fault.  A freed entry stays as a
 * tombstone (len 0): a second free of that pointer is reported DOUBLE until
 * the set is rebuilt or the address is mapped again, and INVALID after.
 */
#include "segfit_internal.h"

#include <string.h>

#define MIN_SLOTS ((size_t)64)

/* Fibonacci hashing: the multiply spreads page-aligned addresses, the top
 * bits index the table. */
static size_t slot_of(uintptr_t p, size_t slots)
{
    uint64_t x = (uint64_t)(p >> 4) * 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> (64 - hb_log2_floor(slots)));
}

/* The entry for p, or the empty slot where it would go. */
static sf_map_entry *probe(sf_map_entry *t, size_t slots, uintptr_t p)
{
    size_t i = slot_of(p, slots);
    while (t[i].ptr && t[i].ptr != p)
        i = (i + 1) & (slots - 1);
    return &t[i];
}

/*
 * Keeps live entries plus tombstones at most half the slots.  A rebuild
 * copies live entries only, into a table four times the live count, so
 * tombstones are dropped and each rebuild is paid for by the inserts and
 * frees since the last one.
 */
static bool reserve_slot(sf_heap *h)
{
    if ((h->map_used + 1) * 2 <= h->map_slots)
        return true;
    size_t slots = MIN_SLOTS;
    while (slots < (h->map_live + 1) * 4)
        slots *= 2;
    sf_map_entry *t = h->src.map(h->src.ctx, slots * sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i < h->map_slots; i++)
        if (h->maps[i].len)
            *probe(t, slots, h->maps[i].ptr) = h->maps[i];
    if (h->maps)
        h->src.unmap(h->src.ctx, h->maps, h->map_slots * sizeof *h->maps);
    h->maps = t;
    h->map_slots = slots;
    h->map_used = h->map_live;
    return true;
}

void *sf_large_alloc(sf_heap *h, size_t n, size_t align)
{
    size_t page = h->src.page_size;
    size_t extra = align > page ? align : 0;
    size_t len;
    if (n == 0 || n > SIZE_MAX - extra || !hb_round_up(n + extra, page, &len))
        return NULL;
    if (!reserve_slot(h))
        return NULL;
    char *base = h->src.map(h->src.ctx, len);
    if (!base)
        return NULL;
    uintptr_t p = ((uintptr_t)base + align - 1) & ~(uintptr_t)(align - 1);
    sf_map_entry *e = probe(h->maps, h->map_slots, p);
    if (!e->ptr)
        h->map_used++;
    *e = (sf_map_entry){ .ptr = p, .base = base, .len = len };
    h->map_live++;
    return (void *)p;
}

sf_map_entry *sf_large_find(sf_heap *h, const void *p)
{
    if (!h->map_slots)
        return NULL;
    sf_map_entry *e = probe(h->maps, h->map_slots, (uintptr_t)p);
    return e->ptr && e->len ? e : NULL;
}

int sf_large_free(sf_heap *h, void *p)
{
    if (!h->map_slots)
        return HB_FREE_INVALID;
    sf_map_entry *e = probe(h->maps, h->map_slots, (uintptr_t)p);
    if (!e->ptr)
        return HB_FREE_INVALID;
    if (!e->len)
        return HB_FREE_DOUBLE;
    if (h->src.unmap(h->src.ctx, e->base, e->len))
        return HB_FREE_INVALID;
    e->len = 0;
    h->map_live--;
    return HB_FREE_OK;
}

void sf_large_release_all(sf_heap *h)
{
    for (size_t i = 0; i < h->map_slots; i++)
        if (h->maps[i].len)
            h->src.unmap(h->src.ctx, h->maps[i].base, h->maps[i].len);
    if (h->maps)
        h->src.unmap(h->src.ctx, h->maps, h->map_slots * sizeof *h->maps);
    h->maps = NULL;
    h->map_slots = h->map_live = h->map_used = 0;
}
