/*
 * Small statistics over samples of repeated measurements: the figures a
 * cell reports for its passes and a report for its repetitions.  Nothing
 * here allocates (sorting is in place), so it may run between passes.
 */
#ifndef HB_STATS_H
#define HB_STATS_H

#include <stddef.h>

/* Sorts v ascending in place (heapsort: O(n log n), no extra memory). */
void hb_sort_doubles(double *v, size_t n);

/* The median of v, sorting v; the mean of the two middle values when n is
 * even; 0 when n is 0. */
double hb_median(double *v, size_t n);

double hb_mean(const double *v, size_t n);

/* The sample standard deviation (n - 1 in the denominator); 0 when n < 2. */
double hb_stddev(const double *v, size_t n);

/* The 0.975 quantile of Student's t with df degrees of freedom: the factor
 * of a two-sided 95 % interval.  Exact to three decimals for df <= 30,
 * then the normal quantile's expansion in 1/df; 0 for df 0. */
double hb_t975(unsigned df);

/* Half-width of the 95 % t interval of the mean of v: t975(n-1) * s /
 * sqrt(n); 0 when n < 2. */
double hb_ci95_half(const double *v, size_t n);

#endif /* HB_STATS_H */
