/*
 * heapbench plan: the cells of a configuration as self-contained command
 * lines, one per line, for GNU parallel, a Slurm array or a shell loop.
 * Each line prints one CSV row (columns: hb_csv_header()).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "report/result.h"
#include "run/plan.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: heapbench plan [--config FILE] [--filter-allocator GLOBS]\n"
               "                      [--filter-trace GLOBS] [--header]\n"
               "\n"
               "Prints one 'heapbench run --csv ...' command line per cell of FILE\n"
               "(default bench.yaml).  --header first prints the CSV header line the\n"
               "rows belong under, as a comment.  The filters are comma-separated globs\n"
               "over names (trace globs also match paths); given again, the globs add up.\n");
}

static int print_plan(const char *config, const hb_plan_filter *flt, bool header)
{
    hb_config cfg;
    hb_plan plan;
    char err[8192];
    if (hb_config_load(config, &cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (hb_plan_build(&cfg, flt, &plan, stderr, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        hb_config_free(&cfg);
        return 1;
    }
    if (header)
        printf("# %s\n", hb_csv_header());
    for (size_t i = 0; i < plan.ncells; i++) {
        char **cell = hb_plan_argv(&plan, &plan.cells[i]);
        hb_write_shell_line(stdout, cell);
        hb_argv_free(cell);
    }
    hb_plan_free(&plan);
    hb_config_free(&cfg);
    return 0;
}

int hb_cmd_plan(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "filter-allocator", required_argument, NULL, 'A' },
        { "filter-trace", required_argument, NULL, 'T' },
        { "header", no_argument, NULL, 'H' },
        { "help", no_argument, NULL, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *config = HB_CONFIG_DEFAULT_FILE;
    char *allocs = NULL, *traces = NULL;
    bool header = false;
    int c, rc = 2;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+c:A:T:Hh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'A': allocs = hb_filter_add(allocs, optarg); break;
        case 'T': traces = hb_filter_add(traces, optarg); break;
        case 'H': header = true; break;
        case 'h': usage(stdout); rc = 0; goto out;
        default: usage(stderr); goto out;
        }
    }
    if (optind < argc) {
        usage(stderr);
        goto out;
    }
    hb_plan_filter flt = { allocs, traces };
    rc = print_plan(config, &flt, header);
out:
    free(allocs);
    free(traces);
    return rc;
}
