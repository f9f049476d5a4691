/*
 * Finding the traces a configuration names: shell-style globs where "**"
 * stands for any number of directories (none included), then only files
 * that look like traces (.trace, .trace.xz, .trace.gz, .rep), sorted, each
 * once.  And the name a trace goes by in results, read from its header
 * without loading the whole file.
 */
#ifndef HB_RUN_TRACEFIND_H
#define HB_RUN_TRACEFIND_H

#include <stdbool.h>
#include <stddef.h>

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

bool hb_is_trace_file(const char *path);

/* The trace's name: its "#! name:" metadata, else the file name without
 * .trace/.rep and compression suffixes.  Reads at most the header. */
void hb_trace_display_name(const char *path, char *out, size_t len);

#endif /* HB_RUN_TRACEFIND_H */
