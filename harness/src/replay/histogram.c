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

/* Sum of the k smallest (dir 1) or largest (dir -1) samples: whole
 * buckets exactly, the last one partly at its mean. */
static double tail_sum(const hb_hist *h, uint64_t k, int dir)
{
    double sum = 0;
    for (unsigned n = 0; n < HB_HIST_BUCKETS && k; n++) {
        unsigned i = dir > 0 ? n : HB_HIST_BUCKETS - 1 - n;
        uint64_t c = h->bucket[i];
        if (!c)
            continue;
        uint64_t take = c < k ? c : k;
        sum += take == c ? (double)h->bsum[i] : (double)take * (double)h->bsum[i] / (double)c;
        k -= take;
    }
    return sum;
}

double hb_hist_tmean(const hb_hist *h, double trim)
{
    if (!h->count)
        return 0.0;
    uint64_t k = (uint64_t)(trim * (double)h->count);
    if (2 * k >= h->count)
        k = (h->count - 1) / 2;
    double kept = (double)h->sum - tail_sum(h, k, 1) - tail_sum(h, k, -1);
    return kept / (double)(h->count - 2 * k);
}

uint64_t hb_hist_count_at_least(const hb_hist *h, uint64_t v)
{
    uint64_t n = 0;
    unsigned first = hb_hist_index(v);
    if (hb_hist_bucket_lo(first) + hb_hist_bucket_width(first) / 2 < v)
        first++;
    for (unsigned i = first; i < HB_HIST_BUCKETS; i++)
        n += h->bucket[i];
    return n;
}

void hb_hist_merge(hb_hist *dst, const hb_hist *src)
{
    if (!src->count)
        return;
    for (unsigned i = 0; i < HB_HIST_BUCKETS; i++) {
        dst->bucket[i] += src->bucket[i];
        dst->bsum[i] += src->bsum[i];
    }
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}
