/* The scaling chart: reads the tables "heapbench scaling" prints (one per
 * access pattern: "allocator promise N=... ratio ..." then a row per
 * allocator) and draws ns per operation against live blocks, log-log. */
#include "report/charts_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/palette.h"

#define MAX_N 16
#define MAX_SERIES 64

typedef struct series {
    char name[64];
    int pattern;        /* 0 fifo, 1 random */
    double ns[MAX_N];   /* NaN: capped or failed */
} series;

typedef struct table {
    double n[2][MAX_N];
    size_t nn[2];
    series s[MAX_SERIES];
    size_t ns;
} table;

/* "allocator  promise  N=1000 N=10000 ... ratio": the sizes. */
static size_t read_sizes(char *line, double *n)
{
    size_t k = 0;
    for (char *save, *w = strtok_r(line, " \t\n", &save); w && k < MAX_N;
         w = strtok_r(NULL, " \t\n", &save))
        if (!strncmp(w, "N=", 2))
            n[k++] = strtod(w + 2, NULL);
    return k;
}

/* "name promise v v v ...": the first nn values after the promise. */
static void read_row(char *line, table *t, int pattern)
{
    if (t->ns == MAX_SERIES)
        return;
    series *s = &t->s[t->ns];
    char *save, *w = strtok_r(line, " \t\n", &save);
    char *promise = w ? strtok_r(NULL, " \t\n", &save) : NULL;
    if (!promise)
        return;
    while (promise && !strncmp(promise, "O(", 2) && !strchr(promise, ')')) /* "O(log n)" */
        promise = strtok_r(NULL, " \t\n", &save);
    snprintf(s->name, sizeof s->name, "%s", !strcmp(w, "(loop)") ? "loop only" : w);
    s->pattern = pattern;
    for (size_t k = 0; k < t->nn[pattern]; k++) {
        char *v = strtok_r(NULL, " \t\n", &save), *end;
        s->ns[k] = v ? strtod(v, &end) : NAN;
        if (!v || end == v)
            s->ns[k] = NAN; /* capped, failed */
    }
    t->ns++;
}

static int read_table(const char *path, table *t, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: error: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int pattern = -1, in_rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "== ", 3))
            pattern = strstr(line, "random") ? 1 : 0, in_rows = 0;
        else if (pattern >= 0 && !strncmp(line, "allocator ", 10))
            t->nn[pattern] = read_sizes(line, t->n[pattern]), in_rows = 1;
        else if (in_rows && line[0] == '\n')
            in_rows = 0;
        else if (in_rows)
            read_row(line, t, pattern);
    }
    fclose(f);
    if (!t->ns) {
        snprintf(err, errlen, "%s: error: expected the tables of 'heapbench scaling' "
                 "(a line 'allocator promise N=...' and rows)", path);
        return -1;
    }
    return 0;
}

static void scaling_data(FILE *f, const table *t, double *lo, double *hi)
{
    *lo = INFINITY, *hi = 0;
    for (size_t i = 0; i < t->ns; i++) {
        const series *s = &t->s[i];
        fprintf(f, "# %s %s\n", s->pattern ? "random" : "fifo", s->name);
        int any = 0;
        for (size_t k = 0; k < t->nn[s->pattern]; k++)
            if (s->ns[k] > 0) {
                fprintf(f, "%g %.6g\n", t->n[s->pattern][k], s->ns[k]), any = 1;
                *lo = fmin(*lo, s->ns[k]), *hi = fmax(*hi, s->ns[k]);
            }
        fprintf(f, any ? "\n\n" : "1 1\n\n\n");
    }
}

static void scaling_settings(FILE *f, const table *t, const char *path, double lo, double hi)
{
    fprintf(f, "width = 1500\nheight = 800\nsource = ");
    hb_gp_string(f, path);
    fprintf(f, "\nnser = %zu\narray names[%zu]\n", t->ns, t->ns);
    for (int p = 0; p < 2; p++) { /* the series of each panel, by index */
        size_t n = 0;
        for (size_t i = 0; i < t->ns; i++)
            n += t->s[i].pattern == p;
        fprintf(f, "n%d = %zu\narray ser%d[%zu]\n", p, n, p, n ? n : 1);
        for (size_t i = 0, k = 0; i < t->ns; i++)
            if (t->s[i].pattern == p)
                fprintf(f, "ser%d[%zu] = %zu\n", p, ++k, i + 1);
    }
    for (size_t i = 0; i < t->ns; i++) {
        const series *s = &t->s[i];
        hb_look l = hb_look_of(s->name);
        if (!strcmp(s->name, "loop only"))
            l.rgb = "#a0a0a0", l.dash = 3, l.point = 0;
        fprintf(f, "names[%zu] = ", i + 1);
        hb_gp_string(f, s->name);
        fprintf(f, "\n");
        fprintf(f, "set linetype %zu lc rgb \"%s\" dt %d pt %d lw 2.5 ps 1.6\n", 100 + i + 1,
                l.rgb, l.dash, l.point);
    }
    double nlo = fmin(t->n[0][0], t->nn[1] ? t->n[1][0] : INFINITY);
    double nhi = fmax(t->n[0][t->nn[0] ? t->nn[0] - 1 : 0], t->nn[1] ? t->n[1][t->nn[1] - 1] : 0);
    int a = (int)floor(log10(nlo)), b = (int)ceil(log10(nhi));
    fprintf(f, "set logscale x\nset xrange [%g:%g]\nset xtics (", pow(10, a) / 1.5,
            pow(10, b) * 1.5);
    for (int e = a; e <= b; e++)
        fprintf(f, "%s\"10^{%d}\" 1e%d", e > a ? ", " : "", e, e);
    fprintf(f, ")\n");
    hb_gp_log_axis(f, isfinite(lo) ? lo : 1, hi > 0 ? hi : 10);
}

int hb_charts_scaling(const hb_run *r, const char *path, const char *dir, FILE *list, char *err,
                      size_t errlen)
{
    (void)r;
    table *t = calloc(1, sizeof *t);
    int rc = read_table(path, t, err, errlen);
    FILE *d = rc ? NULL : hb_chart_open(dir, "scaling", "dat", err, errlen);
    double lo = 0, hi = 0;
    if (d) {
        scaling_data(d, t, &lo, &hi);
        rc = hb_chart_close(d, dir, "scaling", err, errlen);
    } else {
        rc = -1;
    }
    FILE *s = rc ? NULL : hb_chart_open(dir, "scaling", "gp", err, errlen);
    if (s) {
        scaling_settings(s, t, path, lo, hi);
        rc = hb_chart_close(s, dir, "scaling", err, errlen);
        fprintf(list, "scaling scaling\n");
    } else {
        rc = -1;
    }
    free(t);
    return rc;
}
