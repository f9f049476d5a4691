/*
 * The half of check() every watermark heap (watermark_heap.h) shares: the
 * walk over the block run and its epilogue.  Each allocator adds the check
 * of its own free-block index.  Every pointer is read only after it is
 * proved to lie inside the heap, so a corrupted heap gets a message, not a
 * crash; messages start with the allocator's name.
 */
#ifndef HB_WATERMARK_CHECK_H
#define HB_WATERMARK_CHECK_H

#include <stdio.h>

#include "kit/check_fail.h"
#include "kit/watermark_heap.h"

static inline int wm_check_epilogue(const wm_heap *h, size_t prev, bool prev_free, char *msg,
                                    size_t len)
{
    const bt_block *e = h->epilogue;
    const char *name = h->index->name;
    if (!bt_sealed(h->salt, e) || bt_size(e) != 0 || !bt_is_used(e) || bt_prev_size(e) != prev ||
        bt_prev_is_free(e) != prev_free)
        return hb_check_fail(msg, len, "", "%s: epilogue %p damaged", name, (void *)e);
    if ((char *)h->src.grow(h->src.ctx, 0) != (char *)e + BT_HEADER)
        return hb_check_fail(msg, len, "", "%s: epilogue %p is not right below the watermark", name,
                             (void *)e);
    return 0;
}

/* Called for each free block the walk meets, once the block itself is
 * proved sound; answers 0, or 1 with the reason in msg. */
typedef int (*wm_visit_free)(void *ctx, const bt_block *b, char *msg, size_t len);

/* Every header sealed, sizes within the heap, each prev size equal to the
 * size below it, and no two free blocks side by side (free merges). */
static inline int wm_walk_blocks(const wm_heap *h, wm_visit_free visit, void *ctx, char *msg,
                                 size_t len)
{
    const bt_block *b = h->first;
    const char *name = h->index->name;
    size_t prev = 0, min = h->index->min_block;
    bool prev_free = false;
    while (b != h->epilogue) {
        size_t room = (size_t)((char *)h->epilogue - (char *)b);
        if (!bt_sealed(h->salt, b))
            return hb_check_fail(msg, len, "", "%s: block %p: header seal broken", name, (void *)b);
        if (bt_prev_size(b) != prev)
            return hb_check_fail(msg, len, "", "%s: block %p: previous size %zu, expected %zu",
                                 name, (void *)b, bt_prev_size(b), prev);
        if (bt_size(b) < min || bt_size(b) > room)
            return hb_check_fail(msg, len, "", "%s: block %p: size %zu outside [%zu, %zu]", name,
                                 (void *)b, bt_size(b), min, room);
        if (bt_prev_is_free(b) != prev_free)
            return hb_check_fail(msg, len, "", "%s: block %p: previous-free flag wrong", name,
                                 (void *)b);
        if (!bt_is_used(b) && prev_free)
            return hb_check_fail(msg, len, "", "%s: free blocks %p and %p are adjacent", name,
                                 (void *)bt_prev(b), (void *)b);
        if (!bt_is_used(b) && visit(ctx, b, msg, len))
            return 1;
        prev_free = !bt_is_used(b);
        prev = bt_size(b);
        b = bt_next(b);
    }
    return wm_check_epilogue(h, prev, prev_free, msg, len);
}

/* Is p the payload of a sealed free block inside the heap?  Safe to ask of
 * any pointer: it reads a header only once p is proved to lie inside. */
static inline bool wm_is_free_payload(const wm_heap *h, const void *p)
{
    const char *c = p;
    if (((uintptr_t)c & 15) || c < (char *)h->first + BT_HEADER || c >= (char *)h->epilogue)
        return false;
    const bt_block *b = bt_of_payload((void *)p);
    return bt_sealed(h->salt, b) && !bt_is_used(b);
}

/* The end of a passing check: an empty message. */
static inline int wm_pass(char *msg, size_t len)
{
    if (msg && len)
        msg[0] = '\0';
    return 0;
}

#endif /* HB_WATERMARK_CHECK_H */
