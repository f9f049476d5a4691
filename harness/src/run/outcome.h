/*
 * What a finished cell process amounts to: its own CSV row when it printed
 * one, otherwise a row made here that says what happened to it (crashed at
 * which operation, timed out, could not load) with every figure empty.
 */
#ifndef HB_RUN_OUTCOME_H
#define HB_RUN_OUTCOME_H

#include <stddef.h>

#include "report/result.h"
#include "run/runner.h"

typedef struct hb_cell_id {
    const char *allocator;
    const char *trace;
    unsigned rep;
} hb_cell_id;

typedef struct hb_fault {
    char signal[32]; /* "SIGSEGV", or "" when unknown */
    char pass[32];
    long long op;    /* -1 when unknown                */
    long long line;
} hb_fault;

/* Parses "#HB-FAULT signal=SIGSEGV pass=latency op=1234 line=1240".
 * Returns 0, or -1 if s is not such a line. */
int hb_fault_parse(const char *s, hb_fault *f);

/* The CSV row of the cell (newly allocated, ending in a newline) and its
 * status name in status: the row the job printed, or else the one of
 * hb_outcome_failure. */
char *hb_outcome_row(const hb_job *j, const hb_cell_id *id, char *status, size_t len);

/* The result of a job that ended without a row of its own, every figure
 * empty: timeout when it reached its limit, crashed when a signal killed it
 * (the signal, op and trace line of its fault line in the detail), else
 * load-error with the first line of its stderr. */
void hb_outcome_failure(const hb_job *j, const hb_cell_id *id, hb_result *r);

#endif /* HB_RUN_OUTCOME_H */
