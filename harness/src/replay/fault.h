/*
 * Where a replay died.  The replay loop stores the index of the operation it
 * is about to run in hb_fault_op (one store per op); a handler for the fatal
 * signals writes exactly one line to fd 2,
 *
 *     #HB-FAULT signal=SIGSEGV pass=latency op=1234 line=1240
 *
 * then restores the default action and raises the signal again, so the
 * process still dies of it.  op is the 0-based index of the operation in the
 * trace and line its source line (0 when the trace has none); outside the
 * replay loops (pass=setup or cleanup) op is -1 and line 0.  The line is
 * built without stdio or malloc: the handler is async-signal-safe.
 */
#ifndef HB_FAULT_H
#define HB_FAULT_H

#include <stddef.h>

#include "trace/trace.h"

enum hb_fault_pass {
    HB_PASS_SETUP = 0,
    HB_PASS_MEASURE,
    HB_PASS_THROUGHPUT,
    HB_PASS_LATENCY,
    HB_PASS_CLEANUP
};

#define HB_FAULT_NO_OP ((size_t)-1)

/* Thread-local in the initial-exec model: the harness's code is linked
 * into executables only, where this is one %fs-relative store. */
#define HB_FAULT_TLS _Thread_local __attribute__((tls_model("initial-exec")))

/* The calling thread's op (thread-local, see fault.c). */
extern HB_FAULT_TLS volatile size_t hb_fault_op;

/* Installs the handlers (once; on an alternate stack, so a stack overflow
 * in the allocator is reported too) for SIGSEGV, SIGBUS, SIGABRT, SIGFPE,
 * SIGILL and SIGTERM. */
void hb_fault_install(void);

/* The pass being run, and the ops whose lines the handler reports. */
void hb_fault_enter(enum hb_fault_pass pass, const hb_op *ops, size_t nops);

const char *hb_fault_pass_name(enum hb_fault_pass pass);

/* Formats the fault line into buf (for the handler and for tests); returns
 * its length including the newline. */
size_t hb_fault_format(char *buf, size_t len, int sig, enum hb_fault_pass pass,
                       size_t op, unsigned line);

#endif /* HB_FAULT_H */
