#include "run/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/registry.h"
#include "util/yamlx.h"

static const char *const top_keys[] = { "allocators", "traces", "repetitions", "arena",
                                        "timing", "timeout", "optional", NULL };
static const char *const alloc_keys[] = { "name", "path", "options", "arena", NULL };
static const char *const default_optional[] = { "jemalloc", "mimalloc", "tcmalloc", NULL };

#define MAX_REPETITIONS 10000u

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

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

/* "NAME", "path/to/lib.so" or { name, path, options, arena }. */
static int read_allocator(hb_yaml *y, yaml_node_t *n, hb_alloc_spec *a)
{
    a->line = (unsigned)n->start_mark.line + 1;
    const char *s = hb_yaml_str(n);
    if (s) {
        bool is_path = strchr(s, '/') || strstr(s, ".so");
        if (is_path) {
            const char *base = strrchr(s, '/') ? strrchr(s, '/') + 1 : s;
            a->name = strndup(base, strcspn(base, "."));
            a->path = strdup(s);
            return check_name(y, n, a->name, true);
        }
        a->name = strdup(s);
        return check_name(y, n, s, false);
    }
    if (!hb_yaml_is_map(n))
        return hb_yaml_fail(y, n, "allocators: expected an allocator name or a mapping with "
                                  "name:, path:, options:, arena:");
    if (hb_yaml_only_keys(y, n, "allocator", alloc_keys))
        return -1;
    yaml_node_t *name = hb_yaml_get(y, n, "name"), *path = hb_yaml_get(y, n, "path");
    if (!name)
        return hb_yaml_fail(y, n, "allocator: expected a name: key");
    const char *ns, *ps = NULL;
    if (hb_yaml_string(y, name, "name", &ns) || (path && hb_yaml_string(y, path, "path", &ps)))
        return -1;
    a->name = strdup(ns);
    a->path = dup_or_null(ps);
    if (check_name(y, name, ns, ps != NULL))
        return -1;
    yaml_node_t *opt = hb_yaml_get(y, n, "options"), *arena = hb_yaml_get(y, n, "arena");
    if (opt && read_options(y, opt, &a->options))
        return -1;
    if (arena && hb_yaml_size(y, arena, "arena", &a->arena))
        return -1;
    return 0;
}

static int read_allocators(hb_yaml *y, yaml_node_t *root, hb_config *c)
{
    yaml_node_t *list = hb_yaml_get(y, root, "allocators");
    if (!list)
        return hb_yaml_fail(y, root, "expected an allocators: list");
    size_t n = hb_yaml_seq_len(list);
    if (!hb_yaml_is_seq(list) || n == 0)
        return hb_yaml_fail(y, list, "allocators: expected a non-empty list of allocator names "
                                     "or mappings");
    c->allocs = calloc(n, sizeof *c->allocs);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = hb_yaml_seq_at(y, list, i);
        c->nallocs++;
        if (read_allocator(y, item, &c->allocs[i]))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->allocs[j].name, c->allocs[i].name))
                return hb_yaml_fail(y, item, "allocators: expected unique names; '%s' is "
                                             "already listed on line %u",
                                    c->allocs[i].name, c->allocs[j].line);
    }
    return 0;
}

/* A list of strings; empty_ok says whether [] is allowed. */
static int read_strings(hb_yaml *y, yaml_node_t *list, const char *what, bool empty_ok,
                        char ***out, size_t *count)
{
    size_t n = hb_yaml_seq_len(list);
    if (!hb_yaml_is_seq(list) || (n == 0 && !empty_ok))
        return hb_yaml_fail(y, list, "%s: expected a %slist of strings", what,
                            empty_ok ? "" : "non-empty ");
    *out = calloc(n + 1, sizeof **out);
    for (size_t i = 0; i < n; i++) {
        const char *s;
        if (hb_yaml_string(y, hb_yaml_seq_at(y, list, i), what, &s))
            return -1;
        (*out)[(*count)++] = strdup(s);
    }
    return 0;
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

static int read_scalars(hb_yaml *y, yaml_node_t *root, hb_config *c)
{
    yaml_node_t *n;
    uint64_t reps = 1;
    if ((n = hb_yaml_get(y, root, "repetitions")) && hb_yaml_u64(y, n, "repetitions", &reps))
        return -1;
    if (n && (reps < 1 || reps > MAX_REPETITIONS))
        return hb_yaml_fail(y, n, "repetitions: expected an integer from 1 to %u", MAX_REPETITIONS);
    c->repetitions = (unsigned)reps;
    if ((n = hb_yaml_get(y, root, "arena")) && hb_yaml_size(y, n, "arena", &c->arena))
        return -1;
    if ((n = hb_yaml_get(y, root, "timing")) && read_timing(y, n, c))
        return -1;
    if ((n = hb_yaml_get(y, root, "timeout")) && hb_yaml_duration(y, n, "timeout", &c->timeout_s))
        return -1;
    return 0;
}

static int read_optional(hb_yaml *y, yaml_node_t *root, hb_config *c)
{
    yaml_node_t *n = hb_yaml_get(y, root, "optional");
    if (n)
        return read_strings(y, n, "optional", true, &c->optional, &c->noptional);
    c->optional = calloc(sizeof default_optional / sizeof *default_optional, sizeof(char *));
    for (size_t i = 0; default_optional[i]; i++)
        c->optional[c->noptional++] = strdup(default_optional[i]);
    return 0;
}

static int read_config(hb_yaml *y, hb_config *c)
{
    yaml_node_t *root = hb_yaml_root(y);
    if (hb_yaml_only_keys(y, root, "configuration", top_keys))
        return -1;
    if (read_allocators(y, root, c) || read_scalars(y, root, c) || read_optional(y, root, c))
        return -1;
    yaml_node_t *traces = hb_yaml_get(y, root, "traces");
    if (!traces)
        return hb_yaml_fail(y, root, "expected a traces: list of file globs");
    return read_strings(y, traces, "traces", false, &c->traces, &c->ntraces);
}

static int finish(hb_yaml *y, int rc, hb_config *c, char *err, size_t errlen)
{
    if (rc == 0)
        rc = read_config(y, c);
    if (rc)
        snprintf(err, errlen, "%s", y->err[0] ? y->err : "invalid configuration");
    hb_yaml_free(y);
    if (rc)
        hb_config_free(c);
    return rc;
}

static void init(hb_config *c, const char *path)
{
    memset(c, 0, sizeof *c);
    c->path = strdup(path);
    c->repetitions = 1;
    c->timeout_s = HB_CONFIG_DEFAULT_TIMEOUT_S;
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
    }
    free(c->allocs);
    free_strings(c->traces, c->ntraces);
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
