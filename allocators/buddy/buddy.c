/*
 * buddy: a binary buddy system (Knowlton 1965; Knuth, TAOCP vol. 1, 2.5).
 *
 * Sizes round up to a power of two no smaller than the minimum block.  A
 * request takes the smallest free block that fits and splits it in halves
 * until it is the right order; a freed block merges with its buddy while
 * the buddy is free and whole.  The buddy system proper lives in arena.c,
 * the invariant walk in check.c; blocks above the top-level size are
 * mappings in the heap's map table (kit/maptable.h); this file is
 * the contract and the option parsing.
 */
#include <stdlib.h>
#include <string.h>

#include "kit/alloc_util.h"

#include "buddy_internal.h"

#define DEFAULT_MIN_ORDER 5  /* 32-byte blocks */
#define DEFAULT_TOP_ORDER 20 /* 1 MiB top-level blocks */

/* ---- options ------------------------------------------------------------- */

/* A power of two in bytes, with an optional k/m/g suffix. */
static bool parse_pow2(const char *s, unsigned *order)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (end == s)
        return false;
    if (*end == 'k' || *end == 'K')
        shift = 10, end++;
    else if (*end == 'm' || *end == 'M')
        shift = 20, end++;
    else if (*end == 'g' || *end == 'G')
        shift = 30, end++;
    if (*end || !v || v > (1ull << 40) || !hb_is_pow2((size_t)v))
        return false;
    *order = hb_log2_floor((size_t)v) + shift;
    return true;
}

/* "min=BYTES,top=BYTES".  The table byte per minimum block must be able to
 * name every order, and a top-level block must hold at least two minimum
 * blocks and a whole page. */
static bool parse_options(const char *opts, size_t page, unsigned *min_o, unsigned *top_o)
{
    char key[16], val[32];
    for (const char *s = opts; (s = hb_opt_next(s, key, sizeof key, val, sizeof val));) {
        if (!strcmp(key, "min")) {
            if (!parse_pow2(val, min_o))
                return false;
        } else if (!strcmp(key, "top")) {
            if (!parse_pow2(val, top_o))
                return false;
        } else {
            return false;
        }
    }
    return *min_o >= BD_MIN_ORDER && *top_o <= BD_MAX_TOP && *top_o > *min_o &&
           bd_size(*top_o) >= page && *top_o - *min_o <= 24;
}

/* ---- lifetime ------------------------------------------------------------ */

static void *buddy_create(const hb_memsrc *src, const char *options)
{
    unsigned min_o = DEFAULT_MIN_ORDER, top_o = DEFAULT_TOP_ORDER;
    if (!src || !hb_is_pow2(src->page_size) || !parse_options(options, src->page_size, &min_o, &top_o))
        return NULL;
    bd_heap *h = src->map(src->ctx, sizeof *h);
    if (!h)
        return NULL;
    memset(h, 0, sizeof *h);
    h->src = *src;
    h->self_len = sizeof *h;
    h->min_order = min_o;
    h->top_order = top_o;
    hb_round_up(bd_size(top_o - min_o), src->page_size, &h->table_len);
    h->stride = h->table_len + bd_size(top_o);
    for (unsigned k = 0; k < BD_ORDERS; k++)
        h->lists[k].next = h->lists[k].prev = &h->lists[k];
    return h;
}

/* Lowers the break by what this heap raised it, if nobody moved it since. */
static void buddy_destroy(void *heap)
{
    bd_heap *h = heap;
    if (!h)
        return;
    hb_maptable_release(&h->bigs, &h->src);
    if (h->base) {
        size_t grown = h->pad + h->narenas * h->stride;
        if (h->src.grow(h->src.ctx, 0) == h->base + h->narenas * h->stride)
            h->src.grow(h->src.ctx, -(intptr_t)grown);
    }
    hb_memsrc src = h->src;
    src.unmap(src.ctx, h, h->self_len);
}

/* ---- allocation ---------------------------------------------------------- */

/* The order that serves size bytes; size must not exceed the top level. */
static unsigned order_for(const bd_heap *h, size_t size)
{
    unsigned k = hb_log2_ceil(size);
    return k < h->min_order ? h->min_order : k;
}

static void *buddy_malloc(void *heap, size_t size)
{
    bd_heap *h = heap;
    if (size > bd_size(h->top_order))
        return hb_maptable_map(&h->bigs, &h->src, size);
    return bd_take(h, order_for(h, size));
}

static int buddy_free(void *heap, void *p)
{
    bd_heap *h = heap;
    if (!p)
        return HB_FREE_OK;
    bd_where w;
    if (bd_locate(h, p, &w))
        return bd_release(h, &w);
    return hb_maptable_unmap(&h->bigs, &h->src, p);
}

/* Order of the in-use block at p, or 0 when p is none. */
static unsigned used_order(const bd_heap *h, const void *p, bd_where *w)
{
    if (!bd_locate(h, p, w))
        return 0;
    unsigned char head = *bd_slot(h, w, w->off);
    return head & BD_FREE ? 0 : head;
}

static size_t buddy_usable_size(void *heap, void *p)
{
    bd_heap *h = heap;
    bd_where w;
    unsigned k = used_order(h, p, &w);
    return k ? bd_size(k) : hb_maptable_len(&h->bigs, p);
}

static void *buddy_calloc(void *heap, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        return NULL;
    bd_heap *h = heap;
    size_t n = nmemb * size;
    void *p = buddy_malloc(h, n);
    /* Large blocks are fresh mappings, which read as zero already. */
    if (p && n <= bd_size(h->top_order))
        memset(p, 0, n);
    return p;
}

/* A block of order k sits at a multiple of 2^k from its top-level block,
 * which is page aligned: asking for order >= log2(align) aligns it, for
 * any alignment up to the page size.  Larger alignments are refused. */
static void *buddy_aligned_alloc(void *heap, size_t align, size_t size)
{
    bd_heap *h = heap;
    if (!hb_is_pow2(align) || align < sizeof(void *) || align > h->src.page_size)
        return NULL;
    if (size > bd_size(h->top_order))
        return hb_maptable_map(&h->bigs, &h->src, size);
    unsigned k = order_for(h, size), a = hb_log2_floor(align);
    return bd_take(h, k > a ? k : a);
}

/* ---- realloc ------------------------------------------------------------- */

static void *move_block(bd_heap *h, void *p, size_t old_len, size_t size)
{
    void *q = buddy_malloc(h, size);
    if (!q)
        return NULL;
    memcpy(q, p, old_len < size ? old_len : size);
    buddy_free(h, p);
    return q;
}

/* Small blocks resize in place when the order shrinks, or when it grows
 * and the buddies above it are free; otherwise the block moves. */
static void *buddy_realloc(void *heap, void *p, size_t size)
{
    bd_heap *h = heap;
    if (!p)
        return buddy_malloc(h, size);
    if (!size) {
        buddy_free(h, p);
        return NULL;
    }
    bd_where w;
    unsigned k = used_order(h, p, &w);
    if (k && size <= bd_size(h->top_order)) {
        unsigned want = order_for(h, size);
        if (want <= k) {
            bd_shrink_in_place(h, &w, k, want);
            return p;
        }
        if (bd_grow_in_place(h, &w, k, want))
            return p;
    }
    size_t old_len = k ? bd_size(k) : hb_maptable_len(&h->bigs, p);
    if (!old_len)
        return NULL; /* not a live block of this heap */
    if (!k && size > bd_size(h->top_order) && size <= old_len && size > old_len / 2)
        return p; /* a large block that still fits without much slack */
    return move_block(h, p, old_len, size);
}

static const hb_allocator buddy_table = {
    .struct_size = sizeof(hb_allocator),
    .abi_version = HB_ALLOCATOR_ABI,
    .name = "buddy",
    .description = "binary buddy system: power-of-two blocks, split on malloc, merge on free",
    .create = buddy_create,
    .destroy = buddy_destroy,
    .malloc = buddy_malloc,
    .free = buddy_free,
    .realloc = buddy_realloc,
    .calloc = buddy_calloc,
    .aligned_alloc = buddy_aligned_alloc,
    .usable_size = buddy_usable_size,
    .check = bd_check,
};

HB_EXPORT const hb_allocator *heapbench_allocator(void) { return &buddy_table; }
