/*
 * pow2: power-of-two segregated free lists (McKusick-Karels).
 *
 * A request up to two pages is rounded up to a power of two (at least 16
 * bytes) and popped from that size's free list.  An empty list is refilled
 * by mapping one fresh run and carving it into blocks of that one size.  A
 * free looks up the run's descriptor to learn the block size and pushes
 * the block back on its list.  Both are O(1) apart from the refill; blocks
 * never move between sizes and bucket runs stay with the heap until
 * destroy, as in the original.  Requests above two pages get a run of
 * their own, returned to the memory source on free.
 */
#include <string.h>

#include <heapbench/alloc_util.h>

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
    h->desc_size = sizeof(p2_desc) + (src->page_size >> (P2_MIN_CLASS + 6)) * sizeof(uint64_t);
    return h;
}

static void pow2_destroy(void *heap)
{
    p2_heap *h = heap;
    if (!h)
        return;
    p2_desc_release_all(h);
    hb_memsrc src = h->src;
    src.unmap(src.ctx, h, h->self_len);
}

/* ---- buckets ------------------------------------------------------------- */

static unsigned class_for(size_t size)
{
    unsigned c = hb_log2_ceil(size);
    return c < P2_MIN_CLASS ? P2_MIN_CLASS : c;
}

/* Maps one run for class c (a page, or one block when blocks are a page or
 * more) and pushes its blocks so the lowest address is handed out first. */
static bool refill(p2_heap *h, unsigned c)
{
    size_t run = p2_size(c) > h->src.page_size ? p2_size(c) : h->src.page_size;
    if (!p2_desc_reserve(h))
        return false;
    char *p = h->src.map(h->src.ctx, run);
    if (!p)
        return false;
    p2_desc_put(h, (uintptr_t)p, run >> h->page_shift, c);
    for (size_t off = run; off > 0;) {
        off -= p2_size(c);
        p2_free *f = (p2_free *)(p + off);
        f->next = h->free[c];
        h->free[c] = f;
    }
    return true;
}

/* The descriptor of the run holding p: the run starts at p's page. */
static p2_desc *desc_of(const p2_heap *h, const void *p)
{
    return p2_desc_find(h, (uintptr_t)p & ~(h->src.page_size - 1));
}

static void *bucket_alloc(p2_heap *h, unsigned c)
{
    if (!h->free[c] && !refill(h, c))
        return NULL;
    p2_free *f = h->free[c];
    h->free[c] = f->next;
    p2_desc *d = desc_of(h, f);
    p2_set_live(d, ((uintptr_t)f - d->addr) >> c, true);
    return f;
}

/* ---- large runs ---------------------------------------------------------- */

static void *large_alloc(p2_heap *h, size_t size)
{
    size_t len;
    if (!hb_round_up(size, h->src.page_size, &len) || !p2_desc_reserve(h))
        return NULL;
    void *p = h->src.map(h->src.ctx, len);
    if (!p)
        return NULL;
    p2_desc_put(h, (uintptr_t)p, len >> h->page_shift, P2_LARGE);
    return p;
}

static int large_free(p2_heap *h, p2_desc *d, void *p)
{
    if ((uintptr_t)p != d->addr)
        return HB_FREE_INVALID;
    h->src.unmap(h->src.ctx, p, p2_run_bytes(h, d));
    p2_desc_remove(h, d);
    return HB_FREE_OK;
}

/* ---- the contract -------------------------------------------------------- */

static void *pow2_malloc(void *heap, size_t size)
{
    p2_heap *h = heap;
    if (size > p2_size(h->max_cls))
        return large_alloc(h, size);
    return bucket_alloc(h, class_for(size));
}

/* A pointer is a block only if its page has a descriptor and it sits at a
 * multiple of the block size; the live bit then tells a double free. */
static int pow2_free(void *heap, void *p)
{
    p2_heap *h = heap;
    if (!p)
        return HB_FREE_OK;
    p2_desc *d = desc_of(h, p);
    if (!d)
        return HB_FREE_INVALID;
    if (d->cls == P2_LARGE)
        return large_free(h, d, p);
    size_t off = (uintptr_t)p - d->addr;
    if (off & (p2_size(d->cls) - 1))
        return HB_FREE_INVALID;
    if (!p2_is_live(d, off >> d->cls))
        return HB_FREE_DOUBLE;
    p2_set_live(d, off >> d->cls, false);
    p2_free *f = p;
    f->next = h->free[d->cls];
    h->free[d->cls] = f;
    return HB_FREE_OK;
}

/* Bytes usable at p, or 0 when p is not a block in use. */
static size_t pow2_usable_size(void *heap, void *p)
{
    p2_heap *h = heap;
    p2_desc *d = p ? desc_of(h, p) : NULL;
    if (!d)
        return 0;
    size_t off = (uintptr_t)p - d->addr;
    if (d->cls == P2_LARGE)
        return off ? 0 : p2_run_bytes(h, d);
    if (off & (p2_size(d->cls) - 1) || !p2_is_live(d, off >> d->cls))
        return 0;
    return p2_size(d->cls);
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
    .description = "McKusick-Karels power-of-two free lists with per-page size descriptors",
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
