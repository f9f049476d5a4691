/*
 * nova's check(): walks the arena run by run and the free lists, and
 * verifies the invariants free and malloc rely on.  Linear in the arena.
 *
 *   1. the bitmaps sit right above the arena and the region ends there;
 *   2. no bit is set beyond the arena;
 *   3. every run of used granules begins with a start bit;
 *   4. every maximal run of unused granules carries its length in its first
 *      and last granule and is filed in the list of its class;
 *   5. the lists hold exactly those runs, doubly linked, and the bitmaps of
 *      non-empty lists are exact.
 */
#include "nova_internal.h"

#include "kit/check_fail.h"

static int check_layout(const nova_heap *h, char *msg, size_t msglen)
{
    if ((char *)h->used != h->arena + (size_t)h->n * NV_GRAN || h->start != h->used + h->cap / 64)
        return hb_check_fail(msg, msglen, "nova: ", "bitmaps are not right above the arena");
    if (h->n > h->cap || h->cap % 64)
        return hb_check_fail(msg, msglen, "nova: ", "%u granules but room for %u", h->n, h->cap);
    if (h->src.grow(h->src.ctx, 0) != (char *)h->start + h->cap / 8)
        return hb_check_fail(msg, msglen, "nova: ", "the break is not at the end of the bitmaps");
    if (hb_bits_scan(h->used, h->n, h->cap, true) != h->cap ||
        hb_bits_scan(h->start, h->n, h->cap, true) != h->cap)
        return hb_check_fail(msg, msglen, "nova: ", "bits set beyond the arena");
    return 0;
}

/* Walks runs; counts free ones into *runs. */
static int check_runs(const nova_heap *h, size_t *runs, char *msg, size_t msglen)
{
    size_t count = 0;
    for (uint32_t g = 0; g < h->n;) {
        bool in_use = hb_bit(h->used, g);
        uint32_t end = (uint32_t)hb_bits_scan(h->used, g, h->n, !in_use);
        if (in_use && !hb_bit(h->start, g))
            return hb_check_fail(msg, msglen, "nova: ", "used granule %u begins no block", g);
        if (!in_use) {
            if (nv_at(h, g)->len != end - g || nv_at(h, end - 1)->len != end - g)
                return hb_check_fail(msg, msglen,
                                     "nova: ", "free run %u..%u: length %llu/%llu recorded", g, end,
                                     (unsigned long long)nv_at(h, g)->len,
                                     (unsigned long long)nv_at(h, end - 1)->len);
            count++;
        }
        g = end;
    }
    *runs = count;
    return 0;
}

static int check_lists(const nova_heap *h, size_t runs, char *msg, size_t msglen)
{
    size_t seen = 0;
    for (unsigned fl = 0; fl < NV_FL_COUNT; fl++) {
        for (unsigned sl = 0; sl < NV_SL_COUNT; sl++) {
            uint32_t prev = NV_NONE;
            for (uint32_t g = h->heads[fl][sl]; g != NV_NONE; prev = g, g = nv_at(h, g)->next) {
                unsigned f, s;
                if (g >= h->n || hb_bit(h->used, g) || (g && !hb_bit(h->used, g - 1)))
                    return hb_check_fail(msg, msglen, "nova: ", "list %u/%u: %u starts no free run",
                                         fl, sl, g);
                nv_class_of((uint32_t)nv_at(h, g)->len, &f, &s);
                if (f != fl || s != sl || nv_at(h, g)->prev != prev)
                    return hb_check_fail(msg, msglen,
                                         "nova: ", "list %u/%u: run %u filed or linked wrong", fl,
                                         sl, g);
                if (++seen > runs)
                    return hb_check_fail(msg, msglen,
                                         "nova: ", "lists hold more entries than free runs");
            }
            if (!!(h->sl_bitmap[fl] >> sl & 1) != (h->heads[fl][sl] != NV_NONE))
                return hb_check_fail(msg, msglen, "nova: ", "bitmap bit of list %u/%u is wrong", fl,
                                     sl);
        }
        if (!!(h->fl_bitmap >> fl & 1) != (h->sl_bitmap[fl] != 0))
            return hb_check_fail(msg, msglen, "nova: ", "first-level bit %u is wrong", fl);
    }
    if (seen != runs)
        return hb_check_fail(msg, msglen, "nova: ", "%zu free runs but %zu list entries", runs,
                             seen);
    return 0;
}

int nv_check(void *heap, char *msg, size_t msglen)
{
    const nova_heap *h = heap;
    size_t runs = 0;
    if (check_layout(h, msg, msglen) || check_runs(h, &runs, msg, msglen) ||
        check_lists(h, runs, msg, msglen))
        return 1;
    if (msg && msglen)
        msg[0] = '\0';
    return 0;
}
