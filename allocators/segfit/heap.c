/*
 * segfit's contiguous region: the heap struct at its start, then the blocks,
 * then a sentinel, then the top: bytes already obtained from the memory
 * source that no block covers yet.
 *
 *   region -> [pad][sf_heap][block]...[block][sentinel][top ...] <- break
 *
 * The sentinel is a 16-byte in-use header of size 0: the last block's
 * "next" always exists, so merging never needs a bounds test.  A block
 * freed next to the sentinel does not become a free block: the sentinel
 * moves down over it and its bytes join the top.  So the block before the
 * sentinel is never free (the sentinel's PREV_FREE flag is always clear),
 * and a request no free block fits is carved off the top by moving the
 * sentinel up: no list is touched and nothing is written past the new
 * sentinel, so pages of the top are not faulted in before they are used.
 */
#include "segfit_internal.h"

#include <string.h>

sf_heap *sf_heap_create(const hb_memsrc *src, size_t threshold, size_t grow, size_t trim)
{
    char *start = src->grow(src->ctx, 0);
    if (!start)
        return NULL;
    size_t pad = (size_t)(-(uintptr_t)start & 15);
    size_t struct_bytes = (sizeof(sf_heap) + 15) & ~(size_t)15;
    size_t total = pad + struct_bytes + SF_HDR;
    if (src->grow(src->ctx, (intptr_t)total) != start)
        return NULL;
    sf_heap *h = (sf_heap *)(start + pad);
    memset(h, 0, sizeof *h);
    h->src = *src;
    h->region = start;
    h->first = h->sentinel = (sf_block *)((char *)h + struct_bytes);
    h->sentinel->prev_size = 0;
    h->sentinel->head = 0;
    h->end = start + total;
    h->mmap_threshold = threshold;
    h->grow_step = grow;
    h->trim_threshold = trim;
    return h;
}

void sf_heap_destroy(sf_heap *h)
{
    hb_memsrc src = h->src;
    char *start = h->region, *end = h->end;
    sf_large_release_all(h);
    /* Give the region back only if nobody grew it after us. */
    if (src.grow(src.ctx, 0) == end)
        src.grow(src.ctx, -(intptr_t)(end - start));
}

/*
 * The heap grows by delta bytes.  Growing back into what the last trim gave
 * away means that trim was churn: the pages are faulted in again (and
 * zeroed by the kernel) and the grow and trim calls were paid for nothing.
 * So, when the trim threshold is dynamic, it rises to twice what was
 * grown again since that trim, bounded by what the trim gave and by
 * SF_DYN_TRIM_MAX; the next time, that much free top stays.  A program
 * that trims and never grows back keeps the threshold it had.
 */
static void note_growth(sf_heap *h, size_t delta)
{
    if (!h->trim_given)
        return;
    size_t again = delta < h->trim_given ? delta : h->trim_given;
    h->trim_given -= again;
    h->trim_regrown += again;
    size_t want = h->trim_regrown < SF_DYN_TRIM_MAX / 2 ? 2 * h->trim_regrown : SF_DYN_TRIM_MAX;
    if (h->dynamic_trim && h->trim_threshold < want)
        h->trim_threshold = want;
}

/*
 * Makes the top at least need bytes long, growing the region by at least
 * grow_step so a run of small mallocs does not call grow() each time.
 */
static bool top_reserve(sf_heap *h, size_t need)
{
    size_t have = sf_top_room(h);
    if (have >= need)
        return true;
    size_t delta = need - have > h->grow_step ? need - have : h->grow_step;
    if (delta > (size_t)INTPTR_MAX - SF_HDR)
        return false;
    delta = (delta + 15) & ~(size_t)15;
    char *old = h->src.grow(h->src.ctx, (intptr_t)delta);
    if (!old)
        return false;
    if (old != h->end) { /* someone else moved the break */
        h->src.grow(h->src.ctx, -(intptr_t)delta);
        return false;
    }
    note_growth(h, delta);
    h->end += delta;
    return true;
}

sf_block *sf_grow(sf_heap *h, size_t size)
{
    return top_reserve(h, size) ? sf_carve(h, size) : NULL;
}

/*
 * realloc at the top: makes the in-use block last (whose next block is the
 * sentinel) at least size bytes long, from the top, growing the region if
 * the top is too short.
 */
bool sf_grow_top(sf_heap *h, sf_block *last, size_t size)
{
    if (!top_reserve(h, size - sf_size(last)))
        return false;
    last->head = size | (last->head & SF_PREV_FREE);
    h->sentinel = sf_at(last, size);
    h->sentinel->head = 0;
    return true;
}

/*
 * Called with a block b, just freed and merged with a free previous block,
 * whose next block is the sentinel: the sentinel moves down to b, which
 * joins the top.  When the top is then longer than trim_threshold, it goes
 * back to the memory source but for grow_step bytes kept for the next
 * mallocs.
 */
void sf_trim(sf_heap *h, sf_block *b)
{
    h->sentinel = b;
    b->head = 0; /* b's previous block is in use: merging is eager */
    size_t room = sf_top_room(h);
    size_t keep = (h->grow_step + 15) & ~(size_t)15;
    if (room > h->trim_threshold && room > keep && h->src.grow(h->src.ctx, 0) == h->end) {
        size_t release = room - keep;
        if (h->src.grow(h->src.ctx, -(intptr_t)release)) {
            /* Trims with no growth between them add up (freeing a
             * whole phase trims many times); growth in between starts
             * a new count. */
            if (h->trim_regrown)
                h->trim_given = h->trim_regrown = 0;
            h->trim_given += release;
            h->end -= release;
        }
    }
}
