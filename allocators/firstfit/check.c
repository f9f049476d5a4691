/*
 * firstfit's check(): walks every block and the whole free list and
 * verifies the invariants the algorithm relies on, in O(blocks).  It reads
 * a pointer only after proving it lies inside the heap, so a corrupted heap
 * gets a message, not a crash.
 */
#include <stdarg.h>
#include <stdio.h>

#include "firstfit.h"

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

static int check_epilogue(const ff_heap *h, size_t prev, bool prev_free, char *msg, size_t len)
{
    const bt_block *e = h->epilogue;
    if (!bt_sealed(h->salt, e) || bt_size(e) != 0 || !bt_is_used(e) || bt_prev_size(e) != prev ||
        bt_prev_is_free(e) != prev_free)
        return fail(msg, len, "firstfit: epilogue %p damaged", (void *)e);
    if ((char *)h->src.grow(h->src.ctx, 0) != (char *)e + BT_HEADER)
        return fail(msg, len, "firstfit: epilogue %p is not right below the watermark", (void *)e);
    return 0;
}

/* Every header sealed, sizes within the heap, each prev size equal to the
 * size below it, and no two free blocks side by side (free merges). */
static int walk_blocks(const ff_heap *h, census *c, char *msg, size_t len)
{
    const bt_block *b = h->first;
    size_t prev = 0;
    bool prev_free = false;
    while (b != h->epilogue) {
        size_t room = (size_t)((char *)h->epilogue - (char *)b);
        if (!bt_sealed(h->salt, b))
            return fail(msg, len, "firstfit: block %p: header seal broken", (void *)b);
        if (bt_prev_size(b) != prev)
            return fail(msg, len, "firstfit: block %p: previous size %zu, expected %zu",
                        (void *)b, bt_prev_size(b), prev);
        if (bt_size(b) < FF_MIN_BLOCK || bt_size(b) > room)
            return fail(msg, len, "firstfit: block %p: size %zu outside [%d, %zu]", (void *)b,
                        bt_size(b), FF_MIN_BLOCK, room);
        if (bt_prev_is_free(b) != prev_free)
            return fail(msg, len, "firstfit: block %p: previous-free flag wrong", (void *)b);
        if (!bt_is_used(b) && prev_free)
            return fail(msg, len, "firstfit: free blocks %p and %p are adjacent",
                        (void *)bt_prev(b), (void *)b);
        if (!bt_is_used(b))
            census_add(c, b);
        prev_free = !bt_is_used(b);
        prev = bt_size(b);
        b = bt_next(b);
    }
    return check_epilogue(h, prev, prev_free, msg, len);
}

static bool is_free_block(const ff_heap *h, const ff_node *n)
{
    const char *p = (const char *)n;
    if (((uintptr_t)p & 15) || p < (char *)h->first + BT_HEADER || p >= (char *)h->epilogue)
        return false;
    const bt_block *b = bt_of_payload((void *)n);
    return bt_sealed(h->salt, b) && !bt_is_used(b);
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
            return fail(msg, len, "firstfit: free list longer than the %zu free blocks",
                        blocks->count);
        if (!is_free_block(h, n))
            return fail(msg, len, "firstfit: free list node %p is not a free block", (void *)n);
        if (n->prev != prev)
            return fail(msg, len, "firstfit: free list node %p: back link broken", (void *)n);
        if (h->order == FF_ORDER_ADDRESS && prev != &h->list && prev >= n)
            return fail(msg, len, "firstfit: free list out of address order at %p", (void *)n);
        census_add(&listed, ff_block_of((ff_node *)n));
    }
    if (h->list.prev != prev)
        return fail(msg, len, "firstfit: free list tail link broken");
    if (listed.count != blocks->count || listed.fingerprint != blocks->fingerprint)
        return fail(msg, len, "firstfit: free list holds %zu blocks, the heap %zu free blocks%s",
                    listed.count, blocks->count,
                    listed.count == blocks->count ? " (different ones)" : "");
    return 0;
}

int ff_check(void *heap, char *msg, size_t msglen)
{
    const ff_heap *h = heap;
    census blocks = { 0, 0 };
    if (walk_blocks(h, &blocks, msg, msglen) || walk_list(h, &blocks, msg, msglen))
        return 1;
    if (msg && msglen)
        msg[0] = '\0';
    return 0;
}
