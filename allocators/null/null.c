/*
 * null: the cheapest allocator that is still correct, to measure what the
 * harness itself costs per operation.  malloc bumps a pointer through a
 * region taken and pre-faulted at create(), so a pass takes no page fault;
 * free only counts.  When the last live block is freed (the end of a
 * replay pass) the bump pointer goes back to the start, so the next pass
 * runs over the same pre-faulted pages instead of growing the region.
 * calloc zeroes only what an earlier pass wrote.  realloc copies.
 *
 * Block: a 16-byte header whose second word holds the usable size, then the
 * payload, 16-aligned (or aligned as asked) and a multiple of 16 bytes.
 */
#include "kit/alloc_util.h"
#include <heapbench/allocator.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define DEFAULT_REGION ((size_t)128 << 20)
#define DEFAULT_STEP ((size_t)16 << 20)
#define HEADER 16u

typedef struct null_heap {
    hb_memsrc src;
    unsigned char *base; /* start of the region (this struct lives there)  */
    unsigned char *top;  /* next free byte                                  */
    unsigned char *end;  /* the break                                       */
    size_t step;         /* bytes added (and pre-faulted) when it runs out  */
    uint64_t extends;    /* times the region grew after create()            */
    unsigned char *first; /* where blocks start (after this struct)         */
    unsigned char *dirty; /* below this, memory was handed out before       */
    uint64_t live;       /* blocks allocated and not freed                  */
} null_heap;

/* One write per page: the kernel maps each page now, not during a pass.
 * The pages read zero before and after.  Huge pages where the kernel gives
 * them (asked for, not required): a pass streams through tens of MiB of
 * the region (80 MB on python-textproc), and its TLB misses over 4 KiB
 * pages cost some 5-8% of the pass. */
static void prefault(unsigned char *p, size_t len, size_t page)
{
#ifdef MADV_HUGEPAGE
    (void)madvise(p, len, MADV_HUGEPAGE);
#endif
    for (size_t off = 0; off < len; off += page)
        ((volatile unsigned char *)p)[off] = 0;
}

/* Moves the break by at least need bytes; the region stays contiguous. */
static bool extend(null_heap *h, size_t need)
{
    size_t len;
    if (!hb_round_up(need > h->step ? need : h->step, h->src.page_size, &len) ||
        len > INTPTR_MAX)
        return false;
    unsigned char *old = h->src.grow(h->src.ctx, (intptr_t)len);
    if (!old)
        return false;
    if (old != h->end) { /* not contiguous: a memory source this heap cannot use */
        h->src.grow(h->src.ctx, -(intptr_t)len);
        return false;
    }
    prefault(old, len, h->src.page_size);
    h->end = old + len;
    h->extends++;
    return true;
}

/* A block of size bytes (a multiple of 16) whose payload is align-aligned
 * (align a power of two >= 16). */
static void *bump(null_heap *h, size_t size, size_t align)
{
    uintptr_t p = ((uintptr_t)h->top + HEADER + align - 1) & ~(uintptr_t)(align - 1);
    size_t room = (size_t)(h->end - h->top), used = p - (uintptr_t)h->top;
    if (used > room || size > room - used) {
        if (used > SIZE_MAX - size || !extend(h, used + size - room))
            return NULL;
    }
    ((size_t *)p)[-1] = size;
    h->top = (unsigned char *)p + size;
    h->live++;
    return (void *)p;
}

/* The fast path: the next block fits before the break. */
static void *null_malloc(void *heap, size_t size)
{
    null_heap *h = heap;
    size_t n = size ? (size + 15) & ~(size_t)15 : 16;
    unsigned char *p = h->top + HEADER;
    size_t room = (size_t)(h->end - h->top);
    if (n < size) /* size + 15 wrapped */
        return NULL;
    if (room < HEADER || room - HEADER < n)
        return bump(h, n, 16);
    ((size_t *)p)[-1] = n;
    h->top = p + n;
    h->live++;
    return p;
}

static void *null_aligned(void *heap, size_t align, size_t size)
{
    size_t n;
    if (!hb_is_pow2(align) || align < sizeof(void *) || !hb_round_up(size ? size : 1, 16, &n))
        return NULL;
    return bump(heap, n, align < 16 ? 16 : align);
}

/* Fresh memory reads zero: only what an earlier pass wrote is cleared. */
static void *null_calloc(void *heap, size_t nmemb, size_t size)
{
    null_heap *h = heap;
    if (size && nmemb > SIZE_MAX / size)
        return NULL;
    unsigned char *p = null_malloc(heap, nmemb * size);
    if (p && p < h->dirty) {
        size_t n = nmemb * size, written = (size_t)(h->dirty - p);
        memset(p, 0, n < written ? n : written);
    }
    return p;
}

/* Nothing is reused while a block lives: free counts, and the last one
 * out rewinds the bump pointer (what lies below it is dirty from then). */
static int null_free(void *heap, void *ptr)
{
    null_heap *h = heap;
    if (ptr && h->live && !--h->live) {
        if (h->top > h->dirty)
            h->dirty = h->top;
        h->top = h->first;
    }
    return HB_FREE_OK;
}

static size_t null_usable(void *heap, void *ptr)
{
    (void)heap;
    return ((size_t *)ptr)[-1];
}

static void *null_realloc(void *heap, void *ptr, size_t size)
{
    if (!ptr)
        return null_malloc(heap, size);
    if (!size) {
        null_free(heap, ptr);
        return NULL;
    }
    void *q = null_malloc(heap, size);
    if (q) {
        size_t old = null_usable(heap, ptr);
        memcpy(q, ptr, old < size ? old : size);
        ((null_heap *)heap)->live--; /* the old block is gone; the new one counts */
    }
    return q;
}

/* ---- heap lifetime ---------------------------------------------------------- */

static void *null_create(const hb_memsrc *src, const char *options)
{
    size_t region = DEFAULT_REGION, step = DEFAULT_STEP;
    char key[32], val[32];
    for (const char *s = options; (s = hb_opt_next(s, key, sizeof key, val, sizeof val));) {
        size_t *slot = !strcmp(key, "region") ? &region : !strcmp(key, "step") ? &step : NULL;
        if (!slot || !hb_opt_bytes(val, (size_t)1 << 40, slot) || !*slot)
            return NULL;
    }
    if (!src || !src->grow || !hb_is_pow2(src->page_size) ||
        !hb_round_up(region, src->page_size, &region) || region < sizeof(null_heap) + 64)
        return NULL;
    unsigned char *base = src->grow(src->ctx, (intptr_t)region);
    if (!base)
        return NULL;
    prefault(base, region, src->page_size);
    null_heap *h = (null_heap *)base;
    *h = (null_heap){ .src = *src, .base = base, .end = base + region, .step = step };
    h->top = h->first = h->dirty = base + ((sizeof *h + 15) & ~(size_t)15);
    return h;
}

/* Gives the whole region back; the heap struct goes with it. */
static void null_destroy(void *heap)
{
    null_heap *h = heap;
    if (!h)
        return;
    hb_memsrc src = h->src;
    intptr_t len = (intptr_t)(h->end - h->base);
    src.grow(src.ctx, -len);
}

static int null_check(void *heap, char *msg, size_t msglen)
{
    const null_heap *h = heap;
    const char *why = NULL;
    if (h->top < h->first || h->top > h->end || h->dirty > h->end)
        why = "null: the bump pointer lies outside the region";
    else if ((uintptr_t)h->top & 15)
        why = "null: the bump pointer is not 16-aligned";
    else if (h->src.grow(h->src.ctx, 0) != h->end)
        why = "null: the memory source's break is not the region's end";
    if (why && msg && msglen) {
        strncpy(msg, why, msglen - 1);
        msg[msglen - 1] = '\0';
    }
    return why != NULL;
}

static const hb_allocator null_table = {
    .struct_size = sizeof(hb_allocator),
    .abi_version = HB_ALLOCATOR_ABI,
    .name = "null",
    .description = "bump pointer over a pre-faulted region, free does nothing: the harness's cost",
    .create = null_create,
    .destroy = null_destroy,
    .malloc = null_malloc,
    .free = null_free,
    .realloc = null_realloc,
    .calloc = null_calloc,
    .aligned_alloc = null_aligned,
    .usable_size = null_usable,
    .check = null_check,
};

HB_EXPORT const hb_allocator *heapbench_allocator(void) { return &null_table; }
