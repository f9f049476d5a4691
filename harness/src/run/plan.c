#include "run/plan.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* True when name matches one of the comma-separated globs of list. */
static bool in_list(const char *list, const char *name)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save))
        if (fnmatch(g, name, 0) == 0)
            return true;
    return false;
}

static int select_allocators(const hb_config *cfg, const hb_plan_filter *flt, hb_plan *p,
                             FILE *notes, char *err, size_t errlen)
{
    p->where = calloc(cfg->nallocs, sizeof *p->where);
    p->use = calloc(cfg->nallocs, sizeof *p->use);
    for (size_t i = 0; i < cfg->nallocs; i++) {
        const hb_alloc_spec *a = &cfg->allocs[i];
        if (flt && flt->allocators && !in_list(flt->allocators, a->name))
            continue;
        hb_registry_resolve(a, &p->where[i]);
        if (p->where[i].available) {
            p->use[i] = true;
        } else if (hb_config_is_optional(cfg, a->name)) {
            if (notes)
                fprintf(notes, "skipping %s: %s is not installed (optional)\n", a->name,
                        p->where[i].library);
        } else {
            snprintf(err, errlen, "%s:%u: error: allocator '%s': library %s cannot be loaded; "
                     "expected it to be built or installed (or list it under optional:)",
                     cfg->path, a->line, a->name, p->where[i].library);
            return -1;
        }
    }
    return 0;
}

static int select_traces(const hb_config *cfg, const hb_plan_filter *flt, hb_plan *p,
                         char *err, size_t errlen)
{
    hb_pathlist all = { 0 };
    for (size_t i = 0; i < cfg->ntraces; i++)
        hb_glob_traces(cfg->traces[i], &all);
    hb_pathlist_finish(&all);
    p->trace_names = calloc(all.n + 1, sizeof *p->trace_names);
    for (size_t i = 0; i < all.n; i++) {
        char name[256];
        hb_trace_display_name(all.v[i], name, sizeof name);
        bool keep = !(flt && flt->traces) || in_list(flt->traces, name) ||
                    in_list(flt->traces, all.v[i]);
        if (!keep)
            continue;
        /* The same replacements the CSV writer makes, so names in the
         * plan and in results.csv compare equal. */
        for (char *q = name; *q; q++)
            *q = *q == ',' ? '_' : (*q == '\n' || *q == '\r') ? ' ' : *q;
        p->trace_names[p->traces.n] = strdup(name);
        hb_pathlist_add(&p->traces, all.v[i]);
    }
    hb_pathlist_free(&all);
    if (p->traces.n == 0) {
        snprintf(err, errlen, "%s: error: traces: expected the globs to match at least one "
                 ".trace, .trace.xz, .trace.gz or .rep file%s", cfg->path,
                 flt && flt->traces ? " that passes --filter-trace" : "");
        return -1;
    }
    return 0;
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
    if (select_allocators(cfg, flt, p, notes, err, errlen) ||
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

char **hb_plan_argv(const hb_plan *p, const hb_cell *c)
{
    const hb_alloc_spec *a = &p->cfg->allocs[c->alloc];
    argv_builder b = { 0 };
    arg(&b, hb_self_exe());
    arg(&b, "run");
    arg(&b, "--csv");
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
    if (p->cfg->timing[0]) {
        arg(&b, "--timing");
        arg(&b, p->cfg->timing);
    }
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
