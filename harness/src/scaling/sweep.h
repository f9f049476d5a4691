/*
 * One row of the scaling benchmark: an allocator (or the bare loop) under
 * one access pattern at each N of a list, within a time budget.
 *
 * Two budgets keep an O(free blocks) allocator from holding the run for
 * minutes: a cell predicted to take longer than HB_SWEEP_CELL_S in all is
 * not started (it and the larger N are "capped"), and a cell whose timed
 * loop is predicted to run past HB_SWEEP_LOOP_S times fewer replacements
 * (at least HB_SWEEP_MIN_OPS).  The costs of O(1) and O(log n) allocators
 * stay far below both, so their cells always run in full.
 */
#ifndef HB_SCALING_SWEEP_H
#define HB_SCALING_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scaling/scaling.h"

#define HB_SWEEP_MAX_SIZES 16
#define HB_SWEEP_CELL_S 10.0
#define HB_SWEEP_LOOP_S 2.0
#define HB_SWEEP_MIN_OPS 10000

typedef struct hb_sweep_row {
    hb_scaling_cell cells[HB_SWEEP_MAX_SIZES];
    size_t done;      /* cells[0..done) were measured                   */
    size_t capped_at; /* first N not started for the budget, or 0       */
    char err[256];    /* why cells[done] failed, or ""                  */
} hb_sweep_row;

/* Measures sizes[0..nsizes) (ascending, nsizes <= HB_SWEEP_MAX_SIZES)
 * with ops timed replacements per cell, for allocator a, or the loop by
 * itself when a is NULL.  Stops at the first failure or capped N. */
void hb_sweep_run(hb_sweep_row *r, const hb_allocator *a, hb_scaling_pattern pat,
                  const size_t *sizes, size_t nsizes, uint64_t ops);

/* hb_sweep_run in a child process, so an allocator that crashes or
 * aborts fails its row ("crashed: signal 11") instead of the whole run. */
void hb_sweep_run_isolated(hb_sweep_row *r, const hb_allocator *a, hb_scaling_pattern pat,
                           const size_t *sizes, size_t nsizes, uint64_t ops);

/* Folds trial t into best, the row kept across trials: each cell keeps
 * its fastest trial (the one least disturbed by the rest of the machine:
 * interference only ever adds time), the row keeps the cells every trial
 * measured, and a failure in any trial fails the row. */
void hb_sweep_keep_best(hb_sweep_row *best, const hb_sweep_row *t, bool first);

/* Timed replacements for a cell at next_n after the row's cells so far
 * (exposed for the tests). */
uint64_t hb_sweep_ops_for(const hb_sweep_row *r, size_t next_n, uint64_t ops);

#endif /* HB_SCALING_SWEEP_H */
