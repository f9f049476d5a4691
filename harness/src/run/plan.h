/*
 * The plan: a configuration turned into cells, one allocator x trace x
 * repetition each, and each cell into the argument vector of one
 * self-contained "heapbench run --csv" process.
 *
 * Order: repetition, then trace, then allocator, so the allocators of one
 * trace run back to back and slow drift of the machine (thermal state,
 * other load) touches every allocator of a comparison alike.
 */
#ifndef HB_RUN_PLAN_H
#define HB_RUN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "run/config.h"
#include "run/registry.h"
#include "run/tracefind.h"

typedef struct hb_cell {
    size_t alloc;   /* index into the config's allocators */
    size_t trace;   /* index into plan->traces            */
    unsigned rep;   /* 1-based                             */
} hb_cell;

typedef struct hb_plan_filter {
    const char *allocators; /* comma-separated globs over names, or NULL          */
    const char *traces;     /* comma-separated globs over names and paths, or NULL */
} hb_plan_filter;

/* A filter option given again adds its globs to the earlier ones: returns
 * list (malloc'd, or NULL) with ",more" appended, or a copy of more. */
char *hb_filter_add(char *list, const char *more);

/* True when name matches one of the comma-separated globs of list. */
bool hb_filter_match(const char *list, const char *name);

typedef struct hb_plan {
    const hb_config *cfg;
    hb_alloc_where *where;   /* per allocator of cfg                   */
    bool *use;               /* per allocator: in the matrix           */
    hb_pathlist traces;      /* paths                                  */
    char **trace_names;      /* names in results, per trace            */
    hb_cell *cells;
    size_t ncells;
} hb_plan;

/* Builds the plan.  Optional allocators whose library is missing are left
 * out with one line each on notes (may be NULL).  Returns 0, or -1 with err
 * listing every problem, one line each: a required allocator is missing,
 * two trace files share a name, or no trace matched. */
int hb_plan_build(const hb_config *cfg, const hb_plan_filter *flt, hb_plan *p, FILE *notes,
                  char *err, size_t errlen);

void hb_plan_free(hb_plan *p);

/* The argument vector of a cell's process, NULL-terminated: "heapbench run
 * --csv --isolate --timeout T ...", which prints the cell's row even when
 * the allocator crashes or hangs.  Free with hb_argv_free. */
char **hb_plan_argv(const hb_plan *p, const hb_cell *c);
void hb_argv_free(char **argv);

/* Writes argv as one shell command line (each word quoted when needed). */
void hb_write_shell_line(FILE *f, char *const *argv);

/* Trace names and allocator names of a cell. */
const char *hb_cell_alloc_name(const hb_plan *p, const hb_cell *c);
const char *hb_cell_trace_name(const hb_plan *p, const hb_cell *c);

#endif /* HB_RUN_PLAN_H */
