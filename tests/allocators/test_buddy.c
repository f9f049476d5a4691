/*
 * buddy.so: the binary buddy system against a shadow model, its edge sizes
 * and free status codes, resizing in place, and merging back to whole
 * top-level blocks once everything is free.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "osmem/osmem.h"

#define TOP_SMALL 65536 /* top-level block of the "min=16,top=64k" heaps */

static const hb_allocator *lib(void)
{
    static const hb_allocator *a;
    if (!a) {
        void *dl = dlopen(HB_ALLOCATOR_DIR "/buddy.so", RTLD_NOW | RTLD_LOCAL);
        hb_allocator_entry entry = dl ? (hb_allocator_entry)dlsym(dl, HB_ALLOCATOR_SYMBOL) : NULL;
        if (!entry)
            fprintf(stderr, "test_buddy: cannot load buddy.so: %s\n", dlerror());
        a = entry ? entry() : NULL;
    }
    return a;
}

typedef struct fx {
    hb_osmem *m;
    const hb_allocator *a;
    void *h;
} fx;

static bool fx_open(fx *f, const char *options)
{
    f->a = lib();
    f->m = f->a ? hb_osmem_new(0, 0) : NULL;
    f->h = f->m ? f->a->create(hb_osmem_source(f->m), options) : NULL;
    return f->h != NULL;
}

static void fx_close(fx *f)
{
    if (f->h)
        f->a->destroy(f->h);
    if (f->m)
        hb_osmem_free(f->m);
}

static bool heap_ok(const fx *f)
{
    char msg[200];
    if (f->a->check(f->h, msg, sizeof msg) == 0)
        return true;
    fprintf(stderr, "check: %s\n", msg);
    return false;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t source_calls(const fx *f)
{
    const hb_osmem_stats *st = hb_osmem_stats_of(f->m);
    return st->grow_calls + st->map_calls + st->unmap_calls;
}

/* ---- the shadow model ----------------------------------------------------- */

typedef struct shadow {
    unsigned char *p;
    size_t size;
    unsigned char tag;
} shadow;

static void fill(shadow *s)
{
    for (size_t i = 0; i < s->size; i++)
        s->p[i] = (unsigned char)(s->tag + i * 7);
}

static bool intact(const shadow *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s->p[i] != (unsigned char)(s->tag + i * 7))
            return false;
    return true;
}

/* Mostly small, some medium, a few above the top-level size. */
static size_t random_size(uint64_t *r)
{
    uint64_t x = rng_next(r);
    switch (x % 16) {
    case 0:
        return (size_t)(x >> 8) % (3 * TOP_SMALL) + 1;
    case 1: case 2:
        return (size_t)(x >> 8) % 8192;
    default:
        return (size_t)(x >> 8) % 300;
    }
}

static int by_addr(const void *a, const void *b)
{
    const shadow *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

/* Sorted by address, each live block must end before the next starts. */
static bool no_overlap(const shadow *live, size_t n)
{
    shadow *v = malloc(n * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (live[i].p)
            v[k++] = live[i];
    qsort(v, k, sizeof *v, by_addr);
    bool ok = true;
    for (size_t i = 1; i < k && ok; i++)
        ok = v[i - 1].p + v[i - 1].size <= v[i].p;
    free(v);
    return ok;
}

static bool place(const fx *f, shadow *s, size_t size, uint64_t *r)
{
    s->size = size;
    s->tag = (unsigned char)rng_next(r);
    fill(s);
    return ((uintptr_t)s->p & 15) == 0 && hb_osmem_contains(f->m, s->p, size) &&
           f->a->usable_size(f->h, s->p) >= size;
}

static void model_run(const char *options, uint64_t seed, size_t nlive, size_t ops)
{
    fx f;
    REQUIRE(fx_open(&f, options));
    shadow *live = calloc(nlive, sizeof *live);
    uint64_t r = seed;
    for (size_t op = 0; op < ops; op++) {
        shadow *s = &live[rng_next(&r) % nlive];
        size_t size = random_size(&r);
        if (!s->p) {
            s->p = f.a->malloc(f.h, size);
            REQUIRE(s->p && place(&f, s, size, &r));
        } else if (rng_next(&r) % 3) {
            REQUIRE(intact(s, s->size));
            REQUIRE(f.a->free(f.h, s->p) == HB_FREE_OK);
            s->p = NULL;
        } else {
            REQUIRE(intact(s, s->size));
            unsigned char *q = f.a->realloc(f.h, s->p, size + 1);
            REQUIRE(q);
            s->p = q;
            REQUIRE(intact(s, s->size < size + 1 ? s->size : size + 1));
            REQUIRE(place(&f, s, size + 1, &r));
        }
        if (op % 4096 == 0)
            REQUIRE(heap_ok(&f) && no_overlap(live, nlive));
    }
    for (size_t i = 0; i < nlive; i++)
        if (live[i].p)
            CHECK(intact(&live[i], live[i].size) && f.a->free(f.h, live[i].p) == HB_FREE_OK);
    CHECK(heap_ok(&f));
    free(live);
    fx_close(&f);
}

static void test_model_default(void) { model_run(NULL, 1, 1500, 60000); }
static void test_model_small_top(void) { model_run("min=16,top=64k", 2, 1500, 60000); }

/* ---- merging ---------------------------------------------------------------- */

/* After every block is freed, in any order, each arena is one free top-level
 * block again: a top-size request is served without the memory source. */
static void test_merges_back_to_top_blocks(void)
{
    fx f;
    REQUIRE(fx_open(&f, "min=16,top=64k"));
    enum { N = 6000 };
    void **p = calloc(N, sizeof *p);
    uint64_t r = 7;
    for (size_t i = 0; i < N; i++)
        REQUIRE((p[i] = f.a->malloc(f.h, rng_next(&r) % 700)));
    for (size_t i = N; i > 1; i--) { /* shuffle, then free in that order */
        size_t j = rng_next(&r) % i;
        void *t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
    for (size_t i = 0; i < N; i++)
        REQUIRE(f.a->free(f.h, p[i]) == HB_FREE_OK);
    CHECK(heap_ok(&f));
    /* An arena is a one-page order table and the top-level block. */
    size_t arenas = hb_osmem_stats_of(f.m)->brk_bytes / (TOP_SMALL + 4096);
    CHECK(arenas > 4);
    uint64_t calls = source_calls(&f);
    for (size_t i = 0; i < arenas; i++) {
        void *q = f.a->malloc(f.h, TOP_SMALL);
        CHECK(q && hb_osmem_contains(f.m, q, TOP_SMALL));
    }
    CHECK_EQ_U(source_calls(&f), calls);
    CHECK(f.a->malloc(f.h, 16) != NULL); /* every arena is taken: grows now */
    CHECK_EQ_U(source_calls(&f), calls + 1);
    free(p);
    fx_close(&f);
}

/* One block of every order, freed smallest first, merges all the way up. */
static void test_merge_chain(void)
{
    fx f;
    REQUIRE(fx_open(&f, "min=16,top=64k"));
    void *first = f.a->malloc(f.h, 16), *q[12];
    for (unsigned k = 0; k < 12; k++)
        q[k] = f.a->malloc(f.h, (size_t)16 << k);
    for (unsigned k = 0; k < 12; k++)
        CHECK(f.a->free(f.h, q[k]) == HB_FREE_OK);
    CHECK(f.a->free(f.h, first) == HB_FREE_OK);
    CHECK(heap_ok(&f));
    CHECK(f.a->malloc(f.h, TOP_SMALL) == first);
    fx_close(&f);
}

/* ---- edge sizes ---------------------------------------------------------- */

static void test_edge_sizes(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    void *a = f.a->malloc(f.h, 0), *b = f.a->malloc(f.h, 0);
    CHECK(a && b && a != b);
    CHECK_EQ_U(f.a->usable_size(f.h, a), 32);
    CHECK_EQ_U(f.a->usable_size(f.h, f.a->malloc(f.h, 33)), 64);
    CHECK_EQ_U(f.a->usable_size(f.h, f.a->malloc(f.h, 1 << 20)), 1 << 20);
    void *big = f.a->malloc(f.h, (1 << 20) + 1);
    CHECK(big && f.a->usable_size(f.h, big) == (1 << 20) + 4096);
    const size_t huge[] = { SIZE_MAX, SIZE_MAX - 15, SIZE_MAX - 4095, (size_t)PTRDIFF_MAX,
                            (size_t)PTRDIFF_MAX + 1, (size_t)1 << 62 };
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        CHECK(f.a->malloc(f.h, huge[i]) == NULL);
        CHECK(f.a->calloc(f.h, 1, huge[i]) == NULL);
        CHECK(f.a->realloc(f.h, a, huge[i]) == NULL);
        CHECK(f.a->aligned_alloc(f.h, 64, huge[i]) == NULL);
    }
    CHECK(f.a->usable_size(f.h, a) == 32); /* failed realloc left it alone */
    CHECK(f.a->calloc(f.h, SIZE_MAX / 2 + 1, 2) == NULL);
    CHECK(f.a->calloc(f.h, (size_t)1 << 32, (size_t)1 << 32) == NULL);
    CHECK(heap_ok(&f));
    fx_close(&f);
}

static void test_calloc_zeroes_reused_block(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    unsigned char *p = f.a->malloc(f.h, 200);
    memset(p, 0xEE, 200);
    f.a->free(f.h, p);
    unsigned char *q = f.a->calloc(f.h, 25, 8);
    REQUIRE(q == p);
    for (size_t i = 0; i < 200; i++)
        CHECK(q[i] == 0);
    fx_close(&f);
}

static void test_aligned_alloc(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    for (size_t align = 8; align <= 4096; align *= 2) {
        void *p = f.a->aligned_alloc(f.h, align, 24);
        CHECK(p && (uintptr_t)p % align == 0 && f.a->usable_size(f.h, p) >= 24);
        f.a->malloc(f.h, 48); /* disturb the next fit */
    }
    CHECK(f.a->aligned_alloc(f.h, 8192, 24) == NULL); /* above the page: refused */
    CHECK(f.a->aligned_alloc(f.h, 24, 24) == NULL);
    CHECK(f.a->aligned_alloc(f.h, 4, 24) == NULL);
    CHECK(heap_ok(&f));
    fx_close(&f);
}

/* ---- free status codes ----------------------------------------------------- */

static void test_invalid_and_double_free(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    char *p = f.a->malloc(f.h, 100), *q = f.a->malloc(f.h, 100);
    char *big = f.a->malloc(f.h, 3 << 20);
    int local;
    REQUIRE(p && q && big);
    uint64_t calls = source_calls(&f);
    CHECK(f.a->free(f.h, NULL) == HB_FREE_OK);
    CHECK(f.a->free(f.h, p + 32) == HB_FREE_INVALID); /* inside the block */
    CHECK(f.a->free(f.h, p + 1) == HB_FREE_INVALID);  /* misaligned */
    CHECK(f.a->free(f.h, p - 64) == HB_FREE_INVALID); /* the order table */
    CHECK(f.a->free(f.h, &local) == HB_FREE_INVALID);
    CHECK(f.a->free(f.h, big + 4096) == HB_FREE_INVALID);
    CHECK(f.a->free(f.h, q) == HB_FREE_OK);
    CHECK(f.a->free(f.h, q) == HB_FREE_DOUBLE);
    CHECK(f.a->free(f.h, q + 64) == HB_FREE_INVALID); /* inside a free block */
    CHECK_EQ_U(source_calls(&f), calls);
    CHECK(heap_ok(&f));
    CHECK(f.a->usable_size(f.h, q) == 0 && f.a->realloc(f.h, q, 10) == NULL);
    CHECK(f.a->free(f.h, p) == HB_FREE_OK);
    CHECK(f.a->free(f.h, big) == HB_FREE_OK);
    CHECK(f.a->free(f.h, big) == HB_FREE_INVALID); /* its mapping is gone */
    CHECK(heap_ok(&f));
    fx_close(&f);
}

/* ---- realloc in place ------------------------------------------------------ */

static void test_realloc_in_place(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    char *p = f.a->malloc(f.h, 100);
    memcpy(p, "buddy", 6);
    CHECK(f.a->realloc(f.h, p, 1000) == p); /* upper buddies are free */
    CHECK_EQ_U(f.a->usable_size(f.h, p), 1024);
    CHECK(f.a->realloc(f.h, p, 40) == p);
    CHECK_EQ_U(f.a->usable_size(f.h, p), 64);
    char *blocker = f.a->malloc(f.h, 64); /* takes p's buddy */
    CHECK(blocker == p + 64);
    char *moved = f.a->realloc(f.h, p, 128);
    CHECK(moved && moved != p && !strcmp(moved, "buddy"));
    CHECK(heap_ok(&f));
    fx_close(&f);
}

static void test_options(void)
{
    fx f;
    CHECK(fx_open(&f, "min=16,top=64k"));
    fx_close(&f);
    CHECK(fx_open(&f, ""));
    fx_close(&f);
    const char *bad[] = { "bogus=1", "min=24", "min=8", "top=16", "top=2g", "min=1m,top=64k",
                          "min", "min=16,top", "top=1k", "min=32x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool opened = fx_open(&f, bad[i]);
        if (opened)
            fprintf(stderr, "accepted options \"%s\"\n", bad[i]);
        CHECK(!opened);
        if (!opened)
            CHECK_EQ_U(hb_osmem_stats_of(f.m)->cur_bytes, 0); /* nothing taken */
        fx_close(&f);
    }
}

/* Everything the heap obtained goes back, its own struct included. */
static void test_destroy_returns_everything(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    for (int i = 0; i < 1000; i++)
        f.a->malloc(f.h, (size_t)i * 40);
    f.a->malloc(f.h, 5 << 20);
    f.a->destroy(f.h);
    f.h = NULL;
    CHECK_EQ_U(hb_osmem_stats_of(f.m)->cur_bytes, 0);
    CHECK_EQ_U(hb_osmem_stats_of(f.m)->live_maps, 0);
    fx_close(&f);
}

int main(void)
{
    if (!lib())
        return 1;
    RUN(test_model_default);
    RUN(test_model_small_top);
    RUN(test_merges_back_to_top_blocks);
    RUN(test_merge_chain);
    RUN(test_edge_sizes);
    RUN(test_calloc_zeroes_reused_block);
    RUN(test_aligned_alloc);
    RUN(test_invalid_and_double_free);
    RUN(test_realloc_in_place);
    RUN(test_options);
    RUN(test_destroy_returns_everything);
    return check_summary();
}
