/*
 * Bucket pages and usage[], the kmemusage array.
 *
 * Bucket pages come from the memory source's break, so they are one
 * contiguous run [base, base + npages pages) and a page's entry is found
 * by its index, never searched for.  usage[] cannot live in that run
 * (pages are appended behind it), so it has a mapping of its own, doubled
 * and copied when the run outgrows it: O(pages) per doubling, amortised
 * O(1) per page, and only while pages are being added, which already
 * calls the memory source.  Its cost is usage_stride bytes per page
 * (40 with 4 KiB pages, 1 %).
 *
 * The heap assumes it is the only user of grow() on its memory source: a
 * page index is an offset from base, so the run must not have holes.  If
 * the break moved under it, it takes no more pages (malloc returns NULL).
 */
#include "pow2_internal.h"

#include <string.h>

#include "kit/alloc_util.h"

/* Room in usage[] for want entries; nothing changes on failure.  A fresh
 * mapping reads as zero, so new entries start with no block in use. */
static bool usage_reserve(p2_heap *h, size_t want)
{
    if (want <= h->usage_cap)
        return true;
    size_t cap = h->usage_cap ? h->usage_cap : 64, bytes;
    while (cap < want)
        cap *= 2;
    if (cap > SIZE_MAX / h->usage_stride || !hb_round_up(cap * h->usage_stride, h->src.page_size, &bytes))
        return false;
    unsigned char *fresh = h->src.map(h->src.ctx, bytes);
    if (!fresh)
        return false;
    if (h->usage) {
        memcpy(fresh, h->usage, h->npages * h->usage_stride);
        h->src.unmap(h->src.ctx, h->usage, h->usage_cap * h->usage_stride);
    }
    h->usage = fresh;
    h->usage_cap = bytes / h->usage_stride;
    return true;
}

/* The first page starts the run: pad the break to a page boundary. */
static bool start_run(p2_heap *h)
{
    char *brk = h->src.grow(h->src.ctx, 0);
    if (!brk)
        return false;
    size_t mis = (uintptr_t)brk & (h->src.page_size - 1);
    h->pad = mis ? h->src.page_size - mis : 0;
    if (h->pad && !h->src.grow(h->src.ctx, (intptr_t)h->pad))
        return false;
    h->base = brk + h->pad;
    return true;
}

/* Appends n pages at the break and returns the first, or NULL.  Their
 * usage entries are zero; the caller names their class. */
char *p2_pages_take(p2_heap *h, size_t n)
{
    if (!h->base && !start_run(h))
        return NULL;
    char *end = h->base + (h->npages << h->page_shift);
    if (h->src.grow(h->src.ctx, 0) != end || !usage_reserve(h, h->npages + n))
        return NULL; /* the break moved under the heap, or no room */
    if (!h->src.grow(h->src.ctx, (intptr_t)(n << h->page_shift)))
        return NULL;
    h->npages += n;
    return end;
}

/* Gives back usage[] and, if nobody moved the break since, the run
 * (destroy). */
void p2_pages_release_all(p2_heap *h)
{
    if (h->usage)
        h->src.unmap(h->src.ctx, h->usage, h->usage_cap * h->usage_stride);
    if (h->base && h->src.grow(h->src.ctx, 0) == h->base + (h->npages << h->page_shift))
        h->src.grow(h->src.ctx, -(intptr_t)(h->pad + (h->npages << h->page_shift)));
    h->usage = NULL;
    h->usage_cap = h->npages = 0;
    h->base = NULL;
}
