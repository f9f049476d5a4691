/*
 * firstfit internals shared by firstfit.c (the algorithm) and check.c (the
 * invariant walker).  Names with the ff_ prefix cross files; the library
 * exports nothing but heapbench_allocator.
 */
#ifndef HB_FIRSTFIT_H
#define HB_FIRSTFIT_H

#include <heapbench/allocator.h>

#include "kit/boundary_tag.h"
#include "kit/watermark_heap.h"

/* A free block carries its list links in its payload: header + two
 * pointers is the smallest block there can be. */
#define FF_MIN_BLOCK 32

typedef struct ff_node {
    struct ff_node *next;
    struct ff_node *prev;
} ff_node;

/* Where a newly free block (one with no free neighbour) joins the list. */
enum ff_order {
    FF_ORDER_ADDRESS, /* keep the list sorted by address (default) */
    FF_ORDER_LIFO     /* push it at the head                        */
};

typedef struct ff_heap {
    wm_heap wm;   /* the block run and its watermark: first, so a wm_heap * is an ff_heap * */
    ff_node list; /* sentinel of the circular doubly linked free list */
    enum ff_order order;
} ff_heap;

static inline ff_node *ff_node_of(bt_block *b) { return bt_payload(b); }

static inline bt_block *ff_block_of(ff_node *n) { return bt_of_payload(n); }

int ff_check(void *heap, char *msg, size_t msglen);

#endif /* HB_FIRSTFIT_H */
