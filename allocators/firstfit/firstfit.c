/*
 * firstfit: the watermark allocator.
 *
 * All memory is one run of blocks below the watermark, the break of the
 * memory source.  Boundary tags (boundary_tag.h) give each block's size,
 * its lower neighbour's size and its state, so both neighbours are found in
 * O(1).  Free blocks sit on an explicit doubly linked list, by default in
 * address order: malloc walks only the free blocks and takes the first that
 * fits, which with address order is the lowest-addressed fit -- the policy
 * that studies of real programs found among the least fragmenting.  When
 * nothing fits, the watermark moves up; a free top block is extended
 * instead of left behind.  free merges with free neighbours in O(1).
 *
 * The heap's operations (watermark_heap.h) are shared with bestfit; this
 * file is what makes it first fit: the list, and where a block joins it.
 */
#include <assert.h>
#include <string.h>

#include "firstfit_internal.h"

static ff_heap *heap_of(wm_heap *wm) { return (ff_heap *)wm; }

/* ---- the free list ----------------------------------------------------- */

static void list_init(wm_heap *wm)
{
    ff_heap *h = heap_of(wm);
    h->list.next = h->list.prev = &h->list;
}

static void list_insert_after(ff_node *pos, ff_node *n)
{
    assert(pos->next->prev == pos && n != pos);
    n->prev = pos;
    n->next = pos->next;
    pos->next->prev = n;
    pos->next = n;
}

static void list_remove(ff_node *n)
{
    assert(n->prev->next == n && n->next->prev == n);
    n->prev->next = n->next;
    n->next->prev = n->prev;
}

/* n takes old's place. */
static void list_replace(ff_node *old, ff_node *n)
{
    *n = *old;
    n->prev->next = n;
    n->next->prev = n;
}

/*
 * The list node after which b belongs in address order.  Four walkers step
 * in turn, and the first to learn the answer stops the search: down and up
 * over b's physical neighbours (the first free one found is b's list
 * neighbour), and along the list from its head and from its tail.  The cost
 * is O(min(distance to the nearest free block, b's rank from either end of
 * the list)), small both in a fragmented heap and in a nearly full one.
 */
static ff_node *address_predecessor(ff_heap *h, bt_block *b)
{
    bt_block *down = b, *up = bt_next(b);
    ff_node *head = h->list.next, *tail = h->list.prev;
    for (;;) {
        if (down == h->wm.first)
            return &h->list;
        if (bt_prev_is_free(down))
            return ff_node_of(bt_prev(down));
        down = bt_prev(down);
        if (up == h->wm.epilogue)
            return h->list.prev;
        if (wm_block_is_free(up))
            return ff_node_of(up)->prev;
        up = bt_next(up);
        if (head == &h->list || ff_block_of(head) > b)
            return head->prev;
        head = head->next;
        if (tail == &h->list || ff_block_of(tail) < b)
            return tail;
        tail = tail->prev;
    }
}

/* ---- the index the watermark heap uses --------------------------------- */

/* O(free blocks): the one walk the algorithm cannot avoid. */
static bt_block *find_first_fit(wm_heap *wm, size_t need)
{
    ff_heap *h = heap_of(wm);
    for (ff_node *n = h->list.next; n != &h->list; n = n->next)
        if (bt_size(ff_block_of(n)) >= need)
            return ff_block_of(n);
    return NULL;
}

/* A block with no free neighbour: the only insertion that needs a search. */
static void free_insert(wm_heap *wm, bt_block *b)
{
    ff_heap *h = heap_of(wm);
    ff_node *pos = h->order == FF_ORDER_LIFO ? &h->list : address_predecessor(h, b);
    list_insert_after(pos, ff_node_of(b));
}

static void free_remove(wm_heap *wm, bt_block *b)
{
    (void)wm;
    list_remove(ff_node_of(b));
}

/* A merge or a split never changes the address order: the block keeps its
 * list place whatever its new size, and moves its node only when its start
 * moved. */
static void free_move(wm_heap *wm, bt_block *old, bt_block *b, bool grew)
{
    (void)wm;
    (void)grew;
    if (old != b)
        list_replace(ff_node_of(old), ff_node_of(b));
}

/* order=address (the default) or order=lifo. */
static bool order_option(wm_heap *cfg, const char *key, const char *val)
{
    ff_heap *h = heap_of(cfg);
    if (strcmp(key, "order"))
        return false;
    if (!strcmp(val, "address"))
        h->order = FF_ORDER_ADDRESS;
    else if (!strcmp(val, "lifo"))
        h->order = FF_ORDER_LIFO;
    else
        return false;
    return true;
}

static const wm_index free_list = {
    .name = "firstfit",
    .min_block = FF_MIN_BLOCK,
    .seal_key = UINT64_C(0x6669727374666974),
    .init = list_init,
    .option = order_option,
    .fit = find_first_fit,
    .add = free_insert,
    .drop = free_remove,
    .move = free_move,
};

/* ---- the library ------------------------------------------------------- */

static void *ff_create(const hb_memsrc *src, const char *options)
{
    ff_heap cfg = { .order = FF_ORDER_ADDRESS };
    return wm_create(src, options, &free_list, &cfg, sizeof cfg);
}

static const hb_allocator firstfit = {
    .struct_size = sizeof(hb_allocator),
    .abi_version = HB_ALLOCATOR_ABI,
    .name = "firstfit",
    .description = "watermark heap: boundary tags, address-ordered explicit free list, first fit",
    .create = ff_create,
    .destroy = wm_destroy,
    .malloc = wm_malloc,
    .free = wm_free,
    .realloc = wm_realloc,
    .calloc = wm_calloc,
    .aligned_alloc = wm_aligned_alloc,
    .usable_size = wm_usable_size,
    .check = ff_check,
};

HB_EXPORT const hb_allocator *heapbench_allocator(void) { return &firstfit; }
