/*
 * firstfit's check(): walks every block (watermark_check.h) and the whole
 * free list and verifies the invariants the algorithm relies on, in
 * O(blocks).  It reads a pointer only after proving it lies inside the
 * heap, so a corrupted heap gets a message, not a crash.
 */
#include "kit/watermark_check.h"

#include "firstfit_internal.h"

/* What the block walk saw of the free blocks: how many, and an
 * order-independent fingerprint of their addresses. */
typedef struct census {
    size_t count;
    uint64_t fingerprint;
} census;

static void census_add(census *c, const bt_block *b)
{
    c->count++;
    c->fingerprint += bt_mix((uint64_t)(uintptr_t)b);
}

/* The block walk's view: every free block it meets is counted. */
static int census_visit(void *ctx, const bt_block *b, char *msg, size_t len)
{
    (void)msg;
    (void)len;
    census_add(ctx, b);
    return 0;
}

/* The list must hold exactly the free blocks the walk found: every node a
 * sealed free header, links consistent both ways, no more nodes than free
 * blocks (so no cycle), and the same count and fingerprint.  With
 * consistent back links a node cannot appear twice, so equal fingerprints
 * mean equal sets, up to a 2^-64 chance. */
static int walk_list(const ff_heap *h, const census *blocks, char *msg, size_t len)
{
    census listed = { 0, 0 };
    const ff_node *prev = &h->list;
    for (const ff_node *n = h->list.next; n != &h->list; prev = n, n = n->next) {
        if (listed.count == blocks->count)
            return hb_check_fail(
                msg, len, "firstfit: ", "free list longer than the %zu free blocks", blocks->count);
        if (!wm_is_free_payload(&h->wm, n))
            return hb_check_fail(msg, len, "firstfit: ", "free list node %p is not a free block",
                                 (void *)n);
        if (n->prev != prev)
            return hb_check_fail(msg, len, "firstfit: ", "free list node %p: back link broken",
                                 (void *)n);
        if (h->order == FF_ORDER_ADDRESS && prev != &h->list && prev >= n)
            return hb_check_fail(msg, len, "firstfit: ", "free list out of address order at %p",
                                 (void *)n);
        census_add(&listed, ff_block_of((ff_node *)n));
    }
    if (h->list.prev != prev)
        return hb_check_fail(msg, len, "firstfit: ", "free list tail link broken");
    if (listed.count != blocks->count || listed.fingerprint != blocks->fingerprint)
        return hb_check_fail(msg, len, "",
                             "firstfit: free list holds %zu blocks, the heap %zu free blocks%s",
                             listed.count, blocks->count,
                             listed.count == blocks->count ? " (different ones)" : "");
    return 0;
}

int ff_check(void *heap, char *msg, size_t msglen)
{
    const ff_heap *h = heap;
    census blocks = { 0, 0 };
    if (wm_walk_blocks(&h->wm, census_visit, &blocks, msg, msglen) ||
        walk_list(h, &blocks, msg, msglen))
        return 1;
    return wm_pass(msg, msglen);
}
