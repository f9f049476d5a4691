/*
 * Choosing, calibrating and costing the latency clock (see clock.h).
 */
#define _GNU_SOURCE
#include "replay/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OVERHEAD_PAIRS 10001
#define CALIBRATE_NS 10000000u /* per round */
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

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t median(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u64);
    return v[n / 2];
}

/* The median of back-to-back pairs: what an empty timed region reads. */
static void measure_overhead(hb_clock *c)
{
    static uint64_t d[OVERHEAD_PAIRS];
    for (size_t i = 0; i < OVERHEAD_PAIRS; i++) {
        uint64_t t0 = hb_clock_ticks(c);
        uint64_t t1 = hb_clock_ticks(c);
        d[i] = t1 - t0;
    }
    c->overhead = median(d, OVERHEAD_PAIRS);
    c->overhead_ns = (double)c->overhead * c->ns_per_tick;
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
    measure_overhead(c);
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
    measure_overhead(c);
}
