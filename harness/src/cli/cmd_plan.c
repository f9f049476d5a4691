/*
 * heapbench plan: the cells of a configuration as self-contained command
 * lines, one per line, for GNU parallel, a Slurm array or a shell loop.
 * Each line prints one CSV row (columns: hb_csv_header()).
 */
#include <getopt.h>
#include <stdio.h>

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
               "rows belong under, as a comment.\n");
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
    hb_plan_filter flt = { 0 };
    int c, header = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+c:A:T:Hh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'A': flt.allocators = optarg; break;
        case 'T': flt.traces = optarg; break;
        case 'H': header = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    hb_config cfg;
    hb_plan plan;
    char err[1024];
    if (hb_config_load(config, &cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (hb_plan_build(&cfg, &flt, &plan, stderr, err, sizeof err)) {
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
