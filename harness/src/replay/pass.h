/*
 * One replay pass over a heap: the state the loop works on (private to
 * replay/).  The caller maps the slot array, opens the heap, and reads the
 * figures afterwards; the loop itself only calls the allocator, writes the
 * blocks and -- in the measuring pass -- reads the footprint.
 *
 * Everything here lives in memory the harness mapped itself before the
 * pass (replay.c), so a pass allocates nothing from any heap.
 */
#ifndef HB_PASS_H
#define HB_PASS_H

#include <stdbool.h>
#include <stdint.h>

#include <heapbench/allocator.h>

#include "load/load.h"
#include "osmem/osmem.h"
#include "replay/clock.h"
#include "replay/footprint.h"
#include "replay/heapstats.h"
#include "replay/histogram.h"
#include "trace/trace.h"

/* A slot's size word: requested bytes, plus this bit when the block was an
 * emulated aligned allocation whose base pointer sits just before it. */
#define HB_SLOT_EMULATED_ALIGN (UINT64_C(1) << 63)

/* The live blocks, one slot each, in two parallel arrays: the pointers
 * (hb_pass.ptr) and the size words (hb_pass.size).  A throughput pass in
 * which nothing can be emulated needs no size word (hb_pass_throughput),
 * and then touches the pointers alone: half the memory, eight slots a
 * cache line. */

enum hb_corruption {
    HB_CORRUPT_NONE = 0,
    HB_CORRUPT_CONTENT,  /* a live block's first or last byte changed */
    HB_CORRUPT_REALLOC,  /* realloc did not preserve the old contents */
    HB_CORRUPT_CALLOC,   /* calloc memory did not read zero           */
    HB_CORRUPT_ALIGN     /* an aligned allocation was misaligned      */
};

/* One point of the memory-over-time series: the largest value each figure
 * took in the operations since the previous point, so the series' maxima
 * are the pass's peaks. */
typedef struct hb_series_pt {
    uint64_t op;       /* operations done                      */
    uint64_t live;     /* requested bytes live                 */
    uint64_t resident; /* anonymous resident growth            */
    uint64_t reserved; /* memory source bytes, or the allocator's
                          own reserved figure (UINT64_MAX: none) */
} hb_series_pt;

/* What the measuring pass gathers beyond counts: the footprint after every
 * operation, the fragmentation measures and the series. */
typedef struct hb_meter {
    hb_anon *anon;              /* statm reader                           */
    uint64_t base;              /* anonymous bytes before the first op     */
    uint64_t extra;             /* resident heap present before the pass   */
    uint64_t table_base;        /* memory source's table bytes at the zero */
    uint64_t harness_heap;      /* own glibc: harness bytes in use, or HB_NONE */
    const hb_osmem_stats *mem;  /* native contract: memory source counts   */
    const hb_heapstats *hs;     /* libc contract: the allocator's own stats */
    hb_series_pt *pts;          /* mapped by the caller                     */
    size_t npts, cap, every;    /* points, room, operations per point      */
    hb_series_pt iv;            /* maxima of the open interval             */

    uint64_t res_peak, res_end;        /* resident footprint               */
    uint64_t res_at_peak_live;         /* at the moment of peak live        */
    uint64_t live_at_res_peak;         /* live bytes at the resident peak   */
    uint64_t usable, usable_at_peak;   /* usable bytes of live blocks       */
    double sum_res, sum_live;          /* over operations, for J&W #1       */
    uint64_t stats_max, stats_reserved_max;
    uint64_t stats_vm, stats_last, reserved_last; /* the last read, and the mapped size then */
    bool have_stats, have_usable;
} hb_meter;

typedef struct hb_pass {
    const hb_allocator *a;
    void *heap;
    const hb_libc_fns *libc; /* set: call the system allocator directly  */
    const hb_op *ops;
    size_t nops;
    void **ptr;          /* [nslots]: the slots' blocks               */
    uint64_t *size;      /* [nslots]: their size words                */
    uint32_t nslots;
    const hb_clock *clk; /* latency pass                              */
    hb_hist *hist;       /* [HB_OP_KINDS], latency pass               */
    hb_meter *meter;     /* measuring pass                            */

    uint64_t count[HB_OP_KINDS];
    uint64_t failed;
    size_t first_failed;
    uint64_t live_bytes, live_blocks, peak_bytes, peak_blocks;
    bool new_peak;       /* the last op raised peak_bytes             */
    int bad_free;        /* first non-OK free status, 0 if none       */
    size_t bad_free_op;  /* its op index (nops: leftover release)     */
    enum hb_corruption corrupt;
    size_t corrupt_op;
} hb_pass;

/* The three loops; each runs ops [0, nops) once. */
void hb_pass_measure(hb_pass *p);
void hb_pass_throughput(hb_pass *p);
void hb_pass_latency(hb_pass *p);

/* Frees every block still live (untimed); bad statuses are recorded with
 * op index nops. */
void hb_pass_release(hb_pass *p);

#endif /* HB_PASS_H */
