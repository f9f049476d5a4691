/*
 * pagemeta: an allocator whose metadata lives entirely outside the pages it
 * hands out (see pagemeta_internal.h).  This file is the method table;
 * blocks inside pages are in page.c, the metadata store in meta.c.
 *
 * Two modes (option mode=):
 *   elastic  (default) nothing is mapped at create; a page is mapped, one at
 *            a time, only when no mapped page has a free run that fits;
 *            16-byte granules; a request larger than a page gets a run of
 *            whole pages of its own, unmapped again by free;
 *   page     exactly one 4096-byte page, mapped at create; 8-byte granules,
 *            so all 4096 bytes can be handed out (e.g. 512 x 8 bytes).
 */
#include "pagemeta_internal.h"

#include <string.h>

/* ---- large runs ------------------------------------------------------------- */

static void *large_alloc(pm_heap *h, size_t n, size_t align)
{
    size_t page = h->src.page_size, extra = align > page ? align : 0, len;
    if (h->single || n > SIZE_MAX - extra || !hb_round_up(n + extra, page, &len))
        return NULL;
    uint32_t i = pm_desc_new(h);
    if (i == PM_NONE)
        return NULL;
    char *base = h->src.map(h->src.ctx, len);
    uintptr_t p = ((uintptr_t)base + align - 1) & ~(uintptr_t)(align - 1);
    uint32_t *slot = base ? pm_map_slot(h, p, true) : NULL;
    if (!slot) {
        if (base)
            h->src.unmap(h->src.ctx, base, len);
        pm_desc_release(h, i);
        return NULL;
    }
    *slot = i + 1;
    pm_page *d = pm_desc(h, i);
    *d = (pm_page){ .addr = p, .base = base, .len = len, .kind = PM_LARGE };
    return (void *)p;
}

static void large_free(pm_heap *h, uint32_t i, pm_page *d)
{
    h->src.unmap(h->src.ctx, d->base, d->len);
    *pm_map_slot(h, d->addr, false) = PM_RETIRED;
    pm_desc_release(h, i);
}

/* ---- lookup -------------------------------------------------------------------- */

typedef struct pm_where {
    int status;  /* what free(p) would do */
    uint32_t i;  /* descriptor index      */
    pm_page *d;
    size_t g;    /* small: granule        */
} pm_where;

/* Classifies p from the metadata alone; p itself is never dereferenced. */
static pm_where locate(const pm_heap *h, const void *p)
{
    pm_where w = { .status = HB_FREE_INVALID };
    uint32_t v = pm_lookup(h, p);
    if (v == PM_RETIRED) {
        if (((uintptr_t)p & (h->src.page_size - 1)) == 0)
            w.status = HB_FREE_DOUBLE;
        return w;
    }
    if (v == 0)
        return w;
    w.i = v - 1;
    w.d = pm_desc(h, w.i);
    if (w.d->kind == PM_LARGE)
        w.status = w.d->addr == (uintptr_t)p ? HB_FREE_OK : HB_FREE_INVALID;
    else
        w.status = pm_small_status(h, w.d, p, &w.g);
    return w;
}

static size_t usable(const pm_heap *h, const pm_where *w)
{
    if (w->d->kind == PM_LARGE)
        return w->d->len - (size_t)(w->d->addr - (uintptr_t)w->d->base);
    return (pm_block_end(h, w->d, w->g) - w->g) << h->gran_shift;
}

/* ---- the method table -------------------------------------------------------- */

/* Granules for n bytes (at least one), or 0 when n needs more than a page. */
static size_t granules_for(const pm_heap *h, size_t n)
{
    if (n > h->page_bytes)
        return 0;
    size_t g = (n + ((size_t)1 << h->gran_shift) - 1) >> h->gran_shift;
    return g ? g : 1;
}

static void *pm_malloc_aligned(pm_heap *h, size_t n, size_t align)
{
    size_t g = granules_for(h, n), a = align >> h->gran_shift;
    if (g && align <= h->page_bytes)
        return pm_small_alloc(h, g, a ? a : 1);
    return large_alloc(h, n, align);
}

static void *pm_malloc(void *heap, size_t n)
{
    pm_heap *h = heap;
    return pm_malloc_aligned(h, n, (size_t)1 << h->gran_shift);
}

static int pm_free(void *heap, void *p)
{
    pm_heap *h = heap;
    if (!p)
        return HB_FREE_OK;
    pm_where w = locate(h, p);
    if (w.status != HB_FREE_OK)
        return w.status;
    if (w.d->kind == PM_LARGE)
        large_free(h, w.i, w.d);
    else
        pm_small_free(h, w.i, w.d, w.g);
    return HB_FREE_OK;
}

static void *pm_realloc(void *heap, void *p, size_t n)
{
    pm_heap *h = heap;
    if (!p)
        return pm_malloc(h, n);
    if (n == 0) {
        pm_free(h, p);
        return NULL;
    }
    pm_where w = locate(h, p);
    if (w.status != HB_FREE_OK)
        return NULL;
    size_t g = granules_for(h, n), have = usable(h, &w);
    if (w.d->kind == PM_SMALL && g && pm_small_resize(h, w.i, w.d, w.g, g))
        return p;
    if (w.d->kind == PM_LARGE && !g && n <= have)
        return p;
    void *q = pm_malloc(h, n);
    if (!q)
        return NULL;
    memcpy(q, p, have < n ? have : n);
    pm_free(h, p);
    return q;
}

static void *pm_calloc(void *heap, size_t nmemb, size_t size)
{
    pm_heap *h = heap;
    size_t n;
    if (__builtin_mul_overflow(nmemb, size, &n))
        return NULL;
    void *p = pm_malloc(h, n);
    /* A large run is a fresh mapping, zero-filled by contract. */
    if (p && granules_for(h, n))
        memset(p, 0, n);
    return p;
}

static void *pm_aligned_alloc(void *heap, size_t align, size_t n)
{
    pm_heap *h = heap;
    if (!hb_is_pow2(align) || align < sizeof(void *))
        return NULL;
    size_t gran = (size_t)1 << h->gran_shift;
    return pm_malloc_aligned(h, n, align < gran ? gran : align);
}

static size_t pm_usable_size(void *heap, void *p)
{
    pm_heap *h = heap;
    pm_where w = p ? locate(h, p) : (pm_where){ .status = HB_FREE_INVALID };
    return w.status == HB_FREE_OK ? usable(h, &w) : 0;
}

/* ---- lifetime ------------------------------------------------------------------ */

static pm_heap *heap_new(const hb_memsrc *src, bool single)
{
    unsigned gran_shift = single ? 3 : 4, page_shift = hb_log2_floor(src->page_size);
    size_t page_bytes = single ? 4096 : src->page_size;
    size_t granules = page_bytes >> gran_shift, words = granules / 64;
    size_t bucket_words = (granules + 1 + 63) / 64;
    size_t head = (sizeof(pm_heap) + 15) & ~(size_t)15;
    size_t tables = ((granules + 1) * sizeof(uint32_t) + 15) & ~(size_t)15;
    char *start = src->grow(src->ctx, 0);
    size_t pad = start ? (size_t)(-(uintptr_t)start & 15) : 0;
    size_t total = pad + head + tables + bucket_words * 8;
    if (!start || src->grow(src->ctx, (intptr_t)total) != start)
        return NULL;
    memset(start, 0, total);
    pm_heap *h = (pm_heap *)(start + pad);
    h->src = *src;
    h->single = single;
    h->gran_shift = gran_shift;
    h->page_shift = page_shift;
    h->levels = (48 - page_shift + PM_RADIX_BITS - 1) / PM_RADIX_BITS - 1;
    h->page_bytes = page_bytes;
    h->granules = granules;
    h->words = words;
    h->stride = sizeof(pm_page) + 2 * words * sizeof(uint64_t);
    h->bucket_head = (uint32_t *)((char *)h + head);
    h->bucket_bits = (uint64_t *)((char *)h->bucket_head + tables);
    h->bucket_words = bucket_words;
    memset(h->bucket_head, 0xFF, (granules + 1) * sizeof(uint32_t));
    h->free_desc = PM_NONE;
    h->region = start;
    h->meta_end = start + total;
    h->contiguous = true;
    return h;
}

static void pm_destroy(void *heap)
{
    pm_heap *h = heap;
    if (!h)
        return;
    for (uint32_t i = 0; i < h->ndesc; i++) {
        pm_page *d = pm_desc(h, i);
        if (d->kind == PM_SMALL)
            h->src.unmap(h->src.ctx, (void *)d->addr, h->page_bytes);
        else if (d->kind == PM_LARGE)
            h->src.unmap(h->src.ctx, d->base, d->len);
    }
    hb_memsrc src = h->src;
    char *start = h->region, *end = h->meta_end;
    if (h->contiguous && src.grow(src.ctx, 0) == end)
        src.grow(src.ctx, -(intptr_t)(end - start));
}

static void *pm_create(const hb_memsrc *src, const char *options)
{
    bool single = false;
    char key[16], val[16];
    for (const char *s = options; (s = hb_opt_next(s, key, sizeof key, val, sizeof val));) {
        if (strcmp(key, "mode") || (strcmp(val, "page") && strcmp(val, "elastic")))
            return NULL;
        single = !strcmp(val, "page");
    }
    if (!src || !src->grow || !src->map || !src->unmap || !hb_is_pow2(src->page_size) ||
        src->page_size < 4096)
        return NULL;
    pm_heap *h = heap_new(src, single);
    if (h && single && pm_page_new(h) == PM_NONE) {
        pm_destroy(h);
        return NULL;
    }
    return h;
}

static const hb_allocator pagemeta_table = {
    .struct_size = sizeof(hb_allocator),
    .abi_version = HB_ALLOCATOR_ABI,
    .name = "pagemeta",
    .description = "bitmap-described pages, all metadata outside the pages, mapped on demand",
    .create = pm_create,
    .destroy = pm_destroy,
    .malloc = pm_malloc,
    .free = pm_free,
    .realloc = pm_realloc,
    .calloc = pm_calloc,
    .aligned_alloc = pm_aligned_alloc,
    .usable_size = pm_usable_size,
    .check = pm_check,
};

HB_EXPORT const hb_allocator *heapbench_allocator(void) { return &pagemeta_table; }
