/*
 * nova: header-free blocks over an sbrk region (see nova_internal.h).  This
 * file is the method table; free runs are in runs.c, the region in arena.c,
 * the course task's my_malloc/my_free in task.c.
 */
#include <assert.h>
#include "nova_internal.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_GROW ((size_t)4 << 10)
#define DEFAULT_TRIM ((size_t)256 << 10)

/* Granules for n bytes, at least one; false when the arena could never
 * hold them (checked before rounding, so nothing wraps). */
static bool granules_for(size_t n, uint32_t *k)
{
    if (n > (size_t)NV_MAX_GRANULES * NV_GRAN)
        return false;
    size_t g = (n + NV_GRAN - 1) / NV_GRAN;
    *k = g ? (uint32_t)g : 1;
    return true;
}

/* A free run of at least len granules: from the lists, or else the top run
 * after growing the arena.  NV_NONE when neither works. */
static uint32_t find_run(nova_heap *h, uint64_t len)
{
    if (len > NV_MAX_GRANULES)
        return NV_NONE;
    uint32_t r = nv_run_find(h, (uint32_t)len);
    if (r != NV_NONE)
        return r;
    if (!nv_grow(h, (uint32_t)len))
        return NV_NONE;
    return h->n - (uint32_t)nv_at(h, h->n - 1)->len;
}

/* What free(p) would find: OK with *g set, INVALID or DOUBLE.  Only the
 * bitmaps are read. */
static int status_of(const nova_heap *h, const void *p, uint32_t *g)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)h->arena;
    if (a < lo || a - lo >= (size_t)h->n * NV_GRAN || (a - lo) % NV_GRAN)
        return HB_FREE_INVALID;
    *g = (uint32_t)((a - lo) / NV_GRAN);
    if (!hb_bit(h->start, *g))
        return HB_FREE_INVALID;
    return hb_bit(h->used, *g) ? HB_FREE_OK : HB_FREE_DOUBLE;
}

/* Returns [lo, hi) of an allocated block to the free runs. */
static void release(nova_heap *h, uint32_t lo, uint32_t hi)
{
    assert(lo < hi && hi <= h->n && hb_bit(h->used, lo));
    hb_bits_set(h->used, lo, hi, false);
    nv_free_range(h, lo, hi);
    if (!hb_bit(h->used, h->n - 1))
        nv_trim(h);
}

/* ---- the method table ---------------------------------------------------------- */

static void *nv_malloc(void *heap, size_t n)
{
    nova_heap *h = heap;
    uint32_t k, r;
    if (!granules_for(n, &k) || (r = find_run(h, k)) == NV_NONE)
        return NULL;
    nv_carve(h, r, r, k);
    return nv_ptr(h, r);
}

static int nv_free(void *heap, void *p)
{
    nova_heap *h = heap;
    uint32_t g;
    if (!p)
        return HB_FREE_OK;
    int status = status_of(h, p, &g);
    if (status == HB_FREE_OK)
        release(h, g, nv_block_end(h, g));
    return status;
}

/*
 * Grows the block ending at end by more granules, to total, taken from the
 * free run that starts at end.  When that run is the top one and too short,
 * the arena grows under the block -- but only if no free run could take the
 * whole block, exactly when malloc would grow too.  Growing a small block at
 * the top by the 1/16 step while free space lay elsewhere made the arena
 * climb step by step once small blocks pinned its top (vectors doubling
 * among small blocks took 12 times their live bytes).  False, with nothing
 * changed, when it cannot.
 */
static bool extend(nova_heap *h, uint32_t end, uint32_t more, uint32_t total)
{
    bool next_free = end < h->n && !hb_bit(h->used, end);
    uint32_t have = next_free ? (uint32_t)nv_at(h, end)->len : 0;
    if (have < more) {
        if (end + have != h->n || nv_run_find(h, total) != NV_NONE || !nv_grow(h, more))
            return false;
    }
    nv_carve(h, end, end, more);
    h->start[end >> 6] &= ~((uint64_t)1 << (end & 63)); /* same block */
    return true;
}

static void *nv_realloc(void *heap, void *p, size_t n)
{
    nova_heap *h = heap;
    uint32_t g, k;
    if (!p)
        return nv_malloc(h, n);
    if (n == 0) {
        nv_free(h, p);
        return NULL;
    }
    if (status_of(h, p, &g) != HB_FREE_OK || !granules_for(n, &k))
        return NULL;
    uint32_t end = nv_block_end(h, g);
    if (g + k <= end) {
        if (g + k < end)
            release(h, g + k, end);
        return p;
    }
    if ((uint64_t)g + k <= NV_MAX_GRANULES && extend(h, end, g + k - end, k))
        return p;
    void *q = nv_malloc(h, n);
    if (!q)
        return NULL;
    memcpy(q, p, (size_t)(end - g) * NV_GRAN);
    release(h, g, end);
    return q;
}

static void *nv_calloc(void *heap, size_t nmemb, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(nmemb, size, &n))
        return NULL;
    void *p = nv_malloc(heap, n);
    if (p)
        memset(p, 0, n);
    return p;
}

/* Takes a run with room for align - 16 bytes of slack and places the block
 * at the first aligned granule in it; the slack stays free. */
static void *nv_aligned_alloc(void *heap, size_t align, size_t n)
{
    nova_heap *h = heap;
    uint32_t k;
    if (!hb_is_pow2(align) || align < sizeof(void *) || !granules_for(n, &k) ||
        align / NV_GRAN > NV_MAX_GRANULES)
        return NULL;
    uint64_t slack = align > NV_GRAN ? align / NV_GRAN - 1 : 0;
    uint32_t r = find_run(h, k + slack);
    if (r == NV_NONE)
        return NULL;
    uintptr_t at = (uintptr_t)nv_ptr(h, r);
    uint32_t s = r + (uint32_t)((-at & (align - 1)) / NV_GRAN);
    nv_carve(h, r, s, k);
    return nv_ptr(h, s);
}

static size_t nv_usable_size(void *heap, void *p)
{
    nova_heap *h = heap;
    uint32_t g;
    if (!p || status_of(h, p, &g) != HB_FREE_OK)
        return 0;
    return (size_t)(nv_block_end(h, g) - g) * NV_GRAN;
}

/* ---- lifetime ------------------------------------------------------------------- */

static void *nv_create(const hb_memsrc *src, const char *options)
{
    size_t grow = DEFAULT_GROW, trim = DEFAULT_TRIM;
    char key[16], val[32];
    for (const char *s = options; (s = hb_opt_next(s, key, sizeof key, val, sizeof val));) {
        size_t *slot = !strcmp(key, "grow") ? &grow : !strcmp(key, "trim") ? &trim : NULL;
        if (!slot || !hb_opt_bytes(val, (size_t)1 << 34, slot))
            return NULL;
    }
    if (!src || !src->grow)
        return NULL;
    uint32_t g = (uint32_t)((grow + NV_GRAN - 1) / NV_GRAN);
    return nv_heap_create(src, g ? g : 1, (uint32_t)(trim / NV_GRAN));
}

static void nv_destroy(void *heap)
{
    if (heap)
        nv_heap_destroy(heap);
}

const hb_allocator nv_table = {
    .struct_size = sizeof(hb_allocator),
    .abi_version = HB_ALLOCATOR_ABI,
    .name = "nova",
    .description = "sbrk heap, header-free blocks described by two bitmaps, coalescing",
    .create = nv_create,
    .destroy = nv_destroy,
    .malloc = nv_malloc,
    .free = nv_free,
    .realloc = nv_realloc,
    .calloc = nv_calloc,
    .aligned_alloc = nv_aligned_alloc,
    .usable_size = nv_usable_size,
    .check = nv_check,
};

HB_EXPORT const hb_allocator *heapbench_allocator(void) { return &nv_table; }
