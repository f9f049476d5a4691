/*
 * bestfit's check(): walks every block (watermark_check.h), then the whole
 * tree, and verifies that the tree holds exactly the free blocks of the
 * heap.  O(N log N) in the worst case, for the membership test of each free
 * block.  It reads a pointer only after proving it lies inside the heap, so
 * a corrupted heap gets a message, not a crash.
 */
#include "kit/watermark_check.h"

#include "bestfit_internal.h"

/* What the block walk does with each free block: count it, and, once the
 * tree itself is known sound, find it in the tree. */
typedef struct census {
    const bf_heap *h;
    bool tree_sound;
    size_t nfree;
} census;

static int census_add(void *ctx, const bt_block *b, char *msg, size_t len)
{
    census *c = ctx;
    if (c->tree_sound && !bf_tree_contains(&c->h->tree, bf_node_of((bt_block *)b)))
        return hb_check_fail(msg, len, "bestfit: ", "free block %p is missing from the tree",
                             (void *)b);
    c->nfree++;
    return 0;
}

static bool is_free_block(const void *ctx, const bf_node *n)
{
    return wm_is_free_payload(ctx, n);
}

/* The heap walk first (it proves the block structure and counts the free
 * blocks), then the tree (order, colours, links, every node a sealed free
 * header, no more nodes than free blocks), then membership of each free
 * block: same count and heap set within tree set means the same set. */
int bf_check(void *heap, char *msg, size_t msglen)
{
    const bf_heap *h = heap;
    census blocks = { h, false, 0 };
    size_t nodes = 0;
    if (wm_walk_blocks(&h->wm, census_add, &blocks, msg, msglen))
        return 1;
    if (bf_tree_check(&h->tree, is_free_block, &h->wm, blocks.nfree, &nodes, msg, msglen))
        return 1;
    if (nodes != blocks.nfree)
        return hb_check_fail(msg, msglen,
                             "bestfit: ", "the tree holds %zu blocks, the heap %zu free blocks",
                             nodes, blocks.nfree);
    blocks = (census){ h, true, 0 };
    if (wm_walk_blocks(&h->wm, census_add, &blocks, msg, msglen))
        return 1;
    return wm_pass(msg, msglen);
}
