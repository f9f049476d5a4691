/*
 * The results folder of one run:
 *
 *     ROOT/<run-id>/config.yaml   the configuration, copied
 *     ROOT/<run-id>/env.txt       machine, compiler and library facts
 *     ROOT/<run-id>/plan.txt      every cell as a command line
 *     ROOT/<run-id>/results.csv   header + one row per finished cell
 *     ROOT/<run-id>/logs/         stderr of cells that wrote any
 *     ROOT/latest -> <run-id>
 *
 * Files are replaced atomically (written beside, then renamed), so an
 * interrupted run never leaves a half-written results.csv.
 */
#ifndef HB_RUN_RUNDIR_H
#define HB_RUN_RUNDIR_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "util/fsutil.h"


/* Creates ROOT/<UTC timestamp>[-N] and writes its path to out.  Returns 0
 * or -1 (errno set). */
int hb_rundir_create(const char *root, time_t now, char *out, size_t len);

/* Writes path through a temporary file and a rename; write_fn fills the
 * file.  Returns 0 or -1 (errno set). */
int hb_write_atomic(const char *path, void (*write_fn)(FILE *, void *), void *ctx);

/* Copies src to dst atomically.  Returns 0 or -1. */
int hb_copy_file(const char *src, const char *dst);

/* Points ROOT/latest at the folder rundir (by its base name), replacing the
 * link atomically.  Returns 0 or -1. */
int hb_latest_update(const char *rundir);

#endif /* HB_RUN_RUNDIR_H */
