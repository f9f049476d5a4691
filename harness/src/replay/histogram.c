/*
 * Histogram read-out (see histogram.h): mean and interpolated quantiles.
 */
#include "replay/histogram.h"

#include <math.h>
#include <string.h>

void hb_hist_reset(hb_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

uint64_t hb_hist_bucket_lo(unsigned i)
{
    if (i < HB_HIST_SUB)
        return i;
    unsigned shift = i / HB_HIST_SUB - 1;
    return (uint64_t)(HB_HIST_SUB + i % HB_HIST_SUB) << shift;
}

uint64_t hb_hist_bucket_width(unsigned i)
{
    return i < HB_HIST_SUB ? 1 : (uint64_t)1 << (i / HB_HIST_SUB - 1);
}

double hb_hist_mean(const hb_hist *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}

/* Inside a bucket of n samples, the k-th (1-based) is placed at the middle
 * of the k-th of n equal slices, as if the samples were spread evenly. */
double hb_hist_quantile(const hb_hist *h, double q)
{
    if (!h->count)
        return 0.0;
    if (q <= 0)
        return (double)h->min;
    uint64_t rank = (uint64_t)ceil(q * (double)h->count);
    if (rank < 1)
        rank = 1;
    if (rank > h->count)
        rank = h->count;
    uint64_t cum = 0;
    for (unsigned i = 0; i < HB_HIST_BUCKETS; i++) {
        uint64_t n = h->bucket[i];
        if (cum + n < rank) {
            cum += n;
            continue;
        }
        double w = (double)hb_hist_bucket_width(i);
        double v = (double)hb_hist_bucket_lo(i);
        if (w > 1)
            v += w * ((double)(rank - cum) - 0.5) / (double)n;
        if (v < (double)h->min)
            v = (double)h->min;
        if (v > (double)h->max)
            v = (double)h->max;
        return v;
    }
    return (double)h->max;
}
