/*
 * heapbench record -o OUT.trace[.xz] [options] -- COMMAND ARGS...
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "record/record.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: heapbench record -o OUT.trace[.xz|.gz] [options] -- COMMAND ARGS...\n"
        "\n"
        "Runs COMMAND with libhbrecord.so preloaded and writes its heap operations\n"
        "as a trace.  Each process image is its own trace: OUT is the command's own\n"
        "process (its last exec'd program that allocated), every other process that\n"
        "allocated is written to OUT.<n>.trace (n = 1, 2, ... in order of start).\n"
        "\n"
        "  -o, --output OUT           the trace to write (.xz / .gz: compressed)\n"
        "      --name NAME            trace name (default: OUT's file name)\n"
        "      --description TEXT     one-line description\n"
        "      --process PROGRAM      OUT is the process running PROGRAM (file name of\n"
        "                             its executable; the busiest if several), e.g. cc1\n"
        "      --program-version TEXT version for the source line (default: the\n"
        "                             Debian package that installed PROGRAM and its\n"
        "                             version, from dpkg; else unknown)\n"
        "      --probe-version        find the version by running `PROGRAM --version`\n"
        "                             (a second run of PROGRAM: only for programs\n"
        "                             where that is harmless)\n"
        "      --main-only            write OUT only\n"
        "      --keep-raw             keep the recorder's raw files in OUT.raw/\n"
        "  -h, --help                 this text\n"
        "\n"
        "The command's exit status is reported; heapbench record exits with 1 when\n"
        "the command failed (the traces are still written).\n");
}

enum {
    OPT_NAME = 256,
    OPT_DESC,
    OPT_PROCESS,
    OPT_VERSION,
    OPT_PROBE_VERSION,
    OPT_MAIN_ONLY,
    OPT_KEEP_RAW
};

static const struct option long_opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "name", required_argument, NULL, OPT_NAME },
    { "description", required_argument, NULL, OPT_DESC },
    { "process", required_argument, NULL, OPT_PROCESS },
    { "program-version", required_argument, NULL, OPT_VERSION },
    { "probe-version", no_argument, NULL, OPT_PROBE_VERSION },
    { "main-only", no_argument, NULL, OPT_MAIN_ONLY },
    { "keep-raw", no_argument, NULL, OPT_KEEP_RAW },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* Returns -1 to go on, else the exit status. */
static int parse_option(int c, hb_record_opts *o)
{
    switch (c) {
    case 'o': o->out = optarg; break;
    case OPT_NAME: o->name = optarg; break;
    case OPT_DESC: o->description = optarg; break;
    case OPT_PROCESS: o->process = optarg; break;
    case OPT_VERSION: o->version = optarg; break;
    case OPT_PROBE_VERSION: o->probe_version = true; break;
    case OPT_MAIN_ONLY: o->main_only = true; break;
    case OPT_KEEP_RAW: o->keep_raw = true; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
    return -1;
}

int hb_cmd_record(int argc, char **argv)
{
    hb_record_opts o = { .msg = stderr };
    int c, done;
    optind = 1;
    /* '+': stop at the command's name, so its own options are left alone. */
    while ((c = getopt_long(argc, argv, "+o:h", long_opts, NULL)) != -1)
        if ((done = parse_option(c, &o)) >= 0)
            return done;
    if (!o.out || !*o.out) {
        fprintf(stderr, "heapbench record: error: expected -o OUT.trace\n");
        usage(stderr);
        return 2;
    }
    if (optind >= argc) {
        fprintf(stderr, "heapbench record: error: expected a command after the options "
                        "(heapbench record -o %s -- COMMAND ARGS...)\n", o.out);
        return 2;
    }
    o.argv = argv + optind;
    return hb_record(&o);
}
