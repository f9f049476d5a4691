/*
 * heapbench bench: run every cell of a configuration, each in its own
 * process, into results/<run-id>/ (see run/bench.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "run/bench.h"

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
            "                     (trace globs also match paths)\n"
            "  -j N               cells at a time (default 1; more disturbs the timings)\n");
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
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+c:o:r:A:T:j:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o.config = optarg; break;
        case 'o': o.out_root = optarg; break;
        case 'r': o.resume = optarg; break;
        case 'A': o.filter_allocators = optarg; break;
        case 'T': o.filter_traces = optarg; break;
        case 'j': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 64) {
                fprintf(stderr, "heapbench bench: -j: expected a number from 1 to 64, got '%s'\n",
                        optarg);
                return 2;
            }
            o.jobs = (unsigned)n;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "heapbench bench: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return hb_bench_run(&o);
}
