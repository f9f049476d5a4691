/*
 * heapbench plotdata: a run's results -> the files the gnuplot scripts of
 * plots/ draw (report/charts.h), or, with --metric, one trace x allocator
 * table per results.csv column for a chart of your own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "report/charts.h"
#include "report/csvtable.h"
#include "report/plotdata.h"
#include "util/fsutil.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: heapbench plotdata --out-dir DIR [CHOICES] RUN\n"
            "       heapbench plotdata --metric M[,M...] [--out-dir DIR] RESULTS.csv\n\n"
            "The first form writes the data of every chart of a run (RUN: its folder or\n"
            "its results.csv) into DIR (created when missing) and lists the charts in\n"
            "DIR/charts.txt as 'SCRIPT NAME' lines for plots/SCRIPT.gp.  CHOICES:\n"
            "  --allocators GLOBS     allocators drawn (comma-separated; default all)\n"
            "  --traces GLOBS         traces drawn, by name or path (default all)\n"
            "  --kinds LIST           trace kinds summarized: recorded, synthetic, other,\n"
            "                         fixture or all (default recorded,synthetic,other;\n"
            "                         all when --traces is given)\n"
            "  --baseline NAME        the allocator figures are relative to (default glibc)\n"
            "  --detail-traces GLOBS  traces of the latency and memory charts (default:\n"
            "                         the largest trace of each kind)\n"
            "  --scaling FILE         also chart a saved 'heapbench scaling' output\n\n"
            "The second form writes per metric (a results.csv column) a table with one\n"
            "row per trace and one column per allocator: the mean over the repetitions\n"
            "with status ok, NaN for cells without one; to stdout for one metric, or to\n"
            "DIR/METRIC.dat each (metrics without any value are left out).\n");
}

static int one_metric(const hb_csv_table *t, const char *metric, const char *dir)
{
    hb_matrix m;
    char err[512];
    if (hb_matrix_build(t, metric, &m, err, sizeof err)) {
        fprintf(stderr, "heapbench plotdata: %s\n", err);
        return 1;
    }
    int rc = 0;
    if (!dir) {
        hb_matrix_write(stdout, &m, metric);
    } else if (hb_matrix_has_values(&m)) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.dat", dir, metric);
        FILE *f = fopen(path, "w");
        if (f) {
            hb_matrix_write(f, &m, metric);
            rc = fclose(f) ? 1 : 0;
            printf("%s\n", path);
        } else {
            perror(path);
            rc = 1;
        }
    }
    hb_matrix_free(&m);
    return rc;
}

static int metrics(const char *csv, const char *list_arg, const char *dir)
{
    if (dir && hb_mkdirs(dir)) {
        fprintf(stderr, "heapbench plotdata: %s: cannot create: %s\n", dir, strerror(errno));
        return 1;
    }
    hb_csv_table t;
    char err[1024];
    if (hb_csv_read(csv, &t, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    char list[1024];
    snprintf(list, sizeof list, "%s", list_arg);
    int rc = 0;
    for (char *save, *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save))
        rc |= one_metric(&t, m, dir);
    hb_csv_table_free(&t);
    return rc;
}

static int charts(const char *run, const hb_run_opts *ro, const hb_chart_opts *co,
                  const char *dir)
{
    hb_run r;
    char err[2048];
    if (hb_run_open(run, ro, &r, err, sizeof err)) {
        fprintf(stderr, "heapbench plotdata: %s\n", err);
        return 1;
    }
    int rc = hb_charts_write(&r, co, dir, err, sizeof err);
    if (rc)
        fprintf(stderr, "heapbench plotdata: %s\n", err);
    hb_run_close(&r);
    return rc ? 1 : 0;
}

int hb_cmd_plotdata(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "metric", required_argument, NULL, 'm' },
        { "out-dir", required_argument, NULL, 'o' },
        { "allocators", required_argument, NULL, 'A' },
        { "traces", required_argument, NULL, 'T' },
        { "kinds", required_argument, NULL, 'K' },
        { "baseline", required_argument, NULL, 'B' },
        { "detail-traces", required_argument, NULL, 'D' },
        { "scaling", required_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *metric = NULL, *dir = NULL;
    hb_run_opts ro = { 0 };
    hb_chart_opts co = { 0 };
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+m:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': metric = optarg; break;
        case 'o': dir = optarg; break;
        case 'A': ro.allocators = optarg; break;
        case 'T': ro.traces = optarg; break;
        case 'K': ro.kinds = optarg; break;
        case 'B': ro.baseline = optarg; break;
        case 'D': co.detail_traces = optarg; break;
        case 'S': co.scaling = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || (metric ? !dir && strchr(metric, ',') : !dir)) {
        usage(stderr);
        return 2;
    }
    return metric ? metrics(argv[optind], metric, dir) : charts(argv[optind], &ro, &co, dir);
}
