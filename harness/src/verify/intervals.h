/*
 * The live blocks of a verifying replay, as disjoint address intervals:
 * a treap (a binary search tree by start address whose nodes also form a
 * heap by a random priority, so its expected depth is O(log n) whatever the
 * order of the addresses).  A block is known by its trace slot; the nodes
 * are one array indexed by slot, so inserting allocates nothing.
 */
#ifndef HB_VERIFY_INTERVALS_H
#define HB_VERIFY_INTERVALS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct hb_ival_node {
    uintptr_t start;
    uint64_t len;            /* >= 1                                  */
    uint32_t left, right;    /* slot + 1 of the children; 0: none     */
    uint32_t prio;
    bool live;
} hb_ival_node;

typedef struct hb_intervals {
    hb_ival_node *node;      /* [nslots]                               */
    uint32_t nslots;
    uint32_t root;           /* slot + 1; 0: empty                     */
    uint32_t rng;
    uint64_t count;
} hb_intervals;

/* 0, or -1 when the node array cannot be allocated. */
int hb_ival_init(hb_intervals *t, uint32_t nslots);
void hb_ival_free(hb_intervals *t);

/* The slot of a live block that shares a byte with [start, start+len)
 * (len >= 1), or -1 when none does. */
int64_t hb_ival_overlap(const hb_intervals *t, uintptr_t start, uint64_t len);

/* Adds slot's block; the caller has checked it overlaps nothing. */
void hb_ival_insert(hb_intervals *t, uint32_t slot, uintptr_t start, uint64_t len);

/* Removes slot's block, if it is live. */
void hb_ival_remove(hb_intervals *t, uint32_t slot);

#endif /* HB_VERIFY_INTERVALS_H */
