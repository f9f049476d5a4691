/*
 * heapbench: replay malloc/free/realloc traces against allocator libraries.
 *
 *     heapbench LIB TRACE            the same as: heapbench run LIB TRACE
 *     heapbench SUBCOMMAND ARGS...   see usage() below
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct command {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} command;

static const command commands[] = {
    { "run", hb_cmd_run, "replay one trace against one allocator and print its figures" },
    { "bench", hb_cmd_bench, "run every allocator x trace cell of a config, write results" },
    { "plan", hb_cmd_plan, "print the cells of a config as self-contained command lines" },
    { "list", hb_cmd_list, "list the allocators and traces a config sees" },
    { "env", hb_cmd_env, "print the machine, compiler and library facts saved with results" },
    { "trace", hb_cmd_trace, "trace tools: stats, check, convert, gen, cache" },
    { "record", hb_cmd_record, "record a program's allocations into a trace" },
    { "scaling", hb_cmd_scaling, "per-operation cost of each allocator vs live blocks" },
    { "plotdata", hb_cmd_plotdata, "turn a run's results into the data of its charts" },
    { "report", hb_cmd_report, "write a run's report.md, or its summary on the terminal" },
    { "merge", hb_cmd_merge, "build a run folder from the rows of plan jobs run elsewhere" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: heapbench LIB TRACE [options]   (same as heapbench run)\n"
               "       heapbench COMMAND [args]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'heapbench COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    if (argv[1][0] == '-') {
        fprintf(stderr, "heapbench: unknown option '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    /* The lab-report form: heapbench LIB TRACE.  argv[0] stays in place as
     * the command name the run parser skips. */
    argv[0] = "run";
    return hb_cmd_run(argc, argv);
}
