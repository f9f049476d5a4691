/* The charts of chosen traces (latency percentiles, memory over time) and
 * of the scaling benchmark. */
#include "report/charts_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/palette.h"

static const char *const pct_cols[] = { "p50", "p90", "p99", "p999", "max" };
static const char *const pct_labels[] = { "50 %%", "90 %%", "99 %%", "99.9 %%", "max" };
#define NPCT 5

/* Mean of a column over the cell's ok rows, NaN when none has it. */
static double cell_mean(const hb_run *r, size_t a, size_t t, const char *col)
{
    double sum = 0, x;
    unsigned n = 0;
    for (size_t i = 0; i < r->t.nrows; i++)
        if (r->row_a[i] == (long)a && r->row_t[i] == (long)t &&
            !strcmp(hb_run_field(r, i, "status"), "ok") &&
            hb_number(hb_run_field(r, i, col), &x))
            sum += x, n++;
    return n ? sum / n : NAN;
}

/* Blocks (op * nallocs + a) of "position ns"; range of the values. */
static void latency_data(FILE *f, const hb_run *r, size_t t, double *lo, double *hi)
{
    static const char *const ops[] = { "malloc", "free" };
    *lo = INFINITY, *hi = 0;
    for (size_t op = 0; op < 2; op++)
        for (size_t a = 0; a < r->nallocs; a++) {
            fprintf(f, "# %s %s\n", ops[op], r->allocs[a]);
            int any = 0;
            for (size_t p = 0; p < NPCT; p++) {
                char col[64];
                snprintf(col, sizeof col, "%s_%s_ns", ops[op], pct_cols[p]);
                double v = cell_mean(r, a, t, col);
                if (!(v > 0)) /* 0: below the clock's step after subtraction */
                    continue;
                fprintf(f, "%zu %.6g\n", p + 1, v), any = 1;
                *lo = fmin(*lo, v), *hi = fmax(*hi, v);
            }
            fprintf(f, any ? "\n\n" : "-10 1\n\n\n");
        }
}

/* The allocators without a figure, for the chart's n/a note. */
static void missing_note(FILE *f, const hb_run *r, size_t t, const char *col)
{
    fprintf(f, "na_note = \"");
    int n = 0;
    for (size_t a = 0; a < r->nallocs; a++)
        if (!(cell_mean(r, a, t, col) > 0))
            fprintf(f, "%s%s", n++ ? ", " : "n/a (no ok row, or below the clock step): ",
                    r->allocs[a]);
    fprintf(f, "\"\n");
}

static int latency_chart(const hb_run *r, size_t t, const char *dir, FILE *list, char *err,
                         size_t errlen)
{
    char name[256], slug[200];
    hb_chart_slug(r->traces[t].name, slug, sizeof slug);
    snprintf(name, sizeof name, "latency-%s", slug);
    FILE *d = hb_chart_open(dir, name, "dat", err, errlen);
    if (!d)
        return -1;
    double lo, hi;
    latency_data(d, r, t, &lo, &hi);
    if (hb_chart_close(d, dir, name, err, errlen))
        return -1;
    FILE *s = hb_chart_open(dir, name, "gp", err, errlen);
    if (!s)
        return -1;
    fprintf(s, "width = 1500\nheight = 760\ntrace = ");
    hb_gp_string(s, r->traces[t].name);
    double step = cell_mean(r, r->base, t, "clock_step_ns");
    fprintf(s, "\nstep_note = \"%s", isnan(step) ? "" : "clock step ");
    if (!isnan(step))
        fprintf(s, "%g ns: figures below a few steps are quantized", step);
    fprintf(s, "\"\nset xrange [0.7:%d.3]\nset xtics (", NPCT);
    for (int p = 0; p < NPCT; p++)
        fprintf(s, "%s\"%s\" %d", p ? ", " : "", pct_labels[p], p + 1);
    fprintf(s, ")\n");
    hb_gp_log_axis(s, isfinite(lo) ? lo : 1, hi > 0 ? hi : 10);
    missing_note(s, r, t, "malloc_p50_ns");
    if (hb_chart_close(s, dir, name, err, errlen))
        return -1;
    fprintf(list, "latency %s\n", name);
    return 0;
}

/* Memory over time from results/RUN/series/ALLOCATOR/TRACE.csv. */
static int memory_chart(const hb_run *r, size_t t, const char *dir, FILE *list, char *err,
                        size_t errlen)
{
    char path[PATH_MAX * 2];
    size_t have[r->nallocs + 1], n = 0;
    for (size_t a = 0; a < r->nallocs; a++) {
        snprintf(path, sizeof path, "%s/series/%s/%s.csv", r->dir, r->allocs[a],
                 r->traces[t].name);
        if (access(path, R_OK) == 0)
            have[n++] = a;
    }
    if (!n)
        return 0;
    char name[256], slug[200];
    hb_chart_slug(r->traces[t].name, slug, sizeof slug);
    snprintf(name, sizeof name, "memory-%s", slug);
    FILE *s = hb_chart_open(dir, name, "gp", err, errlen);
    if (!s)
        return -1;
    fprintf(s, "width = 1500\nheight = 800\ntrace = ");
    hb_gp_string(s, r->traces[t].name);
    fprintf(s, "\nnfiles = %zu\narray files[%zu]\narray style[%zu]\n", n, n, n);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/series/%s/%s.csv", r->dir, r->allocs[have[i]],
                 r->traces[t].name);
        fprintf(s, "files[%zu] = ", i + 1);
        hb_gp_string(s, path);
        fprintf(s, "\nstyle[%zu] = %zu\n", i + 1, have[i] + 1);
    }
    fprintf(s, "na_note = \"");
    for (size_t a = 0, k = 0, m = 0; a < r->nallocs; a++)
        if (k < n && have[k] == a)
            k++;
        else
            fprintf(s, "%s%s", m++ ? ", " : "n/a (no series file): ", r->allocs[a]);
    fprintf(s, "\"\n");
    if (hb_chart_close(s, dir, name, err, errlen))
        return -1;
    fprintf(list, "memory %s\n", name);
    return 0;
}

int hb_charts_detail(const hb_run *r, const hb_chart_opts *o, const char *dir, FILE *list,
                     char *err, size_t errlen)
{
    for (size_t t = 0; t < r->ntraces; t++) {
        if (!hb_chart_detail(r, o, t))
            continue;
        if (latency_chart(r, t, dir, list, err, errlen) ||
            memory_chart(r, t, dir, list, err, errlen))
            return -1;
    }
    return 0;
}
