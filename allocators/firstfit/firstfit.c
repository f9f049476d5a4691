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
 * nothing fits, the watermark moves up; a free block at the top is extended
 * instead of left behind.  free merges with free neighbours in O(1).
 */
#include <string.h>

#include <heapbench/alloc_util.h>

#include "firstfit.h"

/* ---- blocks ------------------------------------------------------------ */

/* Writes b's size and state; what b knows of its lower neighbour stays. */
static void block_set(ff_heap *h, bt_block *b, size_t size, bool used)
{
    uint64_t flags = (bt_flags(b) & BT_PREV_FREE) | (used ? BT_USED : 0);
    bt_write(h->salt, b, size, bt_prev_size(b), flags);
}

/* Cuts b after `size` bytes into two blocks in the given states and
 * returns the upper one (never on the list yet). */
static bt_block *block_split(ff_heap *h, bt_block *b, size_t size, bool used, bool rest_used)
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
    return size < FF_MIN_BLOCK ? FF_MIN_BLOCK : size;
}

/* ---- the free list ----------------------------------------------------- */

static void list_insert_after(ff_node *pos, ff_node *n)
{
    n->prev = pos;
    n->next = pos->next;
    pos->next->prev = n;
    pos->next = n;
}

static void list_remove(ff_node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
}

/* n takes old's place; used when a block and its free neighbour become one,
 * which never changes the address order. */
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
        if (down == h->first)
            return &h->list;
        if (bt_prev_is_free(down))
            return ff_node_of(bt_prev(down));
        down = bt_prev(down);
        if (up == h->epilogue)
            return h->list.prev;
        if (block_is_free(up))
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

static void free_insert(ff_heap *h, bt_block *b)
{
    ff_node *pos = h->order == FF_ORDER_LIFO ? &h->list : address_predecessor(h, b);
    list_insert_after(pos, ff_node_of(b));
}

/* O(free blocks): the one walk the algorithm cannot avoid. */
static bt_block *find_first_fit(ff_heap *h, size_t need)
{
    for (ff_node *n = h->list.next; n != &h->list; n = n->next)
        if (bt_size(ff_block_of(n)) >= need)
            return ff_block_of(n);
    return NULL;
}

/* ---- the watermark ----------------------------------------------------- */

/* Moves the break up by about `want` bytes (a whole number of grow units
 * when the source allows, else exactly want) and reports the amount.  The
 * heap must stay contiguous: a source whose break moved under us is refused
 * and given its bytes back. */
static bool watermark_raise(ff_heap *h, size_t want, size_t *got)
{
    char *brk = (char *)h->epilogue + BT_HEADER;
    if (want > BT_HEAP_MAX - (size_t)(brk - h->origin))
        return false;
    size_t tries[2] = { (want + h->grow_unit - 1) & ~(h->grow_unit - 1), want };
    for (int i = 0; i < 2; i++) {
        if (tries[i] > BT_HEAP_MAX - (size_t)(brk - h->origin))
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

/* Makes the top block a listed free block of at least `need` bytes, moving
 * the watermark up; a free top block grows rather than being left behind,
 * and otherwise the old epilogue heads the new block.  Returns it, or NULL
 * when the source refuses. */
static bt_block *heap_extend(ff_heap *h, size_t need)
{
    bt_block *top = bt_prev_is_free(h->epilogue) ? bt_prev(h->epilogue) : NULL;
    size_t have = top ? bt_size(top) : 0, got;
    if (!watermark_raise(h, need - have, &got))
        return NULL;
    bt_block *b = top ? top : h->epilogue;
    bt_write(h->salt, b, have + got, bt_prev_size(b), bt_flags(b) & BT_PREV_FREE);
    h->epilogue = bt_next(b);
    bt_write(h->salt, h->epilogue, 0, have + got, BT_USED | BT_PREV_FREE);
    if (!top)
        free_insert(h, b); /* O(1): its upper neighbour is the epilogue */
    return b;
}

/* A free top block of at least `trim` bytes goes back to the source: its
 * header becomes the new epilogue. */
static void heap_trim(ff_heap *h, bt_block *top)
{
    if (!h->trim || bt_next(top) != h->epilogue || bt_size(top) < h->trim)
        return;
    list_remove(ff_node_of(top));
    if (!h->src.grow(h->src.ctx, -(intptr_t)bt_size(top))) {
        free_insert(h, top);
        return;
    }
    block_set(h, top, 0, true);
    h->epilogue = top;
}

/* ---- the operations ---------------------------------------------------- */

/* Hands out the listed free block b cut down to `need` bytes; a remainder
 * that can stand alone takes b's place in the list. */
static void take(ff_heap *h, bt_block *b, size_t need)
{
    if (bt_size(b) - need >= FF_MIN_BLOCK) {
        list_replace(ff_node_of(b), ff_node_of(block_split(h, b, need, true, false)));
    } else {
        list_remove(ff_node_of(b));
        block_set(h, b, bt_size(b), true);
        bt_link_next(h->salt, b);
    }
}

/* Frees the in-use block b: merge with free neighbours, list, trim.  A
 * block merged with its upper neighbour takes that neighbour's place in
 * the list, a block merged into its lower one leaves the list as it is; no
 * search is needed unless both neighbours are in use.  b is marked free
 * first, so even once merged away its header says "free" and a stale
 * pointer to it reads as a double free. */
static void release(ff_heap *h, bt_block *b)
{
    size_t size = bt_size(b);
    bool listed = false;
    block_set(h, b, size, false);
    bt_block *next = bt_next(b);
    if (block_is_free(next)) {
        list_replace(ff_node_of(next), ff_node_of(b));
        size += bt_size(next);
        listed = true;
    }
    if (bt_prev_is_free(b)) {
        if (listed)
            list_remove(ff_node_of(b));
        b = bt_prev(b);
        size += bt_size(b);
        listed = true;
    }
    if (size != bt_size(b))
        block_set(h, b, size, false);
    bt_link_next(h->salt, b);
    if (!listed)
        free_insert(h, b);
    heap_trim(h, b);
}

/* Cuts an in-use block down to `need` bytes, freeing the tail if it can
 * stand alone. */
static void shrink_to(ff_heap *h, bt_block *b, size_t need)
{
    if (bt_size(b) - need >= FF_MIN_BLOCK)
        release(h, block_split(h, b, need, true, true));
}

/* Makes the in-use block b at least `need` bytes without moving it, using
 * a free upper neighbour and, at the top of the heap, the watermark. */
static bool grow_in_place(ff_heap *h, bt_block *b, size_t need)
{
    bt_block *next = bt_next(b);
    size_t room = bt_size(b) + (block_is_free(next) ? bt_size(next) : 0);
    bool at_top = next == h->epilogue || (block_is_free(next) && bt_next(next) == h->epilogue);
    if (room < need && (!at_top || !(next = heap_extend(h, need - bt_size(b)))))
        return false;
    list_remove(ff_node_of(next));
    block_set(h, b, bt_size(b) + bt_size(next), true);
    bt_link_next(h->salt, b);
    return true;
}

static int lookup(ff_heap *h, void *p, bt_block **b)
{
    return bt_lookup(h->salt, h->first, h->epilogue, FF_MIN_BLOCK, p, b);
}

static void *ff_malloc(void *heap, size_t size)
{
    ff_heap *h = heap;
    size_t need = block_size_for(size);
    if (!need)
        return NULL;
    bt_block *b = find_first_fit(h, need);
    if (!b && !(b = heap_extend(h, need)))
        return NULL;
    take(h, b, need);
    return bt_payload(b);
}

static int ff_free(void *heap, void *p)
{
    bt_block *b;
    if (!p)
        return HB_FREE_OK;
    int status = lookup(heap, p, &b);
    if (status == HB_FREE_OK)
        release(heap, b);
    return status;
}

static void *ff_realloc(void *heap, void *p, size_t size)
{
    ff_heap *h = heap;
    bt_block *b;
    if (!p)
        return ff_malloc(h, size);
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
    void *q = ff_malloc(h, size);
    if (q) {
        memcpy(q, p, bt_size(b) - BT_HEADER);
        release(h, b);
    }
    return q;
}

static void *ff_calloc(void *heap, size_t nmemb, size_t size)
{
    if (nmemb && size > SIZE_MAX / nmemb)
        return NULL;
    void *p = ff_malloc(heap, nmemb * size);
    if (p)
        memset(p, 0, nmemb * size);
    return p;
}

/* Over-allocates, then frees the misaligned front (at least a minimum block
 * so it can stand alone) and the unneeded tail. */
static void *ff_aligned_alloc(void *heap, size_t align, size_t size)
{
    ff_heap *h = heap;
    if (!hb_is_pow2(align) || align < sizeof(void *))
        return NULL;
    if (align <= HB_ALIGNMENT)
        return ff_malloc(h, size);
    size_t need = block_size_for(size);
    if (!need || align > BT_HEAP_MAX)
        return NULL;
    char *p = ff_malloc(h, need + align + FF_MIN_BLOCK - 2 * BT_HEADER);
    if (!p)
        return NULL;
    bt_block *b = bt_of_payload(p);
    if ((uintptr_t)p & (align - 1)) {
        uintptr_t a = ((uintptr_t)p + FF_MIN_BLOCK + align - 1) & ~(uintptr_t)(align - 1);
        bt_block *front = b;
        b = block_split(h, front, a - (uintptr_t)p, true, true);
        release(h, front);
    }
    shrink_to(h, b, need);
    return bt_payload(b);
}

static size_t ff_usable_size(void *heap, void *p)
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

static bool parse_options(ff_heap *cfg, const char *options)
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
        } else if (!strcmp(key, "order") && !strcmp(val, "address")) {
            cfg->order = FF_ORDER_ADDRESS;
        } else if (!strcmp(key, "order") && !strcmp(val, "lifo")) {
            cfg->order = FF_ORDER_LIFO;
        } else {
            return false;
        }
    }
    return true;
}

/* The instance lives at the bottom of its own heap, followed by the
 * epilogue of an empty block run: the first malloc moves the watermark. */
static void *ff_create(const hb_memsrc *src, const char *options)
{
    ff_heap cfg = { .grow_unit = src && src->page_size ? src->page_size : 4096,
                    .trim = (size_t)128 << 10,
                    .order = FF_ORDER_ADDRESS };
    if (!src || !src->grow || !hb_is_pow2(cfg.grow_unit) || !parse_options(&cfg, options))
        return NULL;
    char *cur = src->grow(src->ctx, 0);
    if (!cur)
        return NULL;
    size_t pad = (size_t)(-(uintptr_t)cur & 15);
    size_t self = (sizeof(ff_heap) + 15) & ~(size_t)15;
    char *old = src->grow(src->ctx, (intptr_t)(pad + self + BT_HEADER));
    if (old != cur) {
        if (old)
            src->grow(src->ctx, -(intptr_t)(pad + self + BT_HEADER));
        return NULL;
    }
    ff_heap *h = (ff_heap *)(cur + pad);
    *h = cfg;
    h->src = *src;
    h->origin = cur;
    h->salt = bt_mix((uint64_t)(uintptr_t)h ^ UINT64_C(0x6669727374666974));
    h->first = h->epilogue = (bt_block *)((char *)h + self);
    bt_write(h->salt, h->epilogue, 0, 0, BT_USED);
    h->list.next = h->list.prev = &h->list;
    return h;
}

static void ff_destroy(void *heap)
{
    ff_heap *h = heap;
    hb_memsrc src = h->src;
    char *brk = (char *)h->epilogue + BT_HEADER;
    src.grow(src.ctx, -(intptr_t)(brk - h->origin));
}

static const hb_allocator firstfit = {
    .struct_size = sizeof(hb_allocator),
    .abi_version = HB_ALLOCATOR_ABI,
    .name = "firstfit",
    .description = "watermark heap: boundary tags, address-ordered explicit free list, first fit",
    .create = ff_create,
    .destroy = ff_destroy,
    .malloc = ff_malloc,
    .free = ff_free,
    .realloc = ff_realloc,
    .calloc = ff_calloc,
    .aligned_alloc = ff_aligned_alloc,
    .usable_size = ff_usable_size,
    .check = ff_check,
};

HB_EXPORT const hb_allocator *heapbench_allocator(void) { return &firstfit; }
