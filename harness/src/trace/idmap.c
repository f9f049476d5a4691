/*
 * Open-addressing id map (see idmap.h).  Fibonacci hashing spreads the
 * sequential ids of generated traces and the 16-byte-aligned addresses of
 * recorded ones alike; the table doubles at half full, so a probe run stays
 * short and a lookup is one or two cache misses.
 */
#include "trace/idmap.h"

#include <stdlib.h>

#define MIN_CAPACITY 128u

/*
 * Ids are hashed in groups of 64: the group (id / 64) picks a random
 * 64-entry stretch of the table (Fibonacci hashing), and id % 64, turned
 * by a second hash of the group, the entry within it.  Traces number their
 * blocks in order and free mostly recent ones, so the live ids then sit in
 * few cache lines instead of one line each; ids with equal low bits
 * (addresses, multiples of 4096) still spread within and across groups.
 */
static size_t home(const hb_idmap *m, uint64_t id)
{
    uint64_t h = (id >> 6) * 0x9E3779B97F4A7C15ull;
    size_t group = (size_t)(h >> (m->shift + 6));
    size_t within = (size_t)((id + (h >> 32)) & 63);
    return group << 6 | within;
}

static hb_id_entry *alloc_table(size_t cap)
{
    hb_id_entry *t = malloc(cap * sizeof *t);
    if (t)
        for (size_t i = 0; i < cap; i++)
            t[i].slot = HB_ID_EMPTY;
    return t;
}

int hb_idmap_init(hb_idmap *m, size_t expected)
{
    size_t cap = MIN_CAPACITY;
    while (cap < expected * 2 && cap < ((size_t)1 << 40))
        cap <<= 1;
    m->tab = alloc_table(cap);
    m->mask = cap - 1;
    m->shift = 64u - (unsigned)__builtin_ctzll(cap);
    m->used = 0;
    return m->tab ? 0 : -1;
}

void hb_idmap_free(hb_idmap *m)
{
    free(m->tab);
    m->tab = NULL;
    m->mask = 0;
    m->used = 0;
}

hb_id_entry *hb_idmap_find(const hb_idmap *m, uint64_t id)
{
    for (size_t i = home(m, id);; i = (i + 1) & m->mask) {
        hb_id_entry *e = &m->tab[i];
        if (e->slot == HB_ID_EMPTY)
            return NULL;
        if (e->id == id)
            return e;
    }
}

static int grow(hb_idmap *m)
{
    size_t oldcap = m->mask + 1, cap = oldcap * 2;
    hb_id_entry *old = m->tab, *t = alloc_table(cap);
    if (!t)
        return -1;
    m->tab = t;
    m->mask = cap - 1;
    m->shift--;
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].slot == HB_ID_EMPTY)
            continue;
        size_t j = home(m, old[i].id);
        while (t[j].slot != HB_ID_EMPTY)
            j = (j + 1) & m->mask;
        t[j] = old[i];
    }
    free(old);
    return 0;
}

hb_id_entry *hb_idmap_get(hb_idmap *m, uint64_t id)
{
    hb_id_entry *e = hb_idmap_find(m, id);
    if (e)
        return e;
    if ((m->used + 1) * 2 > m->mask + 1 && grow(m) < 0)
        return NULL;
    size_t i = home(m, id);
    while (m->tab[i].slot != HB_ID_EMPTY)
        i = (i + 1) & m->mask;
    m->used++;
    m->tab[i] = (hb_id_entry){ .id = id, .slot = HB_ID_DEAD, .line = 0 };
    return &m->tab[i];
}
