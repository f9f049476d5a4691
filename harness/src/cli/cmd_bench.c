/*
 * heapbench bench: run every cell of a configuration, each in its own
 * process, into results/<run-id>/ (see run/bench.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "run/bench.h"
#include "run/plan.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: heapbench bench [--config FILE] [--out DIR] [--resume RUN_DIR]\n"
            "                       [--filter-allocator GLOBS] [--filter-trace GLOBS] [-j N]\n"
            "\n"
            "Runs every allocator x trace x repetition cell of FILE (default bench.yaml)\n"
            "as its own 'heapbench run --csv' process and writes DIR/<run-id>/ (default\n"
            "DIR: results) with config.yaml, env.txt, plan.txt, results.csv and logs/;\n"
            "DIR/latest points at it.  results.csv is rewritten after every cell.\n"
            "\n"
            "  --resume RUN_DIR   complete an interrupted run: cells already in\n"
            "                     RUN_DIR/results.csv are skipped (config: RUN_DIR/config.yaml)\n"
            "  --filter-allocator, --filter-trace  comma-separated globs over names\n"
            "                     (trace globs also match paths); given again, the globs\n"
            "                     add up: a cell runs when any glob matches\n"
            "  -j N               cells at a time (default 1; more disturbs the timings)\n"
            "\n"
            "Every trace is loaded once before the first cell; one that cannot be has its\n"
            "problems printed, and its cells become load-error rows without running.\n"
            "Exit status: 0 every cell has a row, 1 the run could not start or was\n"
            "interrupted, 2 bad command line, 3 done but some traces cannot be loaded.\n");
}

int hb_cmd_bench(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "out", required_argument, NULL, 'o' },
        { "resume", required_argument, NULL, 'r' },
        { "filter-allocator", required_argument, NULL, 'A' },
        { "filter-trace", required_argument, NULL, 'T' },
        { "jobs", required_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { 0, 0, 0, 0 },
    };
    hb_bench_opts o = { .jobs = 1, .progress = stderr };
    char *allocs = NULL, *traces = NULL;
    int c, rc = 2;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+c:o:r:A:T:j:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o.config = optarg; break;
        case 'o': o.out_root = optarg; break;
        case 'r': o.resume = optarg; break;
        case 'A': allocs = hb_filter_add(allocs, optarg); break;
        case 'T': traces = hb_filter_add(traces, optarg); break;
        case 'j': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 64) {
                fprintf(stderr, "heapbench bench: -j: expected a number from 1 to 64, got '%s'\n",
                        optarg);
                goto out;
            }
            o.jobs = (unsigned)n;
            break;
        }
        case 'h': usage(stdout); rc = 0; goto out;
        default: usage(stderr); goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "heapbench bench: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        goto out;
    }
    o.filter_allocators = allocs;
    o.filter_traces = traces;
    rc = hb_bench_run(&o);
out:
    free(allocs);
    free(traces);
    return rc;
}
