/*
 * The latency clock: the cheapest reliable tick counter of the machine.
 *
 * On x86-64 with an invariant TSC (cpuinfo flags constant_tsc and
 * nonstop_tsc) it is rdtsc, fenced with lfence on both sides so the
 * measured instructions neither leak out of nor into the window, and
 * calibrated against CLOCK_MONOTONIC.  Anywhere else it is
 * clock_gettime(CLOCK_MONOTONIC) in nanoseconds.  The environment variable
 * HB_CLOCK=monotonic forces the second.
 *
 * Two facts of the clock are measured, not assumed (hb_clock_calibrate):
 *
 *   overhead  the MEAN of many back-to-back reading pairs, in ticks: what an
 *             empty timed window reads on average.  A median would sit on
 *             one of two clock steps and flip between runs; the mean of
 *             quantized pairs is unbiased, so subtracting it from a mean of
 *             samples is unbiased too.  Pairs hit by an interrupt (over
 *             three times the smallest pair) are left out.
 *   step      the resolution: the smallest difference between two distinct
 *             pair readings.  Samples are multiples of it (plus a phase), so
 *             a percentile is only known to one step.
 *
 * Samples are recorded raw (hb_clock_delta); the read-out subtracts the
 * overhead from means and percentiles once, at the end (replay.c).
 */
#ifndef HB_CLOCK_H
#define HB_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HB_HAVE_TSC 1
#else
#define HB_HAVE_TSC 0
#endif

typedef struct hb_clock {
    char name[16];      /* "tsc" or "monotonic"                      */
    bool tsc;
    double ns_per_tick; /* 1 for monotonic                            */
    double overhead;    /* ticks: mean of back-to-back pairs          */
    double overhead_ns;
    uint64_t step;      /* ticks: smallest difference between pairs   */
    double step_ns;
    uint64_t dropped;   /* pairs left out as interrupted (last calibration) */
} hb_clock;

/* Picks the clock, measures its rate (about 15 ms) and calibrates it. */
void hb_clock_init(hb_clock *c);

/* The clock_gettime(CLOCK_MONOTONIC) clock, calibrated. */
void hb_clock_init_monotonic(hb_clock *c);

/* Measures overhead and step again (about 5 ms): done around each timed
 * pass, so the zero point is the one of that moment. */
void hb_clock_calibrate(hb_clock *c);

static inline uint64_t hb_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t hb_clock_ticks(const hb_clock *c)
{
#if HB_HAVE_TSC
    if (c->tsc) {
        _mm_lfence();
        uint64_t t = __rdtsc();
        _mm_lfence();
        return t;
    }
#endif
    (void)c;
    return hb_mono_ns();
}

/* Ticks of one raw sample between t0 and t1 (the overhead is still in it). */
static inline uint64_t hb_clock_delta(uint64_t t0, uint64_t t1) { return t1 - t0; }

static inline double hb_clock_ns(const hb_clock *c, double ticks) { return ticks * c->ns_per_tick; }

#endif /* HB_CLOCK_H */
