/*
 * The statistics of the report: the mean of a cell's repetitions with a
 * Student-t 95 % interval, and the geometric mean of ratios to a baseline
 * over traces, its interval carried from the cells' intervals by the delta
 * method on logarithms.
 */
#ifndef HB_REPORT_STATS_H
#define HB_REPORT_STATS_H

#include <stddef.h>

/* A figure with the half-width of its 95 % interval (NaN: no interval). */
typedef struct hb_est {
    double v;
    double half;
    unsigned n; /* samples (repetitions, or traces for a geomean) */
} hb_est;

/* Mean of x[0..n) with a t interval when n >= 2; v is NaN when n == 0. */
hb_est hb_mean_ci(const double *x, size_t n);

/* The geometric mean of num[i] / den[i] over the i where both are positive
 * numbers.  The interval: each ratio's log gets the variance of its two
 * figures' intervals (half / 1.96 / value, squared, summed); the mean of
 * logs gets their sum over n^2; the interval is exp(+-1.96 sd) around the
 * geomean, written as the larger half-width.  half is NaN when any used
 * figure lacks an interval. */
hb_est hb_geomean_ratio(const hb_est *num, const hb_est *den, size_t n, double *lo, double *hi);

#endif /* HB_REPORT_STATS_H */
