/*
 * The invariant walk behind check().  It reads everything and changes
 * nothing; cost is linear in runs plus free blocks.
 *
 * Invariants:
 *  1. Every descriptor names a page-aligned run of the right length: one
 *     page for blocks below a page, one block otherwise, and more than two
 *     pages for a large run.
 *  2. nlive equals the number of live bits, and no bit lies past the run.
 *  3. The list of size c holds exactly the blocks of runs of size c whose
 *     live bit is clear: each node is such a block, and their number is the
 *     sum of (blocks - nlive) over those runs.
 */
#include <stdio.h>

#include "pow2_internal.h"

#define FAIL(...) (snprintf(msg, msglen, __VA_ARGS__), 1)

static size_t popcount_bits(const p2_desc *d, size_t words)
{
    size_t n = 0;
    for (size_t w = 0; w < words; w++)
        n += (size_t)__builtin_popcountll(d->live[w]);
    return n;
}

static int check_run(const p2_heap *h, const p2_desc *d, size_t *free_of, char *msg, size_t msglen)
{
    size_t words = (h->desc_size - sizeof(p2_desc)) / sizeof(uint64_t);
    size_t page = h->src.page_size;
    if (d->addr & (page - 1) || !d->npages)
        return FAIL("pow2: run %p of %zu pages is malformed", (void *)d->addr, d->npages);
    if (d->cls == P2_LARGE)
        return d->npages > 2 ? 0 : FAIL("pow2: large run %p has %zu pages", (void *)d->addr, d->npages);
    size_t want = p2_size(d->cls) > page ? p2_size(d->cls) / page : 1;
    if (d->cls < P2_MIN_CLASS || d->cls > h->max_cls || d->npages != want)
        return FAIL("pow2: run %p: size 2^%u in %zu pages", (void *)d->addr, d->cls, d->npages);
    size_t blocks = p2_blocks(h, d);
    if (popcount_bits(d, words) != d->nlive || d->nlive > blocks)
        return FAIL("pow2: run %p: %u in use but %zu live bits", (void *)d->addr, d->nlive,
                    popcount_bits(d, words));
    for (size_t b = blocks; b < words * 64; b++)
        if (p2_is_live(d, b))
            return FAIL("pow2: run %p: live bit %zu past its %zu blocks", (void *)d->addr, b, blocks);
    free_of[d->cls] += blocks - d->nlive;
    return 0;
}

static int check_list(const p2_heap *h, unsigned c, size_t expect, char *msg, size_t msglen)
{
    size_t n = 0;
    for (const p2_free *f = h->free[c]; f; f = f->next) {
        if (++n > expect)
            return FAIL("pow2: list %zu holds more than its %zu free blocks", p2_size(c), expect);
        const p2_desc *d = p2_desc_find(h, (uintptr_t)f & ~(h->src.page_size - 1));
        size_t off = d ? (uintptr_t)f - d->addr : 0;
        if (!d || d->cls != c || off & (p2_size(c) - 1) || p2_is_live(d, off >> c))
            return FAIL("pow2: list %zu: node %p is no free block of that size", p2_size(c),
                        (const void *)f);
    }
    if (n != expect)
        return FAIL("pow2: list %zu holds %zu blocks, the runs %zu free", p2_size(c), n, expect);
    return 0;
}

int p2_check(void *heap, char *msg, size_t msglen)
{
    char sink[1];
    const p2_heap *h = heap;
    size_t free_of[P2_CLASSES] = { 0 }, n = 0;
    if (!msg)
        msg = sink, msglen = sizeof sink;
    for (size_t i = 0; i < h->nslots; i++) {
        const p2_desc *d = p2_desc_at(h, i);
        if (d->addr && (++n, check_run(h, d, free_of, msg, msglen)))
            return 1;
    }
    if (n != h->ndesc)
        return FAIL("pow2: descriptor table holds %zu runs, count says %zu", n, h->ndesc);
    for (unsigned c = 0; c < P2_CLASSES; c++)
        if (check_list(h, c, free_of[c], msg, msglen))
            return 1;
    if (msglen)
        msg[0] = '\0';
    return 0;
}
