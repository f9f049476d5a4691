/*
 * heapbench merge: a run folder from the rows of "heapbench plan" jobs run
 * elsewhere (report/merge.h), which plots and report then read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "report/merge.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: heapbench merge [--env FILE]... [--config FILE] OUT_RUN INPUT...\n\n"
            "Builds the run folder OUT_RUN (new, or without a results.csv) from INPUTs:\n"
            "files of CSV rows printed by the command lines of 'heapbench plan' (a header\n"
            "line, plain or as '# ...' from 'plan --header', is checked against this\n"
            "build's), or run folders.  --env gives one host's 'heapbench env' output\n"
            "(once per host); every one must name this heapbench's version.  --config\n"
            "saves the configuration the plan came from, which tells the report each\n"
            "trace's kind.  A cell found twice, a row of the wrong width, a different\n"
            "header or version: nothing is written, every problem is listed.\n");
}

int hb_cmd_merge(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "env", required_argument, NULL, 'e' },
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { 0, 0, 0, 0 },
    };
    hb_merge_opts o = { 0 };
    char *envs[argc + 1];
    o.envs = envs;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+e:c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': envs[o.nenvs++] = optarg; break;
        case 'c': o.config = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind < 2) {
        usage(stderr);
        return 2;
    }
    o.out = argv[optind];
    o.inputs = argv + optind + 1;
    o.ninputs = (size_t)(argc - optind - 1);
    char err[8192];
    if (hb_merge(&o, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("%s\n", o.out);
    return 0;
}
