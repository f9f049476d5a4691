/*
 * Measuring the processor's clock with a chain of dependent additions
 * (see cpuclock.h).
 */
#include "replay/cpuclock.h"

#include "replay/clock.h"
#include "util/stats.h"

#define CHAIN_TURNS 4096u /* 8 additions each: 32768 cycles */
#define CHAIN_ADDS (8.0 * CHAIN_TURNS)

/* One addition the compiler must keep, and keep in order: the empty asm
 * says x is read and rewritten there, so neither folding the chain into
 * one addition nor running two additions side by side is allowed. */
#define DEP_ADD(x)                          \
    do {                                    \
        (x) += 1;                           \
        __asm__ volatile("" : "+r"(x));     \
    } while (0)

static uint64_t chain_ns(void)
{
    uint64_t x = 0, t0 = hb_mono_ns();
    for (unsigned i = 0; i < CHAIN_TURNS; i++) {
        DEP_ADD(x);
        DEP_ADD(x);
        DEP_ADD(x);
        DEP_ADD(x);
        DEP_ADD(x);
        DEP_ADD(x);
        DEP_ADD(x);
        DEP_ADD(x);
    }
    uint64_t t1 = hb_mono_ns();
    __asm__ volatile("" : : "r"(x));
    return t1 - t0;
}

double hb_cpu_mhz(void)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 3; i++) {
        uint64_t ns = chain_ns();
        if (ns < best)
            best = ns;
    }
    return best ? CHAIN_ADDS * 1e3 / (double)best : 0.0;
}

void hb_cpu_track_init(hb_cpu_track *k)
{
    k->n = 0;
    k->gap_ns = HB_CPU_PROBE_GAP_NS;
    k->last_ns = 0;
}

void hb_cpu_track_probe(hb_cpu_track *k, int force)
{
    uint64_t now = hb_mono_ns();
    if (!force && k->n && now - k->last_ns < k->gap_ns)
        return;
    if (k->n == HB_CPU_PROBES) {
        for (unsigned i = 0; i < HB_CPU_PROBES / 2; i++)
            k->mhz[i] = k->mhz[2 * i];
        k->n = HB_CPU_PROBES / 2;
        k->gap_ns *= 2;
    }
    k->mhz[k->n++] = hb_cpu_mhz();
    k->last_ns = hb_mono_ns();
}

void hb_cpu_track_read(hb_cpu_track *k, double *median, double *ratio)
{
    *median = *ratio = 0.0;
    if (!k->n)
        return;
    *median = hb_median(k->mhz, k->n); /* sorts */
    *ratio = k->mhz[0] > 0 ? k->mhz[k->n - 1] / k->mhz[0] : 0.0;
}
