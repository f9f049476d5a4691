/*
 * Replay: one trace against one loaded allocator, measured.
 *
 * The protocol is the same for every contract (docs/metrics.md): ONE heap
 * per cell -- a fresh memory source and create() for the native and lab
 * contracts, the process's own heap for a system allocator (each cell is a
 * process of its own that has used that heap for nothing else) -- and on
 * it, in order:
 *
 *   measure     untimed, on the fresh heap: peak live requested bytes and
 *               blocks, the footprint after every operation (resident,
 *               reserved, the allocator's own statistics), fragmentation,
 *               the memory-over-time series, failed allocations, content
 *               checks, and the allocator's check() at the end.  It is also
 *               the warm-up of the timed passes.
 *   throughput  untimed op by op, repeated until at least `passes` passes
 *               and `min_time` seconds (capped by `max_time`, but never
 *               fewer than two, so every figure has an interval); each pass
 *               starts from the heap the previous one left, every block
 *               freed: the median pass gives operations per second.
 *   latency     `latency_passes` passes, every operation timed on its own;
 *               the clock is calibrated again around each pass.
 *
 * Every allocated block is written as a program would: its first byte, one
 * byte in every 4 KiB, and its last byte.  The loops allocate nothing and do
 * no I/O: the slot array, histograms, pass times and series are mapped and
 * faulted in before the first pass.  Blocks still live at the end of a pass
 * are freed afterwards, untimed.
 */
#ifndef HB_REPLAY_H
#define HB_REPLAY_H

#include <stddef.h>

#include "load/load.h"
#include "replay/clock.h"
#include "report/result.h"
#include "trace/trace.h"

enum hb_timing {
    HB_TIMING_THROUGHPUT = 1,
    HB_TIMING_PER_OP = 2,
    HB_TIMING_BOTH = 3
};

#define HB_DEFAULT_PASSES 5
#define HB_DEFAULT_MIN_TIME_S 0.3
#define HB_DEFAULT_MAX_TIME_S 1.0
#define HB_INTERVAL_PASSES 2   /* the fewest passes that give an interval   */
#define HB_DEFAULT_LATENCY_PASSES 3
#define HB_MAX_LATENCY_PASSES 16
#define HB_MAX_PASSES 10000   /* throughput passes kept, at most            */
#define HB_SERIES_POINTS 2000 /* memory-over-time points, about             */

typedef struct hb_replay_cfg {
    unsigned timing;        /* hb_timing bits; 0 runs the measuring pass only */
    const char *options;    /* passed to create(); NULL or ""                 */
    size_t limit;           /* memory-source limit in bytes, 0: none           */
    const hb_clock *clock;  /* NULL: hb_clock_init is called                   */
    unsigned passes;        /* least throughput passes; 0: HB_DEFAULT_PASSES   */
    double min_time_s;      /* least seconds of throughput passes; 0: none     */
    double max_time_s;      /* no new pass after this, once there are two;
                               0: HB_DEFAULT_MAX_TIME_S                        */
    unsigned latency_passes;/* 0: HB_DEFAULT_LATENCY_PASSES                    */
    const char *series_path;/* memory-over-time CSV to write, or NULL          */
    bool live_timers;       /* leave the allocator's purge timers running in
                               the measuring pass (default: held back)        */
} hb_replay_cfg;

/*
 * Replays t against l and fills the figures and status of r (allocator,
 * trace and repetition are the caller's).  Returns 0 when the replay ran
 * (whatever its status), -1 when no heap could be created (r then holds a
 * load-error status with the reason).
 */
int hb_replay(const hb_loaded *l, const hb_trace *t, const hb_replay_cfg *cfg, hb_result *r);

#endif /* HB_REPLAY_H */
