#include "gen/spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/spec_read.h"

static const char *const pattern_names[HB_PAT_COUNT + 1] = {
    "ramp", "peak", "plateau", "vector", "queue", "stack",
    "pow2-plus-one", "fragment-firstfit", "free-then-large", NULL,
};

const char *hb_pattern_name(enum hb_pattern p)
{
    return p < HB_PAT_COUNT ? pattern_names[p] : "?";
}

/* The keys each pattern takes besides pattern and ops. */
static const char *const pattern_keys[HB_PAT_COUNT][12] = {
    [HB_PAT_RAMP] = { "size", "mix", "lifetime", "target", "from", "release" },
    [HB_PAT_PEAK] = { "size", "mix", "lifetime", "height", "rise", "release" },
    [HB_PAT_PLATEAU] = { "size", "mix", "lifetime", "level", "from", "release" },
    [HB_PAT_VECTOR] = { "size", "mix", "lifetime", "vectors", "initial", "factor", "step", "max",
                        "noise" },
    [HB_PAT_QUEUE] = { "size", "mix", "depth", "drain" },
    [HB_PAT_STACK] = { "size", "mix", "depth", "drain" },
    [HB_PAT_POW2_PLUS_ONE] = { "min", "max", "offset", "level", "fill", "from", "release",
                               "lifetime" },
    [HB_PAT_FRAGMENT_FIRSTFIT] = { "size", "large", "count", "larges" },
    [HB_PAT_FREE_THEN_LARGE] = { "size", "large", "mix", "level", "burst", "keep" },
};

static int check_keys(hb_spec_reader *r, yaml_node_t *n, const char *w, enum hb_pattern p)
{
    const char *keys[16] = { "pattern", "ops" };
    size_t k = 2;
    for (size_t i = 0; i < 12 && pattern_keys[p][i]; i++)
        keys[k++] = pattern_keys[p][i];
    return hb_yaml_only_keys(r->y, n, w, keys);
}

static int read_victims(hb_spec_reader *r, yaml_node_t *n, const char *w, hb_phase *ph)
{
    static const char *const from[] = { "phase", "all", NULL };
    static const char *const release[] = { "random", "oldest", "newest", NULL };
    int f = (int)ph->from, rel = (int)ph->release;
    if (hb_spec_word(r, n, w, "from", from, &f) || hb_spec_word(r, n, w, "release", release, &rel))
        return -1;
    ph->from = (enum hb_victims)f;
    ph->release = (enum hb_release)rel;
    if (ph->from == HB_FROM_ALL && ph->release != HB_RELEASE_RANDOM)
        return hb_yaml_fail(r->y, hb_yaml_get(r->y, n, "release"),
                            "%s.release: expected random when from is all, got '%s'", w,
                            release[rel]);
    return 0;
}

/* Reads a size distribution key; required ones fail when absent. */
static int read_dist(hb_spec_reader *r, yaml_node_t *n, const char *w, const char *key,
                     bool required, hb_size_dist *d)
{
    char kp[192];
    yaml_node_t *v = hb_yaml_get(r->y, n, key);
    if (!v)
        return required ? hb_yaml_fail(r->y, n, "%s: expected a key '%s'", w, key) : 0;
    return hb_spec_size_dist(r, v, hb_spec_keypath(kp, sizeof kp, w, key), d);
}

static int read_curve(hb_spec_reader *r, yaml_node_t *n, const char *w, hb_phase *ph)
{
    static const char *const level_key[] = { "target", "height", "level" };
    const char *lk = level_key[ph->pattern];
    ph->from = ph->pattern == HB_PAT_PLATEAU ? HB_FROM_ALL : HB_FROM_PHASE;
    ph->level_given = hb_yaml_get(r->y, n, lk) != NULL;
    double rise = 0.3;
    if (hb_spec_amount(r, n, w, lk, ph->pattern != HB_PAT_PLATEAU, &ph->level) ||
        read_victims(r, n, w, ph) || read_dist(r, n, w, "size", true, &ph->size))
        return -1;
    if (ph->pattern == HB_PAT_PEAK &&
        hb_spec_double(r, n, w, "rise", false, 0, 1, true, true, &rise))
        return -1;
    ph->rise_ops = (uint64_t)(rise * (double)ph->ops);
    if (ph->rise_ops >= ph->ops)
        ph->rise_ops = ph->ops - 1;
    return 0;
}

static int read_pow2(hb_spec_reader *r, yaml_node_t *n, const char *w, hb_phase *ph)
{
    uint64_t lo = 16, hi = 64 << 10;
    double fill = 0.3;
    ph->level_given = true;
    ph->size.offset = 1;
    if (hb_spec_size(r, n, w, "min", false, &lo) || hb_spec_size(r, n, w, "max", false, &hi) ||
        hb_spec_u64(r, n, w, "offset", false, 0, &ph->size.offset) ||
        hb_spec_amount(r, n, w, "level", true, &ph->level) || read_victims(r, n, w, ph) ||
        hb_spec_double(r, n, w, "fill", false, 0, 1, true, false, &fill))
        return -1;
    if (lo == 0 || (lo & (lo - 1)) || hi == 0 || (hi & (hi - 1)) || lo > hi ||
        hi + ph->size.offset > r->max_size || ph->size.offset >= lo)
        return hb_yaml_fail(r->y, n, "%s: expected min <= max, both powers of two, offset below "
                            "min and max + offset within max_size", w);
    ph->size.kind = HB_SIZE_POW2_PLUS;
    ph->size.lo_exp = (unsigned)__builtin_ctzll(lo);
    ph->size.hi_exp = (unsigned)__builtin_ctzll(hi);
    ph->rise_ops = (uint64_t)(fill * (double)ph->ops);
    return 0;
}

static int read_vector(hb_spec_reader *r, yaml_node_t *n, const char *w, hb_phase *ph)
{
    ph->vectors = 1;
    ph->initial = 16;
    ph->factor = 2.0;
    ph->vmax = 1 << 20;
    ph->life.kind = HB_LIFE_EXPONENTIAL;
    ph->life.mean = 100;
    if (hb_spec_u64(r, n, w, "vectors", false, 1, &ph->vectors) ||
        hb_spec_size(r, n, w, "initial", false, &ph->initial) ||
        hb_spec_double(r, n, w, "factor", false, 1, 16, true, false, &ph->factor) ||
        hb_spec_size(r, n, w, "step", false, &ph->step) ||
        hb_spec_size(r, n, w, "max", false, &ph->vmax) ||
        hb_spec_double(r, n, w, "noise", false, 0, 1, false, true, &ph->noise))
        return -1;
    if (hb_yaml_get(r->y, n, "factor") && hb_yaml_get(r->y, n, "step"))
        return hb_yaml_fail(r->y, n, "%s: expected one of 'factor' or 'step', not both", w);
    if (ph->initial == 0 || ph->initial > ph->vmax || ph->vectors > 100000)
        return hb_yaml_fail(r->y, n, "%s: expected 1 <= initial <= max and at most 100000 "
                            "vectors", w);
    return read_dist(r, n, w, "size", ph->noise > 0, &ph->size);
}

static int read_order(hb_spec_reader *r, yaml_node_t *n, const char *w, hb_phase *ph)
{
    char kp[192];
    ph->drain = true;
    yaml_node_t *d = hb_yaml_get(r->y, n, "drain");
    if (hb_spec_u64(r, n, w, "depth", true, 1, &ph->depth))
        return -1;
    if (ph->depth > HB_GEN_MAX_OPS)
        return hb_yaml_fail(r->y, hb_yaml_get(r->y, n, "depth"),
                            "%s.depth: expected at most %llu", w, HB_GEN_MAX_OPS);
    return (d && hb_yaml_bool(r->y, d, hb_spec_keypath(kp, sizeof kp, w, "drain"), &ph->drain)) ||
           read_dist(r, n, w, "size", true, &ph->size);
}

static int read_adversarial(hb_spec_reader *r, yaml_node_t *n, const char *w, hb_phase *ph)
{
    if (read_dist(r, n, w, "size", true, &ph->size) ||
        read_dist(r, n, w, "large", true, &ph->large))
        return -1;
    if (ph->pattern == HB_PAT_FRAGMENT_FIRSTFIT) {
        ph->count = 10000;
        if (hb_spec_u64(r, n, w, "count", false, 3, &ph->count))
            return -1;
        if (ph->count > HB_GEN_MAX_OPS)
            return hb_yaml_fail(r->y, hb_yaml_get(r->y, n, "count"),
                                "%s.count: expected at most %llu", w, HB_GEN_MAX_OPS);
        ph->larges = ph->count / 2;
        return hb_spec_u64(r, n, w, "larges", false, 1, &ph->larges);
    }
    ph->burst = 64;
    ph->keep = 2;
    if (hb_spec_amount(r, n, w, "level", true, &ph->level) ||
        hb_spec_u64(r, n, w, "burst", false, 1, &ph->burst) ||
        hb_spec_u64(r, n, w, "keep", false, 1, &ph->keep))
        return -1;
    if (ph->keep > 1000000)
        return hb_yaml_fail(r->y, hb_yaml_get(r->y, n, "keep"),
                            "%s.keep: expected at most 1000000 large blocks", w);
    return 0;
}

static int read_pattern_params(hb_spec_reader *r, yaml_node_t *n, const char *w, hb_phase *ph)
{
    switch (ph->pattern) {
    case HB_PAT_RAMP:
    case HB_PAT_PEAK:
    case HB_PAT_PLATEAU:
        return read_curve(r, n, w, ph);
    case HB_PAT_POW2_PLUS_ONE:
        return read_pow2(r, n, w, ph);
    case HB_PAT_VECTOR:
        return read_vector(r, n, w, ph);
    case HB_PAT_QUEUE:
    case HB_PAT_STACK:
        return read_order(r, n, w, ph);
    default:
        return read_adversarial(r, n, w, ph);
    }
}

static int read_phase(hb_spec_reader *r, yaml_node_t *n, size_t i, hb_phase *ph)
{
    char w[64], kp[192];
    snprintf(w, sizeof w, "phases[%zu]", i);
    memset(ph, 0, sizeof *ph);
    ph->line = (unsigned)n->start_mark.line + 1;
    hb_spec_default_mix(&ph->mix);
    int p = -1;
    if (!hb_yaml_is_map(n))
        return hb_yaml_fail(r->y, n, "%s: expected a mapping with 'pattern' and 'ops'", w);
    if (!hb_yaml_get(r->y, n, "pattern"))
        return hb_yaml_fail(r->y, n, "%s: expected a key 'pattern'", w);
    if (hb_spec_word(r, n, w, "pattern", pattern_names, &p))
        return -1;
    ph->pattern = (enum hb_pattern)p;
    if (check_keys(r, n, w, ph->pattern) ||
        hb_spec_u64(r, n, w, "ops", true, 1, &ph->ops) || read_pattern_params(r, n, w, ph))
        return -1;
    yaml_node_t *v;
    if ((v = hb_yaml_get(r->y, n, "lifetime")) &&
        hb_spec_lifetime(r, v, hb_spec_keypath(kp, sizeof kp, w, "lifetime"), &ph->life))
        return -1;
    if ((v = hb_yaml_get(r->y, n, "mix")) &&
        hb_spec_mix(r, v, hb_spec_keypath(kp, sizeof kp, w, "mix"), &ph->mix))
        return -1;
    return 0;
}

static int read_phases(hb_spec_reader *r, yaml_node_t *root, hb_spec *s)
{
    yaml_node_t *list = hb_yaml_get(r->y, root, "phases");
    s->nphases = hb_yaml_seq_len(list);
    if (s->nphases == 0)
        return hb_yaml_fail(r->y, list ? list : root, "phases: expected a list of at least one "
                            "phase");
    s->phases = calloc(s->nphases, sizeof *s->phases);
    if (!s->phases)
        return hb_yaml_fail(r->y, list, "phases: out of memory");
    for (size_t i = 0; i < s->nphases; i++) {
        yaml_node_t *n = hb_yaml_seq_at(r->y, list, i);
        if (read_phase(r, n, i, &s->phases[i]))
            return -1;
        s->total_ops += s->phases[i].ops;
        if (s->total_ops > HB_GEN_MAX_OPS)
            return hb_yaml_fail(r->y, n, "phases[%zu].ops: expected at most %llu operations in "
                                "all phases together", i, HB_GEN_MAX_OPS);
    }
    return 0;
}

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

static int read_top(hb_spec_reader *r, hb_spec *s)
{
    static const char *const keys[] = { "name", "description", "seed", "max_size", "end",
                                        "phases", NULL };
    static const char *const ends[] = { "free", "leak", NULL };
    hb_yaml *y = r->y;
    yaml_node_t *root = hb_yaml_root(y);
    const char *name = NULL, *desc = NULL;
    int end = HB_END_FREE;
    if (hb_yaml_only_keys(y, root, "spec", keys))
        return -1;
    if (!hb_yaml_get(y, root, "name"))
        return hb_yaml_fail(y, root, "spec: expected a key 'name'");
    if (hb_yaml_string(y, hb_yaml_get(y, root, "name"), "name", &name) ||
        (hb_yaml_get(y, root, "description") &&
         hb_yaml_string(y, hb_yaml_get(y, root, "description"), "description", &desc)) ||
        hb_spec_u64(r, root, "", "seed", true, 0, &s->seed))
        return -1;
    r->max_size = (uint64_t)INT64_MAX;
    s->max_size = HB_GEN_DEFAULT_MAX_SIZE;
    if (hb_spec_size(r, root, "", "max_size", false, &s->max_size) ||
        hb_spec_word(r, root, "", "end", ends, &end))
        return -1;
    if (s->max_size == 0)
        return hb_yaml_fail(y, hb_yaml_get(y, root, "max_size"), "max_size: expected a size "
                            "above 0, got '0'");
    r->max_size = s->max_size;
    s->end = (enum hb_end)end;
    s->name = dup_or_empty(name);
    s->description = dup_or_empty(desc);
    if (strpbrk(s->name, "#\r\n") || !s->name[0])
        return hb_yaml_fail(y, hb_yaml_get(y, root, "name"),
                            "name: expected a non-empty line without '#', got '%s'", s->name);
    if (strpbrk(s->description, "#\r\n"))
        return hb_yaml_fail(y, hb_yaml_get(y, root, "description"),
                            "description: expected one line without '#'");
    return read_phases(r, root, s);
}

static uint64_t fnv1a(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
    return h;
}

/* The bytes' hash sealed with the generator version and the seed. */
static uint64_t seal(uint64_t h, uint64_t seed)
{
    char tail[64];
    int n = snprintf(tail, sizeof tail, "\nheapbench-gen/%s seed=%llu", HB_GEN_VERSION,
                     (unsigned long long)seed);
    return fnv1a(h, tail, (size_t)n);
}

uint64_t hb_spec_hash_bytes(const char *text, size_t len, uint64_t seed)
{
    return seal(fnv1a(0xcbf29ce484222325ULL, text, len), seed);
}

void hb_spec_set_seed(hb_spec *s, uint64_t seed)
{
    s->seed = seed;
    s->hash = seal(s->bytes_hash, seed);
}

int hb_spec_load_string(const char *name, const char *text, size_t len, hb_spec *s, char *err,
                        size_t errlen)
{
    memset(s, 0, sizeof *s);
    hb_yaml y;
    hb_spec_reader r = { &y, (uint64_t)INT64_MAX };
    int rc = hb_yaml_load_string(&y, name, text, len);
    if (rc == 0 && read_top(&r, s) == 0) {
        s->path = strdup(name);
        s->bytes_hash = fnv1a(0xcbf29ce484222325ULL, text, len);
        s->hash = seal(s->bytes_hash, s->seed);
    } else {
        snprintf(err, errlen, "%s", y.err[0] ? y.err : "error: cannot read the spec");
        rc = -1;
        hb_spec_free(s);
    }
    hb_yaml_free(&y);
    return rc;
}

int hb_spec_load(const char *path, hb_spec *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: error: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    do {
        if (len + 65536 > cap) {
            char *nb = realloc(buf, cap = cap * 2 + 65536);
            if (!nb) {
                free(buf);
                fclose(f);
                snprintf(err, errlen, "%s: error: out of memory", path);
                return -1;
            }
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    int bad = ferror(f);
    fclose(f);
    int rc = -1;
    if (bad)
        snprintf(err, errlen, "%s: error: cannot read", path);
    else
        rc = hb_spec_load_string(path, buf, len, s, err, errlen);
    free(buf);
    return rc;
}

void hb_spec_free(hb_spec *s)
{
    free(s->path);
    free(s->name);
    free(s->description);
    free(s->phases);
    memset(s, 0, sizeof *s);
}
