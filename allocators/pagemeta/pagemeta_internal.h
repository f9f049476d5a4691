/*
 * pagemeta internals.
 *
 * pagemeta keeps every byte of metadata outside the pages it hands out.
 * Data pages come from the memory source's map(), one page at a time;
 * metadata comes from its grow() region, which never holds user data.
 *
 * A small page is divided into granules (16 bytes, or 8 in mode=page).  Its
 * descriptor holds two bitmaps over the granules:
 *
 *   used   granule belongs to an allocated block
 *   start  granule is the first of an allocated block, or was the first of
 *          a block that has since been freed
 *
 * A block runs from its start bit to the next start bit or the next unused
 * granule, whichever comes first; free space is simply the runs of unused
 * granules, so splitting is setting bits and merging is clearing them.  A
 * freed block keeps its start bit, which is how a second free is told from
 * a pointer that never was a block.
 */
#ifndef PAGEMETA_H
#define PAGEMETA_H

#include "kit/alloc_util.h"
#include <heapbench/allocator.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PM_NONE UINT32_MAX
#define PM_RETIRED UINT32_MAX /* page-map value: a large run that was freed */
#define PM_CHUNKS 28u          /* descriptor chunks: 16 * (2^28 - 1) slots */
#define PM_CHUNK0 16u
#define PM_RADIX_BITS 9u
#define PM_RADIX_FAN (1u << PM_RADIX_BITS)

enum pm_kind { PM_UNUSED = 0, PM_SMALL = 1, PM_LARGE = 2 };

typedef struct pm_page {
    uintptr_t addr;       /* small: the page; large: the user pointer      */
    char *base;           /* large: start of the mapping                   */
    size_t len;           /* large: length of the mapping                  */
    uint32_t next, prev;  /* bucket list (small) / free-descriptor list     */
    uint32_t largest;     /* small: bound on its longest unused run         */
    uint32_t kind;
    uint64_t bits[];      /* small: used[words], then start[words]          */
} pm_page;

typedef struct pm_heap {
    hb_memsrc src;
    bool single;          /* mode=page: one page, mapped at create          */
    unsigned gran_shift;  /* log2 of the granule                            */
    unsigned page_shift;  /* log2 of the memory source's page               */
    unsigned levels;      /* inner levels of the page map                   */
    size_t page_bytes;    /* bytes managed in one small page                */
    size_t granules;      /* granules per small page (a multiple of 64)     */
    size_t words;         /* 64-bit words per bitmap                        */
    size_t stride;        /* bytes per descriptor                           */
    void **root;          /* page map: page number -> descriptor index + 1  */
    uint32_t *bucket_head; /* [granules + 1]: pages by longest free run      */
    uint64_t *bucket_bits; /* non-empty buckets                              */
    size_t bucket_words;
    pm_page *chunk[PM_CHUNKS];
    uint32_t ndesc;       /* descriptors ever used                          */
    uint32_t free_desc;   /* list of unused descriptors                     */
    char *region;         /* start of our part of the grow() region         */
    char *meta_end;       /* where the next metadata piece would go         */
    bool contiguous;      /* nobody else moved the break between pieces     */
} pm_heap;

/* ---- bitmaps --------------------------------------------------------------- */

static inline void pm_set(uint64_t *w, size_t i) { w[i >> 6] |= (uint64_t)1 << (i & 63); }
static inline uint64_t *pm_used(pm_page *d) { return d->bits; }
static inline uint64_t *pm_start(const pm_heap *h, pm_page *d) { return d->bits + h->words; }

/* Last index < i whose bit is set, or SIZE_MAX. */
static inline size_t pm_scan_back(const uint64_t *w, size_t i)
{
    if (i == 0)
        return SIZE_MAX;
    size_t k = (i - 1) >> 6;
    uint64_t x = w[k] & (~(uint64_t)0 >> (63 - ((i - 1) & 63)));
    while (!x) {
        if (k == 0)
            return SIZE_MAX;
        x = w[--k];
    }
    return (k << 6) + 63 - (size_t)__builtin_clzll(x);
}

/* ---- across files ------------------------------------------------------------ */

/* meta.c: metadata store, descriptors and the page map */
void *pm_meta_alloc(pm_heap *h, size_t bytes);
pm_page *pm_desc(const pm_heap *h, uint32_t i);
uint32_t pm_desc_new(pm_heap *h);
void pm_desc_release(pm_heap *h, uint32_t i);
uint32_t *pm_map_slot(pm_heap *h, uintptr_t addr, bool create);
uint32_t pm_lookup(const pm_heap *h, const void *p);

/* page.c: blocks inside small pages */
uint32_t pm_page_new(pm_heap *h);
void *pm_small_alloc(pm_heap *h, size_t n, size_t align);
size_t pm_block_end(const pm_heap *h, pm_page *d, size_t g);
int pm_small_status(const pm_heap *h, pm_page *d, const void *p, size_t *g);
void pm_small_free(pm_heap *h, uint32_t i, pm_page *d, size_t g);
bool pm_small_resize(pm_heap *h, uint32_t i, pm_page *d, size_t g, size_t n);
size_t pm_longest_run(const pm_heap *h, pm_page *d);
void pm_bucket_move(pm_heap *h, uint32_t i, pm_page *d, uint32_t largest);

/* check.c */
int pm_check(void *heap, char *msg, size_t msglen);

#endif /* PAGEMETA_H */
