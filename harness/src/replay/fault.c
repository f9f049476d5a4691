/*
 * The fatal-signal report (see fault.h).  Everything the handler touches is
 * a plain variable written before the loop starts, and it formats integers
 * by hand: no stdio, no locale, no malloc in a process whose heap may be
 * what just broke.
 *
 * The pass and the op are the replaying thread's own (_Thread_local): a
 * fatal signal is delivered to the thread that faulted, so with several
 * replaying threads the line names that thread's op.  In the executable
 * this is static TLS (HB_FAULT_TLS), one %fs-relative store per op, the
 * cost of a global.
 */
#define _GNU_SOURCE
#include "replay/fault.h"

#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

HB_FAULT_TLS volatile size_t hb_fault_op = HB_FAULT_NO_OP;
static HB_FAULT_TLS volatile int fault_pass = HB_PASS_SETUP;
static HB_FAULT_TLS const hb_op *volatile fault_ops;
static HB_FAULT_TLS volatile size_t fault_nops;

static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTERM };
static const char *const fatal_names[] = { "SIGSEGV", "SIGBUS", "SIGABRT",
                                           "SIGFPE", "SIGILL", "SIGTERM" };

/* The process's first thread's alternate stack.  sigaltstack is per
 * thread: another replaying thread needs one of its own. */
static char alt_stack[1 << 16];

const char *hb_fault_pass_name(enum hb_fault_pass pass)
{
    static const char *const names[] = { "setup", "measure", "throughput", "latency", "cleanup" };
    return (unsigned)pass < 5 ? names[pass] : "unknown";
}

static size_t put_str(char *buf, size_t pos, size_t len, const char *s)
{
    while (*s && pos + 1 < len)
        buf[pos++] = *s++;
    return pos;
}

static size_t put_u64(char *buf, size_t pos, size_t len, unsigned long long v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && pos + 1 < len)
        buf[pos++] = digits[--n];
    return pos;
}

static const char *signal_name(int sig)
{
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        if (fatal[i] == sig)
            return fatal_names[i];
    return "SIGUNKNOWN";
}

size_t hb_fault_format(char *buf, size_t len, int sig, enum hb_fault_pass pass,
                       size_t op, unsigned line)
{
    size_t p = put_str(buf, 0, len, "#HB-FAULT signal=");
    p = put_str(buf, p, len, signal_name(sig));
    p = put_str(buf, p, len, " pass=");
    p = put_str(buf, p, len, hb_fault_pass_name(pass));
    p = put_str(buf, p, len, " op=");
    p = op == HB_FAULT_NO_OP ? put_str(buf, p, len, "-1") : put_u64(buf, p, len, op);
    p = put_str(buf, p, len, " line=");
    p = put_u64(buf, p, len, line);
    p = put_str(buf, p, len, "\n");
    return p;
}

static void on_fatal(int sig)
{
    char buf[160];
    size_t op = hb_fault_op;
    const hb_op *ops = fault_ops;
    unsigned line = ops && op < fault_nops ? ops[op].line : 0;
    size_t n = hb_fault_format(buf, sizeof buf, sig, (enum hb_fault_pass)fault_pass, op, line);
    ssize_t w = write(2, buf, n);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

void hb_fault_install(void)
{
    static bool installed;
    if (installed)
        return;
    installed = true;
    stack_t ss = { .ss_sp = alt_stack, .ss_size = sizeof alt_stack, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, NULL);
}

void hb_fault_enter(enum hb_fault_pass pass, const hb_op *ops, size_t nops)
{
    fault_ops = ops;
    fault_nops = nops;
    hb_fault_op = HB_FAULT_NO_OP;
    fault_pass = (int)pass;
}
