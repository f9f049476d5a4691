/* Generation is a function of the spec's bytes and the seed alone, and its
 * output is pinned.  Every shipped spec in traces/synthetic, and two inline
 * specs that between them use every pattern, size distribution and lifetime,
 * must give the same bytes on each run, other operations under another seed,
 * and operations whose hash is pinned in the table below.
 *
 * The pins guard the regeneration of stale traces: heapbench trace gen
 * rewrites a trace only when its spec-hash (the spec's bytes, the seed and
 * HB_GEN_VERSION) changes, so a change to the generator's output that leaves
 * HB_GEN_VERSION alone leaves every trace generated before it in place,
 * silently different from what the generator now writes. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "gen_check.h"

#define SYNTHETIC_DIR HB_TEST_DATA "/../../traces/synthetic"

/* The HB_GEN_VERSION the hashes below were taken at.  Bumping the version
 * without taking them again fails here, so the two move together. */
#define PINNED_AT_GEN_VERSION "1"

typedef struct pin {
    const char *name; /* the file in traces/synthetic, or the inline spec's name */
    uint64_t spec;    /* FNV-1a 64 of the spec's bytes                  */
    uint64_t body;    /* body_hash() of its trace at the spec's own seed */
} pin;

static const pin shipped_pins[] = {
    { "adversarial-fragment-firstfit.yaml", 0x08005fecd52f1d2aULL, 0x8d8945b90250c169ULL },
    { "adversarial-free-then-large.yaml", 0x34deb467877cb143ULL, 0x5fd590c85ef17592ULL },
    { "adversarial-pow2-plus-one.yaml", 0x08ae2c7d71019a23ULL, 0xb362c2b2f0d66630ULL },
    { "fixed-size-classes.yaml", 0xb0ff65e413884f03ULL, 0xa488a3e14ae7ba91ULL },
    { "powerlaw-mix.yaml", 0x4744417b461c4db0ULL, 0xae8fe321c0813441ULL },
    { "producer-consumer.yaml", 0xd8f21b08798dc66bULL, 0x8b477fc5ab5614baULL },
    { "ramp-peak-plateau-lognormal.yaml", 0x5b01270c452e47abULL, 0xf3b6b05b005db2b7ULL },
    { "request-bursts.yaml", 0x5146b6bae307ee80ULL, 0x86eb0f6d44f33f34ULL },
    { "short-lived-exponential.yaml", 0x41d69e9fd2d3deebULL, 0x0fc11a84af504789ULL },
    { "stack-lifo.yaml", 0xd2fca3700becbda5ULL, 0xfaca1b87f9d9f9a3ULL },
    { "vector-doubling.yaml", 0x16d5af12a146fb34ULL, 0xb548fa856d2eeae3ULL },
    { "vector-step-growth.yaml", 0x8f27105a8eaf9cd5ULL, 0x3927a0161a4c7ce0ULL },
};

/* The curve patterns with every release order, victims from all, every
 * lifetime and every size distribution (lognormal by median and by mu,
 * pareto under both its names), and a mix with all three kinds of call. */
static const char curves_yaml[] =
    "name: curves\nseed: 21\nphases:\n"
    "  - {pattern: ramp, ops: 3000, target: 512KiB, size: {dist: lognormal, median: 200,"
    " sigma: 1.2, max: 64KiB},\n"
    "     mix: {calloc: 0.2, aligned: 0.1, realloc: 0.1, alignments: [32, 8192]}}\n"
    "  - {pattern: peak, ops: 3000, height: 1MiB, rise: 0.4, release: oldest, lifetime: phase,\n"
    "     size: {dist: exponential, mean: 300, min: 8, max: 8KiB}}\n"
    "  - {pattern: peak, ops: 3000, height: 256KiB, release: newest,\n"
    "     size: {dist: pareto, alpha: 1.3, min: 16, max: 32KiB}}\n"
    "  - {pattern: plateau, ops: 3000, level: 768KiB, from: all,\n"
    "     lifetime: {dist: uniform, min: 10, max: 400},\n"
    "     size: {dist: fixed, sizes: [24, 40, 4KiB], weights: [5, 3, 1]}}\n"
    "  - {pattern: plateau, ops: 3000, lifetime: {dist: exponential, mean: 120},\n"
    "     size: {dist: lognormal, mu: 4.5, sigma: 0.7}}\n"
    "  - {pattern: ramp, ops: 3000, target: 128KiB, release: oldest,\n"
    "     lifetime: {dist: fixed, ops: 250}, size: {dist: powerlaw, alpha: 0.8, min: 8, max: 2KiB}}\n";

/* The other patterns: an undrained queue, a stack, vectors growing by a
 * factor among noise and by a step, and the three adversarial ones. */
static const char shapes_yaml[] =
    "name: shapes\nseed: 22\nend: leak\nphases:\n"
    "  - {pattern: queue, ops: 3000, depth: 80, drain: false, size: {dist: uniform, min: 1,"
    " max: 300},\n"
    "     mix: {realloc: 0.05}}\n"
    "  - {pattern: stack, ops: 3000, depth: 60, size: 72, mix: {aligned: 0.3}}\n"
    "  - {pattern: vector, ops: 4000, vectors: 5, initial: 8, factor: 1.7, max: 32KiB, noise: 0.3,\n"
    "     size: {dist: exponential, mean: 40}, lifetime: {dist: uniform, min: 5, max: 50}}\n"
    "  - {pattern: vector, ops: 4000, vectors: 7, initial: 100, step: 100, max: 20000}\n"
    "  - {pattern: pow2-plus-one, ops: 4000, min: 8, max: 4KiB, offset: 3, level: 256KiB,"
    " fill: 0.5,\n"
    "     release: newest}\n"
    "  - {pattern: fragment-firstfit, ops: 3000, count: 301, larges: 40,\n"
    "     size: {dist: uniform, min: 16, max: 48}, large: {dist: fixed, sizes: [600, 900]}}\n"
    "  - {pattern: free-then-large, ops: 4000, level: 64KiB, burst: 12, keep: 3,\n"
    "     size: {dist: lognormal, median: 64, sigma: 0.5},\n"
    "     large: {dist: exponential, mean: 102400, min: 70KiB, max: 300KiB}}\n";

static const struct {
    const char *yaml;
    pin pin;
} inline_specs[] = {
    { curves_yaml, { "curves", 0x6fdfa90bd4cdfe28ULL, 0xe3f2f93dbdde5bd5ULL } },
    { shapes_yaml, { "shapes", 0x0f676b963eb6e7dfULL, 0x1f200afeb1c34313ULL } },
};

#define NSHIPPED (sizeof shipped_pins / sizeof shipped_pins[0])
#define NINLINE (sizeof inline_specs / sizeof inline_specs[0])
#define NSUBJECTS (NSHIPPED + NINLINE)

/* The i-th spec under test: shipped ones first, then the inline ones. */
static const pin *subject_pin(size_t i)
{
    return i < NSHIPPED ? &shipped_pins[i] : &inline_specs[i - NSHIPPED].pin;
}

/* A shipped spec the user removed from traces/synthetic: skipped (the
 * table test notes it). */
static bool absent(size_t i)
{
    char path[1024];
    if (i >= NSHIPPED)
        return false;
    snprintf(path, sizeof path, "%s/%s", SYNTHETIC_DIR, subject_pin(i)->name);
    return access(path, R_OK) != 0;
}

static int load_subject(size_t i, hb_spec *s)
{
    char err[1024], path[1024];
    const pin *p = subject_pin(i);
    int rc;
    if (i < NSHIPPED) {
        snprintf(path, sizeof path, "%s/%s", SYNTHETIC_DIR, p->name);
        rc = hb_spec_load(path, s, err, sizeof err);
    } else {
        const char *y = inline_specs[i - NSHIPPED].yaml;
        rc = hb_spec_load_string(p->name, y, strlen(y), s, err, sizeof err);
    }
    if (rc)
        fprintf(stderr, "%s\n", err);
    return rc;
}

/* Generates spec i, at its own seed or at seed, into *out. */
static int generate(size_t i, bool reseed, uint64_t seed, hb_gen_text *out)
{
    char err[1024];
    hb_spec s;
    if (load_subject(i, &s))
        return -1;
    if (reseed)
        hb_spec_set_seed(&s, seed);
    int rc = hb_gen_trace(&s, out, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    hb_spec_free(&s);
    return rc;
}

/* FNV-1a 64 of every line but the "#!" header: the operations and the
 * generator's "# phase" notes.  The header is left out because it holds the
 * spec's path, and the seed and HB_GEN_VERSION through the spec-hash; what
 * remains is integers and fixed words only (the generator prints no floats),
 * written the same under every locale. */
static uint64_t body_hash(const char *text, size_t len)
{
    uint64_t h = GC_FNV_BASIS;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (!(n >= 2 && p[0] == '#' && p[1] == '!'))
            h = gc_fnv1a(h, p, n);
        p += n;
    }
    return h;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The table and traces/synthetic list the same specs.  A user's own spec
 * dropped into the folder, or a shipped one removed, is only noted: the
 * pins guard the generator, and the generator is tested on the rows that
 * remain (and on the inline specs, which cover every feature). */
static void test_table_lists_every_shipped_spec(void)
{
    DIR *d = opendir(SYNTHETIC_DIR);
    REQUIRE(d);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t len = strlen(e->d_name);
        if (len > 5 && !strcmp(e->d_name + len - 5, ".yaml"))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name); /* messages in a stable order */
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < NSHIPPED; k++)
            found |= !strcmp(names[i], shipped_pins[k].name);
        if (!found)
            fprintf(stderr, "note: traces/synthetic/%s has no row in shipped_pins of %s\n",
                    names[i], __FILE__);
    }
    for (size_t k = 0; k < NSHIPPED; k++) {
        bool found = false;
        for (size_t i = 0; i < n; i++)
            found |= !strcmp(names[i], shipped_pins[k].name);
        if (!found)
            fprintf(stderr, "note: shipped_pins lists %s, which is not in traces/synthetic\n",
                    shipped_pins[k].name);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    CHECK(n > 0);
}

/* Each spec gives a valid trace, and generated once more in the opposite
 * order, the bytes it gave the first time: nothing carries over from one
 * generation to the next, and nothing but the spec and the seed goes in. */
static void test_same_seed_same_bytes(void)
{
    hb_gen_text first[NSUBJECTS];
    memset(first, 0, sizeof first);
    for (size_t i = 0; i < NSUBJECTS; i++) {
        if (absent(i))
            continue;
        if (generate(i, false, 0, &first[i])) {
            CHECK(0);
            continue;
        }
        gc_trace t;
        bool valid = gc_read(first[i].text, first[i].len, &t);
        if (!valid)
            fprintf(stderr, "%s: invalid trace: %s\n", subject_pin(i)->name, t.error);
        CHECK(valid);
        gc_free(&t);
    }
    for (size_t k = NSUBJECTS; k-- > 0;) {
        if (absent(k))
            continue;
        hb_gen_text again;
        if (!first[k].text || generate(k, false, 0, &again)) {
            CHECK(0);
            continue;
        }
        bool same = again.len == first[k].len && !memcmp(again.text, first[k].text, again.len);
        if (!same)
            fprintf(stderr, "%s: two generations at the same seed differ\n",
                    subject_pin(k)->name);
        CHECK(same);
        free(again.text);
    }
    for (size_t i = 0; i < NSUBJECTS; i++)
        free(first[i].text);
}

/* Another seed changes the operations, not only the header that names it. */
static void test_other_seed_other_bytes(void)
{
    for (size_t i = 0; i < NSUBJECTS; i++) {
        if (absent(i))
            continue;
        hb_spec s;
        if (load_subject(i, &s)) {
            CHECK(0);
            continue;
        }
        uint64_t seed = s.seed;
        hb_spec_free(&s);
        hb_gen_text a, b;
        if (generate(i, false, 0, &a)) {
            CHECK(0);
            continue;
        }
        if (generate(i, true, seed + 1, &b)) {
            CHECK(0);
            free(a.text);
            continue;
        }
        bool differ = body_hash(a.text, a.len) != body_hash(b.text, b.len);
        if (!differ)
            fprintf(stderr, "%s: seeds %" PRIu64 " and %" PRIu64 " give the same operations\n",
                    subject_pin(i)->name, seed, seed + 1);
        CHECK(differ);
        free(a.text);
        free(b.text);
    }
}

/* Each spec's operations hash to the pinned value.  A spec whose own bytes
 * changed needs only its row updated: its spec-hash changed with it, so its
 * trace is regenerated anyway. */
static void test_output_is_pinned(void)
{
    if (strcmp(HB_GEN_VERSION, PINNED_AT_GEN_VERSION)) {
        fprintf(stderr,
                "HB_GEN_VERSION is \"%s\" but the hashes in %s were taken at \"%s\": take them\n"
                "  again (the rows to paste follow) and set PINNED_AT_GEN_VERSION to match.\n",
                HB_GEN_VERSION, __FILE__, PINNED_AT_GEN_VERSION);
        CHECK(0);
    }
    for (size_t i = 0; i < NSUBJECTS; i++) {
        if (absent(i))
            continue;
        const pin *p = subject_pin(i);
        hb_spec s;
        hb_gen_text t;
        char err[1024];
        if (load_subject(i, &s)) {
            CHECK(0);
            continue;
        }
        uint64_t spec = s.bytes_hash;
        int rc = hb_gen_trace(&s, &t, err, sizeof err);
        hb_spec_free(&s);
        if (rc) {
            fprintf(stderr, "%s\n", err);
            CHECK(0);
            continue;
        }
        uint64_t body = body_hash(t.text, t.len);
        free(t.text);
        /* An edited spec is not a generator change: its spec-hash changed
         * with it, so its traces are regenerated anyway.  Its pin says
         * nothing about the new bytes, so it is noted and skipped. */
        bool ok = spec != p->spec || body == p->body;
        if (spec != p->spec)
            fprintf(stderr, "note: %s: the spec's bytes changed (hash %016" PRIx64 ", pinned %016"
                    PRIx64 "), its pin is skipped; to pin it again, update its row.\n",
                    p->name, spec, p->spec);
        else if (body != p->body)
            gc_output_changed(p->name, body, p->body);
        if (!ok || strcmp(HB_GEN_VERSION, PINNED_AT_GEN_VERSION))
            fprintf(stderr, "    { \"%s\", 0x%016" PRIx64 "ULL, 0x%016" PRIx64 "ULL },\n",
                    p->name, spec, body);
        CHECK(ok);
    }
}

/* ---- every feature of the generator is among the specs checked above ---- */

enum {
    F_PATTERN = 0, /* + enum hb_pattern                 */
    F_GROW_FACTOR = F_PATTERN + HB_PAT_COUNT,
    F_GROW_STEP,
    F_VECTOR_NOISE,
    F_SIZE,        /* + enum hb_size_kind               */
    F_LIFE = F_SIZE + HB_SIZE_POW2_PLUS + 1, /* + enum hb_life_kind */
    F_RELEASE = F_LIFE + HB_LIFE_FIXED + 1,  /* + enum hb_release   */
    F_FROM_ALL = F_RELEASE + HB_RELEASE_NEWEST + 1,
    F_UNDRAINED,
    F_CALLOC,
    F_ALIGNED,
    F_REALLOC,
    F_COUNT
};

static const char *feature_name(int f, char *buf, size_t len)
{
    static const char *const sizes[] = { "uniform", "exponential", "lognormal",
                                         "pareto (or powerlaw)",
                                         "fixed", "pow2-plus" };
    static const char *const lives[] = { "forever", "phase", "exponential", "uniform", "fixed" };
    static const char *const releases[] = { "random", "oldest", "newest" };
    static const char *const rest[] = { "from: all", "drain: false", "calloc", "aligned",
                                        "realloc" };
    if (f < F_GROW_FACTOR)
        snprintf(buf, len, "pattern %s", hb_pattern_name((enum hb_pattern)(f - F_PATTERN)));
    else if (f < F_SIZE)
        snprintf(buf, len, "vector %s", f == F_GROW_FACTOR ? "factor" :
                 f == F_GROW_STEP ? "step" : "noise");
    else if (f < F_LIFE)
        snprintf(buf, len, "size %s", sizes[f - F_SIZE]);
    else if (f < F_RELEASE)
        snprintf(buf, len, "lifetime %s", lives[f - F_LIFE]);
    else if (f < F_FROM_ALL)
        snprintf(buf, len, "release %s", releases[f - F_RELEASE]);
    else
        snprintf(buf, len, "%s", rest[f - F_FROM_ALL]);
    return buf;
}

/* The features one phase uses, read from the parsed spec rather than from
 * its text, so that nothing is counted that the generator would ignore. */
static void phase_features(const hb_phase *ph, bool *used)
{
    enum hb_pattern p = ph->pattern;
    bool curve = p == HB_PAT_RAMP || p == HB_PAT_PEAK || p == HB_PAT_PLATEAU ||
                 p == HB_PAT_POW2_PLUS_ONE;
    bool sized = p != HB_PAT_VECTOR || ph->noise > 0;
    used[F_PATTERN + p] = true;
    if (p == HB_PAT_VECTOR) {
        used[ph->step ? F_GROW_STEP : F_GROW_FACTOR] = true;
        used[F_VECTOR_NOISE] |= ph->noise > 0;
    }
    if (sized)
        used[F_SIZE + ph->size.kind] = true;
    if (p == HB_PAT_FRAGMENT_FIRSTFIT || p == HB_PAT_FREE_THEN_LARGE)
        used[F_SIZE + ph->large.kind] = true;
    /* fragment-firstfit's blocks and a vector's own ones are freed by the
     * pattern alone, and made without the mix; a vector's noise is not */
    bool pooled = p != HB_PAT_FRAGMENT_FIRSTFIT && sized;
    if (pooled) {
        used[F_LIFE + ph->life.kind] = true;
        used[F_CALLOC] |= ph->mix.calloc > 0;
        used[F_ALIGNED] |= ph->mix.aligned > 0;
        used[F_REALLOC] |= ph->mix.realloc > 0 && p != HB_PAT_VECTOR;
    }
    if (curve) {
        used[F_RELEASE + ph->release] = true;
        used[F_FROM_ALL] |= ph->from == HB_FROM_ALL;
    }
    used[F_UNDRAINED] |= (p == HB_PAT_QUEUE || p == HB_PAT_STACK) && !ph->drain;
}

static void test_every_feature_is_checked(void)
{
    bool used[F_COUNT] = { false };
    for (size_t i = 0; i < NSUBJECTS; i++) {
        if (absent(i))
            continue;
        hb_spec s;
        if (load_subject(i, &s)) {
            CHECK(0);
            continue;
        }
        for (size_t k = 0; k < s.nphases; k++)
            phase_features(&s.phases[k], used);
        hb_spec_free(&s);
    }
    char name[64];
    for (int f = 0; f < F_COUNT; f++) {
        if (!used[f])
            fprintf(stderr, "no spec checked here uses %s: add it to an inline spec\n",
                    feature_name(f, name, sizeof name));
        CHECK(used[f]);
    }
}

int main(void)
{
    RUN(test_table_lists_every_shipped_spec);
    RUN(test_same_seed_same_bytes);
    RUN(test_other_seed_other_bytes);
    RUN(test_output_is_pinned);
    RUN(test_every_feature_is_checked);
    return check_summary();
}
