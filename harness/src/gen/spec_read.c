#include "gen/spec_read.h"

#include <stdio.h>
#include <string.h>

#define HB_KEYPATH_LEN 192 /* "phases[3].size.sigma" and the like */

const char *hb_spec_keypath(char *buf, size_t len, const char *where, const char *key)
{
    snprintf(buf, len, "%s%s%s", where, where[0] ? "." : "", key);
    return buf;
}

/* The value of key in map, with its key path written to kp for messages;
 * NULL when absent, which is an error only when the key is required. */
static yaml_node_t *lookup(hb_spec_reader *r, yaml_node_t *map, const char *where,
                           const char *key, bool required, char kp[HB_KEYPATH_LEN])
{
    yaml_node_t *n = hb_yaml_get(r->y, map, key);
    if (!n && required)
        hb_yaml_fail(r->y, map, "%s: expected a key '%s'", where[0] ? where : "spec", key);
    if (n)
        hb_spec_keypath(kp, HB_KEYPATH_LEN, where, key);
    return n;
}

int hb_spec_size(hb_spec_reader *r, yaml_node_t *map, const char *where, const char *key,
                 bool required, uint64_t *out)
{
    char kp[HB_KEYPATH_LEN];
    yaml_node_t *n = lookup(r, map, where, key, required, kp);
    if (!n)
        return required ? -1 : 0;
    if (hb_yaml_size(r->y, n, kp, out))
        return -1;
    if (*out > r->max_size)
        return hb_yaml_fail(r->y, n, "%s: expected a size up to max_size (%llu bytes), got '%s'",
                            kp, (unsigned long long)r->max_size, hb_yaml_str(n));
    return 0;
}

int hb_spec_amount(hb_spec_reader *r, yaml_node_t *map, const char *where, const char *key,
                   bool required, uint64_t *out)
{
    char kp[HB_KEYPATH_LEN];
    yaml_node_t *n = lookup(r, map, where, key, required, kp);
    if (!n)
        return required ? -1 : 0;
    if (hb_yaml_size(r->y, n, kp, out))
        return -1;
    if (*out > (1ULL << 50))
        return hb_yaml_fail(r->y, n, "%s: expected at most 1PiB of live memory, got '%s'", kp,
                            hb_yaml_str(n));
    return 0;
}

int hb_spec_u64(hb_spec_reader *r, yaml_node_t *map, const char *where, const char *key,
                bool required, uint64_t lo, uint64_t *out)
{
    char kp[HB_KEYPATH_LEN];
    yaml_node_t *n = lookup(r, map, where, key, required, kp);
    if (!n)
        return required ? -1 : 0;
    if (hb_yaml_u64(r->y, n, kp, out))
        return -1;
    if (*out < lo)
        return hb_yaml_fail(r->y, n, "%s: expected an integer of at least %llu, got '%s'", kp,
                            (unsigned long long)lo, hb_yaml_str(n));
    return 0;
}

int hb_spec_double(hb_spec_reader *r, yaml_node_t *map, const char *where, const char *key,
                   bool required, double lo, double hi, bool open_lo, bool open_hi, double *out)
{
    char kp[HB_KEYPATH_LEN];
    yaml_node_t *n = lookup(r, map, where, key, required, kp);
    if (!n)
        return required ? -1 : 0;
    if (hb_yaml_double(r->y, n, kp, out))
        return -1;
    bool ok = (open_lo ? *out > lo : *out >= lo) && (open_hi ? *out < hi : *out <= hi);
    if (!ok)
        return hb_yaml_fail(r->y, n, "%s: expected a number in %c%g, %g%c, got '%s'", kp,
                            open_lo ? '(' : '[', lo, hi, open_hi ? ')' : ']', hb_yaml_str(n));
    return 0;
}

int hb_spec_word(hb_spec_reader *r, yaml_node_t *map, const char *where, const char *key,
                 const char *const *words, int *out)
{
    char kp[HB_KEYPATH_LEN], list[256] = "";
    yaml_node_t *n = lookup(r, map, where, key, false, kp);
    if (!n)
        return 0;
    const char *s;
    if (hb_yaml_string(r->y, n, kp, &s))
        return -1;
    size_t len = 0, nwords = 0;
    while (words[nwords])
        nwords++;
    for (size_t i = 0; i < nwords; i++) {
        if (!strcmp(s, words[i])) {
            *out = (int)i;
            return 0;
        }
        const char *sep = i == 0 ? "" : nwords == 2 ? " or " : ", ";
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", sep, words[i]);
        if (len >= sizeof list)
            break;
    }
    return hb_yaml_fail(r->y, n, "%s: expected %s%s, got '%s'", kp, nwords > 2 ? "one of " : "",
                        list, s);
}

/* ---- size distributions ---- */

static const char *const dist_words[] = { "uniform", "exponential", "lognormal", "pareto",
                                          "powerlaw", "fixed", NULL };

static int read_bounds(hb_spec_reader *r, yaml_node_t *n, const char *w, hb_size_dist *d,
                       bool required)
{
    d->min = 1;
    d->max = r->max_size;
    if (hb_spec_size(r, n, w, "min", required, &d->min) ||
        hb_spec_size(r, n, w, "max", required, &d->max))
        return -1;
    if (d->min > d->max)
        return hb_yaml_fail(r->y, hb_yaml_get(r->y, n, "max"),
                            "%s.max: expected a size of at least min (%llu), got '%s'", w,
                            (unsigned long long)d->min, hb_yaml_str(hb_yaml_get(r->y, n, "max")));
    return 0;
}

static int read_lognormal(hb_spec_reader *r, yaml_node_t *n, const char *w, hb_size_dist *d)
{
    bool has_mu = hb_yaml_get(r->y, n, "mu"), has_median = hb_yaml_get(r->y, n, "median");
    if (has_mu == has_median)
        return hb_yaml_fail(r->y, n, "%s: expected exactly one of 'mu' or 'median'", w);
    if (has_mu && hb_spec_double(r, n, w, "mu", true, -50, 50, false, false, &d->a))
        return -1;
    if (has_median) {
        uint64_t med = 0;
        if (hb_spec_size(r, n, w, "median", true, &med))
            return -1;
        if (med == 0)
            return hb_yaml_fail(r->y, hb_yaml_get(r->y, n, "median"),
                                "%s.median: expected a size above 0, got '0'", w);
        d->a = hb_det_log((double)med);
    }
    return hb_spec_double(r, n, w, "sigma", true, 0, 10, true, false, &d->b);
}

static int read_fixed(hb_spec_reader *r, yaml_node_t *n, const char *w, hb_size_dist *d)
{
    char kp[HB_KEYPATH_LEN];
    yaml_node_t *sizes = hb_yaml_get(r->y, n, "sizes"), *weights = hb_yaml_get(r->y, n, "weights");
    d->n = hb_yaml_seq_len(sizes);
    if (d->n == 0 || d->n > HB_SIZE_FIXED_MAX)
        return hb_yaml_fail(r->y, sizes ? sizes : n,
                            "%s.sizes: expected a list of 1 to %d sizes", w, HB_SIZE_FIXED_MAX);
    if (weights && hb_yaml_seq_len(weights) != d->n)
        return hb_yaml_fail(r->y, weights, "%s.weights: expected a list of %zu numbers, one per size",
                            w, d->n);
    double sum = 0;
    for (size_t i = 0; i < d->n; i++) {
        yaml_node_t *s = hb_yaml_seq_at(r->y, sizes, i);
        snprintf(kp, sizeof kp, "%s.sizes[%zu]", w, i);
        if (hb_yaml_size(r->y, s, kp, &d->sizes[i]))
            return -1;
        if (d->sizes[i] > r->max_size)
            return hb_yaml_fail(r->y, s, "%s: expected a size up to max_size, got '%s'", kp,
                                hb_yaml_str(s));
        double wt = 1;
        yaml_node_t *wn = weights ? hb_yaml_seq_at(r->y, weights, i) : NULL;
        snprintf(kp, sizeof kp, "%s.weights[%zu]", w, i);
        if (wn && hb_yaml_double(r->y, wn, kp, &wt))
            return -1;
        if (wt < 0)
            return hb_yaml_fail(r->y, wn, "%s: expected a weight of 0 or more, got '%s'", kp,
                                hb_yaml_str(wn));
        d->cum[i] = sum += wt;
    }
    if (!(sum > 0))
        return hb_yaml_fail(r->y, weights, "%s.weights: expected some weight above 0", w);
    return 0;
}

static const char *const dist_keys[][6] = {
    { "dist", "min", "max", NULL },
    { "dist", "mean", "min", "max", NULL },
    { "dist", "mu", "median", "sigma", "min", "max" },
    { "dist", "alpha", "min", "max", NULL },
    { "dist", "alpha", "min", "max", NULL },
    { "dist", "sizes", "weights", NULL },
};

int hb_spec_size_dist(hb_spec_reader *r, yaml_node_t *n, const char *w, hb_size_dist *d)
{
    memset(d, 0, sizeof *d);
    if (hb_yaml_str(n)) { /* a plain size: every request that size */
        d->kind = HB_SIZE_FIXED;
        d->n = 1;
        d->cum[0] = 1;
        if (hb_yaml_size(r->y, n, w, &d->sizes[0]))
            return -1;
        if (d->sizes[0] > r->max_size)
            return hb_yaml_fail(r->y, n, "%s: expected a size up to max_size, got '%s'", w,
                                hb_yaml_str(n));
        return 0;
    }
    int kind = -1;
    if (!hb_yaml_is_map(n))
        return hb_yaml_fail(r->y, n, "%s: expected a size or a mapping with 'dist'", w);
    if (!hb_yaml_get(r->y, n, "dist"))
        return hb_yaml_fail(r->y, n, "%s: expected a key 'dist' (uniform, exponential, "
                            "lognormal, pareto, powerlaw or fixed)", w);
    if (hb_spec_word(r, n, w, "dist", dist_words, &kind))
        return -1;
    const char *keys[7] = { 0 };
    memcpy(keys, dist_keys[kind], sizeof dist_keys[kind]);
    if (hb_yaml_only_keys(r->y, n, w, keys))
        return -1;
    static const enum hb_size_kind kinds[] = { HB_SIZE_UNIFORM, HB_SIZE_EXPONENTIAL,
                                               HB_SIZE_LOGNORMAL, HB_SIZE_PARETO,
                                               HB_SIZE_PARETO, HB_SIZE_FIXED };
    d->kind = kinds[kind];
    switch (d->kind) {
    case HB_SIZE_UNIFORM:
        return read_bounds(r, n, w, d, true);
    case HB_SIZE_EXPONENTIAL:
        return read_bounds(r, n, w, d, false) ||
               hb_spec_double(r, n, w, "mean", true, 0, 1e18, true, false, &d->a);
    case HB_SIZE_LOGNORMAL:
        return read_bounds(r, n, w, d, false) || read_lognormal(r, n, w, d);
    case HB_SIZE_PARETO:
        if (read_bounds(r, n, w, d, true) ||
            hb_spec_double(r, n, w, "alpha", true, 0, 100, true, false, &d->a))
            return -1;
        if (d->min == 0)
            return hb_yaml_fail(r->y, hb_yaml_get(r->y, n, "min"),
                                "%s.min: expected a size above 0, got '0'", w);
        return 0;
    default:
        return read_fixed(r, n, w, d);
    }
}

/* ---- lifetimes ---- */

int hb_spec_lifetime(hb_spec_reader *r, yaml_node_t *n, const char *w, hb_lifetime *l)
{
    memset(l, 0, sizeof *l);
    const char *s = hb_yaml_str(n);
    if (s) {
        if (!strcmp(s, "forever") || !strcmp(s, "phase")) {
            l->kind = !strcmp(s, "forever") ? HB_LIFE_FOREVER : HB_LIFE_PHASE;
            return 0;
        }
        return hb_yaml_fail(r->y, n, "%s: expected forever, phase or a mapping with 'dist', "
                            "got '%s'", w, s);
    }
    static const char *const words[] = { "exponential", "uniform", "fixed", NULL };
    static const char *const keys[][4] = {
        { "dist", "mean", NULL }, { "dist", "min", "max", NULL }, { "dist", "ops", NULL } };
    int kind = -1;
    if (!hb_yaml_is_map(n) || !hb_yaml_get(r->y, n, "dist"))
        return hb_yaml_fail(r->y, n, "%s: expected forever, phase or a mapping with 'dist' "
                            "(exponential, uniform or fixed)", w);
    if (hb_spec_word(r, n, w, "dist", words, &kind) ||
        hb_yaml_only_keys(r->y, n, w, (const char *const *)keys[kind]))
        return -1;
    if (kind == 0) {
        l->kind = HB_LIFE_EXPONENTIAL;
        return hb_spec_double(r, n, w, "mean", true, 0, 1e12, true, false, &l->mean);
    }
    if (kind == 2) {
        l->kind = HB_LIFE_FIXED;
        return hb_spec_u64(r, n, w, "ops", true, 1, &l->min);
    }
    l->kind = HB_LIFE_UNIFORM;
    if (hb_spec_u64(r, n, w, "min", true, 1, &l->min) ||
        hb_spec_u64(r, n, w, "max", true, l->min, &l->max))
        return -1;
    if (l->max > HB_GEN_MAX_OPS * 4)
        return hb_yaml_fail(r->y, hb_yaml_get(r->y, n, "max"),
                            "%s.max: expected at most %llu operations, got '%s'", w,
                            HB_GEN_MAX_OPS * 4, hb_yaml_str(hb_yaml_get(r->y, n, "max")));
    return 0;
}

/* ---- operation mix ---- */

void hb_spec_default_mix(hb_op_mix *m)
{
    static const uint64_t aligns[] = { 16, 64, 256, 4096 };
    memset(m, 0, sizeof *m);
    m->naligns = sizeof aligns / sizeof aligns[0];
    memcpy(m->aligns, aligns, sizeof aligns);
}

static int read_alignments(hb_spec_reader *r, yaml_node_t *list, const char *w, hb_op_mix *m)
{
    char kp[HB_KEYPATH_LEN];
    m->naligns = hb_yaml_seq_len(list);
    if (m->naligns == 0 || m->naligns > HB_MIX_ALIGN_MAX)
        return hb_yaml_fail(r->y, list, "%s.alignments: expected a list of 1 to %d powers of two",
                            w, HB_MIX_ALIGN_MAX);
    for (size_t i = 0; i < m->naligns; i++) {
        yaml_node_t *a = hb_yaml_seq_at(r->y, list, i);
        snprintf(kp, sizeof kp, "%s.alignments[%zu]", w, i);
        if (hb_yaml_size(r->y, a, kp, &m->aligns[i]))
            return -1;
        uint64_t v = m->aligns[i];
        if (v == 0 || (v & (v - 1)) || v > (1ULL << 30))
            return hb_yaml_fail(r->y, a, "%s: expected a power of two from 1 to 2^30, got '%s'",
                                kp, hb_yaml_str(a));
    }
    return 0;
}

int hb_spec_mix(hb_spec_reader *r, yaml_node_t *n, const char *w, hb_op_mix *m)
{
    static const char *const keys[] = { "calloc", "aligned", "realloc", "alignments", NULL };
    hb_spec_default_mix(m);
    if (hb_yaml_only_keys(r->y, n, w, keys) ||
        hb_spec_double(r, n, w, "calloc", false, 0, 1, false, false, &m->calloc) ||
        hb_spec_double(r, n, w, "aligned", false, 0, 1, false, false, &m->aligned) ||
        hb_spec_double(r, n, w, "realloc", false, 0, 1, false, true, &m->realloc))
        return -1;
    if (m->calloc + m->aligned > 1)
        return hb_yaml_fail(r->y, n, "%s: expected calloc + aligned to be at most 1, got %g", w,
                            m->calloc + m->aligned);
    yaml_node_t *list = hb_yaml_get(r->y, n, "alignments");
    return list ? read_alignments(r, list, w, m) : 0;
}
