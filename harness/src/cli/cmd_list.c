/*
 * heapbench list: the allocators a configuration names (where each one is
 * and whether it loads) and the traces its globs find.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "load/load.h"
#include "run/config.h"
#include "run/registry.h"
#include "run/tracefind.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: heapbench list [--config FILE]\n\n"
               "Lists the allocators of FILE (default bench.yaml) with their library and\n"
               "whether it can be loaded, then the traces its globs match, each file once.\n"
               "Exits 1 when a required library is missing or two traces share a name.\n");
}

/* A library given by path with the lab-report contract: the symbols bound
 * to its roles, as the config's symbols: choose them.  A choice that does
 * not bind is reported here, before any cell runs. */
static int print_lab_symbols(const hb_alloc_spec *a, const hb_alloc_where *w)
{
    char err[1024], bound[4 * HB_SYMBOL_MAX + 64];
    hb_load_opts o = { .symbols = a->symbols };
    hb_loaded *l = hb_load(w->target, &o, err, sizeof err);
    if (!l && a->symbols)
        printf("  %-12s symbols: %s\n", "", err);
    if (l && l->contract == HB_CONTRACT_LAB) {
        hb_lab_describe(&l->lab, bound, sizeof bound);
        printf("  %-12s symbols: %s%s%s\n", "", bound,
               l->lab.unused_alloc ? "; also defines " : "",
               l->lab.unused_alloc ? l->lab.unused_alloc : "");
    }
    hb_unload(l);
    return !l && a->symbols;
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
        if (!w.available && !optional)
            printf("  %-12s %-8s %-28s (%s)\n", "", "", "", w.reason);
        if (w.available && w.kind == HB_AK_LIBRARY)
            missing += print_lab_symbols(a, &w);
    }
    return missing;
}

/* Returns -1 when two traces share a name (bench would refuse to run). */
static int list_traces(const hb_config *cfg)
{
    char err[8192];
    hb_errs errs;
    hb_errs_init(&errs, err, sizeof err);
    hb_tracelist all;
    int rc = hb_config_traces(cfg, &all, &errs);
    hb_errs_end(&errs);
    for (size_t i = 0; i < cfg->ntraces; i++)
        if (all.matched[i] == 0)
            printf("  (no trace matches %s)\n", cfg->traces[i]);
    printf("traces (%zu):\n", all.paths.n);
    for (size_t i = 0; i < all.paths.n; i++)
        printf("  %-32s %s\n", all.names[i], all.paths.v[i]);
    hb_tracelist_free(&all);
    if (rc) {
        fflush(stdout);
        fprintf(stderr, "%s\n", err);
    }
    return rc;
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
    char err[8192];
    if (hb_config_load(config, &cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int missing = list_allocators(&cfg);
    int clash = list_traces(&cfg);
    printf("repetitions: %u, timeout: %g s per cell\n", cfg.repetitions, cfg.timeout_s);
    hb_config_free(&cfg);
    return missing || clash ? 1 : 0;
}
