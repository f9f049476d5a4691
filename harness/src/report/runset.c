#include "report/runset.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report/kind.h"
#include "report/palette.h"
#include "run/config.h"
#include "run/tracefind.h"

static const hb_crit_info crits[HB_NCRIT] = {
    { "utilization", "utilization", "peak live / footprint", "utilization", NULL, NULL, true },
    { "malloc", "malloc latency", "ns", "malloc_tmean_ns", "malloc_mean_ns",
      "malloc_tmean_ci95_ns", false },
    { "free", "free latency", "ns", "free_tmean_ns", "free_mean_ns", "free_tmean_ci95_ns",
      false },
    { "throughput", "throughput", "operations/s", "throughput_ops_s", NULL,
      "throughput_ci95_ops_s", true },
};

const hb_crit_info *hb_crit(enum hb_crit c) { return &crits[c]; }

bool hb_number(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return false;
    *out = strtod(s, &end);
    return !*end && isfinite(*out);
}

/* Whether name matches one of the comma-separated globs (NULL: all). */
static bool any_glob(const char *globs, const char *name, const char *path)
{
    if (!globs)
        return true;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", globs);
    for (char *save, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save))
        if (!fnmatch(g, name, 0) || (path && !fnmatch(g, path, 0)))
            return true;
    return false;
}

static bool in_list(const char *list, const char *word)
{
    if (!strcmp(list, "all"))
        return true;
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
            return true;
    return false;
}

static long find_name(char **v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], name))
            return (long)i;
    return -1;
}

static int cmp_alloc(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    size_t rx = hb_look_rank(x), ry = hb_look_rank(y);
    return rx != ry ? (rx < ry ? -1 : 1) : strcmp(x, y);
}

static int kind_rank(const char *k)
{
    static const char *const order[] = { "recorded", "synthetic", "other", "fixture" };
    for (int i = 0; i < 4; i++)
        if (!strcmp(order[i], k))
            return i;
    return 4;
}

static int cmp_trace(const void *a, const void *b)
{
    const hb_run_trace *x = a, *y = b;
    int kx = kind_rank(x->kind), ky = kind_rank(y->kind);
    return kx != ky ? kx - ky : strcmp(x->name, y->name);
}

/* Trace name -> path, from the globs of the run's saved configuration. */
static void trace_paths(const hb_run *r, hb_tracelist *tl, bool *ok)
{
    char path[PATH_MAX + 16], err[4096], ebuf[4096];
    hb_config cfg;
    snprintf(path, sizeof path, "%s/config.yaml", r->dir);
    memset(tl, 0, sizeof *tl);
    *ok = false;
    if (hb_config_load(path, &cfg, err, sizeof err))
        return;
    hb_errs errs;
    hb_errs_init(&errs, ebuf, sizeof ebuf);
    hb_config_traces(&cfg, tl, &errs); /* duplicate names: the first one stands */
    hb_config_free(&cfg);
    *ok = true;
}

static const char *path_of(const hb_tracelist *tl, bool ok, const char *name)
{
    for (size_t i = 0; ok && i < tl->paths.n; i++)
        if (!strcmp(tl->names[i], name))
            return tl->paths.v[i];
    return NULL;
}

static void add_alloc(hb_run *r, const char *name)
{
    if (find_name(r->allocs, r->nallocs, name) >= 0)
        return;
    r->allocs = realloc(r->allocs, (r->nallocs + 1) * sizeof *r->allocs);
    r->allocs[r->nallocs++] = strdup(name);
}

static void add_trace(hb_run *r, const char *name, const char *path)
{
    for (size_t i = 0; i < r->ntraces; i++)
        if (!strcmp(r->traces[i].name, name))
            return;
    r->traces = realloc(r->traces, (r->ntraces + 1) * sizeof *r->traces);
    hb_run_trace *t = &r->traces[r->ntraces++];
    t->name = strdup(name);
    t->path = path ? strdup(path) : NULL;
    t->kind = hb_trace_kind(path);
    t->summarized = in_list(r->kinds, t->kind);
    t->ops = NAN;
}

/* The allocators and traces the options choose, the baseline always. */
static void choose(hb_run *r, const hb_run_opts *o, const char *baseline)
{
    hb_tracelist tl;
    bool have_paths;
    trace_paths(r, &tl, &have_paths);
    long ca = hb_csv_col(&r->t, "allocator"), ct = hb_csv_col(&r->t, "trace");
    for (size_t i = 0; i < r->t.nrows; i++) {
        const char *a = r->t.fields[i][ca], *t = r->t.fields[i][ct];
        const char *path = path_of(&tl, have_paths, t);
        if (!strcmp(a, baseline) || any_glob(o->allocators, a, NULL))
            add_alloc(r, a);
        if (any_glob(o->traces, t, path))
            add_trace(r, t, path);
    }
    if (have_paths)
        hb_tracelist_free(&tl);
    qsort(r->allocs, r->nallocs, sizeof *r->allocs, cmp_alloc);
    qsort(r->traces, r->ntraces, sizeof *r->traces, cmp_trace);
}

static long find_trace(const hb_run *r, const char *name)
{
    for (size_t i = 0; i < r->ntraces; i++)
        if (!strcmp(r->traces[i].name, name))
            return (long)i;
    return -1;
}

/* Each row's cell, the largest repetition, and each trace's size. */
static void index_rows(hb_run *r)
{
    long ca = hb_csv_col(&r->t, "allocator"), ct = hb_csv_col(&r->t, "trace");
    long crep = hb_csv_col(&r->t, "repetition"), cops = hb_csv_col(&r->t, "ops");
    r->row_a = calloc(r->t.nrows + 1, sizeof *r->row_a);
    r->row_t = calloc(r->t.nrows + 1, sizeof *r->row_t);
    for (size_t i = 0; i < r->t.nrows; i++) {
        char **f = r->t.fields[i];
        r->row_a[i] = find_name(r->allocs, r->nallocs, f[ca]);
        r->row_t[i] = find_trace(r, f[ct]);
        double x;
        if (crep >= 0 && hb_number(f[crep], &x) && x > r->max_rep)
            r->max_rep = (unsigned)x;
        if (r->row_t[i] >= 0 && cops >= 0 && hb_number(f[cops], &x) && x > 0)
            r->traces[r->row_t[i]].ops = x;
    }
}

static int locate(const char *dir, hb_run *r, char *csv, size_t len)
{
    struct stat st;
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        char *slash = strrchr(r->dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(r->dir, sizeof r->dir, ".");
        snprintf(csv, len, "%s", dir);
    } else {
        snprintf(csv, len, "%s/results.csv", dir);
    }
    char real[PATH_MAX];
    const char *base = realpath(r->dir, real) ? strrchr(real, '/') : NULL;
    snprintf(r->id, sizeof r->id, "%.200s", base && base[1] ? base + 1 : r->dir);
    return 0;
}

int hb_run_open(const char *dir, const hb_run_opts *o, hb_run *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    char csv[PATH_MAX + 16];
    locate(dir, r, csv, sizeof csv);
    if (hb_csv_read(csv, &r->t, err, errlen))
        return -1;
    if (hb_csv_col(&r->t, "allocator") < 0 || hb_csv_col(&r->t, "trace") < 0 ||
        hb_csv_col(&r->t, "status") < 0) {
        snprintf(err, errlen, "%s:1: error: expected a results header (allocator,trace,"
                 "repetition,status,...)", csv);
        goto fail;
    }
    const char *baseline = o->baseline ? o->baseline : "glibc";
    snprintf(r->kinds, sizeof r->kinds, "%s",
             o->kinds ? o->kinds : o->traces ? "all" : HB_DEFAULT_KINDS);
    choose(r, o, baseline);
    long b = find_name(r->allocs, r->nallocs, baseline);
    if (b < 0) {
        snprintf(err, errlen, "%s: error: the baseline '%s' has no row in this run; choose "
                 "one of its allocators with --baseline", csv, baseline);
        goto fail;
    }
    r->base = (size_t)b;
    if (r->nallocs < 1 || r->ntraces < 1) {
        snprintf(err, errlen, "%s: error: no %s of the run matches the choice", csv,
                 r->ntraces ? "allocator" : "trace");
        goto fail;
    }
    index_rows(r);
    return 0;
fail:
    hb_run_close(r);
    return -1;
}

void hb_run_close(hb_run *r)
{
    for (size_t i = 0; i < r->nallocs; i++)
        free(r->allocs[i]);
    for (size_t i = 0; i < r->ntraces; i++) {
        free(r->traces[i].name);
        free(r->traces[i].path);
    }
    free(r->allocs);
    free(r->traces);
    free(r->row_a);
    free(r->row_t);
    hb_csv_table_free(&r->t);
    memset(r, 0, sizeof *r);
}

const char *hb_run_field(const hb_run *r, size_t row, const char *col)
{
    long c = hb_csv_col(&r->t, col);
    return c < 0 ? "" : r->t.fields[row][c];
}

static bool row_ok(const hb_run *r, size_t row)
{
    return !strcmp(hb_run_field(r, row, "status"), "ok");
}

/* The figure of one row, and its interval when the row reports one. */
static bool row_figure(const hb_run *r, size_t row, const hb_crit_info *ci, double *v,
                       double *half, bool *preferred)
{
    *half = NAN;
    *preferred = hb_number(hb_run_field(r, row, ci->col), v);
    if (*preferred) {
        if (ci->ci_col && !hb_number(hb_run_field(r, row, ci->ci_col), half))
            *half = NAN;
        return true;
    }
    return ci->fallback && hb_number(hb_run_field(r, row, ci->fallback), v);
}

#define MAX_REPS 256

hb_est hb_run_cell(const hb_run *r, size_t a, size_t t, enum hb_crit c)
{
    double x[MAX_REPS] = { 0 }, half = NAN, h;
    size_t n = 0;
    bool pref;
    for (size_t i = 0; i < r->t.nrows && n < MAX_REPS; i++)
        if (r->row_a[i] == (long)a && r->row_t[i] == (long)t && row_ok(r, i) &&
            row_figure(r, i, &crits[c], &x[n], &h, &pref))
            half = h, n++;
    hb_est e = hb_mean_ci(x, n);
    if (n == 1)
        e.half = half;
    return e;
}

size_t hb_run_preferred_rows(const hb_run *r, enum hb_crit c, size_t *total)
{
    size_t n = 0;
    *total = 0;
    for (size_t i = 0; i < r->t.nrows; i++) {
        double v, h;
        bool pref;
        if (r->row_a[i] < 0 || r->row_t[i] < 0 || !row_ok(r, i) ||
            !row_figure(r, i, &crits[c], &v, &h, &pref))
            continue;
        (*total)++;
        n += pref;
    }
    return n;
}

hb_est hb_run_geomean(const hb_run *r, size_t a, enum hb_crit c, double *lo, double *hi)
{
    hb_est num[r->ntraces + 1], den[r->ntraces + 1];
    size_t n = 0;
    for (size_t t = 0; t < r->ntraces; t++) {
        if (!r->traces[t].summarized)
            continue;
        num[n] = hb_run_cell(r, a, t, c);
        den[n++] = hb_run_cell(r, r->base, t, c);
    }
    return hb_geomean_ratio(num, den, n, lo, hi);
}
