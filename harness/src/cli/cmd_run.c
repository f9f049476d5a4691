/*
 * heapbench run: replay one trace against one allocator and report it.
 *
 * The trace is loaded first (and the binary cache written); the replay
 * then runs in a process exec'd afresh that maps the parsed trace
 * (run/isolate.h says why).  By default that process is a child under a
 * wall-clock limit, so a crash or a hang still ends in a result: the row
 * heapbench bench would record for the cell.  With --no-isolate it is this
 * process, exec'd again (the same pid, for a debugger).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
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
#include "run/isolate.h"
#include "run/outcome.h"
#include "run/runner.h"
#include "trace/name.h"
#include "verify/verify.h"
#include "trace/trace.h"
#include "util/units.h"

typedef struct run_args {
    bool csv, header, no_cache;
    bool isolate;      /* replay in a child (the default)                  */
    bool job_exit;     /* --isolate given: exit 0 whenever a row is printed */
    bool check;        /* --check: the validation mode (verify/)            */
    const char *check_every; /* --check: ops between check() calls          */
    const char *symbols;     /* lab contract: ROLE=NAME,...                 */
    unsigned rep;
    const char *name, *opts, *spec, *trace;
    size_t arena, limit;
    unsigned timing;
    const char *timing_arg; /* as given, for the isolated child */
    double timeout_s;       /* 0: not given                      */
    unsigned passes, latency_passes; /* 0: the replay's defaults */
    double min_time_s, max_time_s;
    bool live_timers;        /* --purge-timers live                      */
    const char *pass_arg[5]; /* --passes .. --purge-timers as given, for the child */
    const char *series;     /* --series FILE                     */
} run_args;

/* The options of repeated passes (docs/metrics.md), in pass_arg order. */
static const char *const pass_opt[5] = { "--passes", "--min-time", "--max-time",
                                         "--latency-passes", "--purge-timers" };

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
        "  --passes N            least throughput passes (default 5)\n"
        "  --min-time DURATION   least total time of the throughput passes (default 0.3s)\n"
        "  --max-time DURATION   no new timed pass after this much, two of each kind\n"
        "                        at least (default 1s)\n"
        "  --latency-passes N    latency passes, 1 to 16 (default 3)\n"
        "  --series FILE         write the memory-over-time series (CSV) to FILE\n"
        "  --purge-timers MODE   frozen (default): hold back the allocator's wall-clock\n"
        "                        purge timers while the footprint is measured, so it is\n"
        "                        repeatable; live: leave them running (docs/metrics.md)\n"
        "  --symbols ROLE=NAME,... the lab-report functions to bind: roles create,\n"
        "                        alloc, free, destroy (default: the contract's names)\n"
        "  --check               validation mode: one untimed replay that checks every\n"
        "                        block (alignment, ownership, overlap, contents) and\n"
        "                        runs the allocator's check(); status corrupt names\n"
        "                        the first problem (docs/running.md)\n"
        "  --check-every N       with --check: ops between check() calls (default 1000)\n"
        "  --no-cache            do not read or write the binary trace cache\n"
        "  --no-isolate          replay in this process (to debug it under gdb); by\n"
        "                        default the replay runs in a child process, so that\n"
        "                        a crash or a hang still gives a result: status\n"
        "                        crashed (signal, op, trace line, pass) or timeout,\n"
        "                        as heapbench bench records it\n"
        "  --isolate             the default; also: exit 0 whenever a row is printed\n"
        "  --timeout DURATION    wall-clock limit of the child (default 120s)\n"
        "  --help                this text\n\n"
        "SIZE takes a suffix KiB, MiB or GiB; DURATION a number of seconds or a\n"
        "suffix ms, s, m or h.  Exit status: 0 a result was produced (whatever its\n"
        "status), 1 the allocator or trace could not be loaded (with --isolate that\n"
        "too is a result, status load-error, and the exit status 0), 2 usage.\n"
        "With --no-isolate a crash ends this process by its signal.\n",
        hb_builtin_list());
}

static int bad_value(const char *opt, const char *want, const char *got)
{
    fprintf(stderr, "heapbench run: --%s: expected %s, got '%s'\n", opt, want, got);
    return 2;
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

/* One option with a value; 0 or 2. */
static int valued(run_args *a, int c, const char *v)
{
    uint64_t bytes;
    char *end;
    switch (c) {
    case 'R': {
        unsigned long n = strtoul(v, &end, 10);
        if (*end || !*v || n > 1000000)
            return bad_value("rep", "a whole number", v);
        a->rep = (unsigned)n;
        return 0;
    }
    case 'N': a->name = v; return 0;
    case 'O': a->opts = v; return 0;
    case 'a':
        if (hb_parse_size(v, &bytes) || !bytes)
            return bad_value("arena", "a size such as 256MiB", v);
        a->arena = (size_t)bytes;
        return 0;
    case 'l':
        if (hb_parse_size(v, &bytes))
            return bad_value("limit", "a size such as 1GiB", v);
        a->limit = (size_t)bytes;
        return 0;
    case 'T':
        if (parse_timing(v, &a->timing))
            return bad_value("timing", "per-op, throughput or both", v);
        a->timing_arg = v;
        return 0;
    case 'P':
    case 'L': {
        unsigned long n = strtoul(v, &end, 10);
        unsigned long most = c == 'L' ? HB_MAX_LATENCY_PASSES : HB_MAX_PASSES;
        if (*end || !*v || n < 1 || n > most)
            return bad_value(c == 'L' ? "latency-passes" : "passes",
                             c == 'L' ? "a whole number from 1 to 16"
                                      : "a whole number from 1 to 10000", v);
        *(c == 'L' ? &a->latency_passes : &a->passes) = (unsigned)n;
        a->pass_arg[c == 'L' ? 3 : 0] = v;
        return 0;
    }
    case 'm':
    case 'M':
        if (hb_parse_duration(v, c == 'm' ? &a->min_time_s : &a->max_time_s) ||
            (c == 'm' ? a->min_time_s : a->max_time_s) < 0)
            return bad_value(c == 'm' ? "min-time" : "max-time",
                             "a duration such as 0.3s or 500ms", v);
        a->pass_arg[c == 'm' ? 1 : 2] = v;
        return 0;
    case 's': a->series = v; return 0;
    case 'u':
        if (strcmp(v, "frozen") && strcmp(v, "live"))
            return bad_value("purge-timers", "frozen or live", v);
        a->live_timers = !strcmp(v, "live");
        a->pass_arg[4] = v;
        return 0;
    case 'K':
        if (!*v || strspn(v, "0123456789") != strlen(v) || !strtoull(v, NULL, 10))
            return bad_value("check-every", "a positive whole number", v);
        a->check_every = v;
        return 0;
    case 'S': {
        hb_lab_names names;
        char why[256];
        if (hb_lab_parse_symbols(v, &names, why, sizeof why)) {
            fprintf(stderr, "heapbench run: --%s\n", why);
            return 2;
        }
        a->symbols = v;
        return 0;
    }
    default: /* 't' */
        if (hb_parse_duration(v, &a->timeout_s) || !(a->timeout_s > 0))
            return bad_value("timeout", "a duration such as 90, 90s, 2m or 500ms", v);
        return 0;
    }
}

static const struct option longopts[] = {
    { "csv", no_argument, NULL, 'c' },        { "csv-header", no_argument, NULL, 'H' },
    { "no-cache", no_argument, NULL, 'C' },   { "isolate", no_argument, NULL, 'i' },
    { "no-isolate", no_argument, NULL, 'I' }, { "rep", required_argument, NULL, 'R' },
    { "name", required_argument, NULL, 'N' }, { "opts", required_argument, NULL, 'O' },
    { "arena", required_argument, NULL, 'a' }, { "limit", required_argument, NULL, 'l' },
    { "timing", required_argument, NULL, 'T' }, { "timeout", required_argument, NULL, 't' },
    { "passes", required_argument, NULL, 'P' }, { "min-time", required_argument, NULL, 'm' },
    { "max-time", required_argument, NULL, 'M' },
    { "latency-passes", required_argument, NULL, 'L' },
    { "series", required_argument, NULL, 's' }, { "check", no_argument, NULL, 'k' },
    { "purge-timers", required_argument, NULL, 'u' },
    { "check-every", required_argument, NULL, 'K' },
    { "symbols", required_argument, NULL, 'S' },
    { "help", no_argument, NULL, 'h' },       { 0, 0, 0, 0 },
};

/* The positional ALLOCATOR and TRACE, which may come before the options. */
static int positionals(run_args *a, int argc, char **argv)
{
    if (argc - optind > 2) {
        fprintf(stderr, "heapbench run: unexpected argument '%s'\n", argv[optind + 2]);
        return 2;
    }
    if (argc - optind < 2) {
        fprintf(stderr, "heapbench run: expected ALLOCATOR and TRACE\n");
        usage(stderr);
        return 2;
    }
    a->spec = argv[optind];
    a->trace = argv[optind + 1];
    return 0;
}

/* Returns 0, 2 for a usage error, or -1 after --help. */
static int parse_args(run_args *a, int argc, char **argv)
{
    *a = (run_args){ .rep = 1, .timing = HB_TIMING_BOTH, .isolate = true,
                     .min_time_s = HB_DEFAULT_MIN_TIME_S };
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': a->csv = true; break;
        case 'H': a->header = true; break;
        case 'C': a->no_cache = true; break;
        case 'i': a->job_exit = true; break;
        case 'I': a->isolate = false; break;
        case 'k': a->check = true; break;
        case 'h': usage(stdout); return -1;
        case '?': usage(stderr); return 2;
        default:
            if (valued(a, c, optarg))
                return 2;
        }
    }
    if (a->job_exit && !a->isolate) {
        fprintf(stderr, "heapbench run: --isolate and --no-isolate exclude each other\n");
        return 2;
    }
    if (a->timeout_s > 0 && !a->isolate) {
        fprintf(stderr, "heapbench run: --timeout: does not apply with --no-isolate\n");
        return 2;
    }
    return positionals(a, argc, argv);
}

static void alloc_label(const run_args *a, char *out, size_t len)
{
    if (a->name)
        snprintf(out, len, "%s", a->name);
    else
        hb_spec_label(a->spec, out, len);
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

static void print_lab_symbols(const hb_loaded *l)
{
    char bound[4 * HB_SYMBOL_MAX + 64];
    hb_lab_describe(&l->lab, bound, sizeof bound);
    printf("  symbols: %s\n", bound);
    if (l->lab.unused_alloc)
        printf("  also defines %s, not bound (choose with --symbols alloc=NAME)\n",
               l->lab.unused_alloc);
}

static void print_about(const hb_loaded *l)
{
    const hb_allocator *api = l->api;
    static const char *const reserved[] = { "memsrc", "arena", "own statistics" };
    printf("%s: %s contract%s%s; footprint: resident, reserved by %s\n", l->name,
           hb_contract_name(l->contract), l->path[0] ? ", " : "", l->path,
           reserved[l->footprint]);
    if (l->contract == HB_CONTRACT_LAB)
        print_lab_symbols(l);
    if (!api->realloc || !api->calloc || !api->aligned_alloc)
        printf("  emulated by the harness:%s%s%s\n", api->realloc ? "" : " realloc",
               api->calloc ? "" : " calloc", api->aligned_alloc ? "" : " aligned_alloc");
}

/* The replay itself, in the process that took the trace over. */
static int run_cell(const run_args *a, const hb_trace *t)
{
    char err[1024];
    hb_load_opts lo = { .arena_size = a->arena, .symbols = a->symbols };
    hb_loaded *l = hb_load(a->spec, &lo, err, sizeof err);
    if (!l) {
        char label[64];
        alloc_label(a, label, sizeof label);
        return emit_load_error(a, label, t->name, err);
    }
    hb_result r;
    hb_result_failed(&r, a->name ? a->name : l->name, t->name, a->rep, HB_ST_OK, "");
    hb_replay_cfg cfg = { .timing = a->timing, .options = a->opts, .limit = a->limit,
                          .passes = a->passes, .min_time_s = a->min_time_s,
                          .max_time_s = a->max_time_s, .latency_passes = a->latency_passes,
                          .series_path = a->series, .live_timers = a->live_timers };
    if (!a->csv)
        print_about(l);
    if (!a->csv && a->check)
        printf("  validation mode: every block and byte checked, no timed pass\n");
    hb_verify_cfg vc = { .options = a->opts, .limit = a->limit,
                         .check_every = a->check_every ? strtoull(a->check_every, NULL, 10) : 0 };
    int rc = a->check ? hb_verify(l, t, &vc, &r) : hb_replay(l, t, &cfg, &r);
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

/* Loads the trace for the replaying process; 0, or 1 after a load-error
 * report (and row). */
static int prepare(const run_args *a)
{
    hb_diag d = { .out = stderr };
    if (hb_isolate_prepare(a->trace, !a->no_cache, &d) == 0)
        return 0;
    char label[256], why[600], alloc[64];
    hb_trace_display_name(a->trace, label, sizeof label);
    snprintf(why, sizeof why, "cannot load trace %s: %u error%s, the first: %s", a->trace,
             d.errors, d.errors == 1 ? "" : "s", d.first[0] ? d.first : "unknown");
    alloc_label(a, alloc, sizeof alloc);
    return emit_load_error(a, alloc, label, why);
}

/* ---- the replay in a child --------------------------------------------------- */

typedef struct argv_list {
    char *v[48];
    char exe[PATH_MAX];
    char num[3][32];
    size_t n;
} argv_list;

static void push(argv_list *l, const char *s) { l->v[l->n++] = (char *)s; }

/* The child's command line: this program with the same cell, replaying in
 * place, without --timeout and --csv-header (the header is printed here). */
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
    push(l, "--no-isolate");
    if (a->csv)
        push(l, "--csv");
    snprintf(l->num[0], sizeof l->num[0], "%u", a->rep);
    push(l, "--rep"), push(l, l->num[0]);
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
    for (int k = 0; k < 5; k++)
        if (a->pass_arg[k])
            push(l, pass_opt[k]), push(l, a->pass_arg[k]);
    if (a->series)
        push(l, "--series"), push(l, a->series);
    if (a->symbols)
        push(l, "--symbols"), push(l, a->symbols);
    if (a->check)
        push(l, "--check");
    if (a->check_every)
        push(l, "--check-every"), push(l, a->check_every);
    push(l, a->spec);
    push(l, a->trace);
    l->v[l->n] = NULL;
}

/* What the child printed, or the row or report of what became of it. */
static void show_outcome(const run_args *a, hb_job *j, const hb_cell_id *id)
{
    bool ended = !j->timed_out && WIFEXITED(j->wstatus);
    if (a->csv || ended)
        fwrite(j->err.data ? j->err.data : "", 1, j->err.len, stderr);
    if (a->csv) {
        char status[32];
        char *row = hb_outcome_row(j, id, status, sizeof status);
        if (a->header)
            printf("%s\n", hb_csv_header());
        fputs(row, stdout);
        free(row);
        return;
    }
    fwrite(j->out.data ? j->out.data : "", 1, j->out.len, stdout);
    if (ended && WEXITSTATUS(j->wstatus) == 0)
        return;
    hb_result r;
    hb_outcome_failure(j, id, &r);
    hb_result_print(stdout, &r);
    if (!ended) {
        fflush(stdout);
        if (j->fault[0])
            fprintf(stderr, "%s\n", j->fault);
        hb_isolate_report(stderr, j);
    }
}

/* The child's exit status where it ended by itself, else 0: a crash or a
 * timeout is a result.  With --isolate, 0 whatever happened: the result
 * was printed, as a job runner wants it. */
static int child_exit(const run_args *a, const hb_job *j)
{
    if (j->timed_out || !WIFEXITED(j->wstatus))
        return 0;
    return a->job_exit ? 0 : WEXITSTATUS(j->wstatus);
}

static int run_isolated(const run_args *a)
{
    argv_list args;
    child_argv(a, &args);
    char alloc[64], trace[256];
    alloc_label(a, alloc, sizeof alloc);
    hb_trace_display_name(a->trace, trace, sizeof trace);
    hb_cell_id id = { alloc, trace, a->rep };

    hb_stop_catch();
    hb_job j;
    if (hb_job_start(&j, args.v, a->timeout_s > 0 ? a->timeout_s : HB_CONFIG_DEFAULT_TIMEOUT_S)) {
        char why[PATH_MAX + 64];
        snprintf(why, sizeof why, "cannot start %s: %s", args.v[0], strerror(errno));
        hb_stop_restore();
        int rc = emit_load_error(a, alloc, trace, why);
        return a->job_exit ? 0 : rc;
    }
    bool finished = hb_isolate_wait(&j);
    hb_stop_restore();
    if (!finished) {
        /* Stopped from outside: the cell was stopped, it did not fail. */
        hb_job_free(&j);
        hb_stop_reraise();
        return 1;
    }
    show_outcome(a, &j, &id);
    int rc = child_exit(a, &j);
    hb_job_free(&j);
    return rc;
}

/* The replaying process: the trace handed over by the process before. */
static int replay_handed_over(const run_args *a, hb_trace *t)
{
    int rc = run_cell(a, t);
    hb_trace_release(t);
    return rc;
}

int hb_cmd_run(int argc, char **argv)
{
    run_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    hb_trace t;
    char alloc[64];
    alloc_label(&a, alloc, sizeof alloc);
    int taken = hb_isolate_take_trace(a.trace, &t);
    if (taken > 0)
        return replay_handed_over(&a, &t);
    if (taken < 0)
        return emit_load_error(&a, alloc, a.trace, "the trace handed over cannot be mapped");
    if ((rc = prepare(&a)) != 0)
        return a.job_exit ? 0 : rc;
    /* Under heapbench bench the cell is a job already. */
    if (a.isolate && !hb_in_job())
        return run_isolated(&a);
    hb_isolate_exec_self(argv);
    /* exec failed: replay here, from the trace handed over all the same */
    if (hb_isolate_take_trace(a.trace, &t) > 0)
        return replay_handed_over(&a, &t);
    return emit_load_error(&a, alloc, a.trace, "cannot take the loaded trace over");
}
