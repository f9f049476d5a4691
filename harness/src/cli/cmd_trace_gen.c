/* Placeholder until this subcommand lands; replaced by its implementation. */
#include <stdio.h>
#include "cli/cli.h"
int hb_cmd_trace_gen(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "heapbench %s: not available in this build\n", argv[0]);
    return 2;
}
