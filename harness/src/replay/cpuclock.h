/*
 * The processor's own clock while the passes run.
 *
 * Time figures are wall time, and on many machines the core's clock is not
 * one number: power management, turbo and a virtual machine's host move it.
 * A pass takes longer as the clock is slower, so two runs of one cell can
 * differ with nothing in the harness or the allocator changed.  The replay
 * therefore measures the clock around its timed passes and writes it
 * beside the time figures (cpu_mhz, cpu_mhz_ratio), so a reader can tell a
 * machine that changed speed from an allocator that did.
 *
 * The measurement needs no performance counters (virtual machines seldom
 * have them): a chain of dependent integer additions runs at one addition
 * per cycle on every out-of-order core of x86-64 and AArch64, so the
 * chain's length over its wall time is the clock.  Eight additions per
 * loop turn keep the loop's own branch out of the way: a loop of one
 * addition and one branch per cycle needs the core's front end every
 * cycle, and runs at half speed when another hardware thread shares it,
 * which is not the clock.  Best of three chains, so an interrupt inside
 * one does not show.
 */
#ifndef HB_CPUCLOCK_H
#define HB_CPUCLOCK_H

#include <stdint.h>

#define HB_CPU_PROBES 256       /* probes kept per replay                 */
#define HB_CPU_PROBE_GAP_NS 2000000u /* first spacing between probes    */

/* The core's clock now, in MHz (about 30 us at 2 GHz). */
double hb_cpu_mhz(void);

/* Probes spread evenly over a replay's timed passes: one before a pass
 * when at least `gap` has passed since the last; when the array is full,
 * every other probe is dropped and the gap doubled, so the kept probes
 * still cover the whole replay evenly. */
typedef struct hb_cpu_track {
    double mhz[HB_CPU_PROBES];
    unsigned n;
    uint64_t gap_ns, last_ns;
} hb_cpu_track;

void hb_cpu_track_init(hb_cpu_track *k);

/* Probes if the gap has passed (or `force`). */
void hb_cpu_track_probe(hb_cpu_track *k, int force);

/* Median and max/min of the kept probes (sorts them); 0 and 0 with none. */
void hb_cpu_track_read(hb_cpu_track *k, double *median, double *ratio);

#endif /* HB_CPUCLOCK_H */
