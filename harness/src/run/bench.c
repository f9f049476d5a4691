#include "run/bench.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/csvfield.h"
#include "report/result.h"
#include "run/config.h"
#include "run/env.h"
#include "run/isolate.h"
#include "run/outcome.h"
#include "run/plan.h"
#include "run/probe.h"
#include "run/resultset.h"
#include "run/rundir.h"
#include "run/runner.h"
#include "trace/trace.h"

#define MAX_JOBS 64

/* Problems shown per unloadable trace before "... and N more". */
#define MAX_TRACE_PROBLEMS 20

typedef struct slot {
    bool busy;
    size_t cell;
    hb_job job;
} slot;

typedef struct driver {
    const hb_bench_opts *o;
    hb_plan plan;
    hb_resultset rs;
    char dir[PATH_MAX];
    size_t todo, done;   /* cells this attempt runs, and finished so far */
    size_t timed;        /* finished cells that ran as a process         */
    double busy_s;       /* sum of their times, for the estimate         */
    char **unloadable;   /* per trace of the plan: NULL, or why it cannot
                            be loaded (the detail of its cells' rows)    */
    size_t nunloadable;
    uint64_t *trace_ops; /* per trace of the plan: its operations        */
    struct { char name[64]; unsigned n; } tally[16]; /* cells per status */
    FILE *log;
} driver;

static void fmt_eta(double s, char *out, size_t len)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(out, len, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(out, len, "%lds", t);
}

static void safe_name(const char *s, char *out, size_t len)
{
    size_t n = 0;
    for (; *s && n + 1 < len; s++)
        out[n++] = (*s == '/' || *s == ' ') ? '_' : *s;
    out[n] = '\0';
}

/* A cell's stderr goes to logs/ when it said anything: warnings of the
 * loader, the fault line, messages of the library. */
static void save_log(driver *d, const hb_cell *c, const hb_job *j)
{
    if (!j->err.len)
        return;
    char dir[PATH_MAX + 8], a[80], t[160], path[sizeof dir + sizeof a + sizeof t + 32];
    snprintf(dir, sizeof dir, "%s/logs", d->dir);
    safe_name(hb_cell_alloc_name(&d->plan, c), a, sizeof a);
    safe_name(hb_cell_trace_name(&d->plan, c), t, sizeof t);
    snprintf(path, sizeof path, "%s/%s--%s--r%u.log", dir, a, t, c->rep);
    FILE *f = hb_mkdirs(dir) == 0 ? fopen(path, "w") : NULL;
    if (f) {
        fwrite(j->err.data, 1, j->err.len, f);
        fclose(f);
    }
}

static void count_status(driver *d, const char *status)
{
    for (size_t i = 0; i < sizeof d->tally / sizeof d->tally[0]; i++) {
        if (!d->tally[i].name[0])
            snprintf(d->tally[i].name, sizeof d->tally[i].name, "%s", status);
        if (!strcmp(d->tally[i].name, status)) {
            d->tally[i].n++;
            return;
        }
    }
}

/* Saves the row of a finished cell and prints its progress line. */
static void record(driver *d, size_t cell, char *row, const char *status, double elapsed_s)
{
    const hb_cell *c = &d->plan.cells[cell];
    if (hb_resultset_put(&d->rs, cell, row))
        fprintf(d->log, "heapbench bench: cannot write %s: %s\n", d->rs.path, strerror(errno));
    d->done++;
    char eta[32];
    unsigned jobs = d->o->jobs ? d->o->jobs : 1;
    double per_cell = d->timed ? d->busy_s / (double)d->timed : 0;
    fmt_eta(per_cell * (double)(d->todo - d->done) / jobs, eta, sizeof eta);
    fprintf(d->log, "[%zu/%zu] %s %s rep %u ... %s, %.1f s (eta %s)\n", d->done, d->todo,
            hb_cell_alloc_name(&d->plan, c), hb_cell_trace_name(&d->plan, c), c->rep, status,
            elapsed_s, eta);
    count_status(d, status);
}

static void finish_cell(driver *d, slot *s)
{
    const hb_cell *c = &d->plan.cells[s->cell];
    hb_cell_id id = { hb_cell_alloc_name(&d->plan, c), hb_cell_trace_name(&d->plan, c), c->rep };
    char status[64];
    char *row = hb_outcome_row(&s->job, &id, status, sizeof status);
    save_log(d, c, &s->job);
    d->timed++;
    d->busy_s += s->job.elapsed_s;
    record(d, s->cell, row, status, s->job.elapsed_s);
    hb_job_free(&s->job);
    s->busy = false;
}

/* A row made here rather than by a process that would only fail or be
 * refused the same way. */
static void record_made(driver *d, size_t cell, enum hb_status st, char *detail)
{
    const hb_cell *c = &d->plan.cells[cell];
    hb_csv_detail_clean(detail);
    hb_result r;
    hb_result_failed(&r, hb_cell_alloc_name(&d->plan, c), hb_cell_trace_name(&d->plan, c),
                     c->rep, st, detail);
    char *row = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&row, &len);
    hb_csv_write_row(f, &r);
    fclose(f);
    record(d, cell, row, hb_status_name(st), 0.0);
}

/* A cell of a trace that cannot be loaded: its row is the load error the
 * cell would report, with no process that would parse the trace again. */
static void record_unloadable(driver *d, size_t cell)
{
    char detail[1024];
    snprintf(detail, sizeof detail, "%s", d->unloadable[d->plan.cells[cell].trace]);
    record_made(d, cell, HB_ST_LOAD_ERROR, detail);
}

/* The allocator's max_ops, when the cell's trace is longer; else 0. */
static uint64_t over_cap(const driver *d, const hb_cell *c)
{
    uint64_t cap = d->plan.cfg->allocs[c->alloc].max_ops;
    return cap && d->trace_ops[c->trace] > cap ? cap : 0;
}

/* A cell the configuration caps (max_ops): an unsupported row that says
 * it was skipped and why. */
static void record_over_cap(driver *d, size_t cell, uint64_t cap)
{
    char detail[256];
    snprintf(detail, sizeof detail,
             "skipped: the trace has %llu operations (more than max_ops %llu of this "
             "allocator in the configuration)",
             (unsigned long long)d->trace_ops[d->plan.cells[cell].trace], (unsigned long long)cap);
    record_made(d, cell, HB_ST_UNSUPPORTED, detail);
}

/* The next cell to start at or after next: cells an earlier attempt
 * finished are passed over, those of unloadable traces and those over
 * their allocator's max_ops recorded. */
static size_t next_cell(driver *d, const bool *skip, size_t next)
{
    for (; next < d->plan.ncells; next++) {
        const hb_cell *c = &d->plan.cells[next];
        uint64_t cap;
        if (skip[next])
            continue;
        if (d->unloadable[c->trace])
            record_unloadable(d, next);
        else if ((cap = over_cap(d, c)))
            record_over_cap(d, next, cap);
        else
            break;
    }
    return next;
}

/* The cell's command line with "--series series/ALLOC/TRACE.csv" added
 * (TRACE.rN.csv for repetitions after the first); argv when the folder
 * cannot be made. */
static char **with_series(driver *d, const hb_cell *c, char **argv)
{
    char dir[PATH_MAX + 96], a[80], t[160], path[sizeof dir + sizeof t + 32], rep[24] = "";
    safe_name(hb_cell_alloc_name(&d->plan, c), a, sizeof a);
    safe_name(hb_cell_trace_name(&d->plan, c), t, sizeof t);
    snprintf(dir, sizeof dir, "%s/series/%s", d->dir, a);
    if (c->rep > 1)
        snprintf(rep, sizeof rep, ".r%u", c->rep);
    snprintf(path, sizeof path, "%s/%s%s.csv", dir, t, rep);
    size_t n = 0;
    while (argv[n])
        n++;
    char **v = hb_mkdirs(dir) == 0 ? realloc(argv, (n + 3) * sizeof *v) : NULL;
    if (!v)
        return argv;
    /* the allocator and the trace stay the last two words */
    v[n + 1] = v[n - 1];
    v[n] = v[n - 2];
    v[n - 2] = strdup("--series");
    v[n - 1] = strdup(path);
    v[n + 2] = NULL;
    return v;
}

static void start_cell(driver *d, slot *s, size_t cell)
{
    char **argv = with_series(d, &d->plan.cells[cell], hb_plan_argv(&d->plan, &d->plan.cells[cell]));
    s->cell = cell;
    s->busy = true;
    if (hb_job_start(&s->job, argv, d->plan.cfg->timeout_s)) {
        /* Could not fork: the job finishes at once as a load error. */
        s->job.reaped = true;
        s->job.wstatus = 127 << 8;
    }
    hb_argv_free(argv);
}

static void wait_some(slot *slots, size_t n)
{
    struct pollfd p[2 * MAX_JOBS];
    size_t np = 0;
    int ms = 100;
    for (size_t i = 0; i < n; i++)
        if (slots[i].busy) {
            np += hb_job_fds(&slots[i].job, p + np);
            int w = hb_job_wait_ms(&slots[i].job);
            ms = w < ms ? w : ms;
        }
    poll(p, np, ms);
}

static void kill_all(slot *slots, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (slots[i].busy) {
            kill(-slots[i].job.pid, SIGKILL);
            hb_job_wait(&slots[i].job);
            hb_job_free(&slots[i].job);
        }
}

/* The pool: up to jobs cells at once, each finished cell saved at once. */
static int run_cells(driver *d, const bool *skip)
{
    slot slots[MAX_JOBS] = { 0 };
    size_t nslots = d->o->jobs < 1 ? 1 : d->o->jobs > MAX_JOBS ? MAX_JOBS : d->o->jobs;
    size_t next = 0, running = 0;
    for (;;) {
        /* Cells are taken in plan order as slots free up, so the progress
         * lines of one job at a time follow the plan. */
        for (size_t i = 0; i < nslots && !hb_stop_signal(); i++) {
            if (slots[i].busy)
                continue;
            next = next_cell(d, skip, next);
            if (next == d->plan.ncells)
                break;
            start_cell(d, &slots[i], next++), running++;
        }
        if (hb_stop_signal()) {
            kill_all(slots, nslots);
            fprintf(d->log, "heapbench bench: interrupted; finished cells are in %s "
                    "(complete the run with --resume %s)\n", d->rs.path, d->dir);
            return 1;
        }
        if (running == 0)
            return 0;
        wait_some(slots, nslots);
        for (size_t i = 0; i < nslots; i++)
            if (slots[i].busy && hb_job_step(&slots[i].job))
                finish_cell(d, &slots[i]), running--;
    }
}

static void write_env(FILE *f, void *ctx)
{
    (void)ctx;
    hb_env_write(f);
}

static void write_plan(FILE *f, void *ctx)
{
    const hb_plan *p = ctx;
    for (size_t i = 0; i < p->ncells; i++) {
        char **argv = hb_plan_argv(p, &p->cells[i]);
        hb_write_shell_line(f, argv);
        hb_argv_free(argv);
    }
}

/* A new run folder with the configuration, the environment and the plan
 * saved before the first cell, and results/latest pointing at it. */
static int new_run_dir(driver *d, const char *config_path)
{
    const char *root = d->o->out_root ? d->o->out_root : "results";
    char path[PATH_MAX + 32];
    if (hb_rundir_create(root, time(NULL), d->dir, sizeof d->dir)) {
        fprintf(d->log, "heapbench bench: cannot create a run folder in %s: %s\n", root,
                strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/config.yaml", d->dir);
    int rc = hb_copy_file(config_path, path);
    snprintf(path, sizeof path, "%s/env.txt", d->dir);
    rc = rc ? rc : hb_write_atomic(path, write_env, NULL);
    snprintf(path, sizeof path, "%s/plan.txt", d->dir);
    rc = rc ? rc : hb_write_atomic(path, write_plan, &d->plan);
    rc = rc ? rc : hb_latest_update(d->dir);
    if (rc)
        fprintf(d->log, "heapbench bench: cannot write %s: %s\n", d->dir, strerror(errno));
    return rc;
}

static const char *config_path(const hb_bench_opts *o, char *buf, size_t len)
{
    if (o->config)
        return o->config;
    if (!o->resume)
        return HB_CONFIG_DEFAULT_FILE;
    snprintf(buf, len, "%s/config.yaml", o->resume);
    return buf;
}

/* Which cells an earlier attempt finished; they are not run again. */
static bool *cells_to_skip(driver *d)
{
    bool *skip = calloc(d->plan.ncells + 1, sizeof *skip);
    for (size_t i = 0; i < d->plan.ncells; i++) {
        const hb_cell *c = &d->plan.cells[i];
        skip[i] = hb_resultset_has(&d->rs, hb_cell_alloc_name(&d->plan, c),
                                   hb_cell_trace_name(&d->plan, c), c->rep);
        d->todo += !skip[i];
    }
    if (d->o->resume)
        fprintf(d->log, "resuming %s: %zu of %zu cells already in results.csv\n", d->dir,
                d->plan.ncells - d->todo, d->plan.ncells);
    return skip;
}

/* Every trace of the plan is loaded once before the first cell, so a
 * malformed one is reported in full, each problem with its line, and once
 * rather than as one load error per allocator.  Loading fills the binary
 * cache the cells read, so the time is not lost, and on later runs a trace
 * loads in milliseconds.  Only the problems of traces that fail are shown:
 * warnings of good ones stay in the cells' logs. */
static void check_traces(driver *d)
{
    size_t n = d->plan.traces.n;
    d->unloadable = calloc(n + 1, sizeof *d->unloadable);
    d->trace_ops = calloc(n + 1, sizeof *d->trace_ops);
    for (size_t i = 0; i < n; i++) {
        const char *path = d->plan.traces.v[i];
        char *msgs = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&msgs, &len);
        hb_diag diag = { .out = m, .max_print = MAX_TRACE_PROBLEMS };
        hb_trace_load_opts opts = { .format = HB_FMT_AUTO, .use_cache = true };
        hb_trace t;
        int rc = hb_trace_load(path, &opts, &t, &diag);
        fclose(m);
        if (rc == 0) {
            d->trace_ops[i] = t.nops;
            hb_trace_release(&t);
        } else {
            fputs(msgs, d->log);
            char why[768];
            snprintf(why, sizeof why, "cannot load trace %s: %u error%s, the first: %s", path,
                     diag.errors, diag.errors == 1 ? "" : "s",
                     diag.first[0] ? diag.first : "unknown");
            d->unloadable[i] = strdup(why);
            d->nunloadable++;
        }
        free(msgs);
    }
    if (d->nunloadable)
        fprintf(d->log, "heapbench bench: %zu of %zu traces cannot be loaded (above); their "
                "cells are recorded as load-error rows\n", d->nunloadable, n);
}

static void summary(driver *d)
{
    fprintf(d->log, "%zu cells run%s", d->done, d->done ? ":" : "");
    for (size_t i = 0; i < sizeof d->tally / sizeof d->tally[0] && d->tally[i].name[0]; i++)
        fprintf(d->log, "%s %u %s", i ? "," : "", d->tally[i].n, d->tally[i].name);
    fprintf(d->log, "\nresults: %s\n", d->rs.path);
    if (!d->nunloadable)
        return;
    fprintf(d->log, "heapbench bench: %zu trace%s cannot be loaded:", d->nunloadable,
            d->nunloadable == 1 ? "" : "s");
    for (size_t i = 0, k = 0; i < d->plan.traces.n; i++)
        if (d->unloadable[i])
            fprintf(d->log, "%s %s", k++ ? "," : "", d->plan.traces.v[i]);
    fprintf(d->log, " (fix or remove %s)\n", d->nunloadable == 1 ? "it" : "them");
}

static int prepare(driver *d, hb_config *cfg, char *err, size_t errlen)
{
    char buf[PATH_MAX];
    const char *cpath = config_path(d->o, buf, sizeof buf);
    if (hb_config_load(cpath, cfg, err, errlen))
        return -1;
    hb_plan_filter flt = { d->o->filter_allocators, d->o->filter_traces };
    if (hb_plan_build(cfg, &flt, &d->plan, d->log, err, errlen) ||
        hb_plan_check(&d->plan, d->o->filter_allocators, err, errlen))
        return -1;
    if (d->o->resume)
        snprintf(d->dir, sizeof d->dir, "%s", d->o->resume);
    else if (new_run_dir(d, cpath))
        return -1;
    return hb_resultset_open(&d->rs, d->dir, d->plan.ncells, d->o->resume != NULL, err, errlen);
}

int hb_bench_run(const hb_bench_opts *o)
{
    driver d = { .o = o, .log = o->progress ? o->progress : stderr };
    hb_config cfg = { 0 };
    char err[8192] = "";
    int rc = 1;
    if (prepare(&d, &cfg, err, sizeof err)) {
        if (err[0])
            fprintf(d.log, "%s\n", err);
        goto out;
    }
    check_traces(&d);
    bool *skip = cells_to_skip(&d);
    if (hb_resultset_save(&d.rs)) {
        fprintf(d.log, "heapbench bench: cannot write %s: %s\n", d.rs.path, strerror(errno));
    } else {
        /* Cells run in their own process groups, out of reach of the
         * terminal's Ctrl-C; the driver catches it and takes its running
         * cells down. */
        hb_stop_catch();
        rc = run_cells(&d, skip);
        hb_stop_restore();
        summary(&d);
        if (rc == 0 && d.nunloadable)
            rc = 3;
    }
    free(skip);
out:
    for (size_t i = 0; d.unloadable && i < d.plan.traces.n; i++)
        free(d.unloadable[i]);
    free(d.unloadable);
    free(d.trace_ops);
    hb_resultset_free(&d.rs);
    hb_plan_free(&d.plan);
    hb_config_free(&cfg);
    return rc;
}
