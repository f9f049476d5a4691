/*
 * nova internals.
 *
 * nova is an sbrk heap: one contiguous region, grown and shrunk at the top
 * with the memory source's grow() and nothing else.  Allocated blocks carry
 * no header at all; two bitmaps with one bit per 16-byte granule describe
 * them:
 *
 *   used   the granule belongs to an allocated block
 *   start  the granule is the first of an allocated block, or was the first
 *          of a block that has since been freed
 *
 * An allocated block runs from its start bit to the next start bit or the
 * next unused granule.  free(p) is legal exactly when p's granule has both
 * bits; start without used means the block was freed already.  So invalid
 * and double frees are told apart from the bitmaps alone, never by reading
 * the user's memory.
 *
 * Free space is kept as maximal runs of unused granules.  Each run stores
 * its length in its first and last granule (so a neighbour that is freed
 * can merge with it in O(1)) and list links in its first granule; runs are
 * filed in segregated lists by length, TLSF style.
 *
 *   region -> [pad][nova_heap][arena: granules ...][used bits][start bits] <- break
 *
 * The bitmaps sit above the arena; when the arena grows they move up.
 */
#ifndef NOVA_INTERNAL_H
#define NOVA_INTERNAL_H

#include "kit/alloc_util.h"
#include <heapbench/allocator.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NV_GRAN 16u
#define NV_NONE UINT32_MAX
#define NV_MAX_GRANULES ((uint32_t)1 << 31) /* a 32 GiB arena */
#define NV_SL_LOG 4u
#define NV_SL_COUNT (1u << NV_SL_LOG)
#define NV_FL_COUNT (31u - NV_SL_LOG + 2u)

/* The first granule of a free run; its last granule repeats len. */
typedef struct nv_run {
    uint32_t next, prev; /* granule indices, NV_NONE at the ends */
    uint64_t len;        /* granules                              */
} nv_run;

typedef struct nova_heap {
    hb_memsrc src;
    char *region;     /* our start in the grow() region               */
    char *arena;      /* granule 0                                    */
    uint32_t n;       /* granules in the arena                        */
    uint32_t cap;     /* granules the bitmaps can describe (x64)      */
    uint64_t *used;   /* == arena + n * 16                            */
    uint64_t *start;  /* == used + cap / 64                           */
    uint32_t min_grow;  /* granules                                   */
    uint32_t trim;      /* granules of free top that trigger a shrink */
    uint32_t fl_bitmap;
    uint32_t sl_bitmap[NV_FL_COUNT];
    uint32_t heads[NV_FL_COUNT][NV_SL_COUNT];
} nova_heap;

/* ---- granules and runs ---------------------------------------------------------- */

static inline nv_run *nv_at(const nova_heap *h, uint32_t g)
{
    return (nv_run *)(h->arena + (size_t)g * NV_GRAN);
}

static inline void *nv_ptr(const nova_heap *h, uint32_t g) { return nv_at(h, g); }

/* End (exclusive) of the allocated block starting at g: the first granule
 * after g that starts a block or is unused.  Both bitmaps are read word by
 * word together, so the cost is the block's own length / 64 words whatever
 * lies beyond (scanning for the first unused granule alone would walk every
 * live block above this one). */
static inline uint32_t nv_block_end(const nova_heap *h, uint32_t g)
{
    size_t i = (size_t)g + 1, n = h->n;
    if (i >= n)
        return (uint32_t)n;
    size_t k = i >> 6;
    uint64_t x = (h->start[k] | ~h->used[k]) & (~(uint64_t)0 << (i & 63));
    while (!x) {
        if (++k << 6 >= n)
            return (uint32_t)n;
        x = h->start[k] | ~h->used[k];
    }
    size_t r = (k << 6) + hb_ctz64(x);
    return (uint32_t)(r < n ? r : n);
}

/* ---- across files ------------------------------------------------------------------ */

/* runs.c: segregated lists of free runs */
void nv_run_insert(nova_heap *h, uint32_t g, uint32_t len);
void nv_run_remove(nova_heap *h, uint32_t g);
uint32_t nv_run_find(const nova_heap *h, uint32_t len);
void nv_class_of(uint32_t len, unsigned *fl, unsigned *sl);
uint32_t nv_free_range(nova_heap *h, uint32_t lo, uint32_t hi);
void nv_carve(nova_heap *h, uint32_t run, uint32_t s, uint32_t k);

/* arena.c: the region */
nova_heap *nv_heap_create(const hb_memsrc *src, uint32_t min_grow, uint32_t trim);
void nv_heap_destroy(nova_heap *h);
bool nv_grow(nova_heap *h, uint32_t granules);
void nv_trim(nova_heap *h);

/* check.c */
int nv_check(void *heap, char *msg, size_t msglen);

/* nova.c: the method table, used by task.c */
extern const hb_allocator nv_table;

#endif /* NOVA_INTERNAL_H */
