/*
 * Replay: one trace against one loaded allocator, measured.
 *
 * Up to three passes, each on a fresh heap (and a fresh memory source) when
 * the contract allows -- the libc contract has one heap per process:
 *
 *   measure     untimed: peak live requested bytes and blocks, peak
 *               footprint, failed allocations, content checks (a block's
 *               first and last byte must survive while it is live and across
 *               realloc; calloc memory must read zero), and the allocator's
 *               check() at the end.
 *   throughput  untimed op by op; the wall time of the whole pass gives
 *               operations per second.
 *   latency     every operation timed on its own into a per-kind histogram.
 *
 * Every allocated block is written as a program would: its first byte, one
 * byte in every 4 KiB, and its last byte.  The loops allocate nothing and do
 * no I/O; the slot arrays are mapped and pre-faulted before each pass.
 * Blocks still live at the end of a pass are freed afterwards, untimed.
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

typedef struct hb_replay_cfg {
    unsigned timing;        /* hb_timing bits; 0 runs the measuring pass only */
    const char *options;    /* passed to create(); NULL or ""                 */
    size_t limit;           /* memory-source limit in bytes, 0: none           */
    const hb_clock *clock;  /* NULL: hb_clock_init is called                   */
} hb_replay_cfg;

/*
 * Replays t against l and fills the figures and status of r (allocator,
 * trace and repetition are the caller's).  Returns 0 when the replay ran
 * (whatever its status), -1 when no heap could be created (r then holds a
 * load-error status with the reason).
 */
int hb_replay(const hb_loaded *l, const hb_trace *t, const hb_replay_cfg *cfg, hb_result *r);

#endif /* HB_REPLAY_H */
