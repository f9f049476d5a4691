#include "util/yamlx.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/units.h"

int hb_yaml_fail(hb_yaml *y, const yaml_node_t *n, const char *fmt, ...)
{
    if (y->err[0])
        return -1;
    int len = n ? snprintf(y->err, sizeof y->err, "%s:%zu:%zu: error: ", y->path,
                           n->start_mark.line + 1, n->start_mark.column + 1)
                : snprintf(y->err, sizeof y->err, "%s: error: ", y->path);
    if (len < 0 || (size_t)len >= sizeof y->err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(y->err + len, sizeof y->err - (size_t)len, fmt, ap);
    va_end(ap);
    return -1;
}

/* The pair of map whose key node is the same scalar as that of pair i,
 * before it; NULL if none. */
static yaml_node_t *earlier_key(hb_yaml *y, yaml_node_t *map, size_t i)
{
    yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
    const char *k = hb_yaml_str(yaml_document_get_node(&y->doc, pairs[i].key));
    for (size_t j = 0; k && j < i; j++) {
        yaml_node_t *kn = yaml_document_get_node(&y->doc, pairs[j].key);
        const char *s = hb_yaml_str(kn);
        if (s && !strcmp(s, k))
            return kn;
    }
    return NULL;
}

/* libyaml keeps every pair of a mapping, and a reader that takes the first
 * would silently ignore a second "repetitions:".  Every mapping of the
 * document is checked; the nodes are a flat array, so no recursion. */
static int no_duplicate_keys(hb_yaml *y)
{
    for (yaml_node_t *n = y->doc.nodes.start; n < y->doc.nodes.top; n++) {
        for (size_t i = 1; i < hb_yaml_map_len(n); i++) {
            yaml_node_t *first = earlier_key(y, n, i);
            if (!first)
                continue;
            yaml_node_t *kn = yaml_document_get_node(&y->doc, n->data.mapping.pairs.start[i].key);
            return hb_yaml_fail(y, kn, "%s: expected each key once in a mapping, got it again "
                                "(first given at line %zu, column %zu)", hb_yaml_str(kn),
                                first->start_mark.line + 1, first->start_mark.column + 1);
        }
    }
    return 0;
}

static int load_with(hb_yaml *y, yaml_parser_t *p)
{
    if (!yaml_parser_load(p, &y->doc)) {
        snprintf(y->err, sizeof y->err, "%s:%zu:%zu: error: %s%s%s", y->path,
                 p->problem_mark.line + 1, p->problem_mark.column + 1,
                 p->problem ? p->problem : "malformed YAML", p->context ? " " : "",
                 p->context ? p->context : "");
        yaml_parser_delete(p);
        return -1;
    }
    yaml_parser_delete(p);
    y->loaded = true;
    if (!yaml_document_get_root_node(&y->doc))
        return hb_yaml_fail(y, NULL, "the file is empty; expected a YAML mapping");
    return no_duplicate_keys(y);
}

static void reset(hb_yaml *y, const char *name)
{
    memset(y, 0, sizeof *y);
    snprintf(y->path, sizeof y->path, "%s", name);
}

int hb_yaml_load(hb_yaml *y, const char *path)
{
    struct stat st;
    reset(y, path);
    /* by name first: opening a FIFO waits for a writer */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(y->err, sizeof y->err, "%s: error: expected a YAML file, got %s", path,
                 S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO (named pipe)"
                 : S_ISCHR(st.st_mode) ? "a character device" : "not a regular file");
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(y->err, sizeof y->err, "%s: error: cannot open: %s", path, strerror(errno));
        return -1;
    }
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    int rc = load_with(y, &p);
    fclose(f);
    return rc;
}

int hb_yaml_load_string(hb_yaml *y, const char *name, const char *text, size_t len)
{
    reset(y, name);
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    return load_with(y, &p);
}

void hb_yaml_free(hb_yaml *y)
{
    if (y->loaded)
        yaml_document_delete(&y->doc);
    y->loaded = false;
}

yaml_node_t *hb_yaml_root(hb_yaml *y)
{
    return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

bool hb_yaml_is_map(const yaml_node_t *n) { return n && n->type == YAML_MAPPING_NODE; }
bool hb_yaml_is_seq(const yaml_node_t *n) { return n && n->type == YAML_SEQUENCE_NODE; }

const char *hb_yaml_str(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

size_t hb_yaml_map_len(yaml_node_t *map)
{
    if (!hb_yaml_is_map(map))
        return 0;
    return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

const char *hb_yaml_map_key(hb_yaml *y, yaml_node_t *map, size_t i, yaml_node_t **value)
{
    if (i >= hb_yaml_map_len(map))
        return NULL;
    yaml_node_pair_t *pair = map->data.mapping.pairs.start + i;
    if (value)
        *value = yaml_document_get_node(&y->doc, pair->value);
    return hb_yaml_str(yaml_document_get_node(&y->doc, pair->key));
}

yaml_node_t *hb_yaml_get(hb_yaml *y, yaml_node_t *map, const char *key)
{
    yaml_node_t *v;
    for (size_t i = 0; i < hb_yaml_map_len(map); i++) {
        const char *k = hb_yaml_map_key(y, map, i, &v);
        if (k && !strcmp(k, key))
            return v;
    }
    return NULL;
}

size_t hb_yaml_seq_len(yaml_node_t *seq)
{
    if (!hb_yaml_is_seq(seq))
        return 0;
    return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *hb_yaml_seq_at(hb_yaml *y, yaml_node_t *seq, size_t i)
{
    if (i >= hb_yaml_seq_len(seq))
        return NULL;
    return yaml_document_get_node(&y->doc, seq->data.sequence.items.start[i]);
}

/* Scalar of n, or an error saying a scalar (what) was expected. */
static const char *need_scalar(hb_yaml *y, yaml_node_t *n, const char *what, const char *expected)
{
    const char *s = hb_yaml_str(n);
    if (!s)
        hb_yaml_fail(y, n, "%s: expected %s, got a %s", what, expected,
                     hb_yaml_is_map(n) ? "mapping" : hb_yaml_is_seq(n) ? "list" : "missing value");
    return s;
}

int hb_yaml_u64(hb_yaml *y, yaml_node_t *n, const char *what, uint64_t *out)
{
    const char *s = need_scalar(y, n, what, "a non-negative integer");
    if (!s)
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!isdigit((unsigned char)s[0]) || *end || errno)
        return hb_yaml_fail(y, n, "%s: expected a non-negative integer, got '%s'", what, s);
    *out = v;
    return 0;
}

int hb_yaml_double(hb_yaml *y, yaml_node_t *n, const char *what, double *out)
{
    const char *s = need_scalar(y, n, what, "a number");
    if (!s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return hb_yaml_fail(y, n, "%s: expected a number, got '%s'", what, s);
    *out = v;
    return 0;
}

int hb_yaml_bool(hb_yaml *y, yaml_node_t *n, const char *what, bool *out)
{
    const char *s = need_scalar(y, n, what, "true or false");
    if (!s)
        return -1;
    if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
        *out = true;
    else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
        *out = false;
    else
        return hb_yaml_fail(y, n, "%s: expected true or false, got '%s'", what, s);
    return 0;
}

int hb_yaml_size(hb_yaml *y, yaml_node_t *n, const char *what, uint64_t *out)
{
    const char *s = need_scalar(y, n, what, "a size such as 4096, 64KiB or 256MiB");
    if (!s)
        return -1;
    if (hb_parse_size(s, out))
        return hb_yaml_fail(y, n, "%s: expected a size such as 4096, 64KiB or 256MiB, got '%s'",
                            what, s);
    return 0;
}

int hb_yaml_duration(hb_yaml *y, yaml_node_t *n, const char *what, double *out)
{
    const char *s = need_scalar(y, n, what, "a duration such as 90, 90s, 2m or 500ms");
    if (!s)
        return -1;
    if (hb_parse_duration(s, out) || *out <= 0)
        return hb_yaml_fail(y, n, "%s: expected a duration such as 90, 90s, 2m or 500ms, got '%s'",
                            what, s);
    return 0;
}

int hb_yaml_string(hb_yaml *y, yaml_node_t *n, const char *what, const char **out)
{
    const char *s = need_scalar(y, n, what, "a string");
    if (!s)
        return -1;
    *out = s;
    return 0;
}

int hb_yaml_only_keys(hb_yaml *y, yaml_node_t *map, const char *what, const char *const *allowed)
{
    if (!hb_yaml_is_map(map))
        return hb_yaml_fail(y, map, "%s: expected a mapping of key: value", what);
    for (size_t i = 0; i < hb_yaml_map_len(map); i++) {
        yaml_node_pair_t *pair = map->data.mapping.pairs.start + i;
        yaml_node_t *kn = yaml_document_get_node(&y->doc, pair->key);
        const char *k = hb_yaml_str(kn);
        bool ok = false;
        for (size_t j = 0; k && allowed[j]; j++)
            ok = ok || !strcmp(k, allowed[j]);
        if (!ok) {
            char list[256] = "";
            size_t len = 0;
            for (size_t j = 0; allowed[j] && len < sizeof list; j++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "",
                                        allowed[j]);
            return hb_yaml_fail(y, kn, "%s: unknown key '%s'; expected one of: %s", what,
                                k ? k : "(not a string)", list);
        }
    }
    return 0;
}
