/*
 * osmem: sbrk-like region and counted page mappings (see osmem.h).
 *
 * The contiguous region is one PROT_NONE reservation; grow() makes pages
 * readable and writable only as the break passes them, so an allocator that
 * writes beyond its break faults instead of silently using memory nobody
 * counted.  Live mappings sit in an open-addressing hash table (linear
 * probing, backward-shift deletion), so unmap() can refuse anything that is
 * not exactly one earlier mapping, in O(1).
 */
#define _GNU_SOURCE /* mremap */
#include "osmem/osmem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEFAULT_RESERVE ((size_t)64 << 30)

typedef struct map_slot {
    uintptr_t addr; /* 0: empty */
    size_t len;
} map_slot;

struct hb_osmem {
    hb_memsrc iface;
    size_t page;
    size_t limit;
    char *base;      /* start of the contiguous region      */
    char *brk;       /* current break                        */
    char *committed; /* pages below this are PROT_READ|WRITE */
    size_t reserve;
    map_slot *slots; /* hash table of live mappings          */
    size_t nslots;   /* power of two                         */
    hb_osmem_stats st;
};

static void *raw_map(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* The table of mappings is the harness's bookkeeping, as the kernel's
 * own records of mappings are: it is faulted in whole when made, so its
 * resident size is exactly table_bytes, which the replay's meter leaves
 * out of the heap's footprint. */
static map_slot *table_map(hb_osmem *m, size_t nslots)
{
    size_t len = nslots * sizeof(map_slot);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    m->st.table_bytes = (len + m->page - 1) & ~(m->page - 1);
    return p;
}

static size_t page_round(const hb_osmem *m, size_t n)
{
    return (n + m->page - 1) & ~(m->page - 1);
}

static void account(hb_osmem *m)
{
    m->st.cur_bytes = m->st.brk_bytes + m->st.map_bytes;
    if (m->st.cur_bytes > m->st.peak_bytes)
        m->st.peak_bytes = m->st.cur_bytes;
}

static bool within_limit(const hb_osmem *m, size_t more)
{
    return !m->limit || (m->st.cur_bytes <= m->limit && more <= m->limit - m->st.cur_bytes);
}

/* ---- the contiguous region ------------------------------------------- */

static void *osmem_grow(void *ctx, intptr_t delta)
{
    hb_osmem *m = ctx;
    char *old = m->brk;
    if (delta == 0)
        return old;
    if (delta > 0) {
        size_t d = (size_t)delta;
        if (d > (size_t)(m->base + m->reserve - m->brk) || !within_limit(m, d))
            goto refuse;
        char *nbrk = m->brk + d;
        if (nbrk > m->committed) {
            char *ncommit = m->base + page_round(m, (size_t)(nbrk - m->base));
            if (mprotect(m->committed, (size_t)(ncommit - m->committed), PROT_READ | PROT_WRITE))
                goto refuse;
            m->committed = ncommit;
        }
        m->brk = nbrk;
    } else {
        size_t d = (size_t)(-(delta + 1)) + 1; /* -delta without overflow */
        if (d > (size_t)(m->brk - m->base))
            goto refuse;
        m->brk -= d;
        /* Pages wholly above the new break go back to the kernel and become
         * inaccessible again, so a later grow sees them zero-filled; the
         * tail of the page the break now sits in is cleared by hand, for the
         * same promise. */
        char *keep = m->base + page_round(m, (size_t)(m->brk - m->base));
        memset(m->brk, 0, (size_t)((keep < m->committed ? keep : m->committed) - m->brk));
        if (keep < m->committed) {
            madvise(keep, (size_t)(m->committed - keep), MADV_DONTNEED);
            mprotect(keep, (size_t)(m->committed - keep), PROT_NONE);
            m->committed = keep;
        }
    }
    m->st.grow_calls++;
    m->st.brk_bytes = (size_t)(m->brk - m->base);
    account(m);
    return old;
refuse:
    m->st.refused++;
    return NULL;
}

/* ---- mappings ---------------------------------------------------------- */

/* Fibonacci hashing: the top bits of the product are the well-mixed ones,
 * so the slot is taken from there (consecutive pages spread evenly). */
static size_t slot_of(const hb_osmem *m, uintptr_t addr)
{
    uint64_t h = (uint64_t)(addr >> 12) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> (64 - (unsigned)__builtin_ctzl(m->nslots)));
}

static void table_put(hb_osmem *m, uintptr_t addr, size_t len)
{
    size_t i = slot_of(m, addr);
    while (m->slots[i].addr)
        i = (i + 1) & (m->nslots - 1);
    m->slots[i].addr = addr;
    m->slots[i].len = len;
}

/* Doubles the table when it is half full: probing stays short. */
static bool table_reserve(hb_osmem *m)
{
    if ((m->st.live_maps + 1) * 2 <= m->nslots)
        return true;
    size_t old_n = m->nslots;
    map_slot *old = m->slots;
    map_slot *fresh = table_map(m, old_n * 2);
    if (!fresh)
        return false;
    m->slots = fresh;
    m->nslots = old_n * 2;
    for (size_t i = 0; i < old_n; i++)
        if (old[i].addr)
            table_put(m, old[i].addr, old[i].len);
    munmap(old, old_n * sizeof(map_slot));
    return true;
}

static size_t table_find(const hb_osmem *m, uintptr_t addr)
{
    size_t i = slot_of(m, addr);
    while (m->slots[i].addr) {
        if (m->slots[i].addr == addr)
            return i;
        i = (i + 1) & (m->nslots - 1);
    }
    return SIZE_MAX;
}

/* Backward-shift deletion: later entries of the same probe run move into
 * the hole, so lookups never need tombstones. */
static void table_remove(hb_osmem *m, size_t hole)
{
    size_t mask = m->nslots - 1;
    size_t j = hole;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->slots[j].addr)
            break;
        size_t home = slot_of(m, m->slots[j].addr);
        /* Move j into the hole unless its home lies cyclically in (hole, j]. */
        bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (!stays) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].addr = 0;
    m->slots[hole].len = 0;
}

static void *osmem_map(void *ctx, size_t len)
{
    hb_osmem *m = ctx;
    if (len == 0 || len > SIZE_MAX - m->page)
        goto refuse;
    len = page_round(m, len);
    if (!within_limit(m, len) || !table_reserve(m))
        goto refuse;
    void *p = raw_map(len);
    if (!p)
        goto refuse;
    table_put(m, (uintptr_t)p, len);
    m->st.live_maps++;
    m->st.map_calls++;
    m->st.map_bytes += len;
    account(m);
    return p;
refuse:
    m->st.refused++;
    return NULL;
}

static int osmem_unmap(void *ctx, void *addr, size_t len)
{
    hb_osmem *m = ctx;
    size_t i = addr ? table_find(m, (uintptr_t)addr) : SIZE_MAX;
    if (i == SIZE_MAX || len > SIZE_MAX - m->page || m->slots[i].len != page_round(m, len)) {
        m->st.refused++;
        return -1;
    }
    len = m->slots[i].len;
    munmap(addr, len);
    table_remove(m, i);
    m->st.live_maps--;
    m->st.unmap_calls++;
    m->st.map_bytes -= len;
    account(m);
    return 0;
}

void *hb_osmem_remap(const hb_memsrc *src, void *addr, size_t old_len, size_t new_len)
{
    if (src->map != osmem_map)
        return NULL; /* not an osmem: the caller copies */
    hb_osmem *m = src->ctx;
    size_t i = addr ? table_find(m, (uintptr_t)addr) : SIZE_MAX;
    if (i == SIZE_MAX || new_len == 0 || old_len > SIZE_MAX - m->page ||
        new_len > SIZE_MAX - m->page || m->slots[i].len != page_round(m, old_len))
        goto refuse;
    old_len = m->slots[i].len;
    new_len = page_round(m, new_len);
    if (new_len > old_len && !within_limit(m, new_len - old_len))
        goto refuse;
    void *p = mremap(addr, old_len, new_len, MREMAP_MAYMOVE);
    if (p == MAP_FAILED)
        goto refuse;
    /* The number of mappings is unchanged, so the table has room. */
    table_remove(m, i);
    table_put(m, (uintptr_t)p, new_len);
    m->st.remap_calls++;
    m->st.map_bytes = m->st.map_bytes - old_len + new_len;
    account(m);
    return p;
refuse:
    m->st.refused++;
    return NULL;
}

/* ---- lifetime ---------------------------------------------------------- */

/* Reserves *len bytes of address space.  The default size is halved (down
 * to 1 GiB) while the address space refuses it: under valgrind, which
 * manages a smaller one, 64 GiB cannot be reserved. */
static void *reserve_region(size_t *len, bool fixed)
{
    for (;;) {
        void *base = mmap(NULL, *len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                          -1, 0);
        if (base != MAP_FAILED || fixed || *len <= ((size_t)1 << 30))
            return base;
        *len /= 2;
    }
}

hb_osmem *hb_osmem_new(size_t reserve, size_t limit)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t page = pg > 0 ? (size_t)pg : 4096;
    hb_osmem *m = raw_map(sizeof *m);
    if (!m)
        return NULL;
    memset(m, 0, sizeof *m);
    m->page = page;
    m->limit = limit;
    m->reserve = reserve ? (reserve + page - 1) & ~(page - 1) : DEFAULT_RESERVE;
    void *base = reserve_region(&m->reserve, reserve != 0);
    m->nslots = 256;
    m->slots = table_map(m, m->nslots);
    if (base == MAP_FAILED || !m->slots) {
        if (base != MAP_FAILED)
            munmap(base, m->reserve);
        if (m->slots)
            munmap(m->slots, m->nslots * sizeof(map_slot));
        munmap(m, sizeof *m);
        return NULL;
    }
    m->base = m->brk = m->committed = base;
    m->iface = (hb_memsrc){ .ctx = m, .page_size = page, .grow = osmem_grow,
                            .map = osmem_map, .unmap = osmem_unmap };
    return m;
}

void hb_osmem_free(hb_osmem *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nslots; i++)
        if (m->slots[i].addr)
            munmap((void *)m->slots[i].addr, m->slots[i].len);
    munmap(m->slots, m->nslots * sizeof(map_slot));
    munmap(m->base, m->reserve);
    munmap(m, sizeof *m);
}

const hb_memsrc *hb_osmem_source(hb_osmem *m) { return &m->iface; }

const hb_osmem_stats *hb_osmem_stats_of(const hb_osmem *m) { return &m->st; }

static bool slot_holds(const map_slot *sl, uintptr_t a, size_t len)
{
    return sl->addr && a >= sl->addr && a - sl->addr <= sl->len && len <= sl->len - (a - sl->addr);
}

/* Mappings are found by their start, a page boundary: a block near the
 * start of its mapping (the usual case) is found by looking up the few
 * pages below it; anything else by a walk over the table. */
#define NEAR_PAGES 4

bool hb_osmem_contains(const hb_osmem *m, const void *p, size_t len)
{
    uintptr_t a = (uintptr_t)p;
    if (a >= (uintptr_t)m->base && a <= (uintptr_t)m->brk && len <= (uintptr_t)m->brk - a)
        return true;
    uintptr_t page = a & ~(uintptr_t)(m->page - 1);
    for (uintptr_t k = 0; k < NEAR_PAGES && page >= k * m->page; k++) {
        size_t i = table_find(m, page - k * m->page);
        if (i != SIZE_MAX && slot_holds(&m->slots[i], a, len))
            return true;
    }
    for (size_t i = 0; i < m->nslots; i++)
        if (slot_holds(&m->slots[i], a, len))
            return true;
    return false;
}
