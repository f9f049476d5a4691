/* A replay in a process of its own (see isolate.h). */
#define _GNU_SOURCE /* sigabbrev_np */
#include "run/isolate.h"

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/outcome.h"
#include "trace/handoff.h"

#define TLS_TUNABLE "glibc.rtld.optional_static_tls"
#define TLS_RESERVE "0x40000"
#define REPORT_LINES 8

/* ---- a clean replaying process ------------------------------------------ */

/* Adds the TLS reserve to GLIBC_TUNABLES unless it is there. */
static int set_tls_reserve(void)
{
    const char *cur = getenv("GLIBC_TUNABLES");
    if (cur && strstr(cur, TLS_TUNABLE))
        return 0;
    char *val = NULL;
    if (asprintf(&val, "%s%s" TLS_TUNABLE "=" TLS_RESERVE, cur ? cur : "",
                 cur && *cur ? ":" : "") < 0)
        return -1;
    int rc = setenv("GLIBC_TUNABLES", val, 1);
    free(val);
    return rc;
}

int hb_isolate_prepare(const char *trace, bool use_cache, hb_diag *d)
{
    hb_trace_load_opts o = { .format = HB_FMT_AUTO, .use_cache = use_cache };
    int fd = hb_trace_handoff(trace, &o, d);
    if (fd < 0)
        return -1;
    char num[16];
    snprintf(num, sizeof num, "%d", fd);
    setenv(HB_TRACE_FD_ENV, num, 1);
    set_tls_reserve(); /* on failure jemalloc fails to load, saying why */
    /* Addresses are not randomised in the replaying process (the setting
     * passes through exec): an allocator whose layout depends on where its
     * mappings land (jemalloc's extents) then has the same footprint, to
     * the page, run after run. */
    int persona = personality(0xffffffff);
    if (persona != -1)
        personality((unsigned long)persona | ADDR_NO_RANDOMIZE);
    return 0;
}

int hb_isolate_take_trace(const char *path, hb_trace *t)
{
    const char *v = getenv(HB_TRACE_FD_ENV);
    if (!v || !*v)
        return 0;
    char *end;
    long fd = strtol(v, &end, 10);
    unsetenv(HB_TRACE_FD_ENV);
    if (*end || fd < 0 || fd > INT_MAX)
        return -1;
    return hb_trace_from_fd((int)fd, path, t) == 0 ? 1 : -1;
}

void hb_isolate_exec_self(char **argv)
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **nargv = calloc(n + 2, sizeof *nargv);
    if (!nargv)
        return;
    nargv[0] = "heapbench";
    memcpy(nargv + 1, argv, n * sizeof *argv);
    fflush(NULL);
    execv("/proc/self/exe", nargv);
    free(nargv);
}

/* ---- stop signals -------------------------------------------------------- */

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NSTOP (sizeof stop_signals / sizeof stop_signals[0])

static volatile sig_atomic_t stop_signal;
static struct sigaction saved[NSTOP];

static void on_stop(int sig) { stop_signal = sig; }

void hb_stop_catch(void)
{
    struct sigaction sa = { .sa_handler = on_stop };
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    for (size_t i = 0; i < NSTOP; i++)
        sigaction(stop_signals[i], &sa, &saved[i]);
}

void hb_stop_restore(void)
{
    for (size_t i = 0; i < NSTOP; i++)
        sigaction(stop_signals[i], &saved[i], NULL);
}

int hb_stop_signal(void) { return stop_signal; }

void hb_stop_reraise(void)
{
    signal(stop_signal, SIG_DFL);
    raise(stop_signal);
}

/* ---- supervising one job --------------------------------------------------- */

bool hb_isolate_wait(hb_job *j)
{
    while (!hb_job_step(j) && !stop_signal) {
        struct pollfd p[2];
        size_t n = hb_job_fds(j, p);
        poll(p, n, hb_job_wait_ms(j));
    }
    if (stop_signal && !j->reaped) {
        kill(-j->pid, SIGKILL);
        hb_job_wait(j);
    }
    return !stop_signal;
}

/* The last REPORT_LINES lines of text that are not fault lines. */
static void last_lines(FILE *f, const char *text, size_t len)
{
    const char *line[REPORT_LINES];
    size_t size[REPORT_LINES];
    unsigned k = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t m = eol ? (size_t)(eol - p) : (size_t)(end - p);
        if (m && strncmp(p, "#HB-FAULT", 9)) {
            line[k % REPORT_LINES] = p;
            size[k % REPORT_LINES] = m;
            k++;
        }
        p += m + 1;
    }
    for (unsigned i = k > REPORT_LINES ? k - REPORT_LINES : 0; i < k; i++)
        fprintf(f, "    | %.*s\n", (int)size[i % REPORT_LINES], line[i % REPORT_LINES]);
    if (!k)
        fprintf(f, "    (nothing)\n");
}

void hb_isolate_report(FILE *f, const hb_job *j)
{
    hb_fault ft;
    if (hb_fault_parse(j->fault, &ft))
        hb_fault_parse("#HB-FAULT", &ft);
    int sig = WIFSIGNALED(j->wstatus) ? WTERMSIG(j->wstatus) : 0;
    if (j->timed_out)
        fprintf(f, "the replay did not finish within %g s\n", j->timeout_s);
    else
        fprintf(f, "the replay crashed\n");
    if (ft.signal[0] || sig)
        fprintf(f, "  signal     %s\n",
                ft.signal[0] ? ft.signal : sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    if (ft.op >= 0)
        fprintf(f, "  operation  %lld (0-based index in the trace)\n", ft.op);
    if (ft.line > 0)
        fprintf(f, "  trace line %lld\n", ft.line);
    if (ft.pass[0])
        fprintf(f, "  pass       %s\n", ft.pass);
    fprintf(f, "  the last lines of its stderr:\n");
    last_lines(f, j->err.data ? j->err.data : "", j->err.len);
}
