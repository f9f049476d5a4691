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
 * The cost of reading the clock twice back to back (the median of many
 * pairs) is the overhead; each sample has it subtracted (clamped at 0).
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
    char name[16];      /* "tsc" or "monotonic"            */
    bool tsc;
    double ns_per_tick; /* 1 for monotonic                  */
    uint64_t overhead;  /* ticks, subtracted from samples   */
    double overhead_ns;
} hb_clock;

/* Picks and calibrates the clock (about 30 ms). */
void hb_clock_init(hb_clock *c);

/* The clock_gettime(CLOCK_MONOTONIC) clock, with its overhead measured. */
void hb_clock_init_monotonic(hb_clock *c);

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

/* Ticks of one sample between t0 and t1, less the clock's own cost. */
static inline uint64_t hb_clock_sample(const hb_clock *c, uint64_t t0, uint64_t t1)
{
    uint64_t d = t1 - t0;
    return d > c->overhead ? d - c->overhead : 0;
}

static inline double hb_clock_ns(const hb_clock *c, double ticks) { return ticks * c->ns_per_tick; }

#endif /* HB_CLOCK_H */
