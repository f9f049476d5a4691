/*
 * The map table: large blocks that each have a mapping of their own from
 * the memory source, recorded by start address.
 *
 * map() may place a mapping anywhere, so an allocator cannot tell from an
 * address alone whether it starts one of its large blocks.  This table
 * tells it: an open-addressing hash keyed by the mapping's first byte.  The
 * table, not the block, says whether a pointer is a live large block, so a
 * free never reads memory it has not checked, and a block freed twice is
 * gone from the table, so its second free reports HB_FREE_INVALID.
 *
 * Costs: find, insert and delete take expected O(1) probes.  Fibonacci
 * hashing spreads page-aligned keys over the slots, linear probing keeps a
 * probe run in a few cache lines, and the table is kept at most half full,
 * where the expected run is short.  Delete shifts later entries back
 * instead of leaving tombstones, so dead slots never lengthen the runs and
 * the table is rebuilt only to grow.
 *
 * The table's own slots come from the memory source's map(), so the
 * harness counts them in the heap's footprint.  A zeroed hb_maptable is an
 * empty table.  Every function is static inline: each allocator is its own
 * .so, built only from its own folder.
 */
#ifndef HB_MAPTABLE_H
#define HB_MAPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kit/alloc_util.h"
#include <heapbench/allocator.h>

#define HB_MAPTABLE_MIN_SLOTS ((size_t)256)

/* One live mapping.  addr 0 marks an empty slot: map() never answers 0. */
typedef struct hb_mapping {
    uintptr_t addr;
    size_t len; /* bytes mapped, a page multiple */
} hb_mapping;

typedef struct hb_maptable {
    hb_mapping *entries; /* slots, in a mapping of their own             */
    size_t slots;        /* power of two, or 0 before the first mapping  */
    size_t count;        /* live entries                                 */
} hb_maptable;

/* The home slot of a key: the top log2(slots) bits of its page number
 * times 2^64/phi.  Mappings start on page boundaries and pages are at least
 * 4 KiB, so the low 12 bits carry nothing and are dropped first. */
static inline size_t hb_maptable_home(const hb_maptable *t, uintptr_t addr)
{
    uint64_t x = (uint64_t)(addr >> 12) * 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> (64 - hb_ctz64(t->slots)));
}

static inline size_t hb_maptable_next(const hb_maptable *t, size_t i)
{
    return (i + 1) & (t->slots - 1);
}

/* The slot holding addr, or SIZE_MAX: a probe run ends at an empty slot. */
static inline size_t hb_maptable_find(const hb_maptable *t, uintptr_t addr)
{
    if (!t->slots)
        return SIZE_MAX;
    for (size_t i = hb_maptable_home(t, addr);; i = hb_maptable_next(t, i)) {
        if (t->entries[i].addr == addr)
            return i;
        if (!t->entries[i].addr)
            return SIZE_MAX;
    }
}

/* Stores an entry known to be absent, in the first empty slot of its run. */
static inline void hb_maptable_put(hb_maptable *t, hb_mapping e)
{
    size_t i = hb_maptable_home(t, e.addr);
    while (t->entries[i].addr)
        i = hb_maptable_next(t, i);
    t->entries[i] = e;
}

/* Makes room for one more entry.  Doubling when the next insert would pass
 * half full keeps probe runs short and pays for each rehash with the
 * inserts since the last one. */
static inline bool hb_maptable_reserve_one(hb_maptable *t, const hb_memsrc *src)
{
    if ((t->count + 1) * 2 <= t->slots)
        return true;
    hb_maptable old = *t;
    size_t n = old.slots ? old.slots * 2 : HB_MAPTABLE_MIN_SLOTS;
    hb_mapping *fresh = src->map(src->ctx, n * sizeof *fresh);
    if (!fresh)
        return false;
    t->entries = fresh;
    t->slots = n;
    for (size_t i = 0; i < old.slots; i++)
        if (old.entries[i].addr)
            hb_maptable_put(t, old.entries[i]);
    if (old.entries)
        src->unmap(src->ctx, old.entries, old.slots * sizeof *old.entries);
    return true;
}

/*
 * Empties slot hole without tombstones.  Invariant: every entry lies in
 * the probe run that starts at its home, with no empty slot between home
 * and entry.  Later members of the run move back into the hole unless
 * their home lies cyclically in (hole, j]: moving those would put them
 * before their home, where no lookup starts.  Each move opens a new hole
 * further on; the run ends at the first empty slot.
 */
static inline void hb_maptable_remove_at(hb_maptable *t, size_t hole)
{
    for (size_t j = hb_maptable_next(t, hole); t->entries[j].addr; j = hb_maptable_next(t, j)) {
        size_t home = hb_maptable_home(t, t->entries[j].addr);
        bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (!stays) {
            t->entries[hole] = t->entries[j];
            hole = j;
        }
    }
    t->entries[hole] = (hb_mapping){ 0, 0 };
    t->count--;
}

/* A fresh mapping of size bytes rounded up to pages, recorded; NULL when
 * the size overflows or the source refuses the mapping or the table. */
static inline void *hb_maptable_map(hb_maptable *t, const hb_memsrc *src, size_t size)
{
    size_t len;
    if (!hb_round_up(size, src->page_size, &len) || !hb_maptable_reserve_one(t, src))
        return NULL;
    void *p = src->map(src->ctx, len);
    if (!p)
        return NULL;
    hb_maptable_put(t, (hb_mapping){ (uintptr_t)p, len });
    t->count++;
    return p;
}

/* Bytes of the mapping that starts at p, or 0 when p starts none. */
static inline size_t hb_maptable_len(const hb_maptable *t, const void *p)
{
    size_t i = hb_maptable_find(t, (uintptr_t)p);
    return i == SIZE_MAX ? 0 : t->entries[i].len;
}

/* Unmaps the mapping that starts at p: HB_FREE_OK, or HB_FREE_INVALID when
 * p starts no live mapping (interior pointers and second frees included). */
static inline int hb_maptable_unmap(hb_maptable *t, const hb_memsrc *src, void *p)
{
    size_t i = hb_maptable_find(t, (uintptr_t)p);
    if (i == SIZE_MAX)
        return HB_FREE_INVALID;
    src->unmap(src->ctx, p, t->entries[i].len);
    hb_maptable_remove_at(t, i);
    return HB_FREE_OK;
}

/* Unmaps every live mapping and the table itself; the table is empty after. */
static inline void hb_maptable_release(hb_maptable *t, const hb_memsrc *src)
{
    for (size_t i = 0; i < t->slots; i++)
        if (t->entries[i].addr)
            src->unmap(src->ctx, (void *)t->entries[i].addr, t->entries[i].len);
    if (t->entries)
        src->unmap(src->ctx, t->entries, t->slots * sizeof *t->entries);
    *t = (hb_maptable){ NULL, 0, 0 };
}

/* For check(): the first entry that is not a page-aligned mapping of more
 * than longer_than bytes, or NULL when all are; *live gets the entries
 * counted, to compare with t->count. */
static inline const hb_mapping *hb_maptable_first_bad(const hb_maptable *t, size_t page,
                                                      size_t longer_than, size_t *live)
{
    *live = 0;
    for (size_t i = 0; i < t->slots; i++) {
        const hb_mapping *e = &t->entries[i];
        if (!e->addr)
            continue;
        ++*live;
        if ((e->addr | e->len) & (page - 1) || e->len <= longer_than)
            return e;
    }
    return NULL;
}

#endif /* HB_MAPTABLE_H */
