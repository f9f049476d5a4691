/*
 * A replay in a process of its own, for `heapbench run` and for each cell
 * of `heapbench bench`.
 *
 * Two things make the process that replays a cell fit for measuring:
 *  - it starts clean: the trace is loaded (and the binary cache written)
 *    before, and the replaying process is exec'd afresh and maps the parsed
 *    trace from a descriptor it inherits (trace/handoff.h), so nothing of
 *    the parse is left in the heap a libc-contract allocator is measured in;
 *  - it has a larger optional static TLS reserve (GLIBC_TUNABLES
 *    glibc.rtld.optional_static_tls): system allocators such as jemalloc
 *    keep initial-exec TLS, which dlopen can only place in that reserve,
 *    and glibc's default is too small for them.  Every allocator runs
 *    under the same setting, so the comparison stays fair.
 * And a supervisor: the cell as a child job (run/runner.h) that a crash or
 * a hang cannot take down, stopped with it when the supervisor is told to
 * stop (SIGINT, SIGTERM, SIGHUP: the same set for run and bench).
 */
#ifndef HB_RUN_ISOLATE_H
#define HB_RUN_ISOLATE_H

#include <stdbool.h>
#include <stdio.h>

#include "run/runner.h"
#include "trace/trace.h"

/* Holds the descriptor of the parsed trace in a replaying process. */
#define HB_TRACE_FD_ENV "HEAPBENCH_TRACE_FD"

/* Loads the trace and sets this process's environment so that what it
 * execs next replays it cleanly: the trace's descriptor and the TLS
 * reserve.  -1 with the trace's problems reported through d. */
int hb_isolate_prepare(const char *trace, bool use_cache, hb_diag *d);

/* In the replaying process: 1 and t mapped when a trace was handed over
 * (the variable is then removed), 0 when none was, -1 when it was but
 * cannot be mapped. */
int hb_isolate_take_trace(const char *path, hb_trace *t);

/* Replaces this process with heapbench ARGV... (argv[0] the subcommand);
 * returns only when exec fails. */
void hb_isolate_exec_self(char **argv);

/* Stop signals: caught (the previous handlers saved) until restored. */
void hb_stop_catch(void);
void hb_stop_restore(void);
/* The stop signal caught since hb_stop_catch, or 0. */
int hb_stop_signal(void);
/* Ends this process by the caught signal, its default action restored. */
void hb_stop_reraise(void);

/* Runs the job to its end; false if this process was told to stop, after
 * the job's process group is killed and reaped. */
bool hb_isolate_wait(hb_job *j);

/* For a person: what became of a job that crashed or timed out (signal,
 * operation, trace line, pass) and its last lines of stderr. */
void hb_isolate_report(FILE *f, const hb_job *j);

#endif /* HB_RUN_ISOLATE_H */
