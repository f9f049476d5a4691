#include "run/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/load.h"
#include "run/registry.h"
#include "util/yamlx.h"

static const char *const top_keys[] = { "allocators", "traces", "repetitions", "arena",
                                        "timing", "timeout", "optional", "passes",
                                        "min_time", "max_time", "latency_passes", "purge_timers", "check",
                                        NULL };
static const char *const alloc_keys[] = { "name", "path", "options", "arena", "max_ops",
                                          "symbols",
                                          NULL };
static const char *const default_optional[] = { "jemalloc", "mimalloc", "tcmalloc", NULL };

#define MAX_REPETITIONS 10000u

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* Reading goes on after a problem: each one is moved from the YAML reader,
 * which keeps a single message, into the list of all of them. */
typedef struct reader {
    hb_yaml *y;
    hb_config *c;
    hb_errs *errs;
} reader;

/* rc of a read; a failure's message joins the list.  True when it passed. */
static bool ok(reader *r, int rc)
{
    if (rc == 0)
        return true;
    hb_errs_add(r->errs, "%s", r->y->err[0] ? r->y->err : "invalid configuration");
    r->y->err[0] = '\0';
    return false;
}

static hb_srcpos pos_of(const yaml_node_t *n)
{
    return (hb_srcpos){ (unsigned)n->start_mark.line + 1, (unsigned)n->start_mark.column + 1 };
}

/* Every key of map outside allowed is reported, not only the first: each
 * pair is checked on its own, as a mapping of that one pair. */
static void known_keys(reader *r, yaml_node_t *map, const char *what,
                       const char *const *allowed)
{
    if (!hb_yaml_is_map(map)) {
        ok(r, hb_yaml_only_keys(r->y, map, what, allowed));
        return;
    }
    for (size_t i = 0; i < hb_yaml_map_len(map); i++) {
        yaml_node_t one = *map;
        one.data.mapping.pairs.start = map->data.mapping.pairs.start + i;
        one.data.mapping.pairs.top = one.data.mapping.pairs.start + 1;
        ok(r, hb_yaml_only_keys(r->y, &one, what, allowed));
    }
}

/* options: either "K=V,K=V" or a mapping of K: V, kept as the string form
 * the run command takes. */
static int read_options(hb_yaml *y, yaml_node_t *n, char **out)
{
    if (!hb_yaml_is_map(n)) {
        const char *s;
        if (hb_yaml_string(y, n, "options", &s))
            return -1;
        *out = strdup(s);
        return 0;
    }
    char buf[1024] = "";
    size_t len = 0;
    for (size_t i = 0; i < hb_yaml_map_len(n); i++) {
        yaml_node_t *v;
        const char *k = hb_yaml_map_key(y, n, i, &v);
        const char *s;
        if (!k || hb_yaml_string(y, v, k, &s))
            return hb_yaml_fail(y, v, "options: expected KEY: VALUE pairs of scalars");
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s=%s", i ? "," : "", k, s);
        if (len >= sizeof buf)
            return hb_yaml_fail(y, n, "options: expected at most %zu characters", sizeof buf - 1);
    }
    *out = strdup(buf);
    return 0;
}

/* symbols: "ROLE=NAME,..." or a mapping of ROLE: NAME, checked by the
 * loader's own parser and kept as the string form run --symbols takes. */
static int read_symbols(hb_yaml *y, yaml_node_t *n, char **out)
{
    char buf[4 * HB_SYMBOL_MAX + 64] = "", why[256];
    const char *s = hb_yaml_str(n);
    if (s)
        snprintf(buf, sizeof buf, "%s", s);
    for (size_t i = 0, len = 0; !s && hb_yaml_is_map(n) && i < hb_yaml_map_len(n); i++) {
        yaml_node_t *v;
        const char *k = hb_yaml_map_key(y, n, i, &v);
        const char *name = hb_yaml_str(v);
        if (!k || !name)
            return hb_yaml_fail(y, v, "symbols: expected ROLE: NAME pairs of scalars");
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s=%s", i ? "," : "", k, name);
        if (len >= sizeof buf)
            return hb_yaml_fail(y, n, "symbols: expected at most %zu characters", sizeof buf - 1);
    }
    if (!s && !hb_yaml_is_map(n))
        return hb_yaml_fail(y, n, "symbols: expected a mapping such as {alloc: NAME}");
    hb_lab_names names;
    if (hb_lab_parse_symbols(buf, &names, why, sizeof why) != 0)
        return hb_yaml_fail(y, n, "%s", why);
    *out = strdup(buf);
    return 0;
}

static int check_name(hb_yaml *y, yaml_node_t *n, const char *name, bool has_path)
{
    if (!*name || strchr(name, ',') || strchr(name, '"') || strchr(name, '\n'))
        return hb_yaml_fail(y, n, "allocator name: expected a non-empty name without commas "
                                  "or quotes, got '%s'", name);
    if (!has_path && !hb_registry_known(name))
        return hb_yaml_fail(y, n, "allocator '%s': expected one of %s, or a mapping with "
                                  "name: and path: for another library", name,
                            hb_registry_names());
    return 0;
}

/* "NAME" or "path/to/lib.so". */
static void read_allocator_string(reader *r, yaml_node_t *n, const char *s, hb_alloc_spec *a)
{
    bool is_path = strchr(s, '/') || strstr(s, ".so");
    if (is_path) {
        const char *base = strrchr(s, '/') ? strrchr(s, '/') + 1 : s;
        a->name = strndup(base, strcspn(base, "."));
        a->path = strdup(s);
        ok(r, check_name(r->y, n, a->name, true));
        return;
    }
    a->name = strdup(s);
    ok(r, check_name(r->y, n, s, false));
}

/* The cap of a slow allocator: traces of more operations are not run. */
static int read_max_ops(hb_yaml *y, yaml_node_t *n, uint64_t *out)
{
    if (hb_yaml_u64(y, n, "max_ops", out))
        return -1;
    return *out ? 0 : hb_yaml_fail(y, n, "max_ops: expected a positive number of operations");
}

/* { name, path, options, arena, max_ops }; each key is checked even after another
 * one failed. */
static void read_allocator_map(reader *r, yaml_node_t *n, hb_alloc_spec *a)
{
    hb_yaml *y = r->y;
    known_keys(r, n, "allocator", alloc_keys);
    yaml_node_t *name = hb_yaml_get(y, n, "name"), *path = hb_yaml_get(y, n, "path");
    const char *ns = NULL, *ps = NULL;
    if (!name)
        ok(r, hb_yaml_fail(y, n, "allocator: expected a name: key"));
    else
        ok(r, hb_yaml_string(y, name, "name", &ns));
    bool path_ok = !path || ok(r, hb_yaml_string(y, path, "path", &ps));
    if (ns && path_ok) {
        a->name = strdup(ns);
        a->path = dup_or_null(ps);
        ok(r, check_name(y, name, ns, ps != NULL));
    }
    yaml_node_t *opt = hb_yaml_get(y, n, "options"), *arena = hb_yaml_get(y, n, "arena");
    if (opt)
        ok(r, read_options(y, opt, &a->options));
    if (arena)
        ok(r, hb_yaml_size(y, arena, "arena", &a->arena));
    yaml_node_t *max_ops = hb_yaml_get(y, n, "max_ops");
    if (max_ops)
        ok(r, read_max_ops(y, max_ops, &a->max_ops));
    yaml_node_t *sym = hb_yaml_get(y, n, "symbols");
    if (sym)
        ok(r, read_symbols(y, sym, &a->symbols));
}

static void read_allocator(reader *r, yaml_node_t *n, hb_alloc_spec *a)
{
    hb_srcpos at = pos_of(n);
    a->line = at.line;
    a->col = at.col;
    const char *s = hb_yaml_str(n);
    if (s)
        read_allocator_string(r, n, s, a);
    else if (hb_yaml_is_map(n))
        read_allocator_map(r, n, a);
    else
        ok(r, hb_yaml_fail(r->y, n, "allocators: expected an allocator name or a mapping "
                                    "with name:, path:, options:, arena:, max_ops:"));
}

static void read_allocators(reader *r, yaml_node_t *root)
{
    hb_yaml *y = r->y;
    hb_config *c = r->c;
    yaml_node_t *list = hb_yaml_get(y, root, "allocators");
    if (!list) {
        ok(r, hb_yaml_fail(y, root, "expected an allocators: list"));
        return;
    }
    size_t n = hb_yaml_seq_len(list);
    if (!hb_yaml_is_seq(list) || n == 0) {
        ok(r, hb_yaml_fail(y, list, "allocators: expected a non-empty list of allocator names "
                                    "or mappings"));
        return;
    }
    c->allocs = calloc(n, sizeof *c->allocs);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = hb_yaml_seq_at(y, list, i);
        c->nallocs++;
        read_allocator(r, item, &c->allocs[i]);
        for (size_t j = 0; j < i && c->allocs[i].name; j++)
            if (c->allocs[j].name && !strcmp(c->allocs[j].name, c->allocs[i].name)) {
                ok(r, hb_yaml_fail(y, item, "allocators: expected unique names; '%s' is "
                                            "already listed on line %u",
                                   c->allocs[i].name, c->allocs[j].line));
                break;
            }
    }
}

/* A list of strings; empty_ok says whether [] is allowed.  Items that are
 * not strings are reported and left out. */
static void read_strings(reader *r, yaml_node_t *list, const char *what, bool empty_ok,
                         char ***out, hb_srcpos **pos, size_t *count)
{
    hb_yaml *y = r->y;
    size_t n = hb_yaml_seq_len(list);
    *out = calloc(n + 1, sizeof **out);
    if (pos)
        *pos = calloc(n + 1, sizeof **pos);
    if (!hb_yaml_is_seq(list) || (n == 0 && !empty_ok)) {
        ok(r, hb_yaml_fail(y, list, "%s: expected a %slist of strings", what,
                           empty_ok ? "" : "non-empty "));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = hb_yaml_seq_at(y, list, i);
        const char *s;
        if (!ok(r, hb_yaml_string(y, item, what, &s)))
            continue;
        if (pos)
            (*pos)[*count] = pos_of(item);
        (*out)[(*count)++] = strdup(s);
    }
}

static int read_timing(hb_yaml *y, yaml_node_t *n, hb_config *c)
{
    const char *s;
    if (hb_yaml_string(y, n, "timing", &s))
        return -1;
    if (strcmp(s, "per-op") && strcmp(s, "throughput") && strcmp(s, "both"))
        return hb_yaml_fail(y, n, "timing: expected per-op, throughput or both, got '%s'", s);
    snprintf(c->timing, sizeof c->timing, "%s", s);
    return 0;
}

/* A word that must be one of two. */
static int read_choice(hb_yaml *y, yaml_node_t *n, const char *key, const char *one,
                       const char *other, char *out, size_t len)
{
    const char *s;
    if (hb_yaml_string(y, n, key, &s))
        return -1;
    if (strcmp(s, one) && strcmp(s, other))
        return hb_yaml_fail(y, n, "%s: expected %s or %s, got '%s'", key, one, other, s);
    snprintf(out, len, "%s", s);
    return 0;
}

static int read_repetitions(hb_yaml *y, yaml_node_t *n, hb_config *c)
{
    uint64_t reps;
    if (hb_yaml_u64(y, n, "repetitions", &reps))
        return -1;
    if (reps < 1 || reps > MAX_REPETITIONS)
        return hb_yaml_fail(y, n, "repetitions: expected an integer from 1 to %u", MAX_REPETITIONS);
    c->repetitions = (unsigned)reps;
    return 0;
}

/* A count from lo to hi, for passes: and latency_passes:. */
static int read_count(hb_yaml *y, yaml_node_t *n, const char *key, unsigned lo, unsigned hi,
                      unsigned *out)
{
    uint64_t v;
    if (hb_yaml_u64(y, n, key, &v))
        return -1;
    if (v < lo || v > hi)
        return hb_yaml_fail(y, n, "%s: expected an integer from %u to %u", key, lo, hi);
    *out = (unsigned)v;
    return 0;
}

/* How each cell repeats its timed passes (docs/metrics.md). */
static void read_passes(reader *r, yaml_node_t *root)
{
    hb_yaml *y = r->y;
    hb_config *c = r->c;
    yaml_node_t *n;
    if ((n = hb_yaml_get(y, root, "passes")))
        ok(r, read_count(y, n, "passes", 1, 10000, &c->passes));
    if ((n = hb_yaml_get(y, root, "latency_passes")))
        ok(r, read_count(y, n, "latency_passes", 1, 16, &c->latency_passes));
    if ((n = hb_yaml_get(y, root, "min_time")))
        ok(r, hb_yaml_duration(y, n, "min_time", &c->min_time_s));
    if ((n = hb_yaml_get(y, root, "max_time")))
        ok(r, hb_yaml_duration(y, n, "max_time", &c->max_time_s));
    if ((n = hb_yaml_get(y, root, "purge_timers")))
        ok(r, read_choice(y, n, "purge_timers", "frozen", "live", c->purge_timers,
                          sizeof c->purge_timers));
}

static void read_scalars(reader *r, yaml_node_t *root)
{
    hb_yaml *y = r->y;
    hb_config *c = r->c;
    yaml_node_t *n;
    if ((n = hb_yaml_get(y, root, "repetitions")))
        ok(r, read_repetitions(y, n, c));
    if ((n = hb_yaml_get(y, root, "arena")))
        ok(r, hb_yaml_size(y, n, "arena", &c->arena));
    if ((n = hb_yaml_get(y, root, "timing")))
        ok(r, read_timing(y, n, c));
    if ((n = hb_yaml_get(y, root, "timeout")))
        ok(r, hb_yaml_duration(y, n, "timeout", &c->timeout_s));
    if ((n = hb_yaml_get(y, root, "check")))
        ok(r, hb_yaml_bool(y, n, "check", &c->check));
    read_passes(r, root);
}

/* An optional name that is no allocator of the list is a typo, which
 * would otherwise make a required allocator silently optional or do
 * nothing at all. */
static void check_optional(reader *r, const hb_srcpos *pos)
{
    const hb_config *c = r->c;
    for (size_t i = 0; i < c->noptional; i++) {
        bool listed = false;
        for (size_t j = 0; j < c->nallocs && !listed; j++)
            listed = c->allocs[j].name && !strcmp(c->allocs[j].name, c->optional[i]);
        if (listed)
            continue;
        char names[512] = "";
        size_t len = 0;
        for (size_t j = 0; j < c->nallocs && len < sizeof names; j++)
            if (c->allocs[j].name)
                len += (size_t)snprintf(names + len, sizeof names - len, "%s%s",
                                        len ? ", " : "", c->allocs[j].name);
        hb_errs_add(r->errs, "%s:%u:%u: error: optional: expected the name of an allocator "
                    "of the list (%s), got '%s'", r->y->path, pos[i].line, pos[i].col, names,
                    c->optional[i]);
    }
}

static void read_optional(reader *r, yaml_node_t *root)
{
    hb_config *c = r->c;
    yaml_node_t *n = hb_yaml_get(r->y, root, "optional");
    if (n) {
        hb_srcpos *pos = NULL;
        read_strings(r, n, "optional", true, &c->optional, &pos, &c->noptional);
        check_optional(r, pos);
        free(pos);
        return;
    }
    c->optional = calloc(sizeof default_optional / sizeof *default_optional, sizeof(char *));
    for (size_t i = 0; default_optional[i]; i++)
        c->optional[c->noptional++] = strdup(default_optional[i]);
}

static void read_traces(reader *r, yaml_node_t *root)
{
    hb_config *c = r->c;
    yaml_node_t *traces = hb_yaml_get(r->y, root, "traces");
    if (!traces) {
        ok(r, hb_yaml_fail(r->y, root, "expected a traces: list of file globs"));
        return;
    }
    c->traces_pos = pos_of(traces);
    read_strings(r, traces, "traces", false, &c->traces, &c->trace_pos, &c->ntraces);
}

static void read_config(reader *r)
{
    yaml_node_t *root = hb_yaml_root(r->y);
    known_keys(r, root, "configuration", top_keys);
    if (!hb_yaml_is_map(root))
        return;
    read_allocators(r, root);
    read_scalars(r, root);
    read_optional(r, root);
    read_traces(r, root);
}

static int finish(hb_yaml *y, int rc, hb_config *c, char *err, size_t errlen)
{
    hb_errs errs;
    hb_errs_init(&errs, err, errlen);
    reader r = { y, c, &errs };
    if (rc == 0)
        read_config(&r);
    else
        ok(&r, rc);
    hb_errs_end(&errs);
    hb_yaml_free(y);
    if (errs.n)
        hb_config_free(c);
    return errs.n ? -1 : 0;
}

static void init(hb_config *c, const char *path)
{
    memset(c, 0, sizeof *c);
    c->path = strdup(path);
    c->repetitions = 1;
    c->timeout_s = HB_CONFIG_DEFAULT_TIMEOUT_S;
    c->min_time_s = c->max_time_s = -1; /* not set: the replay's defaults */
}

int hb_config_load(const char *path, hb_config *c, char *err, size_t errlen)
{
    hb_yaml y;
    init(c, path);
    return finish(&y, hb_yaml_load(&y, path), c, err, errlen);
}

int hb_config_parse(const char *name, const char *text, size_t len, hb_config *c, char *err,
                    size_t errlen)
{
    hb_yaml y;
    init(c, name);
    return finish(&y, hb_yaml_load_string(&y, name, text, len), c, err, errlen);
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void hb_config_free(hb_config *c)
{
    for (size_t i = 0; i < c->nallocs; i++) {
        free(c->allocs[i].name);
        free(c->allocs[i].path);
        free(c->allocs[i].options);
        free(c->allocs[i].symbols);
    }
    free(c->allocs);
    free_strings(c->traces, c->ntraces);
    free(c->trace_pos);
    free_strings(c->optional, c->noptional);
    free(c->path);
    memset(c, 0, sizeof *c);
}

bool hb_config_is_optional(const hb_config *c, const char *alloc_name)
{
    for (size_t i = 0; i < c->noptional; i++)
        if (!strcmp(c->optional[i], alloc_name))
            return true;
    return false;
}

/* Room kept for the line that counts what did not fit. */
#define ERRS_TAIL 48

void hb_errs_init(hb_errs *e, char *buf, size_t cap)
{
    *e = (hb_errs){ .buf = buf, .cap = cap };
    if (cap)
        buf[0] = '\0';
}

void hb_errs_resume(hb_errs *e, char *buf, size_t cap)
{
    size_t len = cap ? strnlen(buf, cap - 1) : 0;
    *e = (hb_errs){ .buf = buf, .cap = cap, .len = len, .n = len > 0, .shown = len > 0 };
}

void hb_errs_add(hb_errs *e, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    e->n++;
    size_t n = strlen(line);
    if (e->len == 0 && e->cap) { /* the first line goes in, cut if it must be */
        snprintf(e->buf, e->cap, "%s", line);
        e->len = strlen(e->buf);
        e->shown++;
    } else if (e->len + 1 + n + ERRS_TAIL < e->cap) {
        e->buf[e->len++] = '\n';
        memcpy(e->buf + e->len, line, n + 1);
        e->len += n;
        e->shown++;
    }
}

void hb_errs_end(hb_errs *e)
{
    unsigned more = e->n - e->shown;
    if (more && e->len + 1 < e->cap)
        e->len += (size_t)snprintf(e->buf + e->len, e->cap - e->len, "\n... and %u more "
                                   "problem%s", more, more == 1 ? "" : "s");
    if (e->len >= e->cap)
        e->len = e->cap ? e->cap - 1 : 0;
}
