/*
 * segfit's contiguous region: the heap struct at its start, then the blocks,
 * then a sentinel.  The region grows with the memory source's grow() and
 * shrinks again when a large free block ends at the top.
 *
 *   region -> [pad][sf_heap][block][block]...[block][sentinel] <- break
 *
 * The sentinel is a 16-byte in-use header of size 0: the last block's
 * "next" always exists, so merging never needs a bounds test, and the
 * sentinel's prev_size is the footer of the last block when it is free.
 */
#include "segfit_internal.h"

#include <string.h>

static char *region_end(const sf_heap *h) { return (char *)h->sentinel + SF_HDR; }

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
    h->mmap_threshold = threshold;
    h->grow_step = grow;
    h->trim_threshold = trim;
    return h;
}

void sf_heap_destroy(sf_heap *h)
{
    hb_memsrc src = h->src;
    char *start = h->region, *end = region_end(h);
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
 * Adds at least size bytes at the top and returns them as one free block
 * (not in any list), merged with the last block if that was free.  Grows by
 * at least grow_step so a run of small mallocs does not call grow each time.
 */
sf_block *sf_grow(sf_heap *h, size_t size)
{
    sf_block *s = h->sentinel;
    size_t have = (s->head & SF_PREV_FREE) ? s->prev_size : 0;
    size_t need = size - (have < size ? have : size);
    size_t delta = need > h->grow_step ? need : h->grow_step;
    if (delta > (size_t)INTPTR_MAX - SF_HDR)
        return NULL;
    delta = (delta + 15) & ~(size_t)15;
    char *old = h->src.grow(h->src.ctx, (intptr_t)delta);
    if (!old)
        return NULL;
    if (old != region_end(h)) { /* someone else moved the break */
        h->src.grow(h->src.ctx, -(intptr_t)delta);
        return NULL;
    }
    note_growth(h, delta);
    sf_block *b = s;
    size_t bsize = delta;
    size_t prev_flag = s->head & SF_PREV_FREE;
    if (prev_flag) {
        b = sf_prev(s);
        sf_list_remove(h, b);
        bsize += sf_size(b);
    }
    h->sentinel = sf_at(s, delta);
    h->sentinel->head = 0;
    sf_set_free(b, bsize, 0);
    return b;
}

/*
 * realloc at the top: makes the in-use block last (whose next block is the
 * sentinel) at least size bytes long by growing the region.
 */
bool sf_grow_top(sf_heap *h, sf_block *last, size_t size)
{
    size_t delta = size - sf_size(last);
    char *old = h->src.grow(h->src.ctx, (intptr_t)delta);
    if (!old)
        return false;
    if (old != region_end(h)) {
        h->src.grow(h->src.ctx, -(intptr_t)delta);
        return false;
    }
    note_growth(h, delta);
    last->head = size | (last->head & SF_PREV_FREE);
    h->sentinel = sf_at(last, size);
    h->sentinel->head = 0;
    return true;
}

/*
 * Called with a free block (not in a list) whose next block is the
 * sentinel.  When it is larger than trim_threshold the top of the region
 * goes back to the memory source, keeping grow_step bytes for the next
 * mallocs.  The block is inserted into the free lists either way.
 */
void sf_trim(sf_heap *h, sf_block *last)
{
    size_t size = sf_size(last);
    size_t keep = h->grow_step < SF_MIN_BLOCK ? SF_MIN_BLOCK : (h->grow_step + 15) & ~(size_t)15;
    if (size > h->trim_threshold && size > keep && h->src.grow(h->src.ctx, 0) == region_end(h)) {
        size_t release = size - keep;
        if (h->src.grow(h->src.ctx, -(intptr_t)release)) {
            /* Trims with no growth between them add up (freeing a
             * whole phase trims many times); growth in between starts
             * a new count. */
            if (h->trim_regrown)
                h->trim_given = h->trim_regrown = 0;
            h->trim_given += release;
            h->sentinel = sf_at(last, keep);
            h->sentinel->head = 0;
            sf_set_free(last, keep, last->head & SF_PREV_FREE);
        }
    }
    sf_list_insert(h, last);
}

bool sf_in_heap(const sf_heap *h, const void *p)
{
    uintptr_t a = (uintptr_t)p;
    return a >= (uintptr_t)h->first + SF_HDR && a < (uintptr_t)h->sentinel;
}

/*
 * Decides from the boundary tags whether b is a block free() may release.
 * Only the header words of b and its neighbours are read, and each is
 * bounds-checked before it is used to find the next one, so a wild pointer
 * into the heap cannot make free read outside it.  A "free" claim is
 * believed only if the next block's footer agrees, which a stale header
 * left inside a merged free block does not; a block parked in a quick list
 * must look in use to its next neighbour.  Limit: a header forged by user
 * data inside a live block with consistent neighbours cannot be told apart.
 */
int sf_validate(const sf_heap *h, const sf_block *b)
{
    if ((uintptr_t)b & 15)
        return HB_FREE_INVALID;
    size_t size = sf_size(b);
    size_t room = (size_t)((const char *)h->sentinel - (const char *)b);
    if (size < SF_MIN_BLOCK || size > room || (b->head & 8) ||
        (b->head & (SF_FREE | SF_CACHED)) == (SF_FREE | SF_CACHED))
        return HB_FREE_INVALID;
    const sf_block *n = sf_next(b);
    bool next_says_free = (n->head & SF_PREV_FREE) && n->prev_size == size;
    if (sf_is_free(b))
        return next_says_free ? HB_FREE_DOUBLE : HB_FREE_INVALID;
    if (n->head & SF_PREV_FREE)
        return HB_FREE_INVALID;
    if (b->head & SF_PREV_FREE) {
        size_t before = (size_t)((const char *)b - (const char *)h->first);
        if (b->prev_size < SF_MIN_BLOCK || b->prev_size > before || (b->prev_size & 15))
            return HB_FREE_INVALID;
        const sf_block *p = sf_prev(b);
        if (!sf_is_free(p) || sf_size(p) != b->prev_size)
            return HB_FREE_INVALID;
    }
    return b->head & SF_CACHED ? HB_FREE_DOUBLE : HB_FREE_OK;
}
