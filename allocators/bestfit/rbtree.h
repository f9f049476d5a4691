/*
 * The index of bestfit's free blocks: a red-black tree whose nodes live
 * inside the free blocks themselves (intrusive, so indexing costs no memory
 * beyond a minimum block size of 48).  Keys are (block size, address):
 * sizes order the search and addresses break ties, so every key is unique
 * and the smallest fitting block is also the lowest among equal sizes.
 *
 * All paths end at one black sentinel per tree (CLRS style), which keeps
 * the rebalancing code free of NULL tests.  Height stays below
 * 2 log2(n + 1), so search, insert and remove cost O(log n).
 */
#ifndef HB_BESTFIT_RBTREE_H
#define HB_BESTFIT_RBTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "kit/boundary_tag.h"

typedef struct bf_node {
    struct bf_node *child[2]; /* [0] smaller keys, [1] larger keys */
    struct bf_node *parent;
    size_t red;
} bf_node;

typedef struct bf_tree {
    bf_node *root;
    bf_node nil; /* the sentinel: black, every leaf points here */
} bf_tree;

/* A node sits in the payload of its block; the key's size is the block's. */
static inline size_t bf_node_size(const bf_node *n)
{
    return bt_size(bt_of_payload((void *)n));
}

void bf_tree_init(bf_tree *t);
void bf_tree_insert(bf_tree *t, bf_node *n);
void bf_tree_remove(bf_tree *t, bf_node *n);

/*
 * The block of node `old` changed, and n (old itself, or the node's new
 * place when the block's start moved) now carries its key: larger than
 * before when grew is 1, smaller when 0.  Merging and splitting change keys
 * this way all the time, and mostly the new key still falls before old's
 * in-order neighbour on that side; then n just takes old's place, with no
 * rebalancing and no descent from the root.  Otherwise it is removed and
 * inserted anew.
 */
void bf_tree_rekey(bf_tree *t, bf_node *old, bf_node *n, int grew);

/* The node with the smallest key whose size is at least `size`, or NULL. */
bf_node *bf_tree_best_fit(const bf_tree *t, size_t size);

bool bf_tree_contains(const bf_tree *t, const bf_node *n);

/* Verifies order, colours, equal black heights and parent links.  Nodes
 * are read only once valid(ctx, node) says they are free blocks; more than
 * `limit` nodes is an error (a cycle).  Counts the nodes into *count. */
typedef bool (*bf_node_valid)(const void *ctx, const bf_node *n);
int bf_tree_check(const bf_tree *t, bf_node_valid valid, const void *ctx, size_t limit,
                  size_t *count, char *msg, size_t msglen);

#endif /* HB_BESTFIT_RBTREE_H */
