/*
 * Log-linear histograms against distributions whose quantiles are known,
 * and the clock they are fed from.
 */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "replay/clock.h"
#include "replay/histogram.h"

static hb_hist h;

/* Within the bucket resolution: 1/HB_HIST_SUB relative, or 1 absolute. */
static int near(double got, double want)
{
    double tol = want / HB_HIST_SUB + 1.0;
    if (fabs(got - want) <= tol)
        return 1;
    fprintf(stderr, "  got %.2f, want %.2f +- %.2f\n", got, want, tol);
    return 0;
}

static void test_bucket_bounds_hold_every_value(void)
{
    uint64_t v = 1;
    unsigned last = 0;
    for (int i = 0; i < 200000; i++) {
        unsigned b = hb_hist_index(v);
        CHECK(b < HB_HIST_BUCKETS);
        CHECK(b >= last); /* monotonic */
        CHECK(hb_hist_bucket_lo(b) <= v);
        CHECK(v - hb_hist_bucket_lo(b) < hb_hist_bucket_width(b));
        last = b;
        v += v / 1000 + 1;
        if (v > UINT64_MAX / 2)
            break;
    }
    CHECK(hb_hist_index(UINT64_MAX) == HB_HIST_BUCKETS - 1);
    CHECK(hb_hist_index(0) == 0 && hb_hist_index(31) == 31 && hb_hist_index(32) == 32);
}

static void test_uniform(void)
{
    hb_hist_reset(&h);
    for (uint64_t v = 1; v <= 100000; v++)
        hb_hist_add(&h, v);
    CHECK_EQ_U(h.count, 100000);
    CHECK_EQ_U(h.sum, 5000050000ull);
    CHECK_EQ_U(h.min, 1);
    CHECK_EQ_U(h.max, 100000);
    CHECK(fabs(hb_hist_mean(&h) - 50000.5) < 1e-6);
    CHECK(near(hb_hist_quantile(&h, 0.50), 50000));
    CHECK(near(hb_hist_quantile(&h, 0.90), 90000));
    CHECK(near(hb_hist_quantile(&h, 0.99), 99000));
    CHECK(near(hb_hist_quantile(&h, 0.999), 99900));
    CHECK(hb_hist_quantile(&h, 1.0) == 100000);
}

static void test_constant_is_exact(void)
{
    hb_hist_reset(&h);
    for (int i = 0; i < 1000; i++)
        hb_hist_add(&h, 1234);
    CHECK(hb_hist_quantile(&h, 0.5) == 1234);
    CHECK(hb_hist_quantile(&h, 0.999) == 1234);
}

/* 90 % fast at 100, 9 % at 1000, 1 % slow at 50000: the tail is where
 * allocators differ and must come out right. */
static void test_bimodal_tail(void)
{
    hb_hist_reset(&h);
    for (int i = 0; i < 9000; i++)
        hb_hist_add(&h, 100);
    for (int i = 0; i < 900; i++)
        hb_hist_add(&h, 1000);
    for (int i = 0; i < 100; i++)
        hb_hist_add(&h, 50000);
    CHECK(near(hb_hist_quantile(&h, 0.50), 100));
    CHECK(near(hb_hist_quantile(&h, 0.90), 100));
    CHECK(near(hb_hist_quantile(&h, 0.95), 1000));
    CHECK(near(hb_hist_quantile(&h, 0.99), 1000));
    CHECK(near(hb_hist_quantile(&h, 0.999), 50000));
    CHECK_EQ_U(h.max, 50000);
}

/* Exponential with mean 1000: the q-quantile is -1000 ln(1-q). */
static void test_exponential(void)
{
    hb_hist_reset(&h);
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = (i + 0.5) / n; /* evenly spread, no random noise */
        hb_hist_add(&h, (uint64_t)llround(-1000.0 * log(1.0 - u)));
    }
    CHECK(near(hb_hist_quantile(&h, 0.50), 693.1));
    CHECK(near(hb_hist_quantile(&h, 0.90), 2302.6));
    CHECK(near(hb_hist_quantile(&h, 0.99), 4605.2));
    CHECK(near(hb_hist_quantile(&h, 0.999), 6907.8));
}

static void test_empty(void)
{
    hb_hist_reset(&h);
    CHECK(hb_hist_quantile(&h, 0.5) == 0 && hb_hist_mean(&h) == 0);
}

/* The clock ticks forward, converts to nanoseconds near real time, and its
 * overhead is small and subtracted. */
static void test_clock(void)
{
    hb_clock c;
    hb_clock_init(&c);
    CHECK(!strcmp(c.name, "tsc") || !strcmp(c.name, "monotonic"));
    CHECK(c.ns_per_tick > 0);
    CHECK(c.overhead_ns >= 0 && c.overhead_ns < 10000);
    uint64_t n0 = hb_mono_ns(), t0 = hb_clock_ticks(&c);
    while (hb_mono_ns() - n0 < 20000000)
        ;
    uint64_t t1 = hb_clock_ticks(&c), n1 = hb_mono_ns();
    double ns = hb_clock_ns(&c, (double)(t1 - t0));
    CHECK(fabs(ns - (double)(n1 - n0)) < 0.02 * (double)(n1 - n0) + 100000);
    CHECK(hb_clock_delta(100, 130) == 30);
    /* The step is the resolution: at least one tick, at most the overhead
     * (two readings differ by at least one step when the clock moved). */
    CHECK(c.step >= 1 && (double)c.step <= c.overhead + 1);
    CHECK(c.step_ns > 0 && c.step_ns < 1000);
    hb_clock m;
    hb_clock_init_monotonic(&m);
    CHECK(!strcmp(m.name, "monotonic") && m.ns_per_tick == 1.0);
}

/* Calibrating again gives nearly the same zero point: the mean of pairs
 * does not flip between two clock steps as a median does. */
static void test_calibration_is_stable(void)
{
    hb_clock c;
    hb_clock_init(&c);
    double lo = c.overhead_ns, hi = c.overhead_ns;
    for (int i = 0; i < 20; i++) {
        hb_clock_calibrate(&c);
        lo = c.overhead_ns < lo ? c.overhead_ns : lo;
        hi = c.overhead_ns > hi ? c.overhead_ns : hi;
    }
    /* generous: a loaded machine adds interrupts, which are left out */
    CHECK(hi - lo < c.step_ns + 5.0);
}

/* Trimmed mean by hand: 100 samples 1..100 with 1 % trimmed each side
 * drop 1 and 100: the mean of 2..99 is 50.5.  Two huge samples (a
 * preemption) among 1000 small ones do not move it, while the mean moves
 * a thousandfold. */
static void test_trimmed_mean(void)
{
    hb_hist_reset(&h);
    for (uint64_t v = 1; v <= 100; v++)
        hb_hist_add(&h, v);
    CHECK(hb_hist_tmean(&h, 0.01) == 50.5);
    CHECK(hb_hist_tmean(&h, 0.0) == 50.5); /* the plain mean of 1..100 */
    /* mean of 11..90: 50.5, but 91 shares a bucket with 90, so that
     * bucket is cut at its mean (90.5): within 0.5/80 */
    CHECK(fabs(hb_hist_tmean(&h, 0.10) - 50.5) <= 0.5 / 80 + 1e-12);
    hb_hist_reset(&h);
    for (int i = 0; i < 998; i++)
        hb_hist_add(&h, 20);
    hb_hist_add(&h, 20000000);
    hb_hist_add(&h, 30000000);
    CHECK(hb_hist_mean(&h) > 40000);
    CHECK(hb_hist_tmean(&h, 0.01) == 20.0);
    /* asymmetric by hand: 1,2,3,4,1000 with k = 1 keeps 2,3,4 */
    hb_hist_reset(&h);
    for (uint64_t v = 1; v <= 4; v++)
        hb_hist_add(&h, v);
    hb_hist_add(&h, 1000);
    CHECK(hb_hist_tmean(&h, 0.2) == 3.0);
}

static void test_merge_and_count(void)
{
    hb_hist a, b;
    hb_hist_reset(&a);
    hb_hist_reset(&b);
    for (uint64_t v = 1; v <= 10; v++)
        hb_hist_add(&a, v);
    for (uint64_t v = 200001; v <= 200010; v++)
        hb_hist_add(&b, v);
    hb_hist_merge(&a, &b);
    CHECK(a.count == 20 && a.min == 1 && a.max == 200010);
    CHECK(a.sum == 55 + 2000055);
    CHECK(hb_hist_count_at_least(&a, 100000) == 10);
    CHECK(hb_hist_count_at_least(&a, 5) == 16);
    CHECK(hb_hist_count_at_least(&a, 0) == 20);
}

int main(void)
{
    RUN(test_bucket_bounds_hold_every_value);
    RUN(test_uniform);
    RUN(test_constant_is_exact);
    RUN(test_bimodal_tail);
    RUN(test_exponential);
    RUN(test_empty);
    RUN(test_clock);
    RUN(test_calibration_is_stable);
    RUN(test_trimmed_mean);
    RUN(test_merge_and_count);
    return check_summary();
}
