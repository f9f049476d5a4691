#include "report/charts_int.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/palette.h"
#include "util/fsutil.h"

FILE *hb_chart_open(const char *dir, const char *name, const char *ext, char *err,
                    size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "w");
    if (!f)
        snprintf(err, errlen, "%s: error: cannot write: %s", path, strerror(errno));
    return f;
}

int hb_chart_close(FILE *f, const char *dir, const char *name, char *err, size_t errlen)
{
    if (ferror(f) | fclose(f)) {
        snprintf(err, errlen, "%s/%s: error: write failed", dir, name);
        return -1;
    }
    return 0;
}

void hb_gp_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '\n') {
            fputs("\\n", f);
            continue;
        }
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void hb_chart_slug(const char *name, char *out, size_t len)
{
    size_t n = 0;
    for (; *name && n + 1 < len; name++) {
        char c = *name;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_' || c == '.';
        out[n++] = keep ? c : '_';
    }
    out[n] = '\0';
}

void hb_gp_log_axis(FILE *f, double lo, double hi)
{
    fprintf(f, "set logscale y\n");
    if (!(lo > 0) || !(hi > 0)) {
        fprintf(f, "set yrange [*:*]\n");
        return;
    }
    double a = floor(log10(lo)), b = ceil(log10(hi));
    if (b - a >= 2 || hi / lo >= 10) {
        int step = b - a > 8 ? 2 : 1;
        fprintf(f, "set yrange [1e%d:1e%d]\nset ytics (", (int)a, (int)b);
        for (int e = (int)a; e <= (int)b; e += step)
            fprintf(f, "%s\"10^{%d}\" 1e%d", e > (int)a ? ", " : "", e, e);
        fprintf(f, ")\nset mytics 10\n");
        return;
    }
    /* Less than a decade: 1-2-5 ticks inside the range, which are read
     * directly as ratios or figures. */
    fprintf(f, "set yrange [%.6g:%.6g]\nset ytics (", lo / 1.12, hi * 1.12);
    static const double steps[] = { 1, 1.5, 2, 3, 5, 7 };
    int first = 1;
    for (int e = (int)a - 1; e <= (int)b; e++)
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
            double v = steps[i] * pow(10, e);
            if (v >= lo / 1.12 && v <= hi * 1.12)
                fprintf(f, "%s\"%g\" %g", first ? "" : ", ", v, v), first = 0;
        }
    fprintf(f, ")\nunset mytics\n");
}

/* The look of every allocator, by its position in r->allocs. */
static int write_styles(const hb_run *r, const char *dir, char *err, size_t errlen)
{
    FILE *f = hb_chart_open(dir, "styles", "gp", err, errlen);
    if (!f)
        return -1;
    fprintf(f, "# One look per allocator name (harness/src/report/palette.c).\n");
    fprintf(f, "nalloc = %zu\narray names[%zu]\narray hatch[%zu]\n", r->nallocs, r->nallocs,
            r->nallocs);
    for (size_t i = 0; i < r->nallocs; i++) {
        hb_look l = hb_look_of(r->allocs[i]);
        fprintf(f, "names[%zu] = ", i + 1);
        hb_gp_string(f, r->allocs[i]);
        fprintf(f, "\nhatch[%zu] = %d\n", i + 1, l.hatch);
        fprintf(f, "set linetype %zu lc rgb \"%s\" dt %d pt %d lw 2.5 ps 1.6\n", i + 1, l.rgb,
                l.dash, l.point);
    }
    fprintf(f, "baseline = ");
    hb_gp_string(f, r->allocs[r->base]);
    fprintf(f, "\n");
    return hb_chart_close(f, dir, "styles", err, errlen);
}

/* One bar chart: groups along x, one bar per allocator in each. */
typedef struct bars {
    const char *name, *title, *ylabel;
    size_t ngroups;
    const char **labels;   /* per group                              */
    hb_est *v;             /* v[g * nallocs + a], ratios             */
    double *lo, *hi;       /* interval bounds, NaN when none         */
} bars;

static double bar_x(const hb_run *r, size_t g, size_t a)
{
    return (double)g * ((double)r->nallocs + 1.5) + (double)a;
}

static void bars_range(const hb_run *r, const bars *b, double *lo, double *hi)
{
    *lo = 1, *hi = 1;
    for (size_t i = 0; i < b->ngroups * r->nallocs; i++) {
        double l = isnan(b->lo[i]) ? b->v[i].v : b->lo[i];
        double h = isnan(b->hi[i]) ? b->v[i].v : b->hi[i];
        if (l > 0 && l < *lo)
            *lo = l;
        if (h > *hi)
            *hi = h;
    }
}

/* Data: per allocator a block "x ratio" (index a); then one block of error
 * bars "x ratio lo hi" and one of n/a marks "x"; a block without rows gets
 * one line outside the x range, so every index exists. */
static void bars_data(FILE *f, const hb_run *r, const bars *b)
{
    for (size_t a = 0; a < r->nallocs; a++) {
        fprintf(f, "# %s\n", r->allocs[a]);
        int any = 0;
        for (size_t g = 0; g < b->ngroups; g++) {
            const hb_est *e = &b->v[g * r->nallocs + a];
            if (e->v > 0)
                fprintf(f, "%g %.6g\n", bar_x(r, g, a), e->v), any = 1;
        }
        fprintf(f, any ? "\n\n" : "-1000 1\n\n\n");
    }
    fprintf(f, "# 95 %% intervals\n-1000 1 1 1\n");
    for (size_t i = 0; i < b->ngroups * r->nallocs; i++)
        if (b->v[i].v > 0 && !isnan(b->lo[i]))
            fprintf(f, "%g %.6g %.6g %.6g\n", bar_x(r, i / r->nallocs, i % r->nallocs),
                    b->v[i].v, b->lo[i], b->hi[i]);
    fprintf(f, "\n\n# no figure\n-1000\n");
    for (size_t i = 0; i < b->ngroups * r->nallocs; i++)
        if (!(b->v[i].v > 0))
            fprintf(f, "%g\n", bar_x(r, i / r->nallocs, i % r->nallocs));
}

static void bars_settings(FILE *f, const hb_run *r, const bars *b)
{
    double per = (double)r->nallocs + 1.5;
    long w = (long)(260 + (double)b->ngroups * per * 24);
    long title_w = (long)strlen(b->title) * 12 + 200; /* 16 pt: about 11 px a letter */
    w = w < title_w ? title_w : w;
    w = w < HB_CHART_MIN_W ? HB_CHART_MIN_W : w > HB_CHART_MAX_W ? HB_CHART_MAX_W : w;
    fprintf(f, "width = %ld\nheight = 820\n", w);
    /* Labels rotated by 30 degrees reach left of the first group. */
    size_t first = b->ngroups ? strlen(b->labels[0]) : 0;
    fprintf(f, "lmargin_chars = %zu\n", first * 7 / 10 > 12 ? first * 7 / 10 : 12);
    fprintf(f, "set title ");
    hb_gp_string(f, b->title);
    fprintf(f, "\nset ylabel ");
    hb_gp_string(f, b->ylabel);
    fprintf(f, "\nset xrange [-1:%g]\nset xtics (", (double)b->ngroups * per - 1.5);
    for (size_t g = 0; g < b->ngroups; g++) {
        fprintf(f, "%s", g ? ", " : "");
        hb_gp_string(f, b->labels[g]);
        fprintf(f, " %g", (double)g * per + ((double)r->nallocs - 1) / 2);
    }
    fprintf(f, ")\n");
    double lo, hi;
    bars_range(r, b, &lo, &hi);
    hb_gp_log_axis(f, lo, hi);
    fprintf(f, "na_y = %.6g\n", lo > 0 ? lo * 1.02 : 1);
}

static int bars_write(const hb_run *r, const bars *b, const char *dir, FILE *list, char *err,
                      size_t errlen)
{
    FILE *d = hb_chart_open(dir, b->name, "dat", err, errlen);
    if (!d)
        return -1;
    bars_data(d, r, b);
    if (hb_chart_close(d, dir, b->name, err, errlen))
        return -1;
    FILE *s = hb_chart_open(dir, b->name, "gp", err, errlen);
    if (!s)
        return -1;
    bars_settings(s, r, b);
    if (hb_chart_close(s, dir, b->name, err, errlen))
        return -1;
    fprintf(list, "bars %s\n", b->name);
    return 0;
}

static bars bars_new(const hb_run *r, size_t ngroups)
{
    size_t n = ngroups * r->nallocs + 1;
    bars b = { .ngroups = ngroups };
    b.labels = calloc(ngroups + 1, sizeof *b.labels);
    b.v = calloc(n, sizeof *b.v);
    b.lo = calloc(n, sizeof *b.lo);
    b.hi = calloc(n, sizeof *b.hi);
    return b;
}

static void bars_free(bars *b)
{
    free(b->labels);
    free(b->v);
    free(b->lo);
    free(b->hi);
}

static const char *direction(enum hb_crit c)
{
    return hb_crit(c)->higher_better ? "higher is better" : "lower is better";
}

static int summary_chart(const hb_run *r, const char *dir, FILE *list, char *err, size_t errlen)
{
    static char labels[HB_NCRIT][64];
    bars b = bars_new(r, HB_NCRIT);
    size_t ntr = 0;
    for (size_t t = 0; t < r->ntraces; t++)
        ntr += r->traces[t].summarized;
    for (size_t c = 0; c < HB_NCRIT; c++) {
        snprintf(labels[c], sizeof labels[c], "%s\n(%s)", hb_crit(c)->title, direction(c));
        b.labels[c] = labels[c];
        for (size_t a = 0; a < r->nallocs; a++) {
            size_t i = c * r->nallocs + a;
            b.v[i] = hb_run_geomean(r, a, c, &b.lo[i], &b.hi[i]);
        }
    }
    char title[640];
    snprintf(title, sizeof title, "Geometric mean over %zu traces (%s) relative to %s, "
             "with 95 %% intervals", ntr, r->kinds, r->allocs[r->base]);
    b.name = "summary", b.title = title;
    b.ylabel = "ratio to the baseline (log scale)";
    int rc = bars_write(r, &b, dir, list, err, errlen);
    bars_free(&b);
    return rc;
}

/* One criterion over the traces of one kind, each cell over the baseline's. */
static int trace_chart(const hb_run *r, enum hb_crit c, const char *kind, const char *dir,
                       FILE *list, char *err, size_t errlen)
{
    size_t n = 0, idx[r->ntraces + 1];
    for (size_t t = 0; t < r->ntraces; t++)
        if (!strcmp(r->traces[t].kind, kind))
            idx[n++] = t;
    if (!n)
        return 0;
    bars b = bars_new(r, n);
    for (size_t g = 0; g < n; g++) {
        b.labels[g] = r->traces[idx[g]].name;
        hb_est den = hb_run_cell(r, r->base, idx[g], c);
        for (size_t a = 0; a < r->nallocs; a++) {
            hb_est num = hb_run_cell(r, a, idx[g], c);
            size_t i = g * r->nallocs + a;
            b.v[i] = hb_geomean_ratio(&num, &den, 1, &b.lo[i], &b.hi[i]);
        }
    }
    char name[128], title[640], ylabel[400];
    snprintf(name, sizeof name, "%s-%s", hb_crit(c)->key, kind);
    snprintf(title, sizeof title, "%s per %s trace relative to %s (%s), with 95 %% intervals",
             hb_crit(c)->title, kind, r->allocs[r->base], direction(c));
    snprintf(ylabel, sizeof ylabel, "%s / %s's (log scale)", hb_crit(c)->title,
             r->allocs[r->base]);
    b.name = name, b.title = title, b.ylabel = ylabel;
    int rc = bars_write(r, &b, dir, list, err, errlen);
    bars_free(&b);
    return rc;
}

static bool kind_chosen(const hb_run *r, const char *kind)
{
    for (size_t t = 0; t < r->ntraces; t++)
        if (r->traces[t].summarized && !strcmp(r->traces[t].kind, kind))
            return true;
    return false;
}

int hb_chart_detail(const hb_run *r, const hb_chart_opts *o, size_t t)
{
    const hb_run_trace *tr = &r->traces[t];
    if (o->detail_traces) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", o->detail_traces);
        for (char *save, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save))
            if (!fnmatch(g, tr->name, 0))
                return 1;
        return 0;
    }
    /* The largest trace of each summarized kind. */
    if (!tr->summarized)
        return 0;
    for (size_t i = 0; i < r->ntraces; i++)
        if (i != t && !strcmp(r->traces[i].kind, tr->kind) &&
            (r->traces[i].ops > tr->ops || (r->traces[i].ops == tr->ops && i < t)))
            return 0;
    return 1;
}

int hb_charts_write(const hb_run *r, const hb_chart_opts *o, const char *dir, char *err,
                    size_t errlen)
{
    if (hb_mkdirs(dir)) {
        snprintf(err, errlen, "%s: error: cannot create the folder: %s", dir, strerror(errno));
        return -1;
    }
    FILE *list = hb_chart_open(dir, "charts", "txt", err, errlen);
    if (!list)
        return -1;
    static const char *const kinds[] = { "recorded", "synthetic", "other", "fixture" };
    int rc = write_styles(r, dir, err, errlen);
    rc = rc ? rc : summary_chart(r, dir, list, err, errlen);
    for (size_t c = 0; c < HB_NCRIT && !rc; c++)
        for (size_t k = 0; k < 4 && !rc; k++)
            if (kind_chosen(r, kinds[k]))
                rc = trace_chart(r, c, kinds[k], dir, list, err, errlen);
    rc = rc ? rc : hb_charts_detail(r, o, dir, list, err, errlen);
    if (!rc && o->scaling)
        rc = hb_charts_scaling(r, o->scaling, dir, list, err, errlen);
    if (hb_chart_close(list, dir, "charts.txt", err, errlen))
        rc = -1;
    return rc;
}
