/*
 * heapbench run: replay one trace against one allocator and report it.
 *
 * With --isolate the replay runs in a child process (this program again,
 * without --isolate) under a wall-clock limit, and a crash or a hang still
 * ends in a result: the row heapbench bench would record for the cell.
 *
 * The process re-executes itself once with a larger optional static TLS
 * reserve (GLIBC_TUNABLES glibc.rtld.optional_static_tls): system
 * allocators such as jemalloc keep initial-exec TLS, which dlopen can only
 * place in that reserve, and glibc's default is too small for them.  Every
 * allocator runs under the same setting, so the comparison stays fair.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "load/load.h"
#include "load/suite.h"
#include "replay/replay.h"
#include "report/result.h"
#include "run/config.h"
#include "run/outcome.h"
#include "run/runner.h"
#include "run/tracefind.h"
#include "trace/trace.h"
#include "util/units.h"

#define TLS_TUNABLE "glibc.rtld.optional_static_tls"
#define TLS_RESERVE "0x40000"

typedef struct run_args {
    bool csv, header, no_cache, isolate;
    unsigned rep;
    const char *name, *opts, *spec, *trace;
    size_t arena, limit;
    unsigned timing;
    const char *timing_arg; /* as given, for the isolated child */
    double timeout_s;       /* 0: not given                      */
} run_args;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: heapbench run [options] ALLOCATOR TRACE\n"
        "       heapbench ALLOCATOR TRACE [options]\n\n"
        "Replays TRACE against ALLOCATOR and reports footprint, utilization,\n"
        "throughput and per-operation latency.\n\n"
        "ALLOCATOR  a built-in name:\n"
        "             %s\n"
        "           else a library: a path containing '/', a file in the working\n"
        "           directory, or a name ending in .so or .so.N that the dynamic\n"
        "           linker finds (libjemalloc.so.2);\n"
        "           native, lab-report or libc contract (docs/allocator-contract.md)\n"
        "TRACE      a .trace, .rep or .mtrace file, possibly .xz or .gz\n"
        "           (docs/trace-format.md)\n\n"
        "options:\n"
        "  --csv                 print one CSV row (docs/results.md) instead of the report\n"
        "  --csv-header          print the CSV header line first\n"
        "  --rep N               repetition number written to the result (default 1)\n"
        "  --name NAME           label of the allocator column\n"
        "  --arena SIZE          arena of a lab-report allocator (default 256MiB)\n"
        "  --limit SIZE          most bytes the memory source hands out (default: none)\n"
        "  --opts K=V,...        options passed to the allocator's create()\n"
        "  --timing MODE         per-op, throughput or both (default both)\n"
        "  --no-cache            do not read or write the binary trace cache\n"
        "  --isolate             replay in a child process, so that a crash or a hang\n"
        "                        still gives a result: status crashed (signal and op)\n"
        "                        or timeout, as heapbench bench records it\n"
        "  --timeout DURATION    wall-clock limit of --isolate (default 120s)\n"
        "  --help                this text\n\n"
        "SIZE takes a suffix KiB, MiB or GiB; DURATION a number of seconds or a\n"
        "suffix ms, s, m or h.  Exit status: 0 a result was produced (whatever its\n"
        "status), 1 the allocator or trace could not be loaded (with --isolate that\n"
        "too is a result, status load-error, and the exit status 0), 2 usage.\n",
        hb_builtin_list());
}

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "heapbench run: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see heapbench run --help)\n");
    return 2;
}

/* "--key VALUE" or "--key=VALUE": returns the value, or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(argv[*i], key, n))
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int parse_timing(const char *s, unsigned *out)
{
    if (!strcmp(s, "per-op"))
        *out = HB_TIMING_PER_OP;
    else if (!strcmp(s, "throughput"))
        *out = HB_TIMING_THROUGHPUT;
    else if (!strcmp(s, "both"))
        *out = HB_TIMING_BOTH;
    else
        return -1;
    return 0;
}

static int parse_valued(run_args *a, int argc, char **argv, int *i)
{
    const char *v;
    uint64_t bytes;
    if ((v = opt_value(argc, argv, i, "--rep"))) {
        char *end;
        unsigned long n = strtoul(v, &end, 10);
        if (*end || !*v || n > 1000000)
            return bad_usage("--rep expects a whole number, got '%s'", v);
        a->rep = (unsigned)n;
    } else if ((v = opt_value(argc, argv, i, "--name"))) {
        a->name = v;
    } else if ((v = opt_value(argc, argv, i, "--opts"))) {
        a->opts = v;
    } else if ((v = opt_value(argc, argv, i, "--arena"))) {
        if (hb_parse_size(v, &bytes) || !bytes)
            return bad_usage("--arena expects a size such as 256MiB, got '%s'", v);
        a->arena = (size_t)bytes;
    } else if ((v = opt_value(argc, argv, i, "--limit"))) {
        if (hb_parse_size(v, &bytes))
            return bad_usage("--limit expects a size such as 1GiB, got '%s'", v);
        a->limit = (size_t)bytes;
    } else if ((v = opt_value(argc, argv, i, "--timing"))) {
        if (parse_timing(v, &a->timing))
            return bad_usage("--timing expects per-op, throughput or both, got '%s'", v);
        a->timing_arg = v;
    } else if ((v = opt_value(argc, argv, i, "--timeout"))) {
        if (hb_parse_duration(v, &a->timeout_s) || !(a->timeout_s > 0))
            return bad_usage("--timeout expects a duration such as 90, 90s, 2m or 500ms, "
                             "got '%s'", v);
    } else {
        return bad_usage("unknown option or missing value: '%s'", argv[*i]);
    }
    return 0;
}

/* Returns 0, 2 for a usage error, or -1 after --help. */
static int parse_args(run_args *a, int argc, char **argv)
{
    *a = (run_args){ .rep = 1, .timing = HB_TIMING_BOTH };
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            usage(stdout);
            return -1;
        } else if (!strcmp(s, "--csv")) {
            a->csv = true;
        } else if (!strcmp(s, "--csv-header")) {
            a->header = true;
        } else if (!strcmp(s, "--no-cache")) {
            a->no_cache = true;
        } else if (!strcmp(s, "--isolate")) {
            a->isolate = true;
        } else if (s[0] == '-' && s[1]) {
            if (parse_valued(a, argc, argv, &i))
                return 2;
        } else if (npos < 2) {
            *(npos++ ? &a->trace : &a->spec) = s;
        } else {
            return bad_usage("unexpected argument '%s'", s);
        }
    }
    if (npos < 2)
        return bad_usage("%s", "expects ALLOCATOR and TRACE");
    if (a->timeout_s > 0 && !a->isolate)
        return bad_usage("%s", "--timeout applies to --isolate only");
    return 0;
}

/* Re-executes with the static TLS reserve unless it is already set; on
 * failure goes on without it (jemalloc then fails to load, saying why). */
static void ensure_static_tls(int argc, char **argv)
{
    const char *cur = getenv("GLIBC_TUNABLES");
    if (cur && strstr(cur, TLS_TUNABLE))
        return;
    char *val = NULL;
    if (asprintf(&val, "%s%s" TLS_TUNABLE "=" TLS_RESERVE, cur ? cur : "",
                 cur && *cur ? ":" : "") < 0)
        return;
    char **nargv = calloc((size_t)argc + 2, sizeof *nargv);
    if (!nargv || setenv("GLIBC_TUNABLES", val, 1) != 0) {
        free(nargv);
        free(val);
        return;
    }
    nargv[0] = "heapbench";
    nargv[1] = "run";
    for (int i = 1; i < argc; i++)
        nargv[i + 1] = argv[i];
    fflush(NULL);
    execv("/proc/self/exe", nargv);
    free(nargv); /* exec failed: carry on in this process */
    free(val);
}

static int emit_load_error(const run_args *a, const char *alloc, const char *trace,
                           const char *why)
{
    fprintf(stderr, "heapbench run: %s\n", why);
    if (a->csv) {
        hb_result r;
        hb_result_failed(&r, alloc, trace, a->rep, HB_ST_LOAD_ERROR, why);
        if (a->header)
            printf("%s\n", hb_csv_header());
        hb_csv_write_row(stdout, &r);
    }
    return 1;
}

static void print_about(const hb_loaded *l)
{
    const hb_allocator *api = l->api;
    printf("%s: %s contract%s%s, footprint by %s\n", l->name, hb_contract_name(l->contract),
           l->path[0] ? ", " : "", l->path, hb_footprint_name(l->footprint));
    if (!api->realloc || !api->calloc || !api->aligned_alloc)
        printf("  emulated by the harness:%s%s%s\n", api->realloc ? "" : " realloc",
               api->calloc ? "" : " calloc", api->aligned_alloc ? "" : " aligned_alloc");
}

static int run_cell(const run_args *a, const hb_trace *t)
{
    char err[1024];
    hb_load_opts lo = { .arena_size = a->arena };
    hb_loaded *l = hb_load(a->spec, &lo, err, sizeof err);
    if (!l) {
        char label[64];
        hb_spec_label(a->spec, label, sizeof label);
        return emit_load_error(a, a->name ? a->name : label, t->name, err);
    }
    hb_result r;
    hb_result_failed(&r, a->name ? a->name : l->name, t->name, a->rep, HB_ST_OK, "");
    hb_replay_cfg cfg = { .timing = a->timing, .options = a->opts, .limit = a->limit };
    if (!a->csv)
        print_about(l);
    int rc = hb_replay(l, t, &cfg, &r);
    hb_unload(l);
    if (rc != 0)
        return emit_load_error(a, r.allocator, r.trace, r.detail);
    if (a->csv) {
        if (a->header)
            printf("%s\n", hb_csv_header());
        hb_csv_write_row(stdout, &r);
    } else {
        hb_result_print(stdout, &r);
    }
    return 0;
}

/* ---- --isolate ----------------------------------------------------------- */

typedef struct argv_list {
    char *v[32];
    char exe[PATH_MAX];
    char num[3][32];
    size_t n;
} argv_list;

static void push(argv_list *l, const char *s) { l->v[l->n++] = (char *)s; }

/* The child's command line: this program with the same cell, without
 * --isolate, --timeout and --csv-header (the header is printed here). */
static void child_argv(const run_args *a, argv_list *l)
{
    memset(l, 0, sizeof *l);
    ssize_t n = readlink("/proc/self/exe", l->exe, sizeof l->exe - 1);
    if (n > 0)
        l->exe[n] = '\0';
    else
        snprintf(l->exe, sizeof l->exe, "/proc/self/exe");
    push(l, l->exe);
    push(l, "run");
    if (a->csv)
        push(l, "--csv");
    snprintf(l->num[0], sizeof l->num[0], "%u", a->rep);
    push(l, "--rep");
    push(l, l->num[0]);
    if (a->name)
        push(l, "--name"), push(l, a->name);
    if (a->opts)
        push(l, "--opts"), push(l, a->opts);
    if (a->arena) {
        snprintf(l->num[1], sizeof l->num[1], "%zu", a->arena);
        push(l, "--arena"), push(l, l->num[1]);
    }
    if (a->limit) {
        snprintf(l->num[2], sizeof l->num[2], "%zu", a->limit);
        push(l, "--limit"), push(l, l->num[2]);
    }
    if (a->timing_arg)
        push(l, "--timing"), push(l, a->timing_arg);
    if (a->no_cache)
        push(l, "--no-cache");
    push(l, a->spec);
    push(l, a->trace);
    l->v[l->n] = NULL;
}

/* The child leads its own process group, out of reach of a Ctrl-C or of a
 * job runner's signal to this process: such a signal is caught, the child's
 * group killed, and then this process ends by the same signal, without a
 * row (the cell was stopped, it did not fail). */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig) { stop_signal = sig; }

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NSTOP (sizeof stop_signals / sizeof stop_signals[0])

static void catch_stop(struct sigaction *old)
{
    struct sigaction sa = { .sa_handler = on_stop };
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSTOP; i++)
        sigaction(stop_signals[i], &sa, &old[i]);
}

static void restore_stop(const struct sigaction *old)
{
    for (size_t i = 0; i < NSTOP; i++)
        sigaction(stop_signals[i], &old[i], NULL);
}

/* Runs the job to its end; false if this process was told to stop, after
 * the child's process group is gone. */
static bool wait_job(hb_job *j)
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

static int run_isolated(const run_args *a)
{
    argv_list args;
    child_argv(a, &args);
    char alloc[64], trace[256];
    if (a->name)
        snprintf(alloc, sizeof alloc, "%s", a->name);
    else
        hb_spec_label(a->spec, alloc, sizeof alloc);
    hb_trace_display_name(a->trace, trace, sizeof trace);
    hb_cell_id id = { alloc, trace, a->rep };

    struct sigaction old[NSTOP];
    catch_stop(old);
    hb_job j;
    if (hb_job_start(&j, args.v, a->timeout_s > 0 ? a->timeout_s : HB_CONFIG_DEFAULT_TIMEOUT_S)) {
        char why[PATH_MAX + 64];
        snprintf(why, sizeof why, "cannot start %s: %s", args.v[0], strerror(errno));
        restore_stop(old);
        emit_load_error(a, alloc, trace, why);
        return 0;
    }
    bool finished = wait_job(&j);
    restore_stop(old);
    if (!finished) {
        hb_job_free(&j);
        signal(stop_signal, SIG_DFL);
        raise(stop_signal);
        return 1;
    }
    if (j.err.len)
        fwrite(j.err.data, 1, j.err.len, stderr);
    if (a->csv) {
        char status[32];
        char *row = hb_outcome_row(&j, &id, status, sizeof status);
        if (a->header)
            printf("%s\n", hb_csv_header());
        fputs(row, stdout);
        free(row);
    } else {
        /* The report of a replay that ran to its end, else what became of
         * it, after whatever the child had printed. */
        if (j.out.len)
            fwrite(j.out.data, 1, j.out.len, stdout);
        if (j.timed_out || !WIFEXITED(j.wstatus) || WEXITSTATUS(j.wstatus) != 0) {
            hb_result r;
            hb_outcome_failure(&j, &id, &r);
            hb_result_print(stdout, &r);
        }
    }
    hb_job_free(&j);
    return 0;
}

int hb_cmd_run(int argc, char **argv)
{
    run_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    /* Under heapbench bench the cell is a job already. */
    if (a.isolate && !hb_in_job())
        return run_isolated(&a);
    ensure_static_tls(argc, argv);

    hb_trace t;
    memset(&t, 0, sizeof t);
    hb_diag d = { .out = stderr };
    hb_trace_load_opts to = { .format = HB_FMT_AUTO, .use_cache = !a.no_cache };
    if (hb_trace_load(a.trace, &to, &t, &d) != 0) {
        char label[256], why[600];
        hb_trace_display_name(a.trace, label, sizeof label);
        snprintf(why, sizeof why, "cannot load trace %s: %u error%s, the first: %s", a.trace,
                 d.errors, d.errors == 1 ? "" : "s", d.first[0] ? d.first : "unknown");
        char alloc[64];
        hb_spec_label(a.spec, alloc, sizeof alloc);
        return emit_load_error(&a, a.name ? a.name : alloc, label, why);
    }
    rc = run_cell(&a, &t);
    hb_trace_release(&t);
    return rc;
}
