/*
 * The buddy system proper: free lists per order, split on take, merge on
 * release, and new top-level blocks from the memory source.
 *
 * Every step below is O(1) per order, so take and release are
 * O(top_order - min_order) in the worst case: the depth of the tree.
 */
#include <assert.h>
#include "buddy_internal.h"

#include "kit/alloc_util.h"

/* ---- free lists: circular, doubly linked, one per order ---------------- */

static void list_push(bd_heap *h, unsigned k, void *block)
{
    bd_node *n = block, *head = &h->lists[k];
    assert(k <= h->top_order && head->next->prev == head);
    n->next = head->next;
    n->prev = head;
    head->next->prev = n;
    head->next = n;
    h->avail |= (uint64_t)1 << k;
}

void bd_list_unlink(bd_heap *h, unsigned k, bd_node *n)
{
    assert(n != &h->lists[k] && n->prev->next == n && n->next->prev == n);
    n->prev->next = n->next;
    n->next->prev = n->prev;
    if (h->lists[k].next == &h->lists[k])
        h->avail &= ~((uint64_t)1 << k);
}

static bd_node *list_pop(bd_heap *h, unsigned k)
{
    bd_node *n = h->lists[k].next;
    bd_list_unlink(h, k, n);
    return n;
}

/* ---- geometry ----------------------------------------------------------- */

/* Finds the arena holding p.  True only when p lies in some top-level
 * block at a multiple of the minimum block size: any other pointer cannot
 * be a block this heap handed out. */
bool bd_locate(const bd_heap *h, const void *p, bd_where *w)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)h->base;
    if (!h->base || a < b || a - b >= h->narenas * h->stride)
        return false;
    size_t i = (a - b) / h->stride;
    size_t in = (a - b) - i * h->stride;
    if (in < h->table_len)
        return false;
    w->table = (unsigned char *)h->base + i * h->stride;
    w->data = (char *)w->table + h->table_len;
    w->off = in - h->table_len;
    return (w->off & (bd_size(h->min_order) - 1)) == 0;
}

/* Appends one arena at the break.  The arena must sit right after the
 * previous one (stride arithmetic finds it), so this heap assumes it is the
 * only user of grow() on its memory source and refuses to grow otherwise.
 * Fresh memory reads as zero: the whole table says "no head here" until
 * the top-level block's head byte is written. */
bool bd_add_arena(bd_heap *h)
{
    char *brk = h->src.grow(h->src.ctx, 0);
    if (!brk)
        return false;
    if (!h->base) {
        size_t mis = (uintptr_t)brk & (h->src.page_size - 1);
        h->pad = mis ? h->src.page_size - mis : 0;
        if (h->pad && !h->src.grow(h->src.ctx, (intptr_t)h->pad))
            return false;
        h->base = brk + h->pad;
    } else if (brk != h->base + h->narenas * h->stride) {
        return false;
    }
    if (h->stride > (size_t)INTPTR_MAX || !h->src.grow(h->src.ctx, (intptr_t)h->stride))
        return false;
    bd_where w = { .table = (unsigned char *)h->base + h->narenas * h->stride };
    w.data = (char *)w.table + h->table_len;
    h->narenas++;
    *bd_slot(h, &w, 0) = (unsigned char)(h->top_order | BD_FREE);
    list_push(h, h->top_order, w.data);
    return true;
}

/* ---- take: the smallest free block that fits, split down ---------------- */

/* Splitting a block of order j leaves its lower half in hand and frees the
 * upper half, whose buddy (the lower half) is in use: no merge is due. */
static void split_down(bd_heap *h, const bd_where *w, unsigned j, unsigned k)
{
    while (j > k) {
        j--;
        size_t upper = w->off + bd_size(j);
        assert((upper & (bd_size(j) - 1)) == 0); /* the upper half is aligned to its size */
        *bd_slot(h, w, upper) = (unsigned char)(j | BD_FREE);
        list_push(h, j, w->data + upper);
    }
}

/* The lowest non-empty order >= k is a find-first-set on 'avail'. */
void *bd_take(bd_heap *h, unsigned k)
{
    uint64_t fit = h->avail >> k;
    if (!fit) {
        if (!bd_add_arena(h))
            return NULL;
        fit = h->avail >> k;
    }
    unsigned j = k + hb_ctz64(fit);
    bd_node *n = list_pop(h, j);
    bd_where w;
    bd_locate(h, n, &w);
    split_down(h, &w, j, k);
    *bd_slot(h, &w, w.off) = (unsigned char)k;
    return n;
}

/* ---- release: merge with the buddy while it is free and whole ----------- */

static void merge_up(bd_heap *h, const bd_where *w, size_t off, unsigned k)
{
    for (; k < h->top_order; k++) {
        assert((off & (bd_size(k) - 1)) == 0); /* a block starts at a multiple of its size */
        size_t buddy = off ^ bd_size(k);
        unsigned char *bs = bd_slot(h, w, buddy);
        if (*bs != (k | BD_FREE))
            break; /* in use, or split into smaller pieces */
        bd_list_unlink(h, k, (bd_node *)(w->data + buddy));
        *bs = 0;
        *bd_slot(h, w, off) = 0;
        off &= ~bd_size(k); /* the merged block starts at the lower half */
    }
    *bd_slot(h, w, off) = (unsigned char)(k | BD_FREE);
    list_push(h, k, w->data + off);
}

/* w is where bd_locate placed the pointer.  The head byte tells an
 * interior pointer (0) and a free block (BD_FREE) from a block in use, so
 * a bad free changes nothing. */
int bd_release(bd_heap *h, const bd_where *w)
{
    unsigned char head = *bd_slot(h, w, w->off);
    if (!head)
        return HB_FREE_INVALID; /* inside a block, not its start */
    if (head & BD_FREE)
        return HB_FREE_DOUBLE;
    merge_up(h, w, w->off, head);
    return HB_FREE_OK;
}

/* ---- resizing in place (realloc) ----------------------------------------- */

/* Keeps the lower 2^to bytes and frees the upper halves, largest first.
 * Their lower buddies stay in use, so none of them merges. */
void bd_shrink_in_place(bd_heap *h, const bd_where *w, unsigned from, unsigned to)
{
    split_down(h, w, from, to);
    *bd_slot(h, w, w->off) = (unsigned char)to;
}

/* A block of order 'from' becomes order 'to' where it stands when it is the
 * lower half at every level in between and each upper half is free and
 * whole.  All levels are checked before any list is touched. */
bool bd_grow_in_place(bd_heap *h, const bd_where *w, unsigned from, unsigned to)
{
    if (to > h->top_order || (w->off & (bd_size(to) - 1)))
        return false;
    for (unsigned j = from; j < to; j++)
        if (*bd_slot(h, w, w->off + bd_size(j)) != (j | BD_FREE))
            return false;
    for (unsigned j = from; j < to; j++) {
        size_t upper = w->off + bd_size(j);
        bd_list_unlink(h, j, (bd_node *)(w->data + upper));
        *bd_slot(h, w, upper) = 0;
    }
    *bd_slot(h, w, w->off) = (unsigned char)to;
    return true;
}
