/*
 * bestfit's check(): walks every block, then the whole tree, and verifies
 * that the tree holds exactly the free blocks of the heap.  O(N log N) in
 * the worst case, for the membership test of each free block.  It reads a
 * pointer only after proving it lies inside the heap, so a corrupted heap
 * gets a message, not a crash.
 */
#include <stdarg.h>
#include <stdio.h>

#include "bestfit.h"

static int fail(char *msg, size_t len, const char *fmt, ...)
{
    if (msg && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return 1;
}

static int check_epilogue(const bf_heap *h, size_t prev, bool prev_free, char *msg, size_t len)
{
    const bt_block *e = h->epilogue;
    if (!bt_sealed(h->salt, e) || bt_size(e) != 0 || !bt_is_used(e) || bt_prev_size(e) != prev ||
        bt_prev_is_free(e) != prev_free)
        return fail(msg, len, "bestfit: epilogue %p damaged", (void *)e);
    if ((char *)h->src.grow(h->src.ctx, 0) != (char *)e + BT_HEADER)
        return fail(msg, len, "bestfit: epilogue %p is not right below the watermark", (void *)e);
    return 0;
}

/* Every header sealed, sizes within the heap, each prev size equal to the
 * size below it, no two free blocks side by side (free merges), and, once
 * the tree itself is known sound, every free block in the tree. */
static int walk_blocks(const bf_heap *h, bool tree_sound, size_t *nfree, char *msg, size_t len)
{
    const bt_block *b = h->first;
    size_t prev = 0;
    bool prev_free = false;
    while (b != h->epilogue) {
        size_t room = (size_t)((char *)h->epilogue - (char *)b);
        if (!bt_sealed(h->salt, b))
            return fail(msg, len, "bestfit: block %p: header seal broken", (void *)b);
        if (bt_prev_size(b) != prev)
            return fail(msg, len, "bestfit: block %p: previous size %zu, expected %zu",
                        (void *)b, bt_prev_size(b), prev);
        if (bt_size(b) < BF_MIN_BLOCK || bt_size(b) > room)
            return fail(msg, len, "bestfit: block %p: size %zu outside [%d, %zu]", (void *)b,
                        bt_size(b), BF_MIN_BLOCK, room);
        if (bt_prev_is_free(b) != prev_free)
            return fail(msg, len, "bestfit: block %p: previous-free flag wrong", (void *)b);
        if (!bt_is_used(b) && prev_free)
            return fail(msg, len, "bestfit: free blocks %p and %p are adjacent",
                        (void *)bt_prev(b), (void *)b);
        if (!bt_is_used(b) && tree_sound && !bf_tree_contains(&h->tree, bf_node_of((bt_block *)b)))
            return fail(msg, len, "bestfit: free block %p is missing from the tree", (void *)b);
        *nfree += !bt_is_used(b);
        prev_free = !bt_is_used(b);
        prev = bt_size(b);
        b = bt_next(b);
    }
    return check_epilogue(h, prev, prev_free, msg, len);
}

static bool is_free_block(const void *ctx, const bf_node *n)
{
    const bf_heap *h = ctx;
    const char *p = (const char *)n;
    if (((uintptr_t)p & 15) || p < (char *)h->first + BT_HEADER || p >= (char *)h->epilogue)
        return false;
    const bt_block *b = bt_of_payload((void *)n);
    return bt_sealed(h->salt, b) && !bt_is_used(b);
}

/* The heap walk first (it proves the block structure and counts the free
 * blocks), then the tree (order, colours, links, every node a sealed free
 * header, no more nodes than free blocks), then membership of each free
 * block: same count and heap set within tree set means the same set. */
int bf_check(void *heap, char *msg, size_t msglen)
{
    const bf_heap *h = heap;
    size_t nfree = 0, nodes = 0;
    if (walk_blocks(h, false, &nfree, msg, msglen))
        return 1;
    if (bf_tree_check(&h->tree, is_free_block, h, nfree, &nodes, msg, msglen))
        return 1;
    if (nodes != nfree)
        return fail(msg, msglen, "bestfit: the tree holds %zu blocks, the heap %zu free blocks",
                    nodes, nfree);
    nfree = 0;
    if (walk_blocks(h, true, &nfree, msg, msglen))
        return 1;
    if (msg && msglen)
        msg[0] = '\0';
    return 0;
}
