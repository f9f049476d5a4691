/*
 * Finding the traces a configuration names: shell-style globs where "**"
 * stands for any number of directories (none included), then only files
 * that look like traces (hb_is_trace_file), sorted, each once, with the
 * name each goes by in results (trace/name.h): a name is the key of a
 * trace's rows, so two files of one name are an error of the configuration.
 */
#ifndef HB_RUN_TRACEFIND_H
#define HB_RUN_TRACEFIND_H

#include <stdbool.h>
#include <stddef.h>

#include "run/config.h"
#include "trace/name.h" /* hb_is_trace_file, hb_trace_display_name */

typedef struct hb_pathlist {
    char **v;
    size_t n, cap;
} hb_pathlist;

/* Adds the trace files matching pattern (relative to the current
 * directory, or absolute) to out.  Returns how many files matched. */
size_t hb_glob_traces(const char *pattern, hb_pathlist *out);

/* Appends a copy of path. */
void hb_pathlist_add(hb_pathlist *l, const char *path);

/* Sorts and removes duplicates. */
void hb_pathlist_finish(hb_pathlist *l);

void hb_pathlist_free(hb_pathlist *l);

/* Whether path[0..] matches pattern, both split at '/', where a "**"
 * component matches zero or more components.  Exposed for tests. */
bool hb_glob_match(const char *pattern, const char *path);

/* The traces of a configuration. */
typedef struct hb_tracelist {
    hb_pathlist paths; /* sorted; a file matched by several globs, or by
                          several paths (a link, "./"), is there once,
                          by its own path when that is one of them        */
    char **names;      /* per path: its name in results, with the commas and
                          line breaks a CSV field cannot hold replaced      */
    size_t *glob;      /* per path: the earliest glob of cfg->traces that
                          matched it by this path                        */
    size_t *matched;   /* per glob: how many files it matched              */
} hb_tracelist;

/* Expands every glob of cfg.  Returns 0, or -1 with a line in errs for each
 * pair of files that share a name ("FILE:LINE:COL: error: ..." at the glob
 * of the second); out is filled either way.  Finding no trace at all is
 * left to the caller, who may filter the list further. */
int hb_config_traces(const hb_config *cfg, hb_tracelist *out, hb_errs *errs);

void hb_tracelist_free(hb_tracelist *l);

#endif /* HB_RUN_TRACEFIND_H */
