/*
 * The measuring pass's meter: after every operation it reads the heap's
 * anonymous resident growth (footprint.h) and keeps the figures of the
 * memory criteria (replay.h lists them):
 *
 *   resident peak, and the resident figure at the moment of peak live
 *   bytes, and the live bytes at the moment of the resident peak;
 *   the usable bytes of the live blocks (where the allocator reports
 *   usable size), at the moment of peak live bytes;
 *   the sums over operations of resident and live bytes (Johnstone and
 *   Wilson's measure #1 averages over time, time counted in operations);
 *   the memory-over-time series: one point every `every` operations
 *   holding the largest value of each figure since the previous point.
 *
 * Private to replay/.
 */
#ifndef HB_METER_H
#define HB_METER_H

#include "replay/pass.h"

/* Adds (sign +1) or removes (-1) a live block's usable size. */
static inline void hb_meter_usable(hb_pass *P, void *base, int sign)
{
    hb_meter *m = P->meter;
    if (!m || !m->have_usable)
        return;
    uint64_t n = P->a->usable_size(P->heap, base);
    m->usable = sign > 0 ? m->usable + n : m->usable - n;
}

/* Called after operation i of the measuring pass. */
void hb_meter_after_op(hb_pass *P, size_t i);

/* Called after the last operation: closes the series. */
void hb_meter_finish(hb_pass *P);

#endif /* HB_METER_H */
