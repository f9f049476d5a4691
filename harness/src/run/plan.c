#include "run/plan.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* True when name matches one of the comma-separated globs of list. */
char *hb_filter_add(char *list, const char *more)
{
    if (!list)
        return strdup(more);
    size_t n = strlen(list), m = strlen(more);
    char *joined = realloc(list, n + 1 + m + 1);
    if (!joined)
        return list;
    joined[n] = ',';
    memcpy(joined + n + 1, more, m + 1);
    return joined;
}

bool hb_filter_match(const char *list, const char *name)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save))
        if (fnmatch(g, name, 0) == 0)
            return true;
    return false;
}

/* Every missing required allocator is reported, not only the first. */
static int select_allocators(const hb_config *cfg, const hb_plan_filter *flt, hb_plan *p,
                             FILE *notes, char *err, size_t errlen)
{
    hb_errs errs;
    hb_errs_init(&errs, err, errlen);
    p->where = calloc(cfg->nallocs, sizeof *p->where);
    p->use = calloc(cfg->nallocs, sizeof *p->use);
    for (size_t i = 0; i < cfg->nallocs; i++) {
        const hb_alloc_spec *a = &cfg->allocs[i];
        if (flt && flt->allocators && !hb_filter_match(flt->allocators, a->name))
            continue;
        hb_registry_resolve(a, &p->where[i]);
        if (p->where[i].available) {
            p->use[i] = true;
        } else if (hb_config_is_optional(cfg, a->name)) {
            if (notes)
                fprintf(notes, "skipping %s: %s is not installed (optional)\n", a->name,
                        p->where[i].library);
        } else {
            hb_errs_add(&errs, "%s:%u:%u: error: allocator '%s': library %s cannot be loaded "
                        "(%s); expected it to be built or installed (or list it under "
                        "optional:)", cfg->path, a->line, a->col, a->name, p->where[i].library,
                        p->where[i].reason);
        }
    }
    hb_errs_end(&errs);
    return errs.n ? -1 : 0;
}

/* Runs after select_allocators and adds its problems to theirs in err. */
static int select_traces(const hb_config *cfg, const hb_plan_filter *flt, hb_plan *p,
                         char *err, size_t errlen)
{
    hb_errs errs;
    hb_errs_resume(&errs, err, errlen);
    hb_tracelist all;
    int rc = hb_config_traces(cfg, &all, &errs);
    p->trace_names = calloc(all.paths.n + 1, sizeof *p->trace_names);
    for (size_t i = 0; i < all.paths.n; i++) {
        const char *name = all.names[i], *path = all.paths.v[i];
        if (flt && flt->traces && !hb_filter_match(flt->traces, name) && !hb_filter_match(flt->traces, path))
            continue;
        p->trace_names[p->traces.n] = strdup(name);
        hb_pathlist_add(&p->traces, path);
    }
    size_t found = all.paths.n;
    hb_tracelist_free(&all);
    if (rc == 0 && p->traces.n == 0) {
        const hb_srcpos *at = &cfg->traces_pos;
        if (found)
            hb_errs_add(&errs, "%s:%u:%u: error: traces: expected the globs to match at least "
                        "one trace that passes --filter-trace '%s'; none of the %zu they "
                        "match does", cfg->path, at->line, at->col, flt->traces, found);
        else
            hb_errs_add(&errs, "%s:%u:%u: error: traces: expected the globs to match at least "
                        "one .trace, .rep or .mtrace file (maybe .xz or .gz); they match none",
                        cfg->path, at->line, at->col);
        rc = -1;
    }
    hb_errs_end(&errs);
    return rc;
}

static void make_cells(hb_plan *p)
{
    size_t nalloc = 0;
    for (size_t i = 0; i < p->cfg->nallocs; i++)
        nalloc += p->use[i];
    p->cells = calloc(nalloc * p->traces.n * p->cfg->repetitions + 1, sizeof *p->cells);
    for (unsigned r = 1; r <= p->cfg->repetitions; r++)
        for (size_t t = 0; t < p->traces.n; t++)
            for (size_t a = 0; a < p->cfg->nallocs; a++)
                if (p->use[a])
                    p->cells[p->ncells++] = (hb_cell){ a, t, r };
}

int hb_plan_build(const hb_config *cfg, const hb_plan_filter *flt, hb_plan *p, FILE *notes,
                  char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->cfg = cfg;
    /* Both run, so a missing library and a trace problem are reported together. */
    if (select_allocators(cfg, flt, p, notes, err, errlen) |
        select_traces(cfg, flt, p, err, errlen)) {
        hb_plan_free(p);
        return -1;
    }
    make_cells(p);
    return 0;
}

void hb_plan_free(hb_plan *p)
{
    for (size_t i = 0; i < p->traces.n; i++)
        free(p->trace_names[i]);
    free(p->trace_names);
    hb_pathlist_free(&p->traces);
    free(p->where);
    free(p->use);
    free(p->cells);
    memset(p, 0, sizeof *p);
}

const char *hb_cell_alloc_name(const hb_plan *p, const hb_cell *c)
{
    return p->cfg->allocs[c->alloc].name;
}

const char *hb_cell_trace_name(const hb_plan *p, const hb_cell *c)
{
    return p->trace_names[c->trace];
}

typedef struct argv_builder {
    char **v;
    size_t n;
} argv_builder;

static void arg(argv_builder *b, const char *s)
{
    b->v = realloc(b->v, (b->n + 2) * sizeof *b->v);
    b->v[b->n++] = strdup(s);
    b->v[b->n] = NULL;
}

static void arg_u64(argv_builder *b, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    arg(b, buf);
}

/* The repeated passes of bench.yaml, where it sets them. */
static void pass_args(argv_builder *b, const hb_config *cfg)
{
    char v[40];
    if (cfg->passes) {
        arg(b, "--passes");
        arg_u64(b, cfg->passes);
    }
    if (cfg->latency_passes) {
        arg(b, "--latency-passes");
        arg_u64(b, cfg->latency_passes);
    }
    if (cfg->min_time_s >= 0) {
        snprintf(v, sizeof v, "%.15gs", cfg->min_time_s);
        arg(b, "--min-time");
        arg(b, v);
    }
    if (cfg->max_time_s >= 0) {
        snprintf(v, sizeof v, "%.15gs", cfg->max_time_s);
        arg(b, "--max-time");
        arg(b, v);
    }
    if (cfg->purge_timers[0]) {
        arg(b, "--purge-timers");
        arg(b, cfg->purge_timers);
    }
}

char **hb_plan_argv(const hb_plan *p, const hb_cell *c)
{
    const hb_alloc_spec *a = &p->cfg->allocs[c->alloc];
    argv_builder b = { 0 };
    arg(&b, hb_self_exe());
    arg(&b, "run");
    arg(&b, "--csv");
    /* A job runner's cell ends in a row even if it crashes or hangs (under
     * heapbench bench, already a supervised job, --isolate changes nothing). */
    arg(&b, "--isolate");
    arg(&b, "--timeout");
    char timeout[40];
    snprintf(timeout, sizeof timeout, "%.15gs", p->cfg->timeout_s);
    arg(&b, timeout);
    arg(&b, "--rep");
    arg_u64(&b, c->rep);
    arg(&b, "--name");
    arg(&b, a->name);
    uint64_t arena = a->arena ? a->arena : p->cfg->arena;
    if (arena) {
        arg(&b, "--arena");
        arg_u64(&b, arena);
    }
    if (a->options) {
        arg(&b, "--opts");
        arg(&b, a->options);
    }
    if (a->symbols) {
        arg(&b, "--symbols");
        arg(&b, a->symbols);
    }
    if (p->cfg->timing[0]) {
        arg(&b, "--timing");
        arg(&b, p->cfg->timing);
    }
    if (p->cfg->check)
        arg(&b, "--check");
    pass_args(&b, p->cfg);
    arg(&b, p->where[c->alloc].target);
    char abs[PATH_MAX];
    arg(&b, realpath(p->traces.v[c->trace], abs) ? abs : p->traces.v[c->trace]);
    return b.v;
}

void hb_argv_free(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

/* Words made of these characters need no quotes in any POSIX shell. */
static bool shell_safe(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                    "-_./=:,+@%", *s))
            return false;
    return true;
}

void hb_write_shell_line(FILE *f, char *const *argv)
{
    for (size_t i = 0; argv[i]; i++) {
        fputs(i ? " " : "", f);
        if (shell_safe(argv[i])) {
            fputs(argv[i], f);
            continue;
        }
        fputc('\'', f);
        for (const char *s = argv[i]; *s; s++)
            fputs(*s == '\'' ? "'\\''" : (char[]){ *s, 0 }, f);
        fputc('\'', f);
    }
    fputc('\n', f);
}
