/*
 * Choosing, calibrating and costing the latency clock (see clock.h).
 */
#define _GNU_SOURCE
#include "replay/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OVERHEAD_PAIRS 25000
#define CALIBRATE_NS 5000000u /* per round */
#define CALIBRATE_ROUNDS 3

/* An invariant TSC ticks at one rate in every P-state and C-state; without
 * both flags its ticks are not time. */
static bool invariant_tsc(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        if (!strncmp(line, "flags", 5))
            found = strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc");
    fclose(f);
    return found;
}

/* The pairs of one calibration, kept static: calibrating allocates
 * nothing, so it can run between passes without touching any heap. */
static uint64_t pairs[OVERHEAD_PAIRS];

static uint64_t smallest(const uint64_t *v, size_t n)
{
    uint64_t m = UINT64_MAX;
    for (size_t i = 0; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

/* The smallest positive difference between two values of v at most cap,
 * without sorting: pairs take a handful of distinct values in a random
 * order, so comparing each with its next 64 neighbours meets every
 * adjacent pair of values.  0 when all values are equal. */
static uint64_t smallest_gap(const uint64_t *v, size_t n, uint64_t cap)
{
    uint64_t gap = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] > cap)
            continue;
        for (size_t j = i + 1; j < n && j < i + 64; j++) {
            uint64_t d = v[i] > v[j] ? v[i] - v[j] : v[j] - v[i];
            if (d && v[j] <= cap && (!gap || d < gap))
                gap = d;
        }
    }
    return gap;
}

/* A pseudo-random wait of 0 to 63 loop turns: at least one clock step. */
static void dither(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    for (volatile uint32_t n = *state >> 26; n; n--)
        ;
}

void hb_clock_calibrate(hb_clock *c)
{
    /* A clock that advances in steps reads a pair as a whole number of
     * steps, depending on where between two steps the first reading falls.
     * Back-to-back pairs in a tight loop keep falling at the same phase, so
     * their mean would depend on the loop's timing in this process; a
     * random wait before each pair spreads the phase evenly over the step,
     * and the mean of the pairs becomes the mean length of the window. */
    uint32_t state = 12345;
    for (size_t i = 0; i < OVERHEAD_PAIRS; i++) {
        dither(&state);
        uint64_t t0 = hb_clock_ticks(c);
        uint64_t t1 = hb_clock_ticks(c);
        pairs[i] = t1 - t0;
    }
    /* An interrupt between the two readings adds microseconds to one pair;
     * three times the smallest pair is far above any uninterrupted one. */
    uint64_t lo = smallest(pairs, OVERHEAD_PAIRS), cap = 3 * lo + 3;
    double sum = 0;
    size_t kept = 0;
    for (size_t i = 0; i < OVERHEAD_PAIRS; i++)
        if (pairs[i] <= cap) {
            sum += (double)pairs[i];
            kept++;
        }
    c->dropped = OVERHEAD_PAIRS - kept;
    c->overhead = kept ? sum / (double)kept : 0.0;
    c->overhead_ns = c->overhead * c->ns_per_tick;
    uint64_t gap = smallest_gap(pairs, OVERHEAD_PAIRS, cap);
    c->step = gap ? gap : 1;
    c->step_ns = (double)c->step * c->ns_per_tick;
}

/* Ticks per nanosecond over a few 10 ms windows; the median round wins, so
 * one preempted round does not skew the rate. */
static double tsc_ns_per_tick(hb_clock *c)
{
    double rate[CALIBRATE_ROUNDS];
    for (int r = 0; r < CALIBRATE_ROUNDS; r++) {
        uint64_t n0 = hb_mono_ns(), t0 = hb_clock_ticks(c), n1, t1;
        do {
            n1 = hb_mono_ns();
            t1 = hb_clock_ticks(c);
        } while (n1 - n0 < CALIBRATE_NS);
        rate[r] = (double)(n1 - n0) / (double)(t1 - t0);
    }
    for (int i = 1; i < CALIBRATE_ROUNDS; i++) /* insertion sort of 3 */
        for (int j = i; j > 0 && rate[j] < rate[j - 1]; j--) {
            double t = rate[j];
            rate[j] = rate[j - 1];
            rate[j - 1] = t;
        }
    return rate[CALIBRATE_ROUNDS / 2];
}

void hb_clock_init_monotonic(hb_clock *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->name, "monotonic");
    c->ns_per_tick = 1.0;
    hb_clock_calibrate(c);
}

void hb_clock_init(hb_clock *c)
{
    const char *force = getenv("HB_CLOCK");
    if (!HB_HAVE_TSC || (force && !strcmp(force, "monotonic")) || !invariant_tsc()) {
        hb_clock_init_monotonic(c);
        return;
    }
    memset(c, 0, sizeof *c);
    strcpy(c->name, "tsc");
    c->tsc = true;
    c->ns_per_tick = tsc_ns_per_tick(c);
    hb_clock_calibrate(c);
}
