/*
 * The statistics of repeated passes, pinned on samples computed by hand.
 */
#include <math.h>

#include "check.h"
#include "util/stats.h"

static int close_to(double got, double want, double tol)
{
    if (fabs(got - want) <= tol)
        return 1;
    fprintf(stderr, "  got %.6f, want %.6f\n", got, want);
    return 0;
}

static void test_sort_and_median(void)
{
    double v[] = { 5, 3, 9, 1, 7 };
    CHECK(hb_median(v, 5) == 5);
    CHECK(v[0] == 1 && v[1] == 3 && v[2] == 5 && v[3] == 7 && v[4] == 9);
    double e[] = { 4, 1, 3, 2 };
    CHECK(hb_median(e, 4) == 2.5);
    double one[] = { 42 };
    CHECK(hb_median(one, 1) == 42 && hb_median(one, 0) == 0);
    double big[1000];
    for (int i = 0; i < 1000; i++)
        big[i] = (double)((i * 7919) % 1000); /* a permutation of 0..999 */
    hb_sort_doubles(big, 1000);
    int sorted = 1;
    for (int i = 0; i < 1000; i++)
        sorted &= big[i] == i;
    CHECK(sorted);
}

/* 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sum of squares 32, s = sqrt(32/7). */
static void test_mean_and_stddev(void)
{
    double v[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
    CHECK(hb_mean(v, 8) == 5);
    CHECK(close_to(hb_stddev(v, 8), sqrt(32.0 / 7.0), 1e-12));
    CHECK(hb_stddev(v, 1) == 0);
}

/* t(0.975): 12.706 at df 1, 2.776 at 4, 2.042 at 30, towards 1.960. */
static void test_t_quantiles(void)
{
    CHECK(hb_t975(1) == 12.706 && hb_t975(4) == 2.776 && hb_t975(30) == 2.042);
    CHECK(hb_t975(60) > 1.96 && hb_t975(60) < 2.042);
    CHECK(close_to(hb_t975(60), 2.000, 0.002)); /* tables: 2.000 */
    CHECK(close_to(hb_t975(120), 1.980, 0.002)); /* tables: 1.980 */
    CHECK(hb_t975(0) == 0);
}

/* 10, 12, 14: mean 12, s = 2, half-width 4.303 * 2 / sqrt(3) = 4.9687. */
static void test_interval(void)
{
    double v[] = { 10, 12, 14 };
    CHECK(close_to(hb_ci95_half(v, 3), 4.303 * 2 / sqrt(3.0), 1e-9));
    CHECK(hb_ci95_half(v, 1) == 0);
}

int main(void)
{
    RUN(test_sort_and_median);
    RUN(test_mean_and_stddev);
    RUN(test_t_quantiles);
    RUN(test_interval);
    return check_summary();
}
