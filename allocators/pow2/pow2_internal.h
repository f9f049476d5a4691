/*
 * pow2: power-of-two free lists in the manner of McKusick and Karels
 * ("Design of a General Purpose Memory Allocator for the 4.3BSD UNIX
 * Kernel", USENIX 1988).  State shared by its files.
 *
 * Memory comes in runs of whole pages, each one map() of the memory
 * source.  A run is either a bucket run, carved into blocks of one
 * power-of-two size (one page for blocks below a page; one block for the
 * one- and two-page sizes), or a large run holding one request above two
 * pages.  Every run has a descriptor, found by the address of its first
 * page in a hash table: the page-number -> size table of the original,
 * kept outside the blocks, so a block needs no header.
 */
#ifndef POW2_INTERNAL_H
#define POW2_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <heapbench/allocator.h>

#define P2_MIN_CLASS 4 /* 16-byte blocks: the alignment, and room for a link */
#define P2_CLASSES 64
#define P2_LARGE 0     /* cls of a large run */

/* The descriptor of one run.  Descriptors live in the hash table at a
 * stride of desc_size bytes: live[] has room for the blocks of a page of
 * 16-byte blocks. */
typedef struct p2_desc {
    uintptr_t addr; /* the run's first byte; 0 marks an empty slot */
    size_t npages;  /* pages in the run */
    uint32_t nlive; /* blocks of the run in use */
    uint8_t cls;    /* log2 of the block size, or P2_LARGE */
    uint64_t live[]; /* bit b set: block b is in use */
} p2_desc;

/* A free block holds the link of its size's list. */
typedef struct p2_free {
    struct p2_free *next;
} p2_free;

typedef struct p2_heap {
    hb_memsrc src;
    size_t self_len;        /* bytes of the mapping holding this struct  */
    unsigned page_shift;
    unsigned max_cls;       /* largest bucket size: two pages            */
    size_t desc_size;       /* stride of the descriptor table            */
    unsigned char *slots;   /* open-addressing table of descriptors      */
    size_t nslots;          /* power of two, or 0 before the first run   */
    size_t ndesc;
    p2_free *free[P2_CLASSES]; /* LIFO free list of each bucket size     */
} p2_heap;

static inline size_t p2_size(unsigned cls) { return (size_t)1 << cls; }

static inline size_t p2_run_bytes(const p2_heap *h, const p2_desc *d)
{
    return d->npages << h->page_shift;
}

/* Blocks a bucket run is carved into. */
static inline size_t p2_blocks(const p2_heap *h, const p2_desc *d)
{
    return p2_run_bytes(h, d) >> d->cls;
}

static inline bool p2_is_live(const p2_desc *d, size_t b)
{
    return d->live[b / 64] >> (b % 64) & 1;
}

static inline void p2_set_live(p2_desc *d, size_t b, bool on)
{
    uint64_t bit = (uint64_t)1 << (b % 64);
    d->live[b / 64] = on ? d->live[b / 64] | bit : d->live[b / 64] & ~bit;
    d->nlive = on ? d->nlive + 1 : d->nlive - 1;
}

/* pagetab.c: the descriptor table. */
p2_desc *p2_desc_find(const p2_heap *h, uintptr_t addr);
bool p2_desc_reserve(p2_heap *h);
p2_desc *p2_desc_put(p2_heap *h, uintptr_t addr, size_t npages, unsigned cls);
void p2_desc_remove(p2_heap *h, p2_desc *d);
p2_desc *p2_desc_at(const p2_heap *h, size_t slot);
void p2_desc_release_all(p2_heap *h);

/* check.c */
int p2_check(void *heap, char *msg, size_t msglen);

#endif /* POW2_INTERNAL_H */
