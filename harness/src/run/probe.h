/*
 * Whether a library the configuration lists can be used at all: loaded,
 * its contract found, a heap created with its options.  Asked before the
 * first cell, so a library that exists but cannot load (not an ELF file, no
 * contract, options rejected) stops the run with its reason instead of
 * turning a whole column into load-error rows.
 */
#ifndef HB_RUN_PROBE_H
#define HB_RUN_PROBE_H

#include <stddef.h>
#include <stdint.h>

/* Loads target (a name or path as "heapbench run" takes it) in a child
 * process, so that a library's constructor cannot harm the caller, and
 * opens and closes one heap.  Returns 0, or -1 with the loader's reason in
 * why. */
int hb_probe_library(const char *target, uint64_t arena, const char *options, char *why,
                     size_t len);

struct hb_plan;

/* Whether a plan can run: it has cells (a filter_allocators that selects
 * none is named, with the allocators there are), and every library it
 * loads from a file, by path or from the suite, passes hb_probe_library.
 * Returns 0, or -1 with every problem in err, one line each, those of
 * libraries located in the configuration as FILE:LINE:COL. */
int hb_plan_check(const struct hb_plan *p, const char *filter_allocators, char *err,
                  size_t errlen);

#endif /* HB_RUN_PROBE_H */
