/*
 * The address -> block table: open addressing with linear probing in an
 * anonymous mapping, so the recorder never uses the heap it is watching.
 *
 * Invariant (linear probing without tombstones): every live entry sits in
 * the run of occupied slots that starts at its home slot, i.e. no empty slot
 * lies between an entry's home and its position.  Deletion keeps it by
 * shifting later entries of the run back into the hole, so lookups stop at
 * the first empty slot and the table never fills with dead markers.
 *
 * The load factor stays at or below 1/2; growing doubles the table and
 * reinserts everything (amortised O(1) per put).  A fork child gets a
 * copy-on-write copy of the mapping, which is exactly the heap it inherits.
 */
#include <sys/mman.h>

#include "rec.h"

#define REC_TABLE_MIN_SLOTS ((size_t)1 << 16)

static rec_block *slots;
static size_t nslots; /* a power of two, or 0 before the first put */
static size_t nlive;

/* Fibonacci hashing of the address without its always-zero low bits. */
static size_t home_of(uintptr_t addr, size_t mask)
{
    uint64_t h = (uint64_t)(addr >> 4) * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 20) & mask;
}

static rec_block *map_slots(size_t n)
{
    void *p = mmap(NULL, n * sizeof(rec_block), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Stores b; true if it replaced an entry for the same address. */
static bool place(rec_block *tab, size_t mask, const rec_block *b)
{
    size_t i = home_of(b->addr, mask);
    while (tab[i].addr != 0 && tab[i].addr != b->addr)
        i = (i + 1) & mask;
    bool replaced = tab[i].addr != 0;
    tab[i] = *b;
    return replaced;
}

static int grow(void)
{
    size_t n = nslots ? nslots * 2 : REC_TABLE_MIN_SLOTS;
    rec_block *tab = map_slots(n);
    if (!tab)
        return -1;
    for (size_t i = 0; i < nslots; i++)
        if (slots[i].addr != 0)
            place(tab, n - 1, &slots[i]);
    if (slots)
        munmap(slots, nslots * sizeof(rec_block));
    slots = tab;
    nslots = n;
    return 0;
}

int rec_table_put(const rec_block *b)
{
    if ((nlive + 1) * 2 > nslots && grow() != 0)
        return -1;
    if (place(slots, nslots - 1, b))
        return 1;
    nlive++;
    return 0;
}

/* Closes the hole at i: walks the run after it and moves back every entry
 * whose home does not lie cyclically in (hole, j]. */
static void close_hole(size_t hole)
{
    size_t mask = nslots - 1;
    for (size_t j = (hole + 1) & mask; slots[j].addr != 0; j = (j + 1) & mask) {
        size_t home = home_of(slots[j].addr, mask);
        bool stays = hole < j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            slots[hole] = slots[j];
            hole = j;
        }
    }
    slots[hole].addr = 0;
}

bool rec_table_take(uintptr_t addr, rec_block *out)
{
    if (nslots == 0 || addr == 0)
        return false;
    size_t mask = nslots - 1;
    for (size_t i = home_of(addr, mask); slots[i].addr != 0; i = (i + 1) & mask) {
        if (slots[i].addr == addr) {
            *out = slots[i];
            close_hole(i);
            nlive--;
            return true;
        }
    }
    return false;
}

size_t rec_table_count(void)
{
    return nlive;
}

void rec_table_each(void (*fn)(const rec_block *, void *), void *ctx)
{
    for (size_t i = 0; i < nslots; i++)
        if (slots[i].addr != 0)
            fn(&slots[i], ctx);
}
