/*
 * nova's region: creating it, growing the arena (which moves the bitmaps
 * up), and giving a large free top back (which moves them down).
 *
 * The bitmaps take 2 bits per 16 bytes, 1/64 of the arena.  Keeping them
 * above the arena is what lets one sbrk region hold both without reserving
 * room for a largest heap.  A move copies them, so the arena grows by at
 * least 1/16 of itself each time: the copying stays below half a byte
 * per byte of growth.
 */
#include "nova_internal.h"

#include <string.h>

static char *region_end(const nova_heap *h) { return (char *)h->used + (size_t)h->cap / 4; }

nova_heap *nv_heap_create(const hb_memsrc *src, uint32_t min_grow, uint32_t trim)
{
    char *start = src->grow(src->ctx, 0);
    if (!start)
        return NULL;
    size_t pad = (size_t)(-(uintptr_t)start & 15);
    size_t head = (sizeof(nova_heap) + 15) & ~(size_t)15;
    if (src->grow(src->ctx, (intptr_t)(pad + head)) != start)
        return NULL;
    nova_heap *h = (nova_heap *)(start + pad);
    memset(h, 0, sizeof *h);
    memset(h->heads, 0xFF, sizeof h->heads);
    h->src = *src;
    h->region = start;
    h->arena = (char *)h + head;
    h->used = h->start = (uint64_t *)h->arena;
    h->min_grow = min_grow;
    h->trim = trim;
    return h;
}

void nv_heap_destroy(nova_heap *h)
{
    hb_memsrc src = h->src;
    char *start = h->region, *end = region_end(h);
    if (src.grow(src.ctx, 0) == end)
        src.grow(src.ctx, -(intptr_t)(end - start));
}

/* Granules of the free run that ends the arena, 0 if the last is in use. */
static uint32_t top_run(const nova_heap *h)
{
    return h->n && !hb_bit(h->used, h->n - 1) ? (uint32_t)nv_at(h, h->n - 1)->len : 0;
}

/* Moves both bitmaps to sit right above n granules with room for cap. */
static void place_bitmaps(nova_heap *h, uint32_t n, uint32_t cap)
{
    size_t old_words = h->cap / 64, new_words = cap / 64;
    uint64_t *used = (uint64_t *)(h->arena + (size_t)n * NV_GRAN);
    uint64_t *start = used + new_words;
    /* Moving up, the start bits go first (their new place is above the old
     * used bits); moving down, the used bits go first. */
    if (used > h->used) {
        memmove(start, h->start, old_words * 8);
        memmove(used, h->used, old_words * 8);
    } else {
        memmove(used, h->used, old_words * 8);
        memmove(start, h->start, old_words * 8);
    }
    memset(used + old_words, 0, (new_words - old_words) * 8);
    memset(start + old_words, 0, (new_words - old_words) * 8);
    h->used = used;
    h->start = start;
    h->cap = cap;
}

/*
 * Makes the arena's top free run at least k granules long.  Grows by at
 * least min_grow and by at least 1/16 of the arena.  Fails, changing
 * nothing, when the memory source refuses or someone else moved the break.
 */
bool nv_grow(nova_heap *h, uint32_t k)
{
    uint32_t have = top_run(h);
    uint64_t d = k > have ? k - have : 0;
    if (d < h->min_grow)
        d = h->min_grow;
    if (d < h->n / 16)
        d = h->n / 16;
    if ((uint64_t)h->n + d > NV_MAX_GRANULES)
        d = NV_MAX_GRANULES - h->n;
    if (d == 0 || have + d < k)
        return false;
    uint32_t n = h->n + (uint32_t)d;
    uint64_t cap = h->cap ? h->cap : 64;
    while (cap < n)
        cap *= 2;
    size_t delta = (size_t)d * NV_GRAN + (size_t)(cap - h->cap) / 4;
    char *old = h->src.grow(h->src.ctx, (intptr_t)delta);
    if (!old)
        return false;
    if (old != region_end(h)) {
        h->src.grow(h->src.ctx, -(intptr_t)delta);
        return false;
    }
    uint32_t old_n = h->n;
    place_bitmaps(h, n, (uint32_t)cap);
    h->n = n;
    nv_free_range(h, old_n, n);
    return true;
}

/*
 * Gives the top back when the free run there is longer than trim granules
 * plus the slack a growth would add anyway (min_grow, or 1/16 of the
 * arena), keeping that slack.  Without the slack in the trigger, a heap
 * whose growth steps exceed trim would shrink after every growth and grow
 * again at the next malloc, moving the bitmaps each time.
 */
void nv_trim(nova_heap *h)
{
    uint32_t len = top_run(h);
    uint32_t keep = h->n / 16 > h->min_grow ? h->n / 16 : h->min_grow;
    if (len <= keep || len - keep <= h->trim || h->src.grow(h->src.ctx, 0) != region_end(h))
        return;
    uint32_t release = len - keep, n = h->n - release;
    nv_run_remove(h, h->n - len);
    hb_bits_set(h->start, n, h->n, false); /* stale start bits above the new top */
    place_bitmaps(h, n, h->cap);
    h->n = n;
    nv_run_insert(h, n - keep, keep);
    h->src.grow(h->src.ctx, -(intptr_t)((size_t)release * NV_GRAN));
}
