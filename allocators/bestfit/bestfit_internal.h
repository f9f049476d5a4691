/*
 * bestfit internals shared by bestfit.c (the algorithm) and check.c (the
 * invariant walker).  Names with the bf_ prefix cross files; the library
 * exports nothing but heapbench_allocator.
 */
#ifndef HB_BESTFIT_H
#define HB_BESTFIT_H

#include <heapbench/allocator.h>

#include "kit/boundary_tag.h"
#include "kit/watermark_heap.h"
#include "rbtree.h"

/* A free block carries a tree node (two children, parent, colour) in its
 * payload: header + 32 bytes is the smallest block there can be. */
#define BF_MIN_BLOCK 48

typedef struct bf_heap {
    wm_heap wm;   /* the block run and its watermark: first, so a wm_heap * is a bf_heap * */
    bf_tree tree; /* every free block, keyed by (size, address) */
} bf_heap;

static inline bf_node *bf_node_of(bt_block *b) { return bt_payload(b); }

int bf_check(void *heap, char *msg, size_t msglen);

#endif /* HB_BESTFIT_H */
