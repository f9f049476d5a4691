/*
 * nova's free runs: segregated lists by length (two-level classes as in
 * TLSF), a bitmap of non-empty lists, and the two operations everything
 * else is made of -- give a range back (merging with free neighbours) and
 * carve a block out of a run.
 */
#include "nova_internal.h"

/* Runs shorter than 16 granules have a list per length; longer ones share a
 * list per sixteenth of a power of two. */
void nv_class_of(uint32_t len, unsigned *fl, unsigned *sl)
{
    if (len < NV_SL_COUNT) {
        *fl = 0;
        *sl = len;
        return;
    }
    unsigned f = hb_log2_floor(len);
    *sl = (len >> (f - NV_SL_LOG)) ^ NV_SL_COUNT;
    *fl = f - NV_SL_LOG + 1;
}

void nv_run_insert(nova_heap *h, uint32_t g, uint32_t len)
{
    unsigned fl, sl;
    nv_class_of(len, &fl, &sl);
    nv_run *r = nv_at(h, g);
    r->len = len;
    nv_at(h, g + len - 1)->len = len; /* the footer */
    r->prev = NV_NONE;
    r->next = h->heads[fl][sl];
    if (r->next != NV_NONE)
        nv_at(h, r->next)->prev = g;
    h->heads[fl][sl] = g;
    h->sl_bitmap[fl] |= 1u << sl;
    h->fl_bitmap |= 1u << fl;
}

void nv_run_remove(nova_heap *h, uint32_t g)
{
    nv_run *r = nv_at(h, g);
    unsigned fl, sl;
    nv_class_of((uint32_t)r->len, &fl, &sl);
    if (r->next != NV_NONE)
        nv_at(h, r->next)->prev = r->prev;
    if (r->prev != NV_NONE) {
        nv_at(h, r->prev)->next = r->next;
        return;
    }
    h->heads[fl][sl] = r->next;
    if (r->next == NV_NONE && !(h->sl_bitmap[fl] &= ~(1u << sl)))
        h->fl_bitmap &= ~(1u << fl);
}

/* A run of at least len granules, or NV_NONE: len is rounded up to the next
 * class boundary so any run of the class found fits. */
uint32_t nv_run_find(const nova_heap *h, uint32_t len)
{
    uint64_t want = len;
    if (len >= NV_SL_COUNT)
        want += ((uint64_t)1 << (hb_log2_floor(len) - NV_SL_LOG)) - 1;
    if (want >= NV_MAX_GRANULES)
        return NV_NONE;
    unsigned fl, sl;
    nv_class_of((uint32_t)want, &fl, &sl);
    uint32_t sl_map = h->sl_bitmap[fl] & (~0u << sl);
    if (!sl_map) {
        uint32_t fl_map = fl + 1 < 32 ? h->fl_bitmap & (~0u << (fl + 1)) : 0;
        if (!fl_map)
            return NV_NONE;
        fl = (unsigned)__builtin_ctz(fl_map);
        sl_map = h->sl_bitmap[fl];
    }
    return h->heads[fl][__builtin_ctz(sl_map)];
}

/*
 * [lo, hi) has just become unused (its used bits are already clear).  It
 * joins the free runs on either side, and the merged run is filed.  Returns
 * the merged run's start.
 */
uint32_t nv_free_range(nova_heap *h, uint32_t lo, uint32_t hi)
{
    if (lo > 0 && !hb_bit(h->used, lo - 1)) {
        uint32_t before = (uint32_t)nv_at(h, lo - 1)->len;
        lo -= before;
        nv_run_remove(h, lo);
    }
    if (hi < h->n && !hb_bit(h->used, hi)) {
        uint32_t after = (uint32_t)nv_at(h, hi)->len;
        nv_run_remove(h, hi);
        hi += after;
    }
    nv_run_insert(h, lo, hi - lo);
    return lo;
}

/* Takes the block [s, s + k) out of the free run starting at run, which
 * must contain it; what is left on either side stays free. */
void nv_carve(nova_heap *h, uint32_t run, uint32_t s, uint32_t k)
{
    uint32_t end = run + (uint32_t)nv_at(h, run)->len;
    nv_run_remove(h, run);
    if (run < s)
        nv_run_insert(h, run, s - run);
    if (s + k < end)
        nv_run_insert(h, s + k, end - s - k);
    hb_bits_set(h->used, s, s + k, true);
    hb_bits_set(h->start, s, s + k, false);
    h->start[s >> 6] |= (uint64_t)1 << (s & 63);
}
