/*
 * Log-linear latency histograms (HDR style): each power of two is split into
 * HB_HIST_SUB linear sub-buckets, so a recorded value is known to within
 * 1/HB_HIST_SUB (about 3 %) of itself at any magnitude, in a fixed array
 * and O(1) per sample.  Values below HB_HIST_SUB have a bucket each.
 * Count, sum, minimum and maximum are exact.
 */
#ifndef HB_HISTOGRAM_H
#define HB_HISTOGRAM_H

#include <stdint.h>

#define HB_HIST_SUB_BITS 5
#define HB_HIST_SUB (1u << HB_HIST_SUB_BITS)
/* bucket groups: one exact group, then one per exponent SUB_BITS..63 */
#define HB_HIST_BUCKETS ((64 - HB_HIST_SUB_BITS + 1) * HB_HIST_SUB)

typedef struct hb_hist {
    uint64_t count, sum, min, max;
    uint64_t bucket[HB_HIST_BUCKETS];
    uint64_t bsum[HB_HIST_BUCKETS]; /* exact sum of each bucket's samples */
} hb_hist;

/* Group g >= 1 holds [2^(g+SUB_BITS-1), 2^(g+SUB_BITS)) in steps of 2^(g-1). */
static inline unsigned hb_hist_index(uint64_t v)
{
    if (v < HB_HIST_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = e - HB_HIST_SUB_BITS;
    return (shift + 1) * HB_HIST_SUB + (unsigned)(v >> shift) - HB_HIST_SUB;
}

static inline void hb_hist_add(hb_hist *h, uint64_t v)
{
    unsigned i = hb_hist_index(v);
    h->bucket[i]++;
    h->bsum[i] += v;
    h->count++;
    h->sum += v;
    if (v > h->max)
        h->max = v;
    if (v < h->min)
        h->min = v;
}

void hb_hist_reset(hb_hist *h);

/* Smallest value and width of bucket i. */
uint64_t hb_hist_bucket_lo(unsigned i);
uint64_t hb_hist_bucket_width(unsigned i);

double hb_hist_mean(const hb_hist *h);

/* The trimmed mean: the mean of the samples left when the smallest and the
 * largest floor(trim * count) are set aside (0 <= trim < 0.5).  Buckets
 * keep exact sums, so the figure is exact but where a tail ends inside a
 * bucket: that bucket's part is taken at the bucket's own mean.  A handful
 * of preempted samples, however long, cannot move it. */
double hb_hist_tmean(const hb_hist *h, double trim);

/* Samples at or above v, to the histogram's resolution: a bucket that
 * holds v counts when its middle is at or above v. */
uint64_t hb_hist_count_at_least(const hb_hist *h, uint64_t v);

/* Adds every sample of src to dst. */
void hb_hist_merge(hb_hist *dst, const hb_hist *src);

/* The q-quantile (0 < q <= 1) in the histogram's unit: the bucket holding
 * the ceil(q*count)-th smallest value, interpolated linearly by rank inside
 * it, clamped to [min, max].  0 when empty. */
double hb_hist_quantile(const hb_hist *h, double q);

#endif /* HB_HISTOGRAM_H */
