/*
 * heapbench list: the allocators a configuration names (where each one is
 * and whether it loads) and the traces its globs find.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "run/config.h"
#include "run/registry.h"
#include "run/tracefind.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: heapbench list [--config FILE]\n\n"
               "Lists the allocators of FILE (default bench.yaml) with their library and\n"
               "whether it can be loaded, then the traces its globs match.\n");
}

static int list_allocators(const hb_config *cfg)
{
    int missing = 0;
    printf("allocators (%zu, from %s):\n", cfg->nallocs, cfg->path);
    for (size_t i = 0; i < cfg->nallocs; i++) {
        const hb_alloc_spec *a = &cfg->allocs[i];
        hb_alloc_where w;
        hb_registry_resolve(a, &w);
        bool optional = hb_config_is_optional(cfg, a->name);
        const char *state = w.available ? "ok" : optional ? "missing, optional: skipped"
                                                          : "MISSING";
        missing += !w.available && !optional;
        printf("  %-12s %-8s %-28s %s%s%s\n", a->name, hb_alloc_kind_name(w.kind), state,
               w.library, a->options ? "  options: " : "", a->options ? a->options : "");
    }
    return missing;
}

static void list_traces(const hb_config *cfg)
{
    hb_pathlist all = { 0 };
    for (size_t i = 0; i < cfg->ntraces; i++)
        if (hb_glob_traces(cfg->traces[i], &all) == 0)
            printf("  (no trace matches %s)\n", cfg->traces[i]);
    hb_pathlist_finish(&all);
    printf("traces (%zu):\n", all.n);
    for (size_t i = 0; i < all.n; i++) {
        char name[256];
        hb_trace_display_name(all.v[i], name, sizeof name);
        printf("  %-32s %s\n", name, all.v[i]);
    }
    hb_pathlist_free(&all);
}

int hb_cmd_list(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *config = HB_CONFIG_DEFAULT_FILE;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    hb_config cfg;
    char err[1024];
    if (hb_config_load(config, &cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int missing = list_allocators(&cfg);
    list_traces(&cfg);
    printf("repetitions: %u, timeout: %g s per cell\n", cfg.repetitions, cfg.timeout_s);
    hb_config_free(&cfg);
    return missing ? 1 : 0;
}
