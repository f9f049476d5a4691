/*
 * Running programs for heapbench record: the recorded command itself, and
 * the short helper commands that find out which version was recorded.
 */
#ifndef HB_RECORD_SPAWN_H
#define HB_RECORD_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

/* Runs argv (searched in PATH) with `recorder` first in LD_PRELOAD and
 * HB_RECORD_FILE=raw_prefix, and waits for it.  *child gets its pid and
 * *wstatus its wait status.  Returns 0, or -1 with a message in err if it
 * could not start. */
int hb_rec_spawn(char *const *argv, const char *recorder, const char *raw_prefix,
                 long *child, int *wstatus, char *err, size_t errlen);

/* Runs argv (searched in PATH; heapbench's own environment, in the C locale
 * so that the output can be parsed) with stdin from /dev/null, and keeps its
 * output in buf (cap bytes, NUL-terminated, the rest dropped): stdout, and
 * stderr too when with_stderr.  A command still running after timeout_ms is
 * killed.  Returns its exit status (127 when it could not be executed), or
 * -1 when it could not be started, was killed or timed out. */
int hb_rec_capture(char *const *argv, bool with_stderr, int timeout_ms, char *buf, size_t cap);

#endif /* HB_RECORD_SPAWN_H */
