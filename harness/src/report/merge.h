/*
 * A run folder from rows produced elsewhere: the CSV rows that the command
 * lines of "heapbench plan" print, run by GNU parallel, a Slurm array or a
 * shell loop on one or several hosts, plus each host's "heapbench env".
 *
 * Every input must come from this heapbench: a header line in a rows file
 * (plain, or as "# header" the way "plan --header" prints it) must be this
 * build's, every env file must name this version, and a cell (allocator,
 * trace, repetition) may appear once.  The folder then reads like one that
 * "heapbench bench" wrote: results.csv, env.txt, config.yaml when given.
 */
#ifndef HB_REPORT_MERGE_H
#define HB_REPORT_MERGE_H

#include <stddef.h>

typedef struct hb_merge_opts {
    const char *out;      /* the run folder to create (new or empty)       */
    char **inputs;        /* rows files, or run folders                    */
    size_t ninputs;
    char **envs;          /* "heapbench env" outputs, one per host         */
    size_t nenvs;
    const char *config;   /* the configuration the plan came from, or NULL */
} hb_merge_opts;

/* Returns 0, or -1 with every problem found in err, one line each. */
int hb_merge(const hb_merge_opts *o, char *err, size_t errlen);

#endif /* HB_REPORT_MERGE_H */
