/*
 * pow2: power-of-two free lists in the manner of McKusick and Karels
 * ("Design of a General Purpose Memory Allocator for the 4.3BSD UNIX
 * Kernel", USENIX 1988).  State shared by its files.
 *
 * Bucket memory is one contiguous run of pages taken from the memory
 * source's break (grow()), like the kernel's kmem_map.  Each bucket page
 * is carved into blocks of one power-of-two size (a block of one or two
 * pages takes the pages it covers).  The size of a block is found from
 * usage[], one entry per bucket page indexed by (addr - base) >> page_shift:
 * the 4.4BSD kmemusage[] array, kept outside the blocks, so a block needs
 * no header and finding its entry is one subtraction and one shift.
 *
 * Requests above two pages (the original's requests above MAXALLOCSAVE)
 * get pages of their own from map() and are recorded in the heap's map
 * table (kit/maptable.h), a hash rather than usage[] because map()
 * may place a run anywhere.  A run freed twice is gone from the table, and
 * its second free reports HB_FREE_INVALID.
 */
#ifndef POW2_INTERNAL_H
#define POW2_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <heapbench/allocator.h>
#include "kit/maptable.h"

#define P2_MIN_CLASS 4 /* 16-byte blocks: the alignment, and room for a link */
#define P2_CLASSES 64
#define P2_CONT 1      /* cls of the second page of a two-page block */

/* The usage entry of one bucket page (kmemusage).  Entries sit at a
 * stride of usage_stride bytes: live[] has room for the blocks of a page
 * of 16-byte blocks. */
typedef struct p2_page {
    uint32_t nlive;  /* blocks of the page in use */
    uint8_t cls;     /* log2 of the block size, or P2_CONT */
    uint64_t live[]; /* bit b set: block b is in use */
} p2_page;

/* A free block holds the link of its size's list. */
typedef struct p2_free {
    struct p2_free *next;
} p2_free;

typedef struct p2_heap {
    hb_memsrc src;
    size_t self_len;        /* bytes of the mapping holding this struct     */
    unsigned page_shift;
    unsigned max_cls;       /* largest bucket size: two pages               */
    char *base;             /* first bucket page (NULL before the first)    */
    size_t pad;             /* bytes grown to page-align base               */
    size_t npages;          /* bucket pages: [base, base + npages pages)    */
    unsigned char *usage;   /* usage[] entries, in a mapping of its own     */
    size_t usage_stride;    /* bytes per entry                              */
    size_t usage_cap;       /* entries the mapping holds                    */
    hb_maptable large;      /* runs above two pages, a mapping each         */
    p2_free *free[P2_CLASSES]; /* LIFO free list of each bucket size        */
} p2_heap;

static inline size_t p2_size(unsigned cls) { return (size_t)1 << cls; }

static inline p2_page *p2_page_at(const p2_heap *h, size_t i)
{
    return (p2_page *)(h->usage + i * h->usage_stride);
}

/* The usage entry of the bucket page holding p, or NULL when p lies
 * outside the bucket pages. */
static inline p2_page *p2_page_of(const p2_heap *h, const void *p)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)h->base;
    if (!h->base || (uintptr_t)p < (uintptr_t)h->base || off >> h->page_shift >= h->npages)
        return NULL;
    return p2_page_at(h, off >> h->page_shift);
}

/* Blocks a page of class cls holds (1 for the one- and two-page sizes). */
static inline size_t p2_blocks(const p2_heap *h, unsigned cls)
{
    return cls < h->page_shift ? (size_t)1 << (h->page_shift - cls) : 1;
}

static inline bool p2_is_live(const p2_page *pg, size_t b)
{
    return pg->live[b / 64] >> (b % 64) & 1;
}

static inline void p2_set_live(p2_page *pg, size_t b, bool on)
{
    uint64_t bit = (uint64_t)1 << (b % 64);
    pg->live[b / 64] = on ? pg->live[b / 64] | bit : pg->live[b / 64] & ~bit;
    pg->nlive = on ? pg->nlive + 1 : pg->nlive - 1;
}

/* pagetab.c: bucket pages and their usage entries. */
char *p2_pages_take(p2_heap *h, size_t n);
void p2_pages_release_all(p2_heap *h);

/* check.c */
int p2_check(void *heap, char *msg, size_t msglen);

#endif /* POW2_INTERNAL_H */
