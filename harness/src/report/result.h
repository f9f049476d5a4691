/*
 * The result of one cell (allocator x trace x repetition), and its two
 * renderings: one CSV row (stable, documented columns: docs/results.md) and
 * a block of text for a person.
 */
#ifndef HB_RESULT_H
#define HB_RESULT_H

#include <stdint.h>
#include <stdio.h>

#include "trace/opkind.h"

/* Status of a cell; the CSV writes the name. */
enum hb_status {
    HB_ST_OK = 0,      /* "ok"                                              */
    HB_ST_FAILED,      /* "failed": allocations returned NULL (count kept)  */
    HB_ST_UNSUPPORTED, /* "unsupported": the allocator cannot serve it      */
    HB_ST_CRASHED,     /* "crashed": killed by a signal (detail: signal, op)*/
    HB_ST_TIMEOUT,     /* "timeout": wall-clock limit reached               */
    HB_ST_LOAD_ERROR,  /* "load-error": library or trace could not load     */
    HB_ST_BAD_FREE,    /* "bad-free": the allocator reported a valid free
                          of the trace as invalid or double                  */
    HB_ST_CORRUPT,     /* "corrupt": check() or a fill pattern failed        */
    HB_ST_COUNT
};

/* Per operation kind.  mean_ns and tmean_ns have the clock's mean overhead
 * subtracted; percentiles are raw samples snapped to the clock's step, less
 * the same overhead (docs/metrics.md). */
typedef struct hb_latency {
    uint64_t count;
    double mean_ns, p50_ns, p90_ns, p99_ns, p999_ns, max_ns;
    double tmean_ns;      /* trimmed mean (HB_TRIM each side)            */
    double tmean_ci95_ns; /* half-width over latency passes; NaN: < 2   */
} hb_latency;

/* Figures that may be absent in a measured row are NaN (doubles) or
 * HB_NONE (counts): the CSV leaves them empty. */
#define HB_NONE UINT64_MAX

typedef struct hb_result {
    char allocator[64];
    char trace[128];
    unsigned repetition;
    enum hb_status status;
    char detail[256];          /* why, for any status but ok; no commas/newlines */

    uint64_t ops;              /* operations replayed                     */
    uint64_t count[HB_OP_KINDS];
    uint64_t failed_allocs;    /* allocations that returned NULL          */
    uint64_t peak_live_bytes;  /* requested bytes, measured by replay     */
    uint64_t peak_live_blocks;
    uint64_t peak_footprint;   /* bytes: the resident peak (common method) */
    char footprint_source[16]; /* "resident"                              */
    double utilization;        /* peak_live_bytes / peak_footprint        */

    /* memory (docs/metrics.md) */
    uint64_t fp_reserved;      /* peak bytes held from the system          */
    char reserved_method[32];  /* "memsrc", "arena", "jemalloc:stats.mapped" */
    uint64_t fp_stats;         /* the allocator's own figure (HB_NONE)     */
    char stats_method[32];
    double utilization_reserved;
    uint64_t fp_end;           /* resident after the last operation        */
    uint64_t frag_internal;    /* usable - requested at peak live (HB_NONE) */
    uint64_t frag_external;    /* resident - usable at peak live (HB_NONE) */
    double jw[4];              /* Johnstone-Wilson #1..#4 (NaN: undefined) */
    char purge_timers[8];      /* "frozen", "live" or "none" (heapstats.h) */
    uint64_t harness_heap;     /* own glibc: bytes the harness had in use in
                                  its heap at the zero (HB_NONE: other) */

    /* throughput: passes repeated from the same state */
    double throughput_ops_s;   /* median over passes                      */
    double replay_s;           /* wall time of the median pass            */
    double tp_best_ops_s;
    double tp_cv;              /* coefficient of variation of pass rates   */
    double tp_ci95_ops_s;      /* half-width, t interval of the mean rate  */
    double cpu_mhz;            /* processor clock over the timed passes: median */
    double cpu_mhz_ratio;      /* its max/min over those passes           */
    unsigned tp_passes;

    /* latency */
    hb_latency lat[HB_OP_KINDS];
    char clock[16];            /* "tsc" or "monotonic"                    */
    double clock_overhead_ns;  /* mean of back-to-back pairs, subtracted  */
    double clock_step_ns;      /* resolution                              */
    unsigned lat_passes;
    uint64_t slow_samples;     /* samples over HB_SLOW_NS (preemption)     */
    double lat_pass_ns_op;     /* wall time per op of a latency pass       */
    unsigned measured;         /* hb_measured bits: which figures are set */
} hb_result;

#ifndef HB_TRIM
#define HB_TRIM 0.01         /* trimmed off each end for tmean           */
#endif
#define HB_SLOW_NS 100000.0  /* a sample this long was interrupted        */

/* Groups of figures a result holds; the CSV leaves the others empty. */
enum hb_measured {
    HB_MEAS_COUNTS = 1u,     /* ops .. peak_live_blocks                      */
    HB_MEAS_FOOTPRINT = 2u,  /* peak_footprint_bytes, source, utilization    */
    HB_MEAS_THROUGHPUT = 4u, /* throughput_ops_s, replay_s                   */
    HB_MEAS_LATENCY = 8u     /* <op>_* latency columns, clock, overhead      */
};

const char *hb_status_name(enum hb_status s);

/* The CSV header line (no trailing newline). */
const char *hb_csv_header(void);

/* Writes r as one CSV row with a trailing newline. */
void hb_csv_write_row(FILE *f, const hb_result *r);

/* Writes the human-readable report of r. */
void hb_result_print(FILE *f, const hb_result *r);

/* Fills r for a cell that produced no measurement (crash, timeout, load
 * error): every figure empty, the given status and detail. */
void hb_result_failed(hb_result *r, const char *allocator, const char *trace,
                      unsigned repetition, enum hb_status st, const char *detail);

#endif /* HB_RESULT_H */
