/*
 * The mmap baseline: every block is its own mapping from the memory source.
 *
 * It is the allocator with no allocator in it -- what a program would get
 * by asking the kernel for each block -- and it bounds the others from the
 * bad side: footprint is at least one page per block, and every malloc and
 * free is a system call.  A 32-byte header before the block records the
 * mapping's length and the block's offset in it, so free and realloc find
 * the mapping again, and links the live blocks so destroy() returns them
 * all; a block aligned beyond 32 bytes sits further into its mapping.
 * realloc grows a block's mapping with mremap, as glibc does for the
 * chunks it maps, so the kernel moves page tables instead of the bytes
 * being copied into freshly faulted pages.  The heap's own record takes
 * one page from the memory source too, so every byte it uses is counted.
 */
#include "load/load.h"
#include "osmem/osmem.h"

#include <stdio.h>
#include <string.h>

#define HDR 32u

/* Before every block; live blocks form a list so destroy() can give back
 * every mapping and check() can count them. */
typedef struct hdr {
    size_t map_len; /* length passed to map()                 */
    size_t offset;  /* from the mapping's start to the block  */
    struct hdr *prev, *next;
} hdr;

typedef struct mm_heap {
    const hb_memsrc *src;
    hdr *blocks; /* live blocks, most recent first */
    size_t live;
} mm_heap;

static hdr *hdr_of(void *p) { return (hdr *)((char *)p - HDR); }

/* Mapping length for size bytes at align: a mapping starts page aligned,
 * so base + max(HDR, align) is aligned when align <= page; a larger
 * alignment needs align bytes of slack. */
static bool map_len_for(const mm_heap *h, size_t align, size_t size, size_t *len)
{
    size_t extra = align > h->src->page_size ? align + HDR : (align > HDR ? align : HDR);
    if (size > SIZE_MAX - extra - h->src->page_size)
        return false;
    *len = size + extra;
    return true;
}

static void link_block(mm_heap *h, hdr *b)
{
    b->prev = NULL;
    b->next = h->blocks;
    if (h->blocks)
        h->blocks->prev = b;
    h->blocks = b;
    h->live++;
}

static void unlink_block(mm_heap *h, hdr *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        h->blocks = b->next;
    if (b->next)
        b->next->prev = b->prev;
    h->live--;
}

/* Maps a block of size bytes aligned to align (a power of two >= 16). */
static void *map_block(mm_heap *h, size_t align, size_t size)
{
    size_t len;
    if (!map_len_for(h, align, size, &len))
        return NULL;
    char *base = h->src->map(h->src->ctx, len);
    if (!base)
        return NULL;
    uintptr_t p = ((uintptr_t)base + HDR + align - 1) & ~(uintptr_t)(align - 1);
    hdr *b = hdr_of((void *)p);
    b->map_len = len;
    b->offset = (size_t)(p - (uintptr_t)base);
    link_block(h, b);
    return (void *)p;
}

static void *mm_create(const hb_memsrc *src, const char *options)
{
    if (options && *options)
        return NULL; /* no options */
    mm_heap *h = src->map(src->ctx, sizeof *h);
    if (h)
        *h = (mm_heap){ .src = src, .blocks = NULL, .live = 0 };
    return h;
}

static void unmap_block(mm_heap *h, hdr *b)
{
    h->src->unmap(h->src->ctx, (char *)b + HDR - b->offset, b->map_len);
}

static void mm_destroy(void *heap)
{
    mm_heap *h = heap;
    while (h->blocks) {
        hdr *b = h->blocks;
        unlink_block(h, b);
        unmap_block(h, b);
    }
    h->src->unmap(h->src->ctx, h, sizeof *h);
}

static void *mm_malloc(void *heap, size_t size) { return map_block(heap, HB_ALIGNMENT, size); }

/* A pointer whose header does not name a live mapping is refused by the
 * memory source's unmap, so a bad free is reported rather than obeyed. */
static int mm_free(void *heap, void *ptr)
{
    mm_heap *h = heap;
    if (!ptr)
        return HB_FREE_OK;
    if (((uintptr_t)ptr & (HB_ALIGNMENT - 1)) != 0)
        return HB_FREE_INVALID;
    hdr *b = hdr_of(ptr);
    hdr hd = *b;
    if (hd.offset > hd.map_len || hd.offset < HDR)
        return HB_FREE_INVALID;
    unlink_block(h, b);
    if (h->src->unmap(h->src->ctx, (char *)ptr - hd.offset, hd.map_len) != 0) {
        link_block(h, b); /* not a mapping of ours: leave everything as it was */
        return HB_FREE_INVALID;
    }
    return HB_FREE_OK;
}

static size_t mm_usable(void *heap, void *ptr)
{
    (void)heap;
    const hdr *b = hdr_of(ptr);
    return b->map_len - b->offset;
}

static void *mm_realloc(void *heap, void *ptr, size_t size)
{
    if (!ptr)
        return mm_malloc(heap, size);
    if (size == 0) {
        mm_free(heap, ptr);
        return NULL;
    }
    size_t old = mm_usable(heap, ptr);
    if (size <= old)
        return ptr; /* the mapping already holds it */
    /* The mapping moves whole, header included, to a page boundary: the
     * block keeps its offset and so malloc's alignment (realloc promises
     * no more). */
    mm_heap *h = heap;
    hdr *b = hdr_of(ptr);
    size_t off = b->offset;
    if (size > SIZE_MAX - off - h->src->page_size)
        return NULL;
    unlink_block(h, b);
    char *base = hb_osmem_remap(h->src, (char *)ptr - off, b->map_len, off + size);
    if (base) {
        b = hdr_of(base + off);
        b->map_len = off + size;
        link_block(h, b);
        return base + off;
    }
    link_block(h, b); /* not an osmem, or refused: copy */
    void *q = mm_malloc(heap, size);
    if (!q)
        return NULL;
    memcpy(q, ptr, old);
    mm_free(heap, ptr);
    return q;
}

/* Mappings are zero filled: calloc is malloc. */
static void *mm_calloc(void *heap, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        return NULL;
    return mm_malloc(heap, nmemb * size);
}

static void *mm_aligned(void *heap, size_t align, size_t size)
{
    return map_block(heap, align < HB_ALIGNMENT ? HB_ALIGNMENT : align, size);
}

/* Walks the block list: every header must be consistent with its
 * neighbours and the count must match. */
static int mm_check(void *heap, char *msg, size_t msglen)
{
    mm_heap *h = heap;
    size_t n = 0;
    for (hdr *b = h->blocks, *prev = NULL; b; prev = b, b = b->next, n++) {
        if (b->prev != prev || b->offset < HDR || b->offset > b->map_len) {
            if (msg && msglen)
                snprintf(msg, msglen, "block %zu of the list has a bad header", n);
            return 1;
        }
    }
    if (n != h->live) {
        if (msg && msglen)
            snprintf(msg, msglen, "%zu blocks on the list, %zu counted live", n, h->live);
        return 1;
    }
    return 0;
}

static const hb_allocator mm_table = {
    .struct_size = sizeof(hb_allocator),
    .abi_version = HB_ALLOCATOR_ABI,
    .name = "mmap",
    .description = "baseline: every block its own mapping from the memory source",
    .create = mm_create,
    .destroy = mm_destroy,
    .malloc = mm_malloc,
    .free = mm_free,
    .realloc = mm_realloc,
    .calloc = mm_calloc,
    .aligned_alloc = mm_aligned,
    .usable_size = mm_usable,
    .check = mm_check,
};

const hb_allocator *hb_mmap_baseline(void) { return &mm_table; }
