/*
 * segfit: segregated fit with boundary tags over a growing region, large
 * blocks mapped one by one.  This file is the method table; the size classes
 * are in segfit_internal.h, the region in heap.c, mapped blocks in large.c.
 */
#include <assert.h>
#include "segfit_internal.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_THRESHOLD ((size_t)128 << 10)
#define DEFAULT_GROW ((size_t)64 << 10)
#define DEFAULT_TRIM ((size_t)256 << 10)
#define SF_DYN_THRESHOLD_MAX ((size_t)32 << 20)

/* ---- the heap path ------------------------------------------------------- */

/*
 * Turns the free block b (in no list, size >= size) into an in-use block of
 * size bytes; a tail big enough to be a block becomes a free block again.
 */
static void use_block(sf_heap *h, sf_block *b, size_t size)
{
    size_t have = sf_size(b), prev_flag = b->head & SF_PREV_FREE;
    if (have - size >= SF_MIN_BLOCK) {
        size_t rest_size = have - size;
        sf_block *rest = sf_at(b, size);
        rest->head = rest_size | SF_FREE;
        /* b was free, so the block after it is flagged PREV_FREE already:
         * only the footer changes, a store, with no load of that block's
         * (likely cold) line. */
        sf_at(rest, rest_size)->prev_size = rest_size;
        sf_list_insert(h, rest);
        b->head = size | prev_flag;
        return;
    }
    b->head = have | prev_flag;
    sf_next(b)->head &= ~SF_PREV_FREE;
}

static void release(sf_heap *h, sf_block *b);

/* Parks a freed small block; false when its quick list is full or when
 * it has a free neighbour: a block that would merge merges at once, so
 * parking never keeps two free spaces apart.  A block next to the top is
 * parked (the top is not a free block): it comes back at once for the
 * next request of its size, and measured footprints were lower so. */
static bool quick_push(sf_heap *h, sf_block *b)
{
    size_t i = sf_size(b) >> 4;
    sf_block *n = sf_next(b);
    if (i >= SF_QUICK_SLOTS || h->quick_count[i] >= SF_QUICK_DEPTH ||
        (b->head & SF_PREV_FREE) || sf_is_free(n))
        return false;
    assert(!sf_is_free(b) && !(b->head & SF_CACHED) && h->quick[i] != b);
    b->head |= SF_CACHED;
    b->next_free = h->quick[i];
    h->quick[i] = b;
    h->quick_count[i]++;
    return true;
}

/* A parked block of exactly size bytes, back in use, or NULL. */
static sf_block *quick_pop(sf_heap *h, size_t size)
{
    size_t i = size >> 4;
    sf_block *b = i < SF_QUICK_SLOTS ? h->quick[i] : NULL;
    if (b) {
        assert((b->head & SF_CACHED) && sf_size(b) == size && h->quick_count[i] > 0);
        h->quick[i] = b->next_free;
        h->quick_count[i]--;
        b->head &= ~SF_CACHED;
    }
    return b;
}

/* Takes the parked block b out of its quick list (at most SF_QUICK_DEPTH
 * steps), leaving it in use. */
static void quick_unpark(sf_heap *h, sf_block *b)
{
    size_t i = sf_size(b) >> 4;
    sf_block **link = &h->quick[i];
    while (*link != b)
        link = &(*link)->next_free;
    *link = b->next_free;
    h->quick_count[i]--;
    b->head &= ~SF_CACHED;
}

/* Releases every parked block (merging it), before the heap grows. */
static bool quick_flush(sf_heap *h)
{
    bool any = false;
    for (size_t i = 0; i < SF_QUICK_SLOTS; i++) {
        while (h->quick[i]) {
            sf_block *b = h->quick[i];
            h->quick[i] = b->next_free;
            b->head &= ~SF_CACHED;
            release(h, b);
            any = true;
        }
        h->quick_count[i] = 0;
    }
    return any;
}

/*
 * The request's own class holds blocks from just below to just above it;
 * the rounded-up search skips them all and splits a larger block instead,
 * which is where a plain TLSF fragments.  The best fit among the first few
 * blocks of that class (a bounded scan: still O(1)), or NULL.
 */
static sf_block *own_class_fit(const sf_heap *h, size_t size)
{
    unsigned fl, sl;
    sf_mapping(size, &fl, &sl);
    sf_block *best = NULL, *b = h->lists[fl][sl];
    for (unsigned k = 0; b && k < SF_OWN_CLASS_SCAN; k++, b = b->next_free)
        if (sf_size(b) >= size && (!best || sf_size(b) < sf_size(best)))
            best = b;
    return best;
}

/* Whether the top, room bytes long, comes before a free block of class
 * (fl, sl) in the search order (so a top that would be filed no higher is
 * carved instead, and the block stays whole), as if the top were a free
 * block at the head of its list. */
static bool top_before(size_t room, unsigned fl, unsigned sl)
{
    unsigned tfl, tsl;
    sf_mapping(room, &tfl, &tsl);
    return tfl < fl || (tfl == fl && tsl <= sl);
}

/* An in-use block of at least size bytes, or NULL.  From a page up the
 * request's own class is tried first (where the splits of large blocks
 * fragment most), then the classes above it; the top takes its turn as if
 * it were a block of its class.  Smaller requests look in their own class
 * only before the region would grow, and then parked blocks are merged
 * back and everything is tried again. */
static sf_block *take_fit(sf_heap *h, size_t size)
{
    unsigned fl, sl;
    size_t room = sf_top_room(h);
    sf_block *b = size >= SF_OWN_CLASS_FIRST ? own_class_fit(h, size) : NULL;
    if (b && room >= size && room < sf_size(b))
        return sf_carve(h, size); /* the top is the closer fit */
    if (!b) {
        sf_mapping_search(size, &fl, &sl);
        b = sf_find(h, &fl, &sl);
        if (room >= size && (!b || top_before(room, fl, sl)))
            return sf_carve(h, size);
        if (b) { /* the common case: its class is known */
            sf_list_unlink(h, b, fl, sl);
            use_block(h, b, size);
            return b;
        }
        b = own_class_fit(h, size);
    }
    if (!b && quick_flush(h)) {
        sf_mapping_search(size, &fl, &sl);
        if (!(b = sf_find(h, &fl, &sl)))
            b = own_class_fit(h, size);
    }
    if (!b)
        return sf_grow(h, size);
    sf_list_remove(h, b);
    use_block(h, b, size);
    return b;
}

/* free's steps: merge with the previous block, merge with the next, then
 * join the top (which may give memory back) or mark the block free and
 * file it in its list. */
static void release(sf_heap *h, sf_block *b)
{
    size_t size = sf_size(b);
    if (b->head & SF_PREV_FREE) {
        b = sf_prev(b);
        sf_list_remove(h, b);
        size += sf_size(b);
    }
    sf_block *n = sf_at(b, size);
    if (sf_is_free(n)) {
        sf_list_remove(h, n);
        size += sf_size(n);
        n = sf_at(b, size);
    }
    if (n == h->sentinel) {
        sf_trim(h, b);
        return;
    }
    sf_set_free(b, size, 0);
    sf_list_insert(h, b);
}

static void *heap_malloc(sf_heap *h, size_t n)
{
    size_t size;
    if (!sf_block_size_for(n, &size))
        return NULL;
    sf_block *b = quick_pop(h, size);
    if (b)
        return sf_payload(b);
    if (!(b = take_fit(h, size)))
        return NULL;
    return sf_payload(b);
}

/* ---- the method table ----------------------------------------------------- */

static void *sf_malloc(void *heap, size_t n)
{
    sf_heap *h = heap;
    if (n >= h->mmap_threshold)
        return sf_large_alloc(h, n, HB_ALIGNMENT);
    return heap_malloc(h, n);
}

/*
 * A program that frees a mapped block will likely ask for one that size
 * again, and every new mapping costs a system call and a page fault per
 * page.  So, as glibc does, a freed mapping raises the threshold above its
 * size (up to SF_DYN_THRESHOLD_MAX), and the next such request is served
 * from the heap, where freed memory is reused.  An explicit mmap_threshold
 * option turns this off.
 */
static void adapt_threshold(sf_heap *h, size_t freed)
{
    if (h->dynamic_threshold && freed >= h->mmap_threshold && freed < SF_DYN_THRESHOLD_MAX) {
        h->mmap_threshold = freed + 1; /* requests of at least this are mapped */
        /* Blocks that size now come from the heap: trimming one off the
         * top would hand its pages back only to grow and fault them in
         * again for the next one. */
        if (h->dynamic_trim && h->trim_threshold < 2 * h->mmap_threshold)
            h->trim_threshold = 2 * h->mmap_threshold;
    }
}

static int free_mapped(sf_heap *h, void *p)
{
    sf_map_entry *e = sf_large_find(h, p);
    size_t usable = e ? e->len - (size_t)((char *)p - e->base) : 0;
    int status = sf_large_free(h, p);
    if (status == HB_FREE_OK)
        adapt_threshold(h, usable);
    return status;
}

static int sf_free(void *heap, void *p)
{
    sf_heap *h = heap;
    if (!p)
        return HB_FREE_OK;
    if (!sf_in_heap(h, p))
        return free_mapped(h, p);
    sf_block *b = sf_block_of(p);
    int status = sf_validate(h, b);
    if (status == HB_FREE_OK && !quick_push(h, b))
        release(h, b);
    return status;
}

/* Shrinks an in-use block in place; the cut-off tail merges with a free
 * next block, so no two free blocks end up adjacent. */
static void shrink(sf_heap *h, sf_block *b, size_t size)
{
    size_t have = sf_size(b);
    if (have - size < SF_MIN_BLOCK)
        return;
    b->head = size | (b->head & SF_PREV_FREE);
    sf_block *tail = sf_at(b, size);
    tail->head = have - size;
    release(h, tail);
}

/* Merges the free block after b into b (b stays in use). */
static void absorb_next(sf_heap *h, sf_block *b)
{
    sf_block *n = sf_next(b);
    sf_list_remove(h, n);
    b->head = (sf_size(b) + sf_size(n)) | (b->head & SF_PREV_FREE);
    sf_next(b)->head &= ~SF_PREV_FREE;
}

/*
 * Grows an in-use block in place: into a free or parked next block that is
 * large enough, or into the top when b is the last block, or the last but
 * a parked one (growing the region if need be).  On failure b is as it
 * was.
 */
static bool extend(sf_heap *h, sf_block *b, size_t size)
{
    size_t old = sf_size(b);
    sf_block *n = sf_next(b);
    if ((n->head & SF_CACHED) && (old + sf_size(n) >= size || sf_next(n) == h->sentinel)) {
        /* A small block parked between b and the top must not make a
         * growing buffer move (and hold old and new copies at once). */
        quick_unpark(h, n);
        b->head = (old + sf_size(n)) | (b->head & SF_PREV_FREE);
        if (sf_size(b) < size && !sf_grow_top(h, b, size)) {
            shrink(h, b, old); /* n's bytes join the top */
            return false;
        }
        shrink(h, b, size);
        return true;
    }
    if (sf_is_free(n) && old + sf_size(n) >= size) {
        absorb_next(h, b);
        shrink(h, b, size);
        return true;
    }
    return n == h->sentinel && sf_grow_top(h, b, size);
}

/* The old block goes back without adapt_threshold: a block that moves to
 * grow was not given up for one of its size (glibc's realloc leaves the
 * threshold alone too).  Raising the threshold for every step of a
 * doubling buffer would pull the next, larger steps into the heap, where
 * each leaves a hole of the size before. */
static void *move_block(sf_heap *h, void *p, size_t old_usable, size_t n)
{
    void *q = sf_malloc(h, n);
    if (!q)
        return NULL;
    memcpy(q, p, old_usable < n ? old_usable : n);
    if (sf_in_heap(h, p))
        sf_free(h, p);
    else
        sf_large_free(h, p);
    return q;
}

static void *realloc_heap(sf_heap *h, void *p, size_t n)
{
    sf_block *b = sf_block_of(p);
    size_t size;
    if (sf_validate(h, b) != HB_FREE_OK || !sf_block_size_for(n, &size))
        return NULL;
    if (size <= sf_size(b)) {
        shrink(h, b, size);
        return p;
    }
    if (extend(h, b, size))
        return p;
    return move_block(h, p, sf_size(b) - 8, n);
}

/* A mapped block stays put while the new size fits and still uses more than
 * half of the mapping; otherwise it moves (possibly back into the heap). */
static void *realloc_mapped(sf_heap *h, void *p, size_t n)
{
    sf_map_entry *e = sf_large_find(h, p);
    if (!e)
        return NULL;
    size_t usable = e->len - (size_t)((char *)p - e->base);
    if (n <= usable && n > usable / 2 && n >= h->mmap_threshold)
        return p;
    return move_block(h, p, usable, n);
}

static void *sf_realloc(void *heap, void *p, size_t n)
{
    sf_heap *h = heap;
    if (!p)
        return sf_malloc(h, n);
    if (n == 0) {
        sf_free(h, p);
        return NULL;
    }
    return sf_in_heap(h, p) ? realloc_heap(h, p, n) : realloc_mapped(h, p, n);
}

static void *sf_calloc(void *heap, size_t nmemb, size_t size)
{
    sf_heap *h = heap;
    size_t n;
    if (__builtin_mul_overflow(nmemb, size, &n))
        return NULL;
    void *p = sf_malloc(h, n);
    /* A fresh mapping is zero-filled by the memory source's contract. */
    if (p && n < h->mmap_threshold)
        memset(p, 0, n);
    return p;
}

/*
 * Over-allocates by align + SF_MIN_BLOCK, then frees the bytes below the
 * first aligned payload as a block of their own (so that gap is either 0 or
 * at least a minimum block) and the tail as a shrink does.
 */
static void *sf_aligned_alloc(void *heap, size_t align, size_t n)
{
    sf_heap *h = heap;
    if (!hb_is_pow2(align) || align < sizeof(void *))
        return NULL;
    if (align <= HB_ALIGNMENT)
        return sf_malloc(h, n);
    if (n >= h->mmap_threshold || align >= h->mmap_threshold)
        return sf_large_alloc(h, n ? n : 1, align);
    size_t size;
    if (!sf_block_size_for(n, &size))
        return NULL;
    sf_block *b = take_fit(h, size + align + SF_MIN_BLOCK);
    if (!b)
        return NULL;
    uintptr_t pay = (uintptr_t)sf_payload(b);
    size_t gap = (size_t)((((pay + align - 1) & ~(uintptr_t)(align - 1))) - pay);
    if (gap && gap < SF_MIN_BLOCK)
        gap += align;
    if (gap) {
        /* b's previous block is in use (it came from a list or the top) */
        sf_block *a = sf_at(b, gap);
        a->head = sf_size(b) - gap;
        sf_set_free(b, gap, 0);
        sf_list_insert(h, b);
        b = a;
    }
    shrink(h, b, size);
    return sf_payload(b);
}

static size_t sf_usable_size(void *heap, void *p)
{
    sf_heap *h = heap;
    if (!p)
        return 0;
    if (sf_in_heap(h, p)) {
        sf_block *b = sf_block_of(p);
        return sf_validate(h, b) == HB_FREE_OK ? sf_size(b) - 8 : 0;
    }
    sf_map_entry *e = sf_large_find(h, p);
    return e ? e->len - (size_t)((char *)p - e->base) : 0;
}

/* ---- lifetime --------------------------------------------------------------- */

static void *sf_create(const hb_memsrc *src, const char *options)
{
    size_t threshold = DEFAULT_THRESHOLD, grow = DEFAULT_GROW, trim = DEFAULT_TRIM;
    char key[32], val[32];
    bool dynamic = true, dynamic_trim = true;
    for (const char *s = options; (s = hb_opt_next(s, key, sizeof key, val, sizeof val));) {
        dynamic = dynamic && strcmp(key, "mmap_threshold") != 0;
        dynamic_trim = dynamic_trim && strcmp(key, "trim") != 0;
        size_t *slot = !strcmp(key, "mmap_threshold") ? &threshold
                       : !strcmp(key, "grow")         ? &grow
                       : !strcmp(key, "trim")         ? &trim
                                                      : NULL;
        if (!slot || !hb_opt_bytes(val, SF_MAX_BLOCK, slot))
            return NULL;
    }
    if (!src || !src->grow || !src->map || !src->unmap || !hb_is_pow2(src->page_size))
        return NULL;
    sf_heap *h = sf_heap_create(src, threshold, grow, trim);
    if (h) {
        h->dynamic_threshold = dynamic;
        h->dynamic_trim = dynamic_trim;
    }
    return h;
}

static void sf_destroy(void *heap)
{
    if (heap)
        sf_heap_destroy(heap);
}

static const hb_allocator segfit_table = {
    .struct_size = sizeof(hb_allocator),
    .abi_version = HB_ALLOCATOR_ABI,
    .name = "segfit",
    .description = "two-level segregated fit, boundary tags, large blocks mapped",
    .create = sf_create,
    .destroy = sf_destroy,
    .malloc = sf_malloc,
    .free = sf_free,
    .realloc = sf_realloc,
    .calloc = sf_calloc,
    .aligned_alloc = sf_aligned_alloc,
    .usable_size = sf_usable_size,
    .check = sf_check,
};

HB_EXPORT const hb_allocator *heapbench_allocator(void) { return &segfit_table; }
