/*
 * pow2: power-of-two segregated free lists (McKusick-Karels).
 *
 * A request up to two pages is rounded up to a power of two (at least 16
 * bytes) and popped from that size's free list.  An empty list is refilled
 * by taking one fresh page (two for the two-page size) at the break and
 * carving it into blocks of that one size.  A free reads the page's usage
 * entry to learn the block size and pushes the block back on its list.
 * Both are O(1) apart from the refill; blocks never move between sizes and
 * bucket pages stay with the heap until destroy, as in the original.
 * Requests above two pages get a run of their own, returned to the memory
 * source on free.
 */
#include <assert.h>
#include <string.h>

#include "kit/alloc_util.h"

#include "pow2_internal.h"

/* ---- lifetime ------------------------------------------------------------ */

static void *pow2_create(const hb_memsrc *src, const char *options)
{
    if (!src || !hb_is_pow2(src->page_size) || src->page_size < 4096 || (options && *options))
        return NULL; /* pow2 takes no options */
    p2_heap *h = src->map(src->ctx, sizeof *h);
    if (!h)
        return NULL;
    memset(h, 0, sizeof *h);
    h->src = *src;
    h->self_len = sizeof *h;
    h->page_shift = hb_log2_floor(src->page_size);
    h->max_cls = h->page_shift + 1;
    /* One live bit per 16-byte block of a page: page_size / 16 bits. */
    h->usage_stride = sizeof(p2_page) + (src->page_size >> (P2_MIN_CLASS + 6)) * sizeof(uint64_t);
    return h;
}

static void pow2_destroy(void *heap)
{
    p2_heap *h = heap;
    if (!h)
        return;
    hb_maptable_release(&h->large, &h->src);
    p2_pages_release_all(h);
    hb_memsrc src = h->src;
    src.unmap(src.ctx, h, h->self_len);
}

/* ---- buckets ------------------------------------------------------------- */

static unsigned class_for(size_t size)
{
    unsigned c = hb_log2_ceil(size);
    return c < P2_MIN_CLASS ? P2_MIN_CLASS : c;
}

/* Takes one page for class c (two for the two-page size, the second
 * marked P2_CONT) and pushes its blocks so the lowest address is handed
 * out first. */
static bool refill(p2_heap *h, unsigned c)
{
    size_t run = p2_size(c) > h->src.page_size ? p2_size(c) : h->src.page_size;
    size_t npages = run >> h->page_shift;
    char *p = p2_pages_take(h, npages);
    if (!p)
        return false;
    p2_page *pg = p2_page_of(h, p);
    pg->cls = (uint8_t)c;
    for (size_t i = 1; i < npages; i++)
        p2_page_of(h, p + (i << h->page_shift))->cls = P2_CONT;
    for (size_t off = run; off > 0;) {
        off -= p2_size(c);
        p2_free *f = (p2_free *)(p + off);
        f->next = h->free[c];
        h->free[c] = f;
    }
    return true;
}

/* The offset of p in its page: a block of 2^c bytes sits at a multiple
 * of min(2^c, page) there, and two-page blocks start their first page. */
static size_t page_off(const p2_heap *h, const void *p)
{
    return (uintptr_t)p & (h->src.page_size - 1);
}

static void *bucket_alloc(p2_heap *h, unsigned c)
{
    if (!h->free[c] && !refill(h, c))
        return NULL;
    p2_free *f = h->free[c];
    assert(page_off(h, f) % ((size_t)1 << c) == 0); /* blocks sit at multiples of their size */
    h->free[c] = f->next;
    p2_set_live(p2_page_of(h, f), page_off(h, f) >> c, true);
    return f;
}

/* ---- the contract -------------------------------------------------------- */

static void *pow2_malloc(void *heap, size_t size)
{
    p2_heap *h = heap;
    if (size > p2_size(h->max_cls))
        return hb_maptable_map(&h->large, &h->src, size);
    return bucket_alloc(h, class_for(size));
}

/* Whether p starts a block of its bucket page (not the second page of a
 * two-page block, not inside or between blocks). */
static bool is_block_start(const p2_heap *h, const p2_page *pg, const void *p)
{
    return pg->cls >= P2_MIN_CLASS && !(page_off(h, p) & (p2_size(pg->cls) - 1));
}

/* A pointer among the bucket pages is a block only if it starts one; the
 * live bit then tells a double free.  Any other pointer must start a
 * large run. */
static int pow2_free(void *heap, void *p)
{
    p2_heap *h = heap;
    if (!p)
        return HB_FREE_OK;
    p2_page *pg = p2_page_of(h, p);
    if (!pg)
        return hb_maptable_unmap(&h->large, &h->src, p);
    if (!is_block_start(h, pg, p))
        return HB_FREE_INVALID;
    size_t b = page_off(h, p) >> pg->cls;
    if (!p2_is_live(pg, b))
        return HB_FREE_DOUBLE;
    p2_set_live(pg, b, false);
    p2_free *f = p;
    f->next = h->free[pg->cls];
    h->free[pg->cls] = f;
    return HB_FREE_OK;
}

/* Bytes usable at p, or 0 when p is not a block in use. */
static size_t pow2_usable_size(void *heap, void *p)
{
    p2_heap *h = heap;
    if (!p)
        return 0;
    p2_page *pg = p2_page_of(h, p);
    if (!pg)
        return hb_maptable_len(&h->large, p);
    if (!is_block_start(h, pg, p) || !p2_is_live(pg, page_off(h, p) >> pg->cls))
        return 0;
    return p2_size(pg->cls);
}

static void *pow2_calloc(void *heap, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        return NULL;
    p2_heap *h = heap;
    size_t n = nmemb * size;
    void *p = pow2_malloc(h, n);
    /* Large runs are fresh mappings, which read as zero already. */
    if (p && n <= p2_size(h->max_cls))
        memset(p, 0, n);
    return p;
}

/* Blocks of size s sit at multiples of s within page-aligned runs, so a
 * size class of at least align is aligned for any align up to a page. */
static void *pow2_aligned_alloc(void *heap, size_t align, size_t size)
{
    p2_heap *h = heap;
    if (!hb_is_pow2(align) || align < sizeof(void *) || align > h->src.page_size)
        return NULL;
    if (size < align)
        size = align;
    return pow2_malloc(h, size);
}

/* What malloc(size) would hand out: its bucket, or its pages. */
static size_t served_size(const p2_heap *h, size_t size)
{
    size_t len;
    if (size <= p2_size(h->max_cls))
        return p2_size(class_for(size));
    return hb_round_up(size, h->src.page_size, &len) ? len : 0;
}

/* In place while the new size is served by the same bucket (or, for a
 * large run, the same number of pages); otherwise move, so a shrunken
 * block never keeps more than twice its size. */
static void *pow2_realloc(void *heap, void *p, size_t size)
{
    p2_heap *h = heap;
    if (!p)
        return pow2_malloc(h, size);
    if (!size) {
        pow2_free(h, p);
        return NULL;
    }
    size_t old = pow2_usable_size(h, p);
    if (!old)
        return NULL; /* not a live block of this heap */
    if (served_size(h, size) == old)
        return p;
    void *q = pow2_malloc(h, size);
    if (!q)
        return NULL;
    memcpy(q, p, old < size ? old : size);
    pow2_free(h, p);
    return q;
}

static const hb_allocator pow2_table = {
    .struct_size = sizeof(hb_allocator),
    .abi_version = HB_ALLOCATOR_ABI,
    .name = "pow2",
    .description = "McKusick-Karels power-of-two free lists, block size from a page-indexed usage array",
    .create = pow2_create,
    .destroy = pow2_destroy,
    .malloc = pow2_malloc,
    .free = pow2_free,
    .realloc = pow2_realloc,
    .calloc = pow2_calloc,
    .aligned_alloc = pow2_aligned_alloc,
    .usable_size = pow2_usable_size,
    .check = p2_check,
};

HB_EXPORT const hb_allocator *heapbench_allocator(void) { return &pow2_table; }
