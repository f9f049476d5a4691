/*
 * The descriptor table: run address -> descriptor, an open-addressing hash
 * table (linear probing, deletion by backward shift, so no tombstones)
 * kept at most half full so a lookup is one or two probes on average.
 *
 * A hash rather than the 4.4BSD kmemusage[] array because runs come from
 * map(), which may place them anywhere in the address space; an array
 * indexed by page number would need to span all of it.  Growing the table
 * rehashes every descriptor; that happens only while a run is being added,
 * which already calls the memory source, never on the free-list paths.
 */
#include "pow2_internal.h"

#include <string.h>

p2_desc *p2_desc_at(const p2_heap *h, size_t slot)
{
    return (p2_desc *)(h->slots + slot * h->desc_size);
}

/* Fibonacci hashing: the top bits of page number * 2^64/phi, which spread
 * runs of consecutive pages (what map() tends to return) evenly. */
static size_t home_of(const p2_heap *h, uintptr_t addr, size_t nslots)
{
    uint64_t x = (uint64_t)(addr >> h->page_shift) * 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> (64 - __builtin_ctzll(nslots)));
}

p2_desc *p2_desc_find(const p2_heap *h, uintptr_t addr)
{
    if (!h->nslots)
        return NULL;
    for (size_t i = home_of(h, addr, h->nslots);; i = (i + 1) & (h->nslots - 1)) {
        p2_desc *d = p2_desc_at(h, i);
        if (d->addr == addr)
            return d;
        if (!d->addr)
            return NULL;
    }
}

/* Copies descriptor d into the first free slot of its probe run. */
static p2_desc *insert(p2_heap *h, const p2_desc *d)
{
    size_t i = home_of(h, d->addr, h->nslots);
    while (p2_desc_at(h, i)->addr)
        i = (i + 1) & (h->nslots - 1);
    p2_desc *slot = p2_desc_at(h, i);
    memcpy(slot, d, h->desc_size);
    return slot;
}

/* Makes room for one more descriptor; false when the memory source
 * refuses a bigger table.  Nothing changes on failure. */
bool p2_desc_reserve(p2_heap *h)
{
    if ((h->ndesc + 1) * 2 <= h->nslots)
        return true;
    size_t old_n = h->nslots, n = old_n ? old_n * 2 : 64;
    unsigned char *old = h->slots, *fresh = h->src.map(h->src.ctx, n * h->desc_size);
    if (!fresh)
        return false;
    h->slots = fresh;
    h->nslots = n;
    for (size_t i = 0; i < old_n; i++) {
        const p2_desc *d = (const p2_desc *)(old + i * h->desc_size);
        if (d->addr)
            insert(h, d);
    }
    if (old)
        h->src.unmap(h->src.ctx, old, old_n * h->desc_size);
    return true;
}

/* Adds a descriptor with no block in use; p2_desc_reserve must have made
 * room.  The slot is zero (fresh mapping, or cleared by remove), so the
 * live bits start clear. */
p2_desc *p2_desc_put(p2_heap *h, uintptr_t addr, size_t npages, unsigned cls)
{
    size_t i = home_of(h, addr, h->nslots);
    while (p2_desc_at(h, i)->addr)
        i = (i + 1) & (h->nslots - 1);
    p2_desc *d = p2_desc_at(h, i);
    d->addr = addr;
    d->npages = npages;
    d->nlive = 0;
    d->cls = (uint8_t)cls;
    h->ndesc++;
    return d;
}

/* Later members of the probe run move into the hole unless their home
 * lies cyclically in (hole, j]: lookups then never cross an empty slot
 * that hides their key. */
void p2_desc_remove(p2_heap *h, p2_desc *d)
{
    size_t mask = h->nslots - 1;
    size_t hole = (size_t)((unsigned char *)d - h->slots) / h->desc_size;
    for (size_t j = (hole + 1) & mask; p2_desc_at(h, j)->addr; j = (j + 1) & mask) {
        size_t home = home_of(h, p2_desc_at(h, j)->addr, h->nslots);
        bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (!stays) {
            memcpy(p2_desc_at(h, hole), p2_desc_at(h, j), h->desc_size);
            hole = j;
        }
    }
    memset(p2_desc_at(h, hole), 0, h->desc_size);
    h->ndesc--;
}

/* Unmaps every run and the table itself (destroy). */
void p2_desc_release_all(p2_heap *h)
{
    for (size_t i = 0; i < h->nslots; i++) {
        p2_desc *d = p2_desc_at(h, i);
        if (d->addr)
            h->src.unmap(h->src.ctx, (void *)d->addr, p2_run_bytes(h, d));
    }
    if (h->slots)
        h->src.unmap(h->src.ctx, h->slots, h->nslots * h->desc_size);
    h->slots = NULL;
    h->nslots = h->ndesc = 0;
}
