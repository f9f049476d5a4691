/*
 * What the allocator tests share: loading a library from HB_ALLOCATOR_DIR,
 * a heap over a counting memory source, and the shadow model -- a seeded
 * run of random operations during which the test remembers every live
 * block and checks what a program relies on.
 *
 * The model fills each block with its own pattern and verifies it at every
 * free and realloc (and realloc keeps the prefix), so a block that overlaps
 * another or is written by the allocator is caught.  Each new block must be
 * aligned, lie in memory the source handed out and be covered by
 * usable_size; calloc memory must be zero; periodically check() must pass
 * and no two live blocks may share a usable byte.  After the run every
 * block is freed and destroy() must give every byte back.
 *
 * Everything here is static: each test file is its own program.
 */
#ifndef HB_TEST_SHADOW_H
#define HB_TEST_SHADOW_H

#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "osmem/osmem.h"

/* ---- the library --------------------------------------------------------- */

/* The library under test: main sets it (test_model, once per library). */
static const hb_allocator *lib;

/* Opens <HB_ALLOCATOR_DIR>/<name>.so and returns its method table, or NULL
 * with the reason on stderr.  The handle goes to *dl when dl is not NULL,
 * for a library that exports an API of its own. */
static inline const hb_allocator *load_lib(const char *name, void **dl)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.so", HB_ALLOCATOR_DIR, name);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    hb_allocator_entry entry = h ? (hb_allocator_entry)dlsym(h, HB_ALLOCATOR_SYMBOL) : NULL;
    if (!entry) {
        fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
        return NULL;
    }
    if (dl)
        *dl = h;
    return entry();
}

/* ---- a heap over its own memory source ----------------------------------- */

typedef struct fixture {
    const hb_allocator *a;
    hb_osmem *mem;
    void *heap;
} fixture;

/* A heap of `lib` whose memory source hands out at most `limit` bytes at
 * once (0: no limit).  False when the heap cannot be created; close_heap
 * is due either way. */
static inline bool open_heap_limit(fixture *f, const char *options, size_t limit)
{
    f->a = lib;
    f->mem = hb_osmem_new(0, limit);
    f->heap = f->a && f->mem ? f->a->create(hb_osmem_source(f->mem), options) : NULL;
    return f->heap != NULL;
}

static inline bool open_heap(fixture *f, const char *options)
{
    return open_heap_limit(f, options, 0);
}

/* check() fails, and its reason starts with the allocator's name and names
 * `what`.  The caller then undoes the damage, so destroy() and the next
 * case see a whole heap. */
static inline void expect_damage(const fixture *f, const char *what)
{
    char msg[256] = "", prefix[64];
    CHECK(f->a->check(f->heap, msg, sizeof msg) != 0);
    CHECK_STR_CONTAINS(msg, what);
    snprintf(prefix, sizeof prefix, "%s: ", f->a->name);
    CHECK(strncmp(msg, prefix, strlen(prefix)) == 0);
}

/* destroy() must give every byte and every mapping back, the heap's own
 * state included; a refused create must have kept nothing. */
static inline void close_heap(fixture *f)
{
    if (f->heap)
        f->a->destroy(f->heap);
    if (f->mem) {
        CHECK_EQ_U(hb_osmem_stats_of(f->mem)->cur_bytes, 0);
        CHECK_EQ_U(hb_osmem_stats_of(f->mem)->live_maps, 0);
        hb_osmem_free(f->mem);
    }
    f->heap = NULL;
    f->mem = NULL;
}

/* check() passes; otherwise its reason goes to stderr. */
static inline bool heap_ok(const fixture *f)
{
    char msg[256] = "";
    if (!f->a->check || f->a->check(f->heap, msg, sizeof msg) == 0)
        return true;
    fprintf(stderr, "check: %s\n", msg);
    return false;
}

static inline size_t brk_bytes(const fixture *f) { return hb_osmem_stats_of(f->mem)->brk_bytes; }

/* Every call into the memory source that changed something. */
static inline uint64_t source_calls(const fixture *f)
{
    const hb_osmem_stats *st = hb_osmem_stats_of(f->mem);
    return st->grow_calls + st->map_calls + st->unmap_calls;
}

/* ---- edge requests ------------------------------------------------------ */

/* malloc(0) twice gives two distinct blocks, left in z[0] and z[1]; sizes
 * whose rounding would wrap past SIZE_MAX are refused, not turned into
 * small blocks. */
static inline void check_zero_and_huge(const fixture *f, void *z[2])
{
    z[0] = f->a->malloc(f->heap, 0);
    z[1] = f->a->malloc(f->heap, 0);
    CHECK(z[0] && z[1] && z[0] != z[1]);
    CHECK(f->a->malloc(f->heap, SIZE_MAX) == NULL);
    CHECK(f->a->malloc(f->heap, SIZE_MAX - 15) == NULL);
    CHECK(f->a->malloc(f->heap, PTRDIFF_MAX) == NULL);
    CHECK(f->a->calloc(f->heap, SIZE_MAX / 2, 3) == NULL);
    CHECK(f->a->aligned_alloc(f->heap, 64, SIZE_MAX - 15) == NULL);
}

/* Every way to ask for a huge block is refused, and a failed realloc of the
 * live block `a` leaves it alone. */
static inline void check_huge_refused(const fixture *f, void *a)
{
    const size_t huge[] = { SIZE_MAX, SIZE_MAX - 15, SIZE_MAX - 4095, (size_t)PTRDIFF_MAX,
                            (size_t)PTRDIFF_MAX + 1, (size_t)1 << 62 };
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        CHECK(f->a->malloc(f->heap, huge[i]) == NULL);
        CHECK(f->a->calloc(f->heap, 1, huge[i]) == NULL);
        CHECK(f->a->realloc(f->heap, a, huge[i]) == NULL);
        CHECK(f->a->aligned_alloc(f->heap, 64, huge[i]) == NULL);
    }
}

/* ---- random numbers -------------------------------------------------------- */

/* splitmix64: every seed, 0 included, gives a full-quality sequence. */
static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ---- shadow blocks ----------------------------------------------------------- */

/* A live block as the test sees it: p == NULL for an empty slot. */
typedef struct shadow {
    unsigned char *p;
    size_t size;       /* bytes requested */
    unsigned char tag; /* starts the block's fill pattern */
} shadow;

/* The pattern shifts with the offset, so a block copied or moved by the
 * wrong amount does not pass for intact. */
static inline unsigned char pattern(const shadow *s, size_t i)
{
    return (unsigned char)(s->tag + i * 7);
}

static inline void fill(shadow *s)
{
    for (size_t i = 0; i < s->size; i++)
        s->p[i] = pattern(s, i);
}

/* The first n bytes still hold the block's pattern. */
static inline bool intact(const shadow *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s->p[i] != pattern(s, i))
            return false;
    return true;
}

/* The bytes a block owns: what usable_size promises, at least one. */
static inline size_t span(const fixture *f, const shadow *s)
{
    size_t n = f->a->usable_size ? f->a->usable_size(f->heap, s->p) : s->size;
    return n ? n : 1;
}

static inline int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const shadow *)a)->p, y = (uintptr_t)((const shadow *)b)->p;
    return x < y ? -1 : x > y;
}

/* Sorted by address, each live block (empty slots skipped) must end before
 * the next starts. */
static inline bool disjoint(const fixture *f, const shadow *set, size_t n)
{
    shadow *v = malloc((n ? n : 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (set[i].p)
            v[k++] = set[i];
    qsort(v, k, sizeof *v, by_address);
    bool ok = true;
    for (size_t i = 1; i < k && ok; i++)
        ok = v[i - 1].p + span(f, &v[i - 1]) <= v[i].p;
    free(v);
    return ok;
}

/* Slot `self` shares no requested byte with any other live slot: the check
 * of one new block, O(n). */
static inline bool disjoint_from_all(const shadow *set, size_t n, size_t self)
{
    const unsigned char *p = set[self].p;
    size_t len = set[self].size ? set[self].size : 1;
    for (size_t i = 0; i < n; i++)
        if (i != self && set[i].p && p < set[i].p + (set[i].size ? set[i].size : 1) &&
            set[i].p < p + len)
            return false;
    return true;
}

/* A new block p of `size` bytes: aligned, inside memory the source handed
 * out, covered by usable_size. */
static inline void check_new_block(const fixture *f, const void *p, size_t size, size_t align)
{
    CHECK((uintptr_t)p % align == 0);
    CHECK(hb_osmem_contains(f->mem, p, size ? size : 1));
    if (f->a->usable_size)
        CHECK(f->a->usable_size(f->heap, (void *)p) >= size);
}

static inline bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* ---- request sizes ------------------------------------------------------------ */

/* Mostly small (below 300), an eighth medium (below 8192), a sixteenth
 * large: 1 .. `large` bytes. */
static inline size_t tiered_size(uint64_t *r, size_t large)
{
    uint64_t x = rng_next(r);
    switch (x % 16) {
    case 0:
        return (size_t)(x >> 8) % large + 1;
    case 1: case 2:
        return (size_t)(x >> 8) % 8192;
    default:
        return (size_t)(x >> 8) % 300;
    }
}

/* Sizes that probe an allocator's edges: a sixteenth each of 0 .. 2 bytes,
 * of [edge, edge + span) (a threshold or a boundary of the allocator's),
 * and of anything below `large`; an eighth below 4096; the rest 1 .. 256. */
static inline size_t edge_size(uint64_t *r, size_t edge, size_t span, size_t large)
{
    uint64_t x = rng_next(r);
    switch (x % 16) {
    case 0: return (size_t)(x >> 8) % 3;
    case 1: return edge + (size_t)(x >> 8) % span;
    case 2: return (size_t)(x >> 8) % large;
    case 3: case 4: return (size_t)(x >> 8) % 4096;
    default: return 1 + (size_t)(x >> 8) % 256;
    }
}

/* ---- the random model -------------------------------------------------------- */

/* One run: which operations, how often, on what sizes. */
typedef struct shadow_plan {
    uint64_t seed;
    size_t slots;                  /* live blocks at most                    */
    size_t ops;
    size_t check_every;            /* check() and the overlap test, in ops   */
    size_t (*size)(uint64_t *rng); /* request sizes, the allocator's edges   */
    unsigned realloc_pct;          /* on a live slot: realloc, else free     */
    unsigned calloc_pct;           /* on an empty slot: calloc ...           */
    unsigned aligned_pct;          /* ... or aligned_alloc, else malloc      */
    size_t align_max;              /* aligned_alloc asks 8 .. this (pow2)    */
    size_t align;                  /* what malloc and realloc promise        */
    bool may_fail;                 /* NULL is an answer (small heaps)        */
    bool check_each_new;           /* each new block against all live ones   */
} shadow_plan;

typedef struct shadow_run {
    const shadow_plan *plan;
    fixture f;
    shadow *set;
    uint64_t rng;
} shadow_run;

/* Slot i takes the new block p: it passes every check and gets its own
 * pattern.  A NULL p is a failure unless the plan allows it. */
static inline void shadow_adopt(shadow_run *r, size_t i, unsigned char *p, size_t size,
                                size_t align)
{
    if (!p) {
        CHECK(r->plan->may_fail);
        return;
    }
    check_new_block(&r->f, p, size, align);
    r->set[i] = (shadow){ p, size, (unsigned char)rng_next(&r->rng) };
    if (r->plan->check_each_new)
        CHECK(disjoint_from_all(r->set, r->plan->slots, i));
    fill(&r->set[i]);
}

/* realloc keeps the prefix; to 0 bytes it frees the block. */
static inline void shadow_resize(shadow_run *r, size_t i)
{
    shadow *s = &r->set[i];
    size_t size = r->plan->size(&r->rng);
    unsigned char *q = r->f.a->realloc(r->f.heap, s->p, size);
    if (size == 0) {
        CHECK(q == NULL);
        s->p = NULL;
        return;
    }
    if (!q) { /* a failed realloc leaves the block as it was */
        CHECK(r->plan->may_fail);
        return;
    }
    s->p = q;
    CHECK(intact(s, size < s->size ? size : s->size));
    shadow_adopt(r, i, q, size, r->plan->align);
}

static inline void shadow_allocate(shadow_run *r, size_t i)
{
    const shadow_plan *plan = r->plan;
    size_t size = plan->size(&r->rng);
    unsigned kind = (unsigned)(rng_next(&r->rng) % 100);
    if (kind < plan->calloc_pct) {
        unsigned char *p = r->f.a->calloc(r->f.heap, 1, size);
        if (p && !all_zero(p, size))
            CHECK(!"calloc memory is zero");
        shadow_adopt(r, i, p, size, plan->align);
    } else if (kind < plan->calloc_pct + plan->aligned_pct) {
        unsigned kinds = (unsigned)__builtin_ctzll(plan->align_max) - 2; /* 8 << 0 .. max */
        size_t align = (size_t)8 << (rng_next(&r->rng) % kinds);
        shadow_adopt(r, i, r->f.a->aligned_alloc(r->f.heap, align, size), size, align);
    } else {
        shadow_adopt(r, i, r->f.a->malloc(r->f.heap, size), size, plan->align);
    }
}

static inline void shadow_step(shadow_run *r)
{
    size_t i = (size_t)(rng_next(&r->rng) % r->plan->slots);
    shadow *s = &r->set[i];
    if (!s->p) {
        shadow_allocate(r, i);
        return;
    }
    CHECK(intact(s, s->size));
    if (rng_next(&r->rng) % 100 < r->plan->realloc_pct) {
        shadow_resize(r, i);
        return;
    }
    CHECK_EQ_U(r->f.a->free(r->f.heap, s->p), HB_FREE_OK);
    s->p = NULL;
}

/* Runs the plan on a heap of `lib` created with `options`.  The first
 * failed check ends the run, so one fault does not cascade. */
static inline void shadow_model(const shadow_plan *plan, const char *options)
{
    shadow_run r = { plan, { 0 }, NULL, plan->seed };
    REQUIRE(open_heap(&r.f, options));
    r.set = calloc(plan->slots, sizeof *r.set);
    REQUIRE(r.set);
    for (size_t op = 0; op < plan->ops && !check_test_failed_; op++) {
        shadow_step(&r);
        if (op % plan->check_every == 0) {
            CHECK(heap_ok(&r.f));
            CHECK(disjoint(&r.f, r.set, plan->slots));
        }
    }
    if (!check_test_failed_) {
        CHECK(heap_ok(&r.f));
        for (size_t i = 0; i < plan->slots; i++)
            if (r.set[i].p) {
                CHECK(intact(&r.set[i], r.set[i].size));
                CHECK_EQ_U(r.f.a->free(r.f.heap, r.set[i].p), HB_FREE_OK);
            }
        CHECK(heap_ok(&r.f));
        close_heap(&r.f);
    }
    free(r.set);
}

/* The plan of the general-purpose libraries (segfit, pagemeta, nova):
 * every method, half the live-slot operations reallocs, NULL allowed (their
 * small configurations run out), each new block checked at once against
 * all 400 live ones.  align: what malloc promises; align_max: the largest
 * alignment asked of aligned_alloc. */
static inline void every_method_model(const char *options, size_t ops, size_t (*size)(uint64_t *),
                                      size_t align, size_t align_max)
{
    const shadow_plan plan = { .seed = 88172645463325252ull, .slots = 400, .ops = ops,
                               .check_every = 1000, .size = size, .realloc_pct = 50,
                               .calloc_pct = 25, .aligned_pct = 25, .align_max = align_max,
                               .align = align, .may_fail = true, .check_each_new = true };
    shadow_model(&plan, options);
}

#endif /* HB_TEST_SHADOW_H */
