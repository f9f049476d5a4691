/*
 * The benchmark driver: every cell of a plan in its own process, results
 * saved after each cell, progress on stderr.  A cell that crashes or times
 * out is a result like any other; the run fails only when it cannot start
 * (bad configuration, missing required allocator, unwritable results).
 *
 * Before the first cell every selected trace is loaded once: a trace that
 * cannot be loaded has all its problems printed then, its cells get
 * load-error rows without running, and the run goes on with the others.
 */
#ifndef HB_RUN_BENCH_H
#define HB_RUN_BENCH_H

#include <stdio.h>

typedef struct hb_bench_opts {
    const char *config;      /* NULL: bench.yaml, or RESUME/config.yaml     */
    const char *out_root;    /* folder that receives <run-id>/ and latest   */
    const char *resume;      /* a run folder to complete, or NULL           */
    const char *filter_allocators;
    const char *filter_traces;
    unsigned jobs;           /* cells at a time (1 for undisturbed timing)  */
    FILE *progress;          /* stderr                                       */
} hb_bench_opts;

/* Runs the matrix.  Returns 0 when every cell has a row, 1 when the run
 * could not start or was interrupted (the message is on o->progress), 3
 * when every cell has a row but some traces could not be loaded. */
int hb_bench_run(const hb_bench_opts *o);

#endif /* HB_RUN_BENCH_H */
