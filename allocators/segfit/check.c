/*
 * segfit's check(): walks every block and every free list and verifies the
 * invariants malloc and free rely on.  Linear in the heap; never on a hot
 * path.
 *
 *   1. blocks tile [first, sentinel) exactly; sizes are >= 32, 16-aligned;
 *   2. a block's PREV_FREE flag equals its predecessor's FREE flag, and a
 *      free block's footer (next->prev_size) equals its size;
 *   3. no two free blocks are adjacent and none is next to the sentinel
 *      (merging is eager; a block freed there joins the top);
 *   4. every list holds free blocks of its own class, doubly linked, and
 *      the bitmaps mark exactly the non-empty lists;
 *   5. the lists together hold exactly the free blocks of the walk;
 *   6. the quick lists hold exactly the blocks flagged CACHED, each of its
 *      list's size, and their counts are right;
 *   7. the mapped-block set counts its live entries right.
 */
#include "segfit_internal.h"

#include "kit/check_fail.h"

static int walk_blocks(const sf_heap *h, size_t *free_blocks, size_t *cached, char *msg,
                       size_t msglen)
{
    bool prev_free = false;
    size_t nfree = 0, ncached = 0;
    const sf_block *b = h->first;
    while (b != h->sentinel) {
        size_t size = sf_size(b);
        size_t room = (size_t)((const char *)h->sentinel - (const char *)b);
        if (size < SF_MIN_BLOCK || size > room)
            return hb_check_fail(msg, msglen, "segfit: ", "block %p: size %zu out of range",
                                 (void *)b, size);
        if (!!(b->head & SF_PREV_FREE) != prev_free)
            return hb_check_fail(msg, msglen, "segfit: ", "block %p: PREV_FREE flag disagrees",
                                 (void *)b);
        if (sf_is_free(b) && prev_free)
            return hb_check_fail(msg, msglen, "segfit: ", "block %p: two adjacent free blocks",
                                 (void *)b);
        if (sf_is_free(b) && sf_next(b)->prev_size != size)
            return hb_check_fail(msg, msglen, "segfit: ", "block %p: footer %zu, size %zu",
                                 (void *)b, sf_next(b)->prev_size, size);
        prev_free = sf_is_free(b);
        nfree += prev_free;
        ncached += (b->head & SF_CACHED) != 0;
        b = sf_next(b);
    }
    if ((h->sentinel->head & SF_PREV_FREE) || sf_size(h->sentinel))
        return hb_check_fail(msg, msglen, "segfit: ", "sentinel header is wrong");
    if (prev_free)
        return hb_check_fail(msg, msglen, "segfit: ", "free block before the sentinel");
    if (h->end < (const char *)h->sentinel + SF_HDR || ((uintptr_t)h->end & 15))
        return hb_check_fail(msg, msglen, "segfit: ", "top of the region is wrong");
    *free_blocks = nfree;
    *cached = ncached;
    return 0;
}

static int walk_quick(const sf_heap *h, size_t cached, char *msg, size_t msglen)
{
    size_t total = 0;
    for (size_t i = 0; i < SF_QUICK_SLOTS; i++) {
        size_t count = 0;
        for (const sf_block *b = h->quick[i]; b; b = b->next_free) {
            if (!sf_in_heap(h, sf_payload((sf_block *)b)) || !(b->head & SF_CACHED) ||
                sf_size(b) != i << 4)
                return hb_check_fail(msg, msglen,
                                     "segfit: ", "quick list %zu: %p is not a parked block", i,
                                     (void *)b);
            if (++count > SF_QUICK_DEPTH)
                return hb_check_fail(msg, msglen, "segfit: ", "quick list %zu is too long", i);
        }
        if (count != h->quick_count[i])
            return hb_check_fail(msg, msglen, "segfit: ", "quick list %zu: %zu blocks, count %u", i,
                                 count, h->quick_count[i]);
        total += count;
    }
    if (total != cached)
        return hb_check_fail(msg, msglen,
                             "segfit: ", "%zu blocks flagged parked, %zu in quick lists", cached,
                             total);
    return 0;
}

static int walk_list(const sf_heap *h, unsigned fl, unsigned sl, size_t limit, size_t *count,
                     char *msg, size_t msglen)
{
    const sf_block *prev = NULL;
    for (const sf_block *b = h->lists[fl][sl]; b; prev = b, b = b->next_free) {
        unsigned f, s;
        if (!sf_in_heap(h, sf_payload((sf_block *)b)) || !sf_is_free(b))
            return hb_check_fail(msg, msglen, "segfit: ", "list %u/%u: %p is not a free heap block",
                                 fl, sl, (void *)b);
        sf_mapping(sf_size(b), &f, &s);
        if (f != fl || s != sl)
            return hb_check_fail(msg, msglen,
                                 "segfit: ", "list %u/%u: block of size %zu filed wrong", fl, sl,
                                 sf_size(b));
        if (b->prev_free != prev)
            return hb_check_fail(msg, msglen, "segfit: ", "list %u/%u: broken back link", fl, sl);
        if (++*count > limit)
            return hb_check_fail(msg, msglen,
                                 "segfit: ", "free lists hold more entries than free blocks");
    }
    bool bit = h->sl_bitmap[fl] >> sl & 1;
    if (bit != (h->lists[fl][sl] != NULL))
        return hb_check_fail(msg, msglen, "segfit: ", "bitmap bit of list %u/%u is wrong", fl, sl);
    return 0;
}

static int walk_lists(const sf_heap *h, size_t free_blocks, char *msg, size_t msglen)
{
    size_t count = 0;
    for (unsigned fl = 0; fl < SF_FL_COUNT; fl++) {
        for (unsigned sl = 0; sl < SF_SL_COUNT; sl++)
            if (walk_list(h, fl, sl, free_blocks, &count, msg, msglen))
                return 1;
        if (!!(h->fl_bitmap >> fl & 1) != (h->sl_bitmap[fl] != 0))
            return hb_check_fail(msg, msglen, "segfit: ", "first-level bit %u is wrong", fl);
    }
    if (count != free_blocks)
        return hb_check_fail(msg, msglen, "segfit: ", "%zu free blocks but %zu list entries",
                             free_blocks, count);
    return 0;
}

static int walk_maps(const sf_heap *h, char *msg, size_t msglen)
{
    size_t live = 0, used = 0;
    for (size_t i = 0; i < h->map_slots; i++) {
        const sf_map_entry *e = &h->maps[i];
        used += e->ptr != 0;
        live += e->len != 0;
        if (e->len && (e->ptr < (uintptr_t)e->base || e->ptr >= (uintptr_t)e->base + e->len))
            return hb_check_fail(msg, msglen,
                                 "segfit: ", "mapped block %p lies outside its mapping",
                                 (void *)e->ptr);
    }
    if (live != h->map_live || used != h->map_used)
        return hb_check_fail(msg, msglen, "segfit: ", "mapped set counts %zu/%zu, found %zu/%zu",
                             h->map_live, h->map_used, live, used);
    return 0;
}

int sf_check(void *heap, char *msg, size_t msglen)
{
    const sf_heap *h = heap;
    size_t free_blocks = 0, cached = 0;
    if (walk_blocks(h, &free_blocks, &cached, msg, msglen) ||
        walk_lists(h, free_blocks, msg, msglen) || walk_quick(h, cached, msg, msglen) ||
        walk_maps(h, msg, msglen))
        return 1;
    if (msg && msglen)
        msg[0] = '\0';
    return 0;
}
