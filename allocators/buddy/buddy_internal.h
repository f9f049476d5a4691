/*
 * Binary buddy allocator: state shared by its files.
 *
 * The heap is a row of arenas grown one after another from the memory
 * source's contiguous region.  Each arena is its order table followed by
 * one top-level block of 2^top_order bytes:
 *
 *     base                     base + stride
 *     | table | top-level block | table | top-level block | ...
 *
 * A block of order k is 2^k bytes at an offset (from the start of its
 * top-level block) that is a multiple of 2^k; its buddy is the block at
 * offset ^ 2^k.  The order table holds one byte per minimum-size block:
 * for the first minimum block of every block (its head) the byte is the
 * block's order, with BD_FREE set while the block is free; every other
 * byte is 0.  So "is my buddy free and whole?" is one byte compare, and a
 * pointer that is no block's head is recognised by a 0 byte.
 *
 * Requests larger than a top-level block get a mapping of their own,
 * recorded in the heap's map table (kit/maptable.h): a pointer that
 * no arena holds is freed only if the table knows it, so a large block
 * freed twice reports HB_FREE_INVALID.
 */
#ifndef BUDDY_INTERNAL_H
#define BUDDY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <heapbench/allocator.h>
#include "kit/maptable.h"

#define BD_FREE 0x80u     /* head byte flag: the block is on a free list */
#define BD_ORDERS 64      /* orders are < 64: one bit each in 'avail'    */
#define BD_MIN_ORDER 4    /* 16 bytes: room for a free-list node         */
#define BD_MAX_TOP 30     /* top-level blocks of at most 1 GiB           */

/* A free block's first bytes: its links in the list of its order. */
typedef struct bd_node {
    struct bd_node *next, *prev;
} bd_node;

typedef struct bd_heap {
    hb_memsrc src;
    size_t self_len;       /* bytes of the mapping that holds this struct   */
    unsigned min_order;    /* smallest block: 2^min_order bytes             */
    unsigned top_order;    /* top-level block: 2^top_order bytes            */
    size_t table_len;      /* order table of one arena, page multiple       */
    size_t stride;         /* table_len + top-level block                   */
    char *base;            /* first arena (NULL until one exists)           */
    size_t narenas;
    size_t pad;            /* bytes grown to page-align base                */
    uint64_t avail;        /* bit k set: the list of order k is non-empty   */
    bd_node lists[BD_ORDERS]; /* circular lists; lists[k] is the sentinel   */
    hb_maptable bigs;      /* blocks above the top-level size               */
} bd_heap;

/* Where a pointer lies: its arena's table and data, and its offset. */
typedef struct bd_where {
    unsigned char *table;
    char *data;
    size_t off;
} bd_where;

static inline size_t bd_size(unsigned order) { return (size_t)1 << order; }

static inline unsigned char *bd_slot(const bd_heap *h, const bd_where *w, size_t off)
{
    return &w->table[off >> h->min_order];
}

/* arena.c: the buddy system proper. */
bool bd_locate(const bd_heap *h, const void *p, bd_where *w);
void *bd_take(bd_heap *h, unsigned order);
int bd_release(bd_heap *h, const bd_where *w);
void bd_shrink_in_place(bd_heap *h, const bd_where *w, unsigned from, unsigned to);
bool bd_grow_in_place(bd_heap *h, const bd_where *w, unsigned from, unsigned to);
bool bd_add_arena(bd_heap *h);
void bd_list_unlink(bd_heap *h, unsigned order, bd_node *n);

/* check.c */
int bd_check(void *heap, char *msg, size_t msglen);

#endif /* BUDDY_INTERNAL_H */
