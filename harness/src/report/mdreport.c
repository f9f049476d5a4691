#include "report/mdreport.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/facts.h"
#include "util/stats.h"

/* A results field in a table cell: '|' would end the cell. */
static void cell_text(FILE *f, const char *s)
{
    for (; *s; s++)
        fputs(*s == '|' ? "\\|" : (char[2]){ *s, 0 }, f);
}

static void env_section(FILE *f, const hb_run *r)
{
    char path[PATH_MAX + 16], line[1024];
    snprintf(path, sizeof path, "%s/env.txt", r->dir);
    fprintf(f, "## Environment\n\n");
    FILE *e = fopen(path, "r");
    if (!e) {
        fprintf(f, "No env.txt in the run folder.\n\n");
        return;
    }
    fprintf(f, "| fact | value |\n|---|---|\n");
    while (fgets(line, sizeof line, e)) {
        line[strcspn(line, "\n")] = '\0';
        char *sep = strstr(line, ": ");
        if (!sep) {
            if (line[0])
                fprintf(f, "| %s | |\n", line);
            continue;
        }
        *sep = '\0';
        fprintf(f, "| %s | ", line);
        cell_text(f, sep + 2);
        fprintf(f, " |\n");
    }
    fclose(e);
    fprintf(f, "\n");
}

/* Row i's value of col when the row is chosen, ok and has one; else NULL. */
static const char *ok_value(const hb_run *r, size_t i, const char *col)
{
    const char *v = hb_run_field(r, i, col);
    if (r->row_a[i] < 0 || r->row_t[i] < 0 || !*v || strcmp(hb_run_field(r, i, "status"), "ok"))
        return NULL;
    return v;
}

/* The distinct values of a column over the chosen ok rows, comma-joined. */
static void distinct(const hb_run *r, const char *col, char *out, size_t len)
{
    out[0] = '\0';
    for (size_t i = 0; i < r->t.nrows; i++) {
        const char *v = ok_value(r, i, col);
        if (!v)
            continue;
        char probe[128];
        snprintf(probe, sizeof probe, ", %s,", v);
        char have[1100];
        snprintf(have, sizeof have, ", %s,", out);
        if (!strstr(have, probe) && strlen(out) + strlen(v) + 3 < len)
            snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? ", " : "", v);
    }
    if (!out[0])
        snprintf(out, len, "not in these results");
}

/* The numeric values of col over the chosen ok rows, at most cap. */
static size_t ok_numbers(const hb_run *r, const char *col, double *v, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < r->t.nrows && n < cap; i++) {
        const char *x = ok_value(r, i, col);
        if (x)
            v[n++] = strtod(x, NULL);
    }
    return n;
}

/* A numeric column over the chosen ok rows as "LO to HI (median M, N
 * cells)": a figure each cell measures anew reads better as its spread
 * than as a list of every value. */
static void spread(const hb_run *r, const char *col, const char *fmt, char *out, size_t len)
{
    double v[4096];
    size_t n = ok_numbers(r, col, v, sizeof v / sizeof v[0]);
    if (!n) {
        snprintf(out, len, "not in these results");
        return;
    }
    double med = hb_median(v, n); /* sorts */
    char lo[32], hi[32], md[32];
    snprintf(lo, sizeof lo, fmt, v[0]);
    snprintf(hi, sizeof hi, fmt, v[n - 1]);
    snprintf(md, sizeof md, fmt, med);
    snprintf(out, len, "%s to %s (median %s, %zu cells)", lo, hi, md, n);
}

/* The ok cells timed at a processor clock more than HB_CLOCK_OFF from the
 * run's median clock, named (the first few): their time figures are not
 * comparable with the others'. */
#define HB_CLOCK_OFF 0.08
static void clock_caveat(FILE *f, const hb_run *r)
{
    double v[4096];
    size_t n = ok_numbers(r, "cpu_mhz", v, sizeof v / sizeof v[0]);
    if (!n)
        return;
    double med = hb_median(v, n); /* sorts */
    size_t off = 0;
    for (size_t i = 0; i < r->t.nrows; i++) {
        const char *x = ok_value(r, i, "cpu_mhz");
        if (!x)
            continue;
        double d = strtod(x, NULL) / med;
        if (d > 1 - HB_CLOCK_OFF && d < 1 + HB_CLOCK_OFF)
            continue;
        if (off < 8)
            fprintf(f, "%s `%s` on `%s` (%s MHz)", off ? "," : " Cells timed more than 8 % away "
                    "from the median clock:", hb_run_field(r, i, "allocator"),
                    hb_run_field(r, i, "trace"), x);
        off++;
    }
    if (off > 8)
        fprintf(f, " and %zu more", off - 8);
    fprintf(f, off ? "." : " Every cell was timed within 8 %% of the median clock.");
}

static void traces_caveat(FILE *f, const hb_run *r)
{
    size_t used = 0, left = 0;
    for (size_t t = 0; t < r->ntraces; t++)
        used += r->traces[t].summarized, left += !r->traces[t].summarized;
    fprintf(f, "- **Traces summarized**: %zu of %zu (kinds: %s). A trace's kind comes from "
            "its folder: `handmade/` fixture, `recorded/`, `synthetic/`, anything else other "
            "(choose with `--kinds`).", used, r->ntraces, r->kinds);
    if (left) {
        fprintf(f, " Left out of the rankings and summary chart:");
        for (size_t t = 0, k = 0; t < r->ntraces; t++)
            if (!r->traces[t].summarized)
                fprintf(f, "%s `%s` (%s)", k++ ? "," : "", r->traces[t].name, r->traces[t].kind);
        fprintf(f, ".");
    }
    fprintf(f, "\n");
}

static void method_section(FILE *f, const hb_run *r)
{
    char v[1024];
    fprintf(f, "## Method and caveats\n\nEvery figure is defined in "
            "[docs/metrics.md](../../docs/metrics.md) and "
            "[docs/results.md](../../docs/results.md); only rows whose status is `ok` count.\n\n");
    traces_caveat(f, r);
    fprintf(f, "- **Repetitions**: %u per cell. Intervals are 95 %%: with two or more "
            "repetitions a Student t interval over them; with one, the interval the row "
            "reports over its timed passes (`*_ci95` columns) where it has one, else none. "
            "A geometric mean's interval carries the cells' intervals through the logarithms "
            "(delta method); it says how precisely each figure was measured, not how much "
            "the traces differ.%s\n", r->max_rep,
            r->max_rep > 1 ? "" : " With one repetition an interval covers what moved during "
            "the cell's own passes (about a second), not the machine's drift from one run to "
            "the next, which on a shared host can be larger (docs/metrics.md, \"Checks of the "
            "time figures\"); `repetitions: 3` measures it.");
    for (enum hb_crit c = HB_CRIT_MALLOC; c <= HB_CRIT_FREE; c++) {
        size_t total, pref = hb_run_preferred_rows(r, c, &total);
        fprintf(f, "- **%s**: %s over the samples of a cell (%zu of %zu rows have `%s`, the "
                "others `%s`).\n", hb_crit(c)->title,
                pref == total ? "trimmed mean" : pref ? "trimmed mean where present, else the "
                "mean" : "mean", pref, total, hb_crit(c)->col, hb_crit(c)->fallback);
    }
    distinct(r, "clock", v, sizeof v);
    fprintf(f, "- **Clock**: %s; ", v);
    distinct(r, "clock_step_ns", v, sizeof v);
    fprintf(f, "step (ns): %s; ", v);
    spread(r, "clock_overhead_ns", "%.2f", v, sizeof v);
    fprintf(f, "overhead subtracted (ns): %s, calibrated in each cell. Percentiles are "
            "multiples of the step.\n", v);
    spread(r, "throughput_passes", "%.0f", v, sizeof v);
    fprintf(f, "- **Throughput**: operations per second of the untimed replay, the median "
            "of its passes; passes per cell: %s; ", v);
    spread(r, "throughput_cv", "%.3f", v, sizeof v);
    fprintf(f, "spread of a cell's pass rates (`throughput_cv`): %s.\n", v);
    spread(r, "cpu_mhz", "%.0f", v, sizeof v);
    fprintf(f, "- **Processor clock** during the timed passes (MHz): %s. Time figures follow "
            "it: compare cells timed at clocks that differ by more than a few per cent with "
            "care (docs/metrics.md, \"The processor's clock\").", v);
    clock_caveat(f, r);
    fprintf(f, "\n");
    distinct(r, "footprint_source", v, sizeof v);
    fprintf(f, "- **Utilization**: peak live bytes / peak footprint; footprint methods in "
            "these rows: %s. %s\n\n", v, strchr(v, ',') ? "Different methods are not strictly "
            "comparable: see docs/metrics.md." : "");
}

typedef struct ranked {
    size_t a;
    hb_est g;
    double lo, hi;
} ranked;

static enum hb_crit sort_crit;

static int cmp_ranked(const void *x, const void *y)
{
    const ranked *p = x, *q = y;
    if (isnan(p->g.v) || isnan(q->g.v))
        return isnan(p->g.v) - isnan(q->g.v);
    if (p->g.v == q->g.v)
        return (p->a > q->a) - (p->a < q->a);
    bool better = hb_crit(sort_crit)->higher_better ? p->g.v > q->g.v : p->g.v < q->g.v;
    return better ? -1 : 1;
}

static void ranking_table(FILE *f, const hb_run *r, enum hb_crit c)
{
    ranked *v = calloc(r->nallocs + 1, sizeof *v);
    for (size_t a = 0; a < r->nallocs; a++)
        v[a].a = a, v[a].g = hb_run_geomean(r, a, c, &v[a].lo, &v[a].hi);
    sort_crit = c;
    qsort(v, r->nallocs, sizeof *v, cmp_ranked);
    fprintf(f, "### %s (%s is better)\n\n| rank | allocator | geomean / %s | 95 %% interval "
            "| traces |\n|---|---|---|---|---|\n", hb_crit(c)->title,
            hb_crit(c)->higher_better ? "higher" : "lower", r->allocs[r->base]);
    for (size_t i = 0; i < r->nallocs; i++) {
        fprintf(f, "| %zu | %s | ", i + 1, r->allocs[v[i].a]);
        if (isnan(v[i].g.v))
            fprintf(f, "n/a | | 0 |\n");
        else if (isnan(v[i].lo))
            fprintf(f, "%.3g | none | %u |\n", v[i].g.v, v[i].g.n);
        else
            fprintf(f, "%.3g | %.3g to %.3g | %u |\n", v[i].g.v, v[i].lo, v[i].hi, v[i].g.n);
    }
    fprintf(f, "\n");
    free(v);
}

static void winner_cell(FILE *f, const hb_run *r, size_t t, enum hb_crit c)
{
    long best = -1;
    double bv = NAN;
    for (size_t a = 0; a < r->nallocs; a++) {
        hb_est e = hb_run_cell(r, a, t, c);
        if (isnan(e.v))
            continue;
        if (best < 0 || (hb_crit(c)->higher_better ? e.v > bv : e.v < bv))
            best = (long)a, bv = e.v;
    }
    if (best < 0)
        fprintf(f, " n/a |");
    else
        fprintf(f, " %s (%.3g) |", r->allocs[best], bv);
}

static void winners_section(FILE *f, const hb_run *r)
{
    fprintf(f, "## Winner per trace\n\nThe best figure of each criterion among the allocators "
            "shown (utilization as a ratio, latencies in ns, throughput in operations/s).\n\n"
            "| trace | kind | utilization | malloc latency | free latency | throughput |\n"
            "|---|---|---|---|---|---|\n");
    for (size_t t = 0; t < r->ntraces; t++) {
        fprintf(f, "| %s | %s |", r->traces[t].name, r->traces[t].kind);
        for (enum hb_crit c = 0; c < HB_NCRIT; c++)
            winner_cell(f, r, t, c);
        fprintf(f, "\n");
    }
    fprintf(f, "\n");
}

static void not_ok_section(FILE *f, const hb_run *r)
{
    fprintf(f, "## Cells that are not ok\n\n");
    size_t total = 0;
    for (size_t a = 0; a < r->nallocs; a++) {
        size_t n = 0;
        for (size_t i = 0; i < r->t.nrows; i++) {
            if (r->row_a[i] != (long)a || r->row_t[i] < 0 ||
                !strcmp(hb_run_field(r, i, "status"), "ok"))
                continue;
            if (!total++)
                fprintf(f, "| allocator | trace | repetition | status | detail |\n"
                           "|---|---|---|---|---|\n");
            fprintf(f, "| %s | %s | %s | %s | ", n++ ? "" : r->allocs[a],
                    hb_run_field(r, i, "trace"), hb_run_field(r, i, "repetition"),
                    hb_run_field(r, i, "status"));
            cell_text(f, hb_run_field(r, i, "detail"));
            fprintf(f, " |\n");
        }
    }
    fprintf(f, total ? "\n" : "Every cell shown is ok.\n\n");
}

static void charts_section(FILE *f, const hb_run *r, const hb_report_opts *o)
{
    char dir[PATH_MAX + 16], list[PATH_MAX + 64], line[512];
    if (o->charts)
        snprintf(dir, sizeof dir, "%s", o->charts);
    else
        snprintf(dir, sizeof dir, "%s/plots", r->dir);
    snprintf(list, sizeof list, "%s/data/charts.txt", dir);
    fprintf(f, "## Charts\n\n");
    FILE *l = fopen(list, "r");
    if (!l) {
        fprintf(f, "No charts drawn yet: `./run_bench.sh plots` draws them.\n");
        return;
    }
    /* Embedded relative to the report when they are inside the run folder. */
    size_t dl = strlen(r->dir);
    const char *rel = !o->charts ? "plots" : strncmp(dir, r->dir, dl) || dir[dl] != '/'
                                                 ? dir : dir + dl + 1;
    while (fgets(line, sizeof line, l)) {
        char script[64], name[400];
        if (sscanf(line, "%63s %399s", script, name) == 2)
            fprintf(f, "![%s](%s/%s.%s)\n\n", name, rel, name, o->format ? o->format : "png");
    }
    fclose(l);
}

void hb_report_write(FILE *f, const hb_run *r, const hb_report_opts *o)
{
    fprintf(f, "# heapbench report: %s\n\n%zu allocators, %zu traces, %zu rows; figures "
            "relative to **%s**.\n\n", r->id, r->nallocs, r->ntraces, r->t.nrows,
            r->allocs[r->base]);
    env_section(f, r);
    method_section(f, r);
    fprintf(f, "## Ranking\n\nEach criterion as the geometric mean, over the summarized "
            "traces, of the allocator's figure divided by %s's on the same trace (traces "
            "where either has no figure are left out: see the traces column).\n\n",
            r->allocs[r->base]);
    for (enum hb_crit c = 0; c < HB_NCRIT; c++)
        ranking_table(f, r, c);
    winners_section(f, r);
    not_ok_section(f, r);
    fprintf(f, "## Ease of use\n\nFrom each allocator's fact sheet (allocators/NAME/README.md),"
            " its library (the optional entry points its table fills) and its code (lines "
            "that are neither blank nor comment, counted in allocators/NAME/).\n\n");
    hb_facts_table(f, r->allocs, r->nallocs);
    fprintf(f, "\n");
    if (o->scaling)
        fprintf(f, "The scaling chart is drawn from `%s`.\n\n", o->scaling);
    charts_section(f, r, o);
}

void hb_report_terminal(FILE *f, const hb_run *r)
{
    size_t ntr = 0;
    for (size_t t = 0; t < r->ntraces; t++)
        ntr += r->traces[t].summarized;
    fprintf(f, "geomean over %zu traces (%s), relative to %s:\n%-12s %12s %12s %12s %12s\n",
            ntr, r->kinds, r->allocs[r->base], "allocator", "utilization", "throughput",
            "malloc lat.", "free lat.");
    for (size_t a = 0; a < r->nallocs; a++) {
        fprintf(f, "%-12s", r->allocs[a]);
        for (enum hb_crit c = 0; c < HB_NCRIT; c++) {
            static const enum hb_crit order[] = { HB_CRIT_UTIL, HB_CRIT_THROUGHPUT,
                                                  HB_CRIT_MALLOC, HB_CRIT_FREE };
            double lo, hi;
            hb_est g = hb_run_geomean(r, a, order[c], &lo, &hi);
            if (isnan(g.v))
                fprintf(f, " %12s", "n/a");
            else
                fprintf(f, " %11.3gx", g.v);
        }
        fprintf(f, "\n");
    }
    for (size_t i = 0; i < r->t.nrows; i++)
        if (r->row_a[i] >= 0 && r->row_t[i] >= 0 && strcmp(hb_run_field(r, i, "status"), "ok"))
            fprintf(f, "not ok: %s %s rep %s: %s: %s\n", hb_run_field(r, i, "allocator"),
                    hb_run_field(r, i, "trace"), hb_run_field(r, i, "repetition"),
                    hb_run_field(r, i, "status"), hb_run_field(r, i, "detail"));
}
