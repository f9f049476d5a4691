/*
 * bestfit: the logarithmic allocator.
 *
 * The heap is the same run of boundary-tagged blocks below the watermark as
 * firstfit's (boundary_tag.h), with the same operations (watermark_heap.h),
 * but the free blocks are kept in a red-black tree keyed by (size, address)
 * (rbtree.c) instead of a list.  malloc descends the tree to the smallest
 * block that fits -- the lowest-addressed one among equal sizes -- and the
 * rest of a split block keeps its node with a smaller key; free merges with
 * free neighbours found through the boundary tags, and the merged block
 * inherits a neighbour's node with a larger key, or is inserted when it has
 * no free neighbour.  Every operation costs O(log N) in the number N of
 * free blocks.
 */
#include "bestfit_internal.h"

static bf_tree *tree_of(wm_heap *wm) { return &((bf_heap *)wm)->tree; }

/* ---- the index the watermark heap uses --------------------------------- */

static bt_block *find_best_fit(wm_heap *wm, size_t need)
{
    bf_node *n = bf_tree_best_fit(tree_of(wm), need);
    return n ? bt_of_payload(n) : NULL;
}

static void tree_add(wm_heap *wm, bt_block *b) { bf_tree_insert(tree_of(wm), bf_node_of(b)); }

static void tree_drop(wm_heap *wm, bt_block *b) { bf_tree_remove(tree_of(wm), bf_node_of(b)); }

/* Merging and splitting change keys in place: mostly the node keeps its
 * position, with no descent from the root (see bf_tree_rekey). */
static void tree_move(wm_heap *wm, bt_block *old, bt_block *b, bool grew)
{
    bf_tree_rekey(tree_of(wm), bf_node_of(old), bf_node_of(b), grew);
}

static void tree_init(wm_heap *wm) { bf_tree_init(tree_of(wm)); }

static const wm_index free_tree = {
    .name = "bestfit",
    .min_block = BF_MIN_BLOCK,
    .seal_key = UINT64_C(0x6265737466697421),
    .init = tree_init,
    .option = NULL, /* grow and trim only */
    .fit = find_best_fit,
    .add = tree_add,
    .drop = tree_drop,
    .move = tree_move,
};

/* ---- the library ------------------------------------------------------- */

static void *bf_create(const hb_memsrc *src, const char *options)
{
    bf_heap cfg = { 0 };
    return wm_create(src, options, &free_tree, &cfg, sizeof cfg);
}

static const hb_allocator bestfit = {
    .struct_size = sizeof(hb_allocator),
    .abi_version = HB_ALLOCATOR_ABI,
    .name = "bestfit",
    .description = "watermark heap: boundary tags, red-black tree of free blocks, best fit",
    .create = bf_create,
    .destroy = wm_destroy,
    .malloc = wm_malloc,
    .free = wm_free,
    .realloc = wm_realloc,
    .calloc = wm_calloc,
    .aligned_alloc = wm_aligned_alloc,
    .usable_size = wm_usable_size,
    .check = bf_check,
};

HB_EXPORT const hb_allocator *heapbench_allocator(void) { return &bestfit; }
