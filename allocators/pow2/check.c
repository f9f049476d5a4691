/*
 * The invariant walk behind check().  It reads everything and changes
 * nothing; cost is linear in bucket pages plus free blocks plus large runs.
 *
 * Invariants:
 *  1. Every bucket page names a size from 16 bytes to two pages; a
 *     two-page block's second page says P2_CONT, and no other page does.
 *  2. nlive equals the number of live bits, and no bit lies past the
 *     blocks of the page.
 *  3. The list of size c holds exactly the blocks of pages of size c whose
 *     live bit is clear: each node is such a block, and their number is the
 *     sum of (blocks - nlive) over those pages.
 *  4. Every large run is page aligned, longer than two pages, and counted.
 */
#include <stdio.h>

#include "pow2_internal.h"

#define FAIL(...) (snprintf(msg, msglen, __VA_ARGS__), 1)

static size_t live_words(const p2_heap *h)
{
    return (h->usage_stride - sizeof(p2_page)) / sizeof(uint64_t);
}

static size_t popcount_bits(const p2_page *pg, size_t words)
{
    size_t n = 0;
    for (size_t w = 0; w < words; w++)
        n += (size_t)__builtin_popcountll(pg->live[w]);
    return n;
}

/* Checks the page at index i (and the second page of a two-page block);
 * *span is how many pages it covered. */
static int check_page(const p2_heap *h, size_t i, size_t *free_of, size_t *span, char *msg,
                      size_t msglen)
{
    const p2_page *pg = p2_page_at(h, i);
    size_t words = live_words(h), blocks;
    char *at = h->base + (i << h->page_shift);
    if (pg->cls < P2_MIN_CLASS || pg->cls > h->max_cls)
        return FAIL("pow2: page %p: usage entry names size class %u", (void *)at, pg->cls);
    *span = pg->cls > h->page_shift ? p2_size(pg->cls - h->page_shift) : 1;
    for (size_t j = 1; j < *span; j++)
        if (i + j >= h->npages || p2_page_at(h, i + j)->cls != P2_CONT)
            return FAIL("pow2: page %p: two-page block without its second page", (void *)at);
    blocks = p2_blocks(h, pg->cls);
    if (popcount_bits(pg, words) != pg->nlive || pg->nlive > blocks)
        return FAIL("pow2: page %p: %u in use but %zu live bits", (void *)at, pg->nlive,
                    popcount_bits(pg, words));
    for (size_t b = blocks; b < words * 64; b++)
        if (p2_is_live(pg, b))
            return FAIL("pow2: page %p: live bit %zu past its %zu blocks", (void *)at, b, blocks);
    free_of[pg->cls] += blocks - pg->nlive;
    return 0;
}

static int check_list(const p2_heap *h, unsigned c, size_t expect, char *msg, size_t msglen)
{
    size_t n = 0;
    for (const p2_free *f = h->free[c]; f; f = f->next) {
        if (++n > expect)
            return FAIL("pow2: list %zu holds more than its %zu free blocks", p2_size(c), expect);
        const p2_page *pg = p2_page_of(h, f);
        size_t off = (uintptr_t)f & (h->src.page_size - 1);
        if (!pg || pg->cls != c || off & (p2_size(c) - 1) || p2_is_live(pg, off >> c))
            return FAIL("pow2: list %zu: node %p is no free block of that size", p2_size(c),
                        (const void *)f);
    }
    if (n != expect)
        return FAIL("pow2: list %zu holds %zu blocks, the pages %zu free", p2_size(c), n, expect);
    return 0;
}

static int check_large(const p2_heap *h, char *msg, size_t msglen)
{
    size_t n, page = h->src.page_size;
    const hb_mapping *r = hb_maptable_first_bad(&h->large, page, 2 * page, &n);
    if (r)
        return FAIL("pow2: large run %p of %zu bytes is malformed", (void *)r->addr, r->len);
    if (n != h->large.count)
        return FAIL("pow2: large table holds %zu runs, count says %zu", n, h->large.count);
    return 0;
}

int p2_check(void *heap, char *msg, size_t msglen)
{
    char sink[1];
    const p2_heap *h = heap;
    size_t free_of[P2_CLASSES] = { 0 };
    if (!msg)
        msg = sink, msglen = sizeof sink;
    if (h->npages > h->usage_cap)
        return FAIL("pow2: %zu bucket pages but usage[] holds %zu", h->npages, h->usage_cap);
    for (size_t i = 0, span; i < h->npages; i += span)
        if (check_page(h, i, free_of, &span, msg, msglen))
            return 1;
    for (unsigned c = 0; c < P2_CLASSES; c++)
        if (check_list(h, c, free_of[c], msg, msglen))
            return 1;
    if (check_large(h, msg, msglen))
        return 1;
    if (msglen)
        msg[0] = '\0';
    return 0;
}
