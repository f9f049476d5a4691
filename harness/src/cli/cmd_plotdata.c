/*
 * heapbench plotdata: results.csv -> one trace x allocator table per metric,
 * in the layout the gnuplot scripts of plots/ read.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "report/csvtable.h"
#include "report/plotdata.h"

/* What the charts of plots/ draw. */
static const char default_metrics[] =
    "utilization,throughput_ops_s,peak_footprint_bytes,malloc_mean_ns,malloc_p99_ns,"
    "free_mean_ns,free_p99_ns";

static void usage(FILE *f)
{
    fprintf(f, "usage: heapbench plotdata [--metric M[,M...]] [--out-dir DIR] RESULTS.csv\n\n"
               "Writes, per metric (a results.csv column), a table with one row per trace\n"
               "and one column per allocator: the mean over the repetitions with status ok,\n"
               "NaN for cells without one.  Without --out-dir one metric goes to stdout;\n"
               "with it each goes to DIR/METRIC.dat (metrics without any value are left\n"
               "out) and the files written are listed on stdout.\n"
               "Default metrics with --out-dir: %s\n", default_metrics);
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

int hb_cmd_plotdata(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "metric", required_argument, NULL, 'm' },
        { "out-dir", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *metrics = NULL, *dir = NULL;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+m:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': metrics = optarg; break;
        case 'o': dir = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || (!dir && (!metrics || strchr(metrics, ',')))) {
        usage(stderr);
        return 2;
    }
    hb_csv_table t;
    char err[1024];
    if (hb_csv_read(argv[optind], &t, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    char list[1024];
    snprintf(list, sizeof list, "%s", metrics ? metrics : default_metrics);
    int rc = 0;
    for (char *save, *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save))
        rc |= one_metric(&t, m, dir);
    hb_csv_table_free(&t);
    return rc;
}
