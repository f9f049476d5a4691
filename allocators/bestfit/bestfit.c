/*
 * bestfit: the logarithmic allocator.
 *
 * The heap is the same run of boundary-tagged blocks below the watermark as
 * firstfit's (boundary_tag.h), but the free blocks are kept in a red-black
 * tree keyed by (size, address) (rbtree.c) instead of a list.  malloc
 * descends the tree to the smallest block that fits -- the lowest-addressed
 * one among equal sizes -- removes it, splits it and re-inserts the rest;
 * free merges with free neighbours found through the boundary tags, taking
 * them out of the tree, and inserts the merged block.  Every operation costs
 * O(log N) in the number N of free blocks.
 */
#include <string.h>

#include <heapbench/alloc_util.h>

#include "bestfit.h"

/* ---- blocks ------------------------------------------------------------ */

/* Writes b's size and state; what b knows of its lower neighbour stays. */
static void block_set(bf_heap *h, bt_block *b, size_t size, bool used)
{
    uint64_t flags = (bt_flags(b) & BT_PREV_FREE) | (used ? BT_USED : 0);
    bt_write(h->salt, b, size, bt_prev_size(b), flags);
}

/* Cuts b after `size` bytes into two blocks in the given states and
 * returns the upper one (never in the tree yet). */
static bt_block *block_split(bf_heap *h, bt_block *b, size_t size, bool used, bool rest_used)
{
    size_t rest = bt_size(b) - size;
    bt_block *r = (bt_block *)((char *)b + size);
    block_set(h, b, size, used);
    bt_write(h->salt, r, rest, size, (rest_used ? BT_USED : 0) | (used ? 0 : BT_PREV_FREE));
    bt_link_next(h->salt, r);
    return r;
}

static bool block_is_free(const bt_block *b) { return !bt_is_used(b); }

/* Block size for a request, or 0 when no heap could hold it.  The bound is
 * tested before any addition, so SIZE_MAX and its neighbours cannot wrap. */
static size_t block_size_for(size_t request)
{
    if (request > BT_HEAP_MAX - 2 * BT_HEADER)
        return 0;
    size_t size = (request + BT_HEADER + 15) & ~(size_t)15;
    return size < BF_MIN_BLOCK ? BF_MIN_BLOCK : size;
}

static void index_add(bf_heap *h, bt_block *b) { bf_tree_insert(&h->tree, bf_node_of(b)); }

static void index_drop(bf_heap *h, bt_block *b) { bf_tree_remove(&h->tree, bf_node_of(b)); }

/* ---- the watermark ----------------------------------------------------- */

/* Moves the break up by about `want` bytes (a whole number of grow units
 * when the source allows, else exactly want) and reports the amount.  The
 * heap must stay contiguous: a source whose break moved under us is refused
 * and given its bytes back. */
static bool watermark_raise(bf_heap *h, size_t want, size_t *got)
{
    char *brk = (char *)h->epilogue + BT_HEADER;
    size_t room = BT_HEAP_MAX - (size_t)(brk - h->origin);
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
 * otherwise the old epilogue heads the new block.  Returns that block, in
 * the tree, or NULL when the source refuses. */
static bt_block *heap_extend(bf_heap *h, size_t need)
{
    bt_block *top = bt_prev_is_free(h->epilogue) ? bt_prev(h->epilogue) : NULL;
    size_t have = top ? bt_size(top) : 0, got;
    if (!watermark_raise(h, need - have, &got))
        return NULL;
    bt_block *b = top ? top : h->epilogue;
    bt_write(h->salt, b, have + got, bt_prev_size(b), bt_flags(b) & BT_PREV_FREE);
    h->epilogue = bt_next(b);
    bt_write(h->salt, h->epilogue, 0, have + got, BT_USED | BT_PREV_FREE);
    if (top)
        bf_tree_rekey(&h->tree, bf_node_of(top), bf_node_of(top), 1);
    else
        index_add(h, b);
    return b;
}

/* A free top block of at least `trim` bytes leaves the tree and goes back
 * to the source: its header becomes the new epilogue. */
static void heap_trim(bf_heap *h, bt_block *top)
{
    if (!h->trim || bt_next(top) != h->epilogue || bt_size(top) < h->trim)
        return;
    index_drop(h, top);
    if (!h->src.grow(h->src.ctx, -(intptr_t)bt_size(top))) {
        index_add(h, top);
        return;
    }
    block_set(h, top, 0, true);
    h->epilogue = top;
}

/* ---- the operations ---------------------------------------------------- */

/* Hands out the free block b (in the tree) cut down to `need` bytes; a
 * remainder that can stand alone inherits b's tree node, with a smaller
 * key. */
static void take(bf_heap *h, bt_block *b, size_t need)
{
    if (bt_size(b) - need >= BF_MIN_BLOCK) {
        bt_block *rest = block_split(h, b, need, true, false);
        bf_tree_rekey(&h->tree, bf_node_of(b), bf_node_of(rest), 0);
    } else {
        index_drop(h, b);
        block_set(h, b, bt_size(b), true);
        bt_link_next(h->salt, b);
    }
}

/* Frees the in-use block b and merges it with its free neighbours: a merged
 * block inherits a neighbour's tree node, with a larger key; a block with
 * no free neighbour is inserted.  b is marked free first, so even once
 * merged away its header says "free" and a stale pointer to it reads as a
 * double free. */
static void release(bf_heap *h, bt_block *b)
{
    size_t size = bt_size(b);
    block_set(h, b, size, false);
    bt_block *next = bt_next(b), *heir = NULL; /* the block whose node b takes */
    if (block_is_free(next)) {
        size += bt_size(next);
        heir = next;
    }
    if (bt_prev_is_free(b)) {
        if (heir)
            index_drop(h, heir);
        b = heir = bt_prev(b);
        size += bt_size(b);
    }
    if (size != bt_size(b))
        block_set(h, b, size, false);
    bt_link_next(h->salt, b);
    if (heir)
        bf_tree_rekey(&h->tree, bf_node_of(heir), bf_node_of(b), 1);
    else
        index_add(h, b);
    heap_trim(h, b);
}

/* Cuts an in-use block down to `need` bytes, freeing the tail if it can
 * stand alone. */
static void shrink_to(bf_heap *h, bt_block *b, size_t need)
{
    if (bt_size(b) - need >= BF_MIN_BLOCK)
        release(h, block_split(h, b, need, true, true));
}

/* Makes the in-use block b at least `need` bytes without moving it, using
 * a free upper neighbour and, at the top of the heap, the watermark. */
static bool grow_in_place(bf_heap *h, bt_block *b, size_t need)
{
    bt_block *next = bt_next(b);
    size_t room = bt_size(b) + (block_is_free(next) ? bt_size(next) : 0);
    bool at_top = next == h->epilogue || (block_is_free(next) && bt_next(next) == h->epilogue);
    if (room < need && (!at_top || !(next = heap_extend(h, need - bt_size(b)))))
        return false;
    index_drop(h, next);
    block_set(h, b, bt_size(b) + bt_size(next), true);
    bt_link_next(h->salt, b);
    return true;
}

static int lookup(bf_heap *h, void *p, bt_block **b)
{
    return bt_lookup(h->salt, h->first, h->epilogue, BF_MIN_BLOCK, p, b);
}

static void *bf_malloc(void *heap, size_t size)
{
    bf_heap *h = heap;
    size_t need = block_size_for(size);
    if (!need)
        return NULL;
    bf_node *n = bf_tree_best_fit(&h->tree, need);
    bt_block *b = n ? bt_of_payload(n) : heap_extend(h, need);
    if (!b)
        return NULL;
    take(h, b, need);
    return bt_payload(b);
}

static int bf_free(void *heap, void *p)
{
    bt_block *b;
    if (!p)
        return HB_FREE_OK;
    int status = lookup(heap, p, &b);
    if (status == HB_FREE_OK)
        release(heap, b);
    return status;
}

static void *bf_realloc(void *heap, void *p, size_t size)
{
    bf_heap *h = heap;
    bt_block *b;
    if (!p)
        return bf_malloc(h, size);
    if (lookup(h, p, &b) != HB_FREE_OK)
        return NULL;
    if (size == 0) {
        release(h, b);
        return NULL;
    }
    size_t need = block_size_for(size);
    if (!need)
        return NULL;
    if (bt_size(b) >= need || grow_in_place(h, b, need)) {
        shrink_to(h, b, need);
        return p;
    }
    void *q = bf_malloc(h, size);
    if (q) {
        memcpy(q, p, bt_size(b) - BT_HEADER);
        release(h, b);
    }
    return q;
}

static void *bf_calloc(void *heap, size_t nmemb, size_t size)
{
    if (nmemb && size > SIZE_MAX / nmemb)
        return NULL;
    void *p = bf_malloc(heap, nmemb * size);
    if (p)
        memset(p, 0, nmemb * size);
    return p;
}

/* Over-allocates, then frees the misaligned front (at least a minimum block
 * so it can stand alone) and the unneeded tail. */
static void *bf_aligned_alloc(void *heap, size_t align, size_t size)
{
    bf_heap *h = heap;
    if (!hb_is_pow2(align) || align < sizeof(void *))
        return NULL;
    if (align <= HB_ALIGNMENT)
        return bf_malloc(h, size);
    size_t need = block_size_for(size);
    if (!need || align > BT_HEAP_MAX)
        return NULL;
    char *p = bf_malloc(h, need + align + BF_MIN_BLOCK - 2 * BT_HEADER);
    if (!p)
        return NULL;
    bt_block *b = bt_of_payload(p);
    if ((uintptr_t)p & (align - 1)) {
        uintptr_t a = ((uintptr_t)p + BF_MIN_BLOCK + align - 1) & ~(uintptr_t)(align - 1);
        bt_block *front = b;
        b = block_split(h, front, a - (uintptr_t)p, true, true);
        release(h, front);
    }
    shrink_to(h, b, need);
    return bt_payload(b);
}

static size_t bf_usable_size(void *heap, void *p)
{
    bt_block *b;
    return lookup(heap, p, &b) == HB_FREE_OK ? bt_size(b) - BT_HEADER : 0;
}

/* ---- lifetime ---------------------------------------------------------- */

/* A byte count: decimal, with an optional k, m or g (powers of 1024). */
static bool parse_bytes(const char *s, size_t *out)
{
    size_t v = 0;
    if (!*s)
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (SIZE_MAX - 9) / 10)
            return false;
        v = v * 10 + (size_t)(*s - '0');
    }
    unsigned shift = *s == 'k' ? 10 : *s == 'm' ? 20 : *s == 'g' ? 30 : 0;
    if (shift)
        s++;
    if (*s || v > (BT_HEAP_MAX >> shift))
        return false;
    *out = v << shift;
    return true;
}

static bool parse_options(bf_heap *cfg, const char *options)
{
    char key[16], val[32];
    for (const char *s = options; (s = hb_opt_next(s, key, sizeof key, val, sizeof val));) {
        if (!strcmp(key, "grow")) {
            if (!parse_bytes(val, &cfg->grow_unit) || !hb_is_pow2(cfg->grow_unit) ||
                cfg->grow_unit < 16 || cfg->grow_unit > ((size_t)1 << 30))
                return false;
        } else if (!strcmp(key, "trim")) {
            if (!parse_bytes(val, &cfg->trim))
                return false;
        } else {
            return false;
        }
    }
    return true;
}

/* The instance lives at the bottom of its own heap, followed by the
 * epilogue of an empty block run: the first malloc moves the watermark. */
static void *bf_create(const hb_memsrc *src, const char *options)
{
    bf_heap cfg = { .grow_unit = src && src->page_size ? src->page_size : 4096,
                    .trim = (size_t)128 << 10 };
    if (!src || !src->grow || !hb_is_pow2(cfg.grow_unit) || !parse_options(&cfg, options))
        return NULL;
    char *cur = src->grow(src->ctx, 0);
    if (!cur)
        return NULL;
    size_t pad = (size_t)(-(uintptr_t)cur & 15);
    size_t self = (sizeof(bf_heap) + 15) & ~(size_t)15;
    char *old = src->grow(src->ctx, (intptr_t)(pad + self + BT_HEADER));
    if (old != cur) {
        if (old)
            src->grow(src->ctx, -(intptr_t)(pad + self + BT_HEADER));
        return NULL;
    }
    bf_heap *h = (bf_heap *)(cur + pad);
    *h = cfg;
    h->src = *src;
    h->origin = cur;
    h->salt = bt_mix((uint64_t)(uintptr_t)h ^ UINT64_C(0x6265737466697421));
    h->first = h->epilogue = (bt_block *)((char *)h + self);
    bt_write(h->salt, h->epilogue, 0, 0, BT_USED);
    bf_tree_init(&h->tree);
    return h;
}

static void bf_destroy(void *heap)
{
    bf_heap *h = heap;
    hb_memsrc src = h->src;
    char *brk = (char *)h->epilogue + BT_HEADER;
    src.grow(src.ctx, -(intptr_t)(brk - h->origin));
}

static const hb_allocator bestfit = {
    .struct_size = sizeof(hb_allocator),
    .abi_version = HB_ALLOCATOR_ABI,
    .name = "bestfit",
    .description = "watermark heap: boundary tags, red-black tree of free blocks, best fit",
    .create = bf_create,
    .destroy = bf_destroy,
    .malloc = bf_malloc,
    .free = bf_free,
    .realloc = bf_realloc,
    .calloc = bf_calloc,
    .aligned_alloc = bf_aligned_alloc,
    .usable_size = bf_usable_size,
    .check = bf_check,
};

HB_EXPORT const hb_allocator *heapbench_allocator(void) { return &bestfit; }
