/*
 * heapbench env: the machine, system, build and library facts that are
 * saved as env.txt beside every results.csv.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "run/env.h"

int hb_cmd_env(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: heapbench env\n\nPrints the facts saved as env.txt with every run.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: heapbench env\n");
        return 2;
    }
    hb_env_write(stdout);
    return 0;
}
