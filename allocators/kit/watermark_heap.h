/*
 * The watermark heap: what firstfit and bestfit share above the block layer
 * of boundary_tag.h.
 *
 * All memory is one run of boundary-tagged blocks below the watermark, the
 * break of the memory source.  malloc asks the free-block index for a block
 * that fits, raising the watermark when none does, and cuts it down; free
 * merges the block with its free neighbours and trims a large free top block
 * back to the source; realloc grows in place into a free upper neighbour or
 * past the watermark before it moves.  None of this depends on how the free
 * blocks are found, so it is written once here.  The two allocators differ
 * only in the index, which each supplies as a wm_index: an address-ordered
 * list searched first fit, or a tree searched best fit.
 *
 * An allocator's heap struct starts with a wm_heap, so the methods below
 * take the instance pointer as it is and the allocator's table points at
 * them directly.  Every function is static inline: each allocator is its own
 * .so, built only from its own folder.
 */
#ifndef HB_WATERMARK_HEAP_H
#define HB_WATERMARK_HEAP_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kit/alloc_util.h"
#include <heapbench/allocator.h>
#include "kit/boundary_tag.h"

typedef struct wm_heap wm_heap;

/*
 * What an allocator adds to the watermark heap: its free-block index.
 * Every free block below the watermark is in the index, and no other
 * block.  A free block holds the index's node in its payload, which sets
 * the smallest block there can be.
 */
typedef struct wm_index {
    const char *name;   /* the allocator's, for check() messages         */
    size_t min_block;   /* header + the index's node                     */
    uint64_t seal_key;  /* mixed into the salt: the allocator's own seals */
    /* Sets up an empty index in the heap just created. */
    void (*init)(wm_heap *h);
    /* The allocator's own create() option, or NULL if it has none: answers
     * false for a key it does not know or a bad value. */
    bool (*option)(wm_heap *cfg, const char *key, const char *val);
    /* A free block of at least `need` bytes, or NULL; it stays indexed. */
    bt_block *(*fit)(wm_heap *h, size_t need);
    void (*add)(wm_heap *h, bt_block *b);
    void (*drop)(wm_heap *h, bt_block *b);
    /* The indexed block `old` changed: b (old itself, or the block that
     * took its place when a merge or split moved its start) is now free
     * in its stead, larger than before when grew, smaller otherwise.  No
     * other free block lies between old and b, so address order holds. */
    void (*move)(wm_heap *h, bt_block *old, bt_block *b, bool grew);
} wm_index;

struct wm_heap {
    hb_memsrc src;
    const wm_index *index;
    char *origin;       /* break before create: destroy returns down to here */
    uint64_t salt;      /* keys the header seals                              */
    bt_block *first;    /* lowest block header                                */
    bt_block *epilogue; /* size-0 in-use header right below the watermark     */
    size_t grow_unit;   /* the watermark moves up in multiples of this        */
    size_t trim;        /* give a free top block this large back (0: never)   */
};

/* ---- blocks ------------------------------------------------------------ */

/* Writes b's size and state; what b knows of its lower neighbour stays. */
static inline void wm_block_set(wm_heap *h, bt_block *b, size_t size, bool used)
{
    uint64_t flags = (bt_flags(b) & BT_PREV_FREE) | (used ? BT_USED : 0);
    bt_write(h->salt, b, size, bt_prev_size(b), flags);
}

/* Cuts b after `size` bytes into two blocks in the given states and
 * returns the upper one (not indexed yet). */
static inline bt_block *wm_block_split(wm_heap *h, bt_block *b, size_t size, bool used,
                                       bool rest_used)
{
    /* both pieces whole blocks: 16-byte multiples, the rest at least a header */
    assert(size % 16 == 0 && size + BT_HEADER <= bt_size(b));
    size_t rest = bt_size(b) - size;
    bt_block *r = (bt_block *)((char *)b + size);
    wm_block_set(h, b, size, used);
    bt_write(h->salt, r, rest, size, (rest_used ? BT_USED : 0) | (used ? 0 : BT_PREV_FREE));
    bt_link_next(h->salt, r);
    return r;
}

static inline bool wm_block_is_free(const bt_block *b) { return !bt_is_used(b); }

/* Block size for a request, or 0 when no heap could hold it.  The bound is
 * tested before any addition, so SIZE_MAX and its neighbours cannot wrap. */
static inline size_t wm_block_size_for(const wm_heap *h, size_t request)
{
    if (request > BT_HEAP_MAX - 2 * BT_HEADER)
        return 0;
    size_t size = (request + BT_HEADER + 15) & ~(size_t)15;
    return size < h->index->min_block ? h->index->min_block : size;
}

/* ---- the watermark ----------------------------------------------------- */

/* Moves the break up by about `want` bytes (a whole number of grow units
 * when the source allows, else exactly want) and reports the amount.  The
 * heap must stay contiguous: a source whose break moved under us is refused
 * and given its bytes back.  The first test keeps the rounding below from
 * wrapping. */
static inline bool wm_raise(wm_heap *h, size_t want, size_t *got)
{
    char *brk = (char *)h->epilogue + BT_HEADER;
    size_t room = BT_HEAP_MAX - (size_t)(brk - h->origin);
    if (want > room)
        return false;
    size_t tries[2] = { (want + h->grow_unit - 1) & ~(h->grow_unit - 1), want };
    for (int i = 0; i < 2; i++) {
        if (tries[i] > room)
            continue;
        void *old = h->src.grow(h->src.ctx, (intptr_t)tries[i]);
        if (old == brk) {
            *got = tries[i];
            return true;
        }
        if (old)
            h->src.grow(h->src.ctx, -(intptr_t)tries[i]);
    }
    return false;
}

/* Moves the watermark up so that a free top block of at least `need` bytes
 * ends at it; a free top block grows rather than being left behind, and
 * otherwise the old epilogue heads the new block.  Returns that block,
 * indexed, or NULL when the source refuses. */
static inline bt_block *wm_extend(wm_heap *h, size_t need)
{
    bt_block *top = bt_prev_is_free(h->epilogue) ? bt_prev(h->epilogue) : NULL;
    size_t have = top ? bt_size(top) : 0, got;
    if (!wm_raise(h, need - have, &got))
        return NULL;
    bt_block *b = top ? top : h->epilogue;
    bt_write(h->salt, b, have + got, bt_prev_size(b), bt_flags(b) & BT_PREV_FREE);
    h->epilogue = bt_next(b);
    bt_write(h->salt, h->epilogue, 0, have + got, BT_USED | BT_PREV_FREE);
    if (top)
        h->index->move(h, top, top, true);
    else
        h->index->add(h, b); /* its upper neighbour is the epilogue */
    return b;
}

/* A free top block of at least `trim` bytes leaves the index and goes back
 * to the source: its header becomes the new epilogue. */
static inline void wm_trim(wm_heap *h, bt_block *top)
{
    if (!h->trim || bt_next(top) != h->epilogue || bt_size(top) < h->trim)
        return;
    h->index->drop(h, top);
    if (!h->src.grow(h->src.ctx, -(intptr_t)bt_size(top))) {
        h->index->add(h, top);
        return;
    }
    wm_block_set(h, top, 0, true);
    h->epilogue = top;
}

/* ---- the steps of the operations --------------------------------------- */

/* Hands out the indexed free block b cut down to `need` bytes; a remainder
 * that can stand alone takes b's place in the index. */
static inline void wm_take(wm_heap *h, bt_block *b, size_t need)
{
    if (bt_size(b) - need >= h->index->min_block) {
        bt_block *rest = wm_block_split(h, b, need, true, false);
        h->index->move(h, b, rest, false);
    } else {
        h->index->drop(h, b);
        wm_block_set(h, b, bt_size(b), true);
        bt_link_next(h->salt, b);
    }
}

/* Frees the in-use block b and merges it with its free neighbours: the
 * merged block takes the index place of the neighbour it absorbed (its
 * heir), and only a block with no free neighbour is added, so no search is
 * needed unless both neighbours are in use.  b is marked free first, so
 * even once merged away its header says "free" and a stale pointer to it
 * reads as a double free. */
static inline void wm_release(wm_heap *h, bt_block *b)
{
    assert(bt_is_used(b) && b != h->epilogue);
    size_t size = bt_size(b);
    wm_block_set(h, b, size, false);
    bt_block *next = bt_next(b), *heir = NULL;
    if (wm_block_is_free(next)) {
        size += bt_size(next);
        heir = next;
    }
    if (bt_prev_is_free(b)) {
        /* a free lower neighbour's own header agrees on where b starts */
        assert(!bt_is_used(bt_prev(b)) && bt_next(bt_prev(b)) == b);
        if (heir)
            h->index->drop(h, heir);
        b = heir = bt_prev(b);
        size += bt_size(b);
    }
    if (size != bt_size(b))
        wm_block_set(h, b, size, false);
    bt_link_next(h->salt, b);
    if (heir)
        h->index->move(h, heir, b, true);
    else
        h->index->add(h, b);
    wm_trim(h, b);
}

/* Cuts an in-use block down to `need` bytes, freeing the tail if it can
 * stand alone. */
static inline void wm_shrink_to(wm_heap *h, bt_block *b, size_t need)
{
    if (bt_size(b) - need >= h->index->min_block)
        wm_release(h, wm_block_split(h, b, need, true, true));
}

/* Makes the in-use block b at least `need` bytes without moving it, using
 * a free upper neighbour and, at the top of the heap, the watermark. */
static inline bool wm_grow_in_place(wm_heap *h, bt_block *b, size_t need)
{
    bt_block *next = bt_next(b);
    size_t room = bt_size(b) + (wm_block_is_free(next) ? bt_size(next) : 0);
    bool at_top =
        next == h->epilogue || (wm_block_is_free(next) && bt_next(next) == h->epilogue);
    if (room < need && (!at_top || !(next = wm_extend(h, need - bt_size(b)))))
        return false;
    h->index->drop(h, next);
    wm_block_set(h, b, bt_size(b) + bt_size(next), true);
    bt_link_next(h->salt, b);
    return true;
}

static inline int wm_lookup(wm_heap *h, void *p, bt_block **b)
{
    return bt_lookup(h->salt, h->first, h->epilogue, h->index->min_block, p, b);
}

/* ---- the methods of hb_allocator --------------------------------------- */

static inline void *wm_malloc(void *heap, size_t size)
{
    wm_heap *h = heap;
    size_t need = wm_block_size_for(h, size);
    if (!need)
        return NULL;
    bt_block *b = h->index->fit(h, need);
    if (!b && !(b = wm_extend(h, need)))
        return NULL;
    wm_take(h, b, need);
    return bt_payload(b);
}

static inline int wm_free(void *heap, void *p)
{
    bt_block *b;
    if (!p)
        return HB_FREE_OK;
    int status = wm_lookup(heap, p, &b);
    if (status == HB_FREE_OK)
        wm_release(heap, b);
    return status;
}

static inline void *wm_realloc(void *heap, void *p, size_t size)
{
    wm_heap *h = heap;
    bt_block *b;
    if (!p)
        return wm_malloc(h, size);
    if (wm_lookup(h, p, &b) != HB_FREE_OK)
        return NULL;
    if (size == 0) {
        wm_release(h, b);
        return NULL;
    }
    size_t need = wm_block_size_for(h, size);
    if (!need)
        return NULL;
    if (bt_size(b) >= need || wm_grow_in_place(h, b, need)) {
        wm_shrink_to(h, b, need);
        return p;
    }
    void *q = wm_malloc(h, size);
    if (q) {
        memcpy(q, p, bt_size(b) - BT_HEADER);
        wm_release(h, b);
    }
    return q;
}

static inline void *wm_calloc(void *heap, size_t nmemb, size_t size)
{
    if (nmemb && size > SIZE_MAX / nmemb)
        return NULL;
    void *p = wm_malloc(heap, nmemb * size);
    if (p)
        memset(p, 0, nmemb * size);
    return p;
}

/* Over-allocates, then frees the misaligned front (at least a minimum block
 * so it can stand alone) and the unneeded tail. */
static inline void *wm_aligned_alloc(void *heap, size_t align, size_t size)
{
    wm_heap *h = heap;
    if (!hb_is_pow2(align) || align < sizeof(void *))
        return NULL;
    if (align <= HB_ALIGNMENT)
        return wm_malloc(h, size);
    size_t need = wm_block_size_for(h, size), min = h->index->min_block;
    if (!need || align > BT_HEAP_MAX)
        return NULL;
    char *p = wm_malloc(h, need + align + min - 2 * BT_HEADER);
    if (!p)
        return NULL;
    bt_block *b = bt_of_payload(p);
    if ((uintptr_t)p & (align - 1)) {
        uintptr_t a = ((uintptr_t)p + min + align - 1) & ~(uintptr_t)(align - 1);
        bt_block *front = b;
        b = wm_block_split(h, front, a - (uintptr_t)p, true, true);
        wm_release(h, front);
    }
    wm_shrink_to(h, b, need);
    return bt_payload(b);
}

static inline size_t wm_usable_size(void *heap, void *p)
{
    bt_block *b;
    return wm_lookup(heap, p, &b) == HB_FREE_OK ? bt_size(b) - BT_HEADER : 0;
}

/* ---- lifetime ---------------------------------------------------------- */

/* grow=BYTES (a power of two from 16 to 1 GiB) or trim=BYTES, else the
 * index's own option. */
static inline bool wm_option(wm_heap *cfg, const char *key, const char *val)
{
    if (!strcmp(key, "grow"))
        return hb_opt_bytes(val, BT_HEAP_MAX, &cfg->grow_unit) && hb_is_pow2(cfg->grow_unit) &&
               cfg->grow_unit >= 16 && cfg->grow_unit <= ((size_t)1 << 30);
    if (!strcmp(key, "trim"))
        return hb_opt_bytes(val, BT_HEAP_MAX, &cfg->trim);
    return cfg->index->option && cfg->index->option(cfg, key, val);
}

/* The defaults (grow by pages, trim a free top of 128 KiB), then the
 * options.  False for a source that cannot serve a watermark heap, an
 * unknown key or a bad value. */
static inline bool wm_configure(wm_heap *cfg, const hb_memsrc *src, const char *options)
{
    cfg->grow_unit = src && src->page_size ? src->page_size : 4096;
    cfg->trim = (size_t)128 << 10;
    if (!src || !src->grow || !hb_is_pow2(cfg->grow_unit))
        return false;
    char key[16], val[32];
    for (const char *s = options; (s = hb_opt_next(s, key, sizeof key, val, sizeof val));)
        if (!wm_option(cfg, key, val))
            return false;
    return true;
}

/*
 * The instance lives at the bottom of its own heap, followed by the
 * epilogue of an empty block run: the first malloc moves the watermark.
 * cfg is the allocator's whole heap struct, `size` bytes with a wm_heap
 * first, holding the allocator's own defaults; options are applied to it
 * before it is copied in, and the index is set up in place.  Returns NULL,
 * with nothing taken from the source, for bad options or when the source
 * refuses.
 */
static inline void *wm_create(const hb_memsrc *src, const char *options, const wm_index *index,
                              void *cfg, size_t size)
{
    wm_heap *c = cfg;
    c->index = index;
    if (!wm_configure(c, src, options))
        return NULL;
    char *cur = src->grow(src->ctx, 0);
    if (!cur)
        return NULL;
    size_t pad = (size_t)(-(uintptr_t)cur & 15);
    size_t self = (size + 15) & ~(size_t)15;
    char *old = src->grow(src->ctx, (intptr_t)(pad + self + BT_HEADER));
    if (old != cur) {
        if (old)
            src->grow(src->ctx, -(intptr_t)(pad + self + BT_HEADER));
        return NULL;
    }
    wm_heap *h = (wm_heap *)(cur + pad);
    memcpy(h, cfg, size);
    h->src = *src;
    h->origin = cur;
    h->salt = bt_mix((uint64_t)(uintptr_t)h ^ index->seal_key);
    h->first = h->epilogue = (bt_block *)((char *)h + self);
    bt_write(h->salt, h->epilogue, 0, 0, BT_USED);
    index->init(h);
    return h;
}

static inline void wm_destroy(void *heap)
{
    wm_heap *h = heap;
    hb_memsrc src = h->src;
    char *brk = (char *)h->epilogue + BT_HEADER;
    src.grow(src.ctx, -(intptr_t)(brk - h->origin));
}

#endif /* HB_WATERMARK_HEAP_H */
