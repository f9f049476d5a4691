/*
 * The invariant walk behind check().  It reads everything and changes
 * nothing; cost is linear in the heap (one table byte per minimum block).
 *
 * Invariants:
 *  1. Each top-level block is tiled by blocks: every tile's head byte names
 *     an order in [min, top], the tile sits at a multiple of its size, and
 *     the bytes of its other minimum blocks are 0.
 *  2. No two free buddies of one order both exist: they would have merged.
 *  3. The list of order k holds exactly the free tiles of order k, with
 *     consistent links, and bit k of 'avail' is set iff it is non-empty.
 *  4. The large-block table counts what it holds.
 */
#include <stdio.h>

#include "buddy_internal.h"

#define FAIL(...) (snprintf(msg, msglen, __VA_ARGS__), 1)

typedef struct tally {
    size_t free_of[BD_ORDERS];
} tally;

static bool interior_clear(const bd_heap *h, const bd_where *w, size_t off, unsigned k)
{
    for (size_t o = off + bd_size(h->min_order); o < off + bd_size(k); o += bd_size(h->min_order))
        if (*bd_slot(h, w, o))
            return false;
    return true;
}

static int check_tile(const bd_heap *h, const bd_where *w, size_t off, tally *t,
                      char *msg, size_t msglen)
{
    unsigned char b = *bd_slot(h, w, off);
    unsigned k = b & ~BD_FREE;
    if (!b || k < h->min_order || k > h->top_order)
        return FAIL("buddy: arena %p offset %zu: head byte 0x%02x is no order", (void *)w->data,
                    off, b);
    if ((off & (bd_size(k) - 1)) || !interior_clear(h, w, off, k))
        return FAIL("buddy: arena %p offset %zu: order %u block misaligned or overlapped",
                    (void *)w->data, off, k);
    if (b & BD_FREE) {
        t->free_of[k]++;
        if (k < h->top_order && *bd_slot(h, w, off ^ bd_size(k)) == b)
            return FAIL("buddy: arena %p offset %zu: free buddies of order %u not merged",
                        (void *)w->data, off, k);
    }
    return 0;
}

static int check_arenas(const bd_heap *h, tally *t, char *msg, size_t msglen)
{
    for (size_t i = 0; i < h->narenas; i++) {
        bd_where w = { .table = (unsigned char *)h->base + i * h->stride };
        w.data = (char *)w.table + h->table_len;
        for (size_t off = 0; off < bd_size(h->top_order);) {
            if (check_tile(h, &w, off, t, msg, msglen))
                return 1;
            off += bd_size(*bd_slot(h, &w, off) & ~BD_FREE);
        }
    }
    return 0;
}

/* Each node is located in an arena before its links are read, so a wild
 * link is reported, not followed; every back link is compared with the node
 * the walk came from, the first node's and the sentinel's included. */
static int check_list(const bd_heap *h, unsigned k, size_t expect, char *msg, size_t msglen)
{
    const bd_node *head = &h->lists[k], *prev = head;
    size_t n = 0;
    for (const bd_node *x = head->next; x != head; prev = x, x = x->next) {
        bd_where w;
        if (!bd_locate(h, x, &w) || *bd_slot(h, &w, w.off) != (k | BD_FREE))
            return FAIL("buddy: list %u: node %p is no free block of order %u", k, (void *)x, k);
        if (x->prev != prev)
            return FAIL("buddy: list %u: node %p has a broken back link", k, (void *)x);
        if (++n > expect)
            return FAIL("buddy: list %u holds more than the %zu free blocks of its order", k,
                        expect);
    }
    if (head->prev != prev)
        return FAIL("buddy: list %u: the sentinel's back link is broken", k);
    if (n != expect)
        return FAIL("buddy: list %u holds %zu blocks, the arenas %zu", k, n, expect);
    if (!(h->avail >> k & 1) != !n)
        return FAIL("buddy: avail bit %u disagrees with its list", k);
    return 0;
}

static int check_bigs(const bd_heap *h, char *msg, size_t msglen)
{
    size_t n, page = h->src.page_size;
    const hb_mapping *b = hb_maptable_first_bad(&h->bigs, page, bd_size(h->top_order), &n);
    if (b)
        return FAIL("buddy: large block %p of %zu bytes is malformed", (void *)b->addr, b->len);
    if (n != h->bigs.count)
        return FAIL("buddy: large table holds %zu blocks, count says %zu", n, h->bigs.count);
    return 0;
}

int bd_check(void *heap, char *msg, size_t msglen)
{
    char sink[1];
    const bd_heap *h = heap;
    tally t = { { 0 } };
    if (!msg)
        msg = sink, msglen = sizeof sink;
    if (check_arenas(h, &t, msg, msglen))
        return 1;
    for (unsigned k = 0; k < BD_ORDERS; k++)
        if (check_list(h, k, t.free_of[k], msg, msglen))
            return 1;
    if (check_bigs(h, msg, msglen))
        return 1;
    if (msglen)
        msg[0] = '\0';
    return 0;
}
