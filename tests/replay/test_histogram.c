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
    CHECK(hb_clock_sample(&c, 100, 100) == 0);
    hb_clock m;
    hb_clock_init_monotonic(&m);
    CHECK(!strcmp(m.name, "monotonic") && m.ns_per_tick == 1.0);
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
    return check_summary();
}
