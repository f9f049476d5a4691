/*
 * Validation mode (heapbench run --check): one untimed replay of a trace
 * with every promise of the allocator checked, op by op.
 *
 *   every block   non-NULL unless the request was impossible (larger than
 *                 the memory limit, the lab arena, or 1 TiB); aligned (to
 *                 the requested alignment, else to the largest power of two
 *                 up to 16 that its size allows); inside memory the
 *                 allocator owns (the memory source's break and mappings,
 *                 or the lab arena); overlapping no live block.
 *   contents      every byte of a block is written with a pattern of its
 *                 own when it is allocated and must be intact when it is
 *                 freed or reallocated; realloc keeps the old bytes; calloc
 *                 memory reads zero.
 *   check()       the allocator's own consistency check every K operations,
 *                 at the end, and after the blocks left live are freed.
 *
 * The first failure ends the replay with status corrupt (bad-free for a
 * free the allocator refused) and a detail naming trace:line, the op, its
 * slot, size and pointer, and the live block it collides with.  It is slow
 * on purpose (every byte written and read back): no timed pass runs.
 */
#ifndef HB_VERIFY_H
#define HB_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "load/load.h"
#include "report/result.h"
#include "trace/trace.h"

#define HB_VERIFY_CHECK_EVERY 1000

typedef struct hb_verify_cfg {
    const char *options;  /* passed to create(); NULL or ""                */
    size_t limit;         /* memory-source limit in bytes, 0: none         */
    uint64_t check_every; /* ops between check() calls; 0: the default    */
} hb_verify_cfg;

/* Replays t against l with full verification and fills r's counts and
 * status (allocator, trace and repetition are the caller's).  Returns 0
 * when the replay ran, whatever it found; -1 when no heap could be created
 * (r then holds a load-error status with the reason). */
int hb_verify(const hb_loaded *l, const hb_trace *t, const hb_verify_cfg *cfg, hb_result *r);

#endif /* HB_VERIFY_H */
