/*
 * Running programs for heapbench record: the recorded command itself, and a
 * quick `PROGRAM --version` to name what was recorded.
 */
#ifndef HB_RECORD_SPAWN_H
#define HB_RECORD_SPAWN_H

#include <stddef.h>

/* Runs argv (searched in PATH) with `recorder` first in LD_PRELOAD and
 * HB_RECORD_FILE=raw_prefix, and waits for it.  *child gets its pid and
 * *wstatus its wait status.  Returns 0, or -1 with a message in err if it
 * could not start. */
int hb_rec_spawn(char *const *argv, const char *recorder, const char *raw_prefix,
                 long *child, int *wstatus, char *err, size_t errlen);

/* The first non-empty line `exe --version` prints (stdout or stderr) when it
 * exits with status 0 within timeout_ms; NULL otherwise.  Runs without the
 * recorder, stdin from /dev/null.  The result is malloc'd. */
char *hb_rec_probe_version(const char *exe, int timeout_ms);

#endif /* HB_RECORD_SPAWN_H */
