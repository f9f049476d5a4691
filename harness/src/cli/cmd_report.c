/*
 * heapbench report: a run's results.csv -> results/RUN/report.md (tables,
 * caveats, the charts embedded), or its compact form on the terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "report/mdreport.h"
#include "run/rundir.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: heapbench report [--terminal] [CHOICES] [RUN]\n\n"
            "Writes RUN/report.md (RUN: a run folder, default results/latest) and prints\n"
            "its path; with --terminal prints one line per allocator and every cell that\n"
            "is not ok instead.  CHOICES:\n"
            "  --allocators GLOBS  allocators shown (comma-separated; default all)\n"
            "  --traces GLOBS      traces shown, by name or path (default all)\n"
            "  --kinds LIST        trace kinds summarized: recorded, synthetic, other,\n"
            "                      fixture or all (default recorded,synthetic,other;\n"
            "                      all when --traces is given)\n"
            "  --baseline NAME     the allocator figures are relative to (default glibc)\n"
            "  --charts DIR        where the charts were drawn (default RUN/plots)\n"
            "  --format FMT        their format: png (default), svg or pdf\n"
            "  --scaling FILE      the scaling output the charts drew, named in the report\n"
            "  --out FILE          write the report there instead\n");
}

typedef struct write_ctx {
    const hb_run *run;
    const hb_report_opts *opts;
} write_ctx;

static void write_md(FILE *f, void *ctx)
{
    write_ctx *w = ctx;
    hb_report_write(f, w->run, w->opts);
}

static int report(const char *dir, const hb_run_opts *ro, const hb_report_opts *po,
                  const char *out, int terminal)
{
    hb_run r;
    char err[2048];
    if (hb_run_open(dir, ro, &r, err, sizeof err)) {
        fprintf(stderr, "heapbench report: %s\n", err);
        return 1;
    }
    int rc = 0;
    if (terminal) {
        hb_report_terminal(stdout, &r);
    } else {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/report.md", r.dir);
        write_ctx w = { &r, po };
        if (hb_write_atomic(out ? out : path, write_md, &w)) {
            fprintf(stderr, "heapbench report: %s: cannot write: %s\n", out ? out : path,
                    strerror(errno));
            rc = 1;
        } else {
            printf("%s\n", out ? out : path);
        }
    }
    hb_run_close(&r);
    return rc;
}

int hb_cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "allocators", required_argument, NULL, 'A' },
        { "traces", required_argument, NULL, 'T' },
        { "kinds", required_argument, NULL, 'K' },
        { "baseline", required_argument, NULL, 'B' },
        { "charts", required_argument, NULL, 'C' },
        { "format", required_argument, NULL, 'F' },
        { "scaling", required_argument, NULL, 'S' },
        { "out", required_argument, NULL, 'o' },
        { "terminal", no_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { 0, 0, 0, 0 },
    };
    hb_run_opts ro = { 0 };
    hb_report_opts po = { .format = "png" };
    const char *out = NULL;
    int c, terminal = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+o:th", longopts, NULL)) != -1) {
        switch (c) {
        case 'A': ro.allocators = optarg; break;
        case 'T': ro.traces = optarg; break;
        case 'K': ro.kinds = optarg; break;
        case 'B': ro.baseline = optarg; break;
        case 'C': po.charts = optarg; break;
        case 'F': po.format = optarg; break;
        case 'S': po.scaling = optarg; break;
        case 'o': out = optarg; break;
        case 't': terminal = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 < argc || (strcmp(po.format, "png") && strcmp(po.format, "svg") &&
                              strcmp(po.format, "pdf"))) {
        usage(stderr);
        return 2;
    }
    return report(optind < argc ? argv[optind] : "results/latest", &ro, &po, out, terminal);
}
