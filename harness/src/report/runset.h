/*
 * One run read back for the report and the charts: its results.csv, the
 * allocators and traces chosen from it, the kind of every trace, and the
 * figure of a cell for each criterion of the comparison, with its spread.
 *
 * A figure comes from the most robust column the row has: the trimmed
 * mean latency (<op>_tmean_ns) when present and non-empty, else the mean
 * (<op>_mean_ns); results written before those columns existed read the
 * same way.  Only rows whose status is ok count.
 */
#ifndef HB_REPORT_RUNSET_H
#define HB_REPORT_RUNSET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "report/csvtable.h"
#include "report/stats.h"

enum hb_crit { HB_CRIT_UTIL, HB_CRIT_MALLOC, HB_CRIT_FREE, HB_CRIT_THROUGHPUT, HB_NCRIT };

typedef struct hb_crit_info {
    const char *key;      /* file and option name: utilization, malloc, ...  */
    const char *title;    /* "malloc latency"                                */
    const char *unit;     /* "ns"                                            */
    const char *col;      /* the preferred column                            */
    const char *fallback; /* used when col is missing or empty, or NULL      */
    const char *ci_col;   /* half-width of col's 95 % interval, or NULL      */
    bool higher_better;
} hb_crit_info;

const hb_crit_info *hb_crit(enum hb_crit c);

typedef struct hb_run_opts {
    const char *allocators; /* comma-separated globs, or NULL: all            */
    const char *traces;     /* comma-separated globs over names and paths     */
    const char *kinds;      /* kinds summarized; NULL: HB_DEFAULT_KINDS, or
                               every kind when traces is given               */
    const char *baseline;   /* NULL: glibc                                    */
} hb_run_opts;

typedef struct hb_run_trace {
    char *name;
    char *path;        /* from the run's config.yaml; NULL when not found */
    const char *kind;  /* hb_trace_kind(path)                             */
    bool summarized;   /* its kind is one of the chosen kinds             */
    double ops;        /* operations of the trace (NaN when no row says)  */
} hb_run_trace;

typedef struct hb_run {
    char dir[PATH_MAX];
    char id[256];          /* the folder's name                           */
    hb_csv_table t;
    char **allocs;         /* chosen, in palette order then by name       */
    size_t nallocs;
    hb_run_trace *traces;  /* chosen, by kind then name                   */
    size_t ntraces;
    size_t base;           /* index of the baseline in allocs             */
    char kinds[256];
    long *row_a, *row_t;   /* per row: its allocator and trace, or -1     */
    unsigned max_rep;
} hb_run;

/* Reads DIR/results.csv (DIR may also be the CSV itself) and applies the
 * choices.  Returns 0, or -1 with err set: no such file, a malformed row, a
 * baseline not in the run, no allocator or trace left. */
int hb_run_open(const char *dir, const hb_run_opts *o, hb_run *r, char *err, size_t errlen);
void hb_run_close(hb_run *r);

/* Field col of row, "" when the run has no such column. */
const char *hb_run_field(const hb_run *r, size_t row, const char *col);

/* The cell's figure for a criterion: mean over its ok repetitions with a t
 * interval, or, with one repetition, the interval its row reports. */
hb_est hb_run_cell(const hb_run *r, size_t a, size_t t, enum hb_crit c);

/* How many ok rows of the chosen cells used c's preferred column. */
size_t hb_run_preferred_rows(const hb_run *r, enum hb_crit c, size_t *total);

/* The geomean of a's figures over the summarized traces relative to the
 * baseline's; lo/hi the 95 % interval (NaN when none). */
hb_est hb_run_geomean(const hb_run *r, size_t a, enum hb_crit c, double *lo, double *hi);

/* Parses a number field; false when empty or not a finite number. */
bool hb_number(const char *s, double *out);

#endif /* HB_REPORT_RUNSET_H */
