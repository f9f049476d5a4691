/*
 * segfit internals: block layout, size classes and free lists.
 *
 * segfit is a two-level segregated fit allocator (the TLSF scheme): free
 * blocks sit in one of FL x SL lists, a first-level bitmap says which rows
 * hold any free block and one second-level bitmap per row says which lists
 * do, so finding a free block that is large enough is two find-first-set
 * instructions.  Blocks carry boundary tags, so splitting and merging touch
 * only the block and its two neighbours.  Everything here is static inline:
 * the hot path of malloc and free is these helpers.
 */
#ifndef SEGFIT_H
#define SEGFIT_H

#include "kit/alloc_util.h"
#include <heapbench/allocator.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A block starts 16-aligned and its size (from its start to the next
 * block's start) is a multiple of 16:
 *
 *   +0   prev_size   size of the previous block, meaningful only while that
 *                    block is free (it is that block's footer); while the
 *                    previous block is in use these 8 bytes are its payload
 *   +8   head        size | flags
 *   +16  payload     (a free block keeps its list links here)
 *
 * So an in-use block of size S gives S - 8 usable bytes, and the smallest
 * block (32) holds the two links plus the footer of a free block.
 */
typedef struct sf_block {
    size_t prev_size;
    size_t head;
    struct sf_block *next_free;
    struct sf_block *prev_free;
} sf_block;

#define SF_FREE ((size_t)1)      /* this block is free                      */
#define SF_PREV_FREE ((size_t)2) /* the previous block is free: prev_size ok */
#define SF_CACHED ((size_t)4)    /* freed, parked in a quick list (in use to
                                    its neighbours)                         */
#define SF_FLAGS ((size_t)15)

#define SF_HDR ((size_t)16)
#define SF_MIN_BLOCK ((size_t)32)

/*
 * Size classes.  Below SF_SMALL (256) every 16-byte size has its own list
 * (row 0), so small requests get an exact fit.  Above it, row fl covers
 * [2^(fl+7), 2^(fl+8)) split into SF_SL_COUNT equal lists.  Block sizes stay
 * below 2^48 (the user address space), which bounds the rows.
 */
#define SF_SL_LOG 4u
#define SF_SL_COUNT (1u << SF_SL_LOG)
#define SF_FL_SHIFT (SF_SL_LOG + 4u)
#define SF_SMALL ((size_t)1 << SF_FL_SHIFT)
#define SF_FL_COUNT (48u - SF_FL_SHIFT + 1u)
#define SF_MAX_BLOCK ((size_t)1 << 47)

/* Blocks of the request's own class looked at (segfit.c: own_class_fit),
 * first for requests of at least SF_OWN_CLASS_FIRST bytes, else only
 * before the region grows. */
#define SF_OWN_CLASS_SCAN 8u
#define SF_OWN_CLASS_FIRST ((size_t)4096)

/*
 * Quick lists: freed blocks of up to SF_QUICK_MAX bytes wait, unmerged, in a
 * LIFO per size, up to SF_QUICK_DEPTH each, so a malloc of a size just freed
 * takes them back without touching lists or neighbours.  They merge when
 * the heap would otherwise grow (sf_quick_flush).
 */
#define SF_QUICK_MAX ((size_t)1024)
#define SF_QUICK_DEPTH 16u
#define SF_QUICK_SLOTS (SF_QUICK_MAX / 16 + 1)

/* One mapped (large) block: a live entry, a freed one (len 0), or empty. */
typedef struct sf_map_entry {
    uintptr_t ptr; /* 0: empty slot */
    char *base;
    size_t len; /* 0: tombstone of a freed block */
} sf_map_entry;

typedef struct sf_heap {
    hb_memsrc src;
    uint64_t fl_bitmap;
    uint32_t sl_bitmap[SF_FL_COUNT];
    sf_block *lists[SF_FL_COUNT][SF_SL_COUNT];
    sf_block *quick[SF_QUICK_SLOTS];
    uint8_t quick_count[SF_QUICK_SLOTS];
    char *region;        /* where this heap's part of the region begins   */
    sf_block *first;     /* lowest block                                  */
    sf_block *sentinel;  /* size-0 in-use header after the last block     */
    char *end;           /* the break: [sentinel + 16, end) is the top    */
    size_t mmap_threshold;
    bool dynamic_threshold; /* raised by freed mappings (no option given)  */
    bool dynamic_trim;   /* trim follows the raised threshold and re-growth
                            after a trim (no option)                      */
    size_t grow_step;
    size_t trim_threshold;
    size_t trim_given;   /* bytes the last trim gave back not yet grown again */
    size_t trim_regrown; /* bytes grown again since the last trim         */
    sf_map_entry *maps;  /* open-addressing set of mapped blocks          */
    size_t map_slots;    /* power of two, or 0 before the first one      */
    size_t map_live;
    size_t map_used;     /* live + tombstones                             */
} sf_heap;

/* The trim threshold rises no higher than this by itself (glibc's bound:
 * twice its largest dynamic mmap threshold). */
#define SF_DYN_TRIM_MAX ((size_t)64 << 20)

/* ---- blocks -------------------------------------------------------------- */

static inline size_t sf_size(const sf_block *b) { return b->head & ~SF_FLAGS; }
static inline bool sf_is_free(const sf_block *b) { return b->head & SF_FREE; }
static inline sf_block *sf_at(void *p, size_t off) { return (sf_block *)((char *)p + off); }
static inline sf_block *sf_next(const sf_block *b) { return sf_at((void *)b, sf_size(b)); }
static inline sf_block *sf_prev(const sf_block *b)
{
    return (sf_block *)((char *)b - b->prev_size);
}
static inline void *sf_payload(sf_block *b) { return (char *)b + SF_HDR; }
static inline sf_block *sf_block_of(void *p) { return (sf_block *)((char *)p - SF_HDR); }

/* Block size for a request, or false when no block can be that large: the
 * bound is checked before rounding so the sum cannot wrap. */
static inline bool sf_block_size_for(size_t n, size_t *out)
{
    if (n > SF_MAX_BLOCK)
        return false;
    size_t s = (n + 8 + 15) & ~(size_t)15;
    *out = s < SF_MIN_BLOCK ? SF_MIN_BLOCK : s;
    return true;
}

/* Writes a free block's size and footer and tells the next block. */
static inline void sf_set_free(sf_block *b, size_t size, size_t prev_flag)
{
    b->head = size | SF_FREE | prev_flag;
    sf_block *n = sf_at(b, size);
    n->prev_size = size;
    n->head |= SF_PREV_FREE;
}

/* ---- classes and lists ----------------------------------------------------- */

static inline void sf_mapping(size_t size, unsigned *fl, unsigned *sl)
{
    if (size < SF_SMALL) {
        *fl = 0;
        *sl = (unsigned)(size >> 4);
        return;
    }
    unsigned f = hb_log2_floor(size);
    *sl = (unsigned)(size >> (f - SF_SL_LOG)) ^ SF_SL_COUNT;
    *fl = f - SF_FL_SHIFT + 1;
}

/* The class whose every block is >= size: round size up to the next class
 * boundary first, so any block found there fits without a search. */
static inline void sf_mapping_search(size_t size, unsigned *fl, unsigned *sl)
{
    if (size >= SF_SMALL)
        size += ((size_t)1 << (hb_log2_floor(size) - SF_SL_LOG)) - 1;
    sf_mapping(size, fl, sl);
}

static inline void sf_list_insert(sf_heap *h, sf_block *b)
{
    unsigned fl, sl;
    sf_mapping(sf_size(b), &fl, &sl);
    sf_block *head = h->lists[fl][sl];
    b->next_free = head;
    b->prev_free = NULL;
    if (head)
        head->prev_free = b;
    h->lists[fl][sl] = b;
    h->fl_bitmap |= (uint64_t)1 << fl;
    h->sl_bitmap[fl] |= 1u << sl;
}

/* Takes b out of list (fl, sl), which must be its class's. */
static inline void sf_list_unlink(sf_heap *h, sf_block *b, unsigned fl, unsigned sl)
{
    if (b->next_free)
        b->next_free->prev_free = b->prev_free;
    if (b->prev_free) {
        b->prev_free->next_free = b->next_free;
        return;
    }
    h->lists[fl][sl] = b->next_free;
    if (!b->next_free) {
        h->sl_bitmap[fl] &= ~(1u << sl);
        if (!h->sl_bitmap[fl])
            h->fl_bitmap &= ~((uint64_t)1 << fl);
    }
}

static inline void sf_list_remove(sf_heap *h, sf_block *b)
{
    unsigned fl, sl;
    sf_mapping(sf_size(b), &fl, &sl);
    sf_list_unlink(h, b, fl, sl);
}

/* The head of the first non-empty list at or above (*fl, *sl), which
 * *fl and *sl then name, or NULL. */
static inline sf_block *sf_find(const sf_heap *h, unsigned *fl, unsigned *sl)
{
    unsigned f = *fl;
    if (f >= SF_FL_COUNT)
        return NULL;
    uint32_t sl_map = h->sl_bitmap[f] & (~0u << *sl);
    if (!sl_map) {
        uint64_t fl_map = f + 1 < 64 ? h->fl_bitmap & (~(uint64_t)0 << (f + 1)) : 0;
        if (!fl_map)
            return NULL;
        f = hb_ctz64(fl_map);
        sl_map = h->sl_bitmap[f];
    }
    *fl = f;
    *sl = hb_ctz64(sl_map);
    return h->lists[f][*sl];
}

/* ---- the top --------------------------------------------------------------- */

/* Bytes a block carved off the top may take (the sentinel's 16 bytes stay). */
static inline size_t sf_top_room(const sf_heap *h)
{
    return (size_t)(h->end - (char *)h->sentinel) - SF_HDR;
}

/* An in-use block of size bytes (<= sf_top_room) where the sentinel was;
 * the sentinel moves up behind it.  Only the new sentinel's head is
 * written: its prev_size is the last word of the new block's payload. */
static inline sf_block *sf_carve(sf_heap *h, size_t size)
{
    sf_block *b = h->sentinel;
    b->head = size;
    h->sentinel = sf_at(b, size);
    h->sentinel->head = 0;
    return b;
}

/* ---- free's checks (inline: every free runs them) ----------------------------- */

static inline bool sf_in_heap(const sf_heap *h, const void *p)
{
    uintptr_t a = (uintptr_t)p;
    return a >= (uintptr_t)h->first + SF_HDR && a < (uintptr_t)h->sentinel;
}

/*
 * Decides from the boundary tags whether b is a block free() may release.
 * Only the header words of b and its neighbours are read, and each is
 * bounds-checked before it is used to find the next one, so a wild pointer
 * into the heap cannot make free read outside it.  A "free" claim is
 * believed only if the next block's footer agrees, which a stale header
 * left inside a merged free block does not; a block parked in a quick list
 * must look in use to its next neighbour.  Limit: a header forged by user
 * data inside a live block with consistent neighbours cannot be told apart.
 */
static inline int sf_validate(const sf_heap *h, const sf_block *b)
{
    if ((uintptr_t)b & 15)
        return HB_FREE_INVALID;
    size_t size = sf_size(b);
    size_t room = (size_t)((const char *)h->sentinel - (const char *)b);
    if (size < SF_MIN_BLOCK || size > room || (b->head & 8) ||
        (b->head & (SF_FREE | SF_CACHED)) == (SF_FREE | SF_CACHED))
        return HB_FREE_INVALID;
    const sf_block *n = sf_next(b);
    bool next_says_free = (n->head & SF_PREV_FREE) && n->prev_size == size;
    if (sf_is_free(b))
        return next_says_free ? HB_FREE_DOUBLE : HB_FREE_INVALID;
    if (n->head & SF_PREV_FREE)
        return HB_FREE_INVALID;
    if (b->head & SF_PREV_FREE) {
        size_t before = (size_t)((const char *)b - (const char *)h->first);
        if (b->prev_size < SF_MIN_BLOCK || b->prev_size > before || (b->prev_size & 15))
            return HB_FREE_INVALID;
        const sf_block *p = sf_prev(b);
        if (!sf_is_free(p) || sf_size(p) != b->prev_size)
            return HB_FREE_INVALID;
    }
    return b->head & SF_CACHED ? HB_FREE_DOUBLE : HB_FREE_OK;
}

/* ---- across files ------------------------------------------------------------ */

/* heap.c: the contiguous region */
sf_heap *sf_heap_create(const hb_memsrc *src, size_t threshold, size_t grow, size_t trim);
void sf_heap_destroy(sf_heap *h);
sf_block *sf_grow(sf_heap *h, size_t size); /* carved, in use; NULL if the region cannot grow */
bool sf_grow_top(sf_heap *h, sf_block *last, size_t size);
void sf_trim(sf_heap *h, sf_block *last);

/* large.c: one mapping per block */
void *sf_large_alloc(sf_heap *h, size_t n, size_t align);
sf_map_entry *sf_large_find(sf_heap *h, const void *p);
int sf_large_free(sf_heap *h, void *p);
void sf_large_release_all(sf_heap *h);

/* check.c */
int sf_check(void *heap, char *msg, size_t msglen);

#endif /* SEGFIT_H */
