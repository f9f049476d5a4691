/*
 * The treap of live blocks (see intervals.h), by split and merge: split
 * cuts a tree into the nodes below a key and the rest, merge joins two
 * trees whose keys do not interleave, keeping the higher priority on top.
 * Insert and remove are a split or two and a merge or two.
 */
#include "verify/intervals.h"

#include <stdlib.h>

#define NIL 0u

static hb_ival_node *at(const hb_intervals *t, uint32_t ref) { return &t->node[ref - 1]; }

/* xorshift32: priorities need only be independent of the addresses. */
static uint32_t next_prio(hb_intervals *t)
{
    uint32_t x = t->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return t->rng = x;
}

int hb_ival_init(hb_intervals *t, uint32_t nslots)
{
    t->node = calloc(nslots ? nslots : 1, sizeof *t->node);
    t->nslots = nslots;
    t->root = NIL;
    t->rng = 0x9E3779B9u;
    t->count = 0;
    return t->node ? 0 : -1;
}

void hb_ival_free(hb_intervals *t)
{
    free(t->node);
    t->node = NULL;
}

/* Splits r into the nodes with start < key (*lo) and the others (*hi). */
static void split(hb_intervals *t, uint32_t r, uintptr_t key, uint32_t *lo, uint32_t *hi)
{
    if (r == NIL) {
        *lo = *hi = NIL;
        return;
    }
    hb_ival_node *n = at(t, r);
    if (n->start < key) {
        split(t, n->right, key, &n->right, hi);
        *lo = r;
    } else {
        split(t, n->left, key, lo, &n->left);
        *hi = r;
    }
}

/* Joins a and b, every start of a below every start of b. */
static uint32_t merge(hb_intervals *t, uint32_t a, uint32_t b)
{
    if (a == NIL || b == NIL)
        return a == NIL ? b : a;
    if (at(t, a)->prio >= at(t, b)->prio) {
        at(t, a)->right = merge(t, at(t, a)->right, b);
        return a;
    }
    at(t, b)->left = merge(t, a, at(t, b)->left);
    return b;
}

/* The blocks are disjoint, so only the one with the greatest start below
 * start + len can reach into the range: any block before it ends before
 * it begins. */
int64_t hb_ival_overlap(const hb_intervals *t, uintptr_t start, uint64_t len)
{
    uintptr_t end = start + len < start ? UINTPTR_MAX : start + len;
    uint32_t r = t->root, best = NIL;
    while (r != NIL) {
        const hb_ival_node *n = at(t, r);
        if (n->start < end) {
            best = r;
            r = n->right;
        } else {
            r = n->left;
        }
    }
    if (best == NIL)
        return -1;
    const hb_ival_node *b = at(t, best);
    return b->start + b->len > start ? (int64_t)best - 1 : -1;
}

void hb_ival_insert(hb_intervals *t, uint32_t slot, uintptr_t start, uint64_t len)
{
    hb_ival_node *n = &t->node[slot];
    *n = (hb_ival_node){ .start = start, .len = len ? len : 1, .prio = next_prio(t),
                         .live = true };
    uint32_t lo, hi;
    split(t, t->root, start, &lo, &hi);
    t->root = merge(t, merge(t, lo, slot + 1), hi);
    t->count++;
}

void hb_ival_remove(hb_intervals *t, uint32_t slot)
{
    hb_ival_node *n = &t->node[slot];
    if (!n->live)
        return;
    uint32_t lo, mid, hi;
    split(t, t->root, n->start, &lo, &mid);
    split(t, mid, n->start + 1, &mid, &hi);
    t->root = merge(t, lo, hi);
    n->live = false;
    n->left = n->right = NIL;
    t->count--;
}
