/*
 * pow2.so: power-of-two free lists against a shadow model, the O(1) paths
 * (no memory-source call while a list is non-empty, LIFO reuse, one run
 * per refill), edge sizes, free status codes and resizing.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "osmem/osmem.h"

#define PAGE 4096 /* the tests assume 4 KiB pages (checked in main) */

static const hb_allocator *lib(void)
{
    static const hb_allocator *a;
    if (!a) {
        void *dl = dlopen(HB_ALLOCATOR_DIR "/pow2.so", RTLD_NOW | RTLD_LOCAL);
        hb_allocator_entry entry = dl ? (hb_allocator_entry)dlsym(dl, HB_ALLOCATOR_SYMBOL) : NULL;
        if (!entry)
            fprintf(stderr, "test_pow2: cannot load pow2.so: %s\n", dlerror());
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

/* Mostly small, some bucket sizes of a page or two, a few large runs. */
static size_t random_size(uint64_t *r)
{
    uint64_t x = rng_next(r);
    switch (x % 16) {
    case 0:
        return (size_t)(x >> 8) % (12 * PAGE) + 1;
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

static void test_model(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    enum { NLIVE = 1000, OPS = 60000 };
    shadow *live = calloc(NLIVE, sizeof *live);
    uint64_t r = 3;
    for (size_t op = 0; op < OPS; op++) {
        shadow *s = &live[rng_next(&r) % NLIVE];
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
            REQUIRE(heap_ok(&f) && no_overlap(live, NLIVE));
    }
    for (size_t i = 0; i < NLIVE; i++)
        if (live[i].p)
            CHECK(intact(&live[i], live[i].size) && f.a->free(f.h, live[i].p) == HB_FREE_OK);
    CHECK(heap_ok(&f));
    free(live);
    fx_close(&f);
}

/* ---- the O(1) paths ------------------------------------------------------- */

/* A refill maps exactly one page and carves it into blocks of one size,
 * handed out in address order; the next refill comes only when the page
 * is used up. */
static void test_refill_carves_one_page(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    uint64_t calls = source_calls(&f);
    char *first = f.a->malloc(f.h, 50); /* the 64-byte list */
    REQUIRE(first && ((uintptr_t)first & (PAGE - 1)) == 0);
    uint64_t after_refill = source_calls(&f);
    CHECK(after_refill - calls >= 1 && after_refill - calls <= 2); /* the run (+ table) */
    for (size_t i = 1; i < PAGE / 64; i++)
        CHECK(f.a->malloc(f.h, 64) == first + i * 64);
    CHECK_EQ_U(source_calls(&f), after_refill);
    char *next = f.a->malloc(f.h, 33);
    CHECK(next && (next < first || next >= first + PAGE));
    CHECK_EQ_U(source_calls(&f), after_refill + 1);
    CHECK(heap_ok(&f));
    fx_close(&f);
}

/* While a list is non-empty, malloc and free touch no memory-source
 * method, and free/malloc of one size is LIFO: the block comes back. */
static void test_nonempty_list_paths_call_no_source(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    void *warm[9];
    for (unsigned c = 0; c < 9; c++) /* one run for each size 16 .. 4096 */
        warm[c] = f.a->malloc(f.h, (size_t)16 << c);
    uint64_t calls = source_calls(&f);
    uint64_t r = 11;
    for (int i = 0; i < 20000; i++) {
        unsigned c = (unsigned)(rng_next(&r) % 8);
        size_t size = ((size_t)16 << c) - rng_next(&r) % (8u << c);
        void *p = f.a->malloc(f.h, size);
        CHECK(f.a->free(f.h, p) == HB_FREE_OK);
        CHECK(f.a->malloc(f.h, size) == p);
        CHECK(f.a->free(f.h, p) == HB_FREE_OK);
    }
    CHECK(f.a->free(f.h, warm[8]) == HB_FREE_OK);
    CHECK(f.a->malloc(f.h, 4096) == warm[8]);
    CHECK_EQ_U(source_calls(&f), calls);
    CHECK(heap_ok(&f));
    fx_close(&f);
}

/* Every size class: usable size is the power of two, alignment holds. */
static void test_sizes_round_to_powers_of_two(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    CHECK_EQ_U(f.a->usable_size(f.h, f.a->malloc(f.h, 0)), 16);
    CHECK(f.a->malloc(f.h, 0) != f.a->malloc(f.h, 0));
    for (size_t size = 1; size <= 2 * PAGE; size += size / 7 + 1) {
        void *p = f.a->malloc(f.h, size);
        size_t want = 16;
        while (want < size)
            want *= 2;
        CHECK(p && f.a->usable_size(f.h, p) == want);
        CHECK((uintptr_t)p % (want < PAGE ? want : PAGE) == 0);
    }
    CHECK(heap_ok(&f));
    fx_close(&f);
}

/* Above two pages: a run of its own, given back on free. */
static void test_large_runs(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    const hb_osmem_stats *st = hb_osmem_stats_of(f.m);
    size_t maps = st->live_maps;
    char *p = f.a->malloc(f.h, 2 * PAGE + 1);
    REQUIRE(p);
    CHECK_EQ_U(f.a->usable_size(f.h, p), 3 * PAGE);
    CHECK(((uintptr_t)p & (PAGE - 1)) == 0);
    CHECK(hb_osmem_contains(f.m, p, 3 * PAGE));
    CHECK(f.a->free(f.h, p + PAGE) == HB_FREE_INVALID);
    CHECK(f.a->free(f.h, p) == HB_FREE_OK);
    CHECK(f.a->free(f.h, p) == HB_FREE_INVALID); /* the run and its descriptor are gone */
    CHECK_EQ_U(st->live_maps, maps + 1);         /* the descriptor table stays */
    CHECK(heap_ok(&f));
    fx_close(&f);
}

/* ---- edge sizes and status codes ----------------------------------------- */

static void test_edge_sizes(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    void *a = f.a->malloc(f.h, 10);
    const size_t huge[] = { SIZE_MAX, SIZE_MAX - 15, SIZE_MAX - 4095, (size_t)PTRDIFF_MAX,
                            (size_t)PTRDIFF_MAX + 1, (size_t)1 << 62 };
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        CHECK(f.a->malloc(f.h, huge[i]) == NULL);
        CHECK(f.a->calloc(f.h, 1, huge[i]) == NULL);
        CHECK(f.a->realloc(f.h, a, huge[i]) == NULL);
        CHECK(f.a->aligned_alloc(f.h, 64, huge[i]) == NULL);
    }
    CHECK_EQ_U(f.a->usable_size(f.h, a), 16); /* failed realloc left it alone */
    CHECK(f.a->calloc(f.h, SIZE_MAX / 2 + 1, 2) == NULL);
    CHECK(f.a->calloc(f.h, (size_t)1 << 32, (size_t)1 << 32) == NULL);
    CHECK(f.a->malloc(f.h, 2 * PAGE) != NULL); /* the largest bucket */
    CHECK(heap_ok(&f));
    fx_close(&f);
}

static void test_calloc_and_aligned(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    unsigned char *p = f.a->malloc(f.h, 100);
    memset(p, 0xEE, 100);
    f.a->free(f.h, p);
    unsigned char *q = f.a->calloc(f.h, 10, 10);
    REQUIRE(q == p);
    for (size_t i = 0; i < 100; i++)
        CHECK(q[i] == 0);
    for (size_t align = 8; align <= PAGE; align *= 2) {
        void *b = f.a->aligned_alloc(f.h, align, 24);
        CHECK(b && (uintptr_t)b % align == 0 && f.a->usable_size(f.h, b) >= 24);
    }
    CHECK(f.a->aligned_alloc(f.h, 2 * PAGE, 24) == NULL);
    CHECK(f.a->aligned_alloc(f.h, 48, 24) == NULL);
    fx_close(&f);
}

static void test_invalid_and_double_free(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    char *p = f.a->malloc(f.h, 100), *q = f.a->malloc(f.h, 100);
    int local;
    REQUIRE(p && q);
    uint64_t calls = source_calls(&f);
    CHECK(f.a->free(f.h, NULL) == HB_FREE_OK);
    CHECK(f.a->free(f.h, p + 16) == HB_FREE_INVALID); /* inside the block */
    CHECK(f.a->free(f.h, p + 1) == HB_FREE_INVALID);
    CHECK(f.a->free(f.h, &local) == HB_FREE_INVALID);
    CHECK(f.a->free(f.h, (char *)((uintptr_t)p & ~(uintptr_t)(PAGE - 1)) + 8 * PAGE) ==
          HB_FREE_INVALID); /* a page with no descriptor */
    CHECK(f.a->free(f.h, q) == HB_FREE_OK);
    CHECK(f.a->free(f.h, q) == HB_FREE_DOUBLE);
    CHECK(f.a->usable_size(f.h, q) == 0 && f.a->realloc(f.h, q, 10) == NULL);
    CHECK(f.a->malloc(f.h, 128) == q); /* the list holds q once */
    CHECK(f.a->malloc(f.h, 128) != q);
    CHECK_EQ_U(source_calls(&f), calls);
    CHECK(heap_ok(&f));
    fx_close(&f);
}

static void test_realloc(void)
{
    fx f;
    REQUIRE(fx_open(&f, NULL));
    char *p = f.a->malloc(f.h, 100);
    strcpy(p, "power of two");
    CHECK(f.a->realloc(f.h, p, 128) == p); /* same bucket */
    CHECK(f.a->realloc(f.h, p, 65) == p);
    char *bigger = f.a->realloc(f.h, p, 129);
    CHECK(bigger && bigger != p && !strcmp(bigger, "power of two"));
    CHECK_EQ_U(f.a->usable_size(f.h, bigger), 256);
    char *smaller = f.a->realloc(f.h, bigger, 20); /* a quarter: moves down */
    CHECK(smaller && !memcmp(smaller, "power of two", 20 < 13 ? 20 : 13));
    CHECK_EQ_U(f.a->usable_size(f.h, smaller), 32);
    char *large = f.a->realloc(f.h, smaller, 5 * PAGE);
    CHECK(large && !strcmp(large, "power of two"));
    CHECK(f.a->realloc(f.h, large, 4 * PAGE + 1) == large); /* same pages */
    CHECK(f.a->realloc(f.h, large, 0) == NULL);
    CHECK(heap_ok(&f));
    fx_close(&f);
}

static void test_options_and_destroy(void)
{
    fx f;
    CHECK(!fx_open(&f, "size=16"));
    CHECK_EQ_U(hb_osmem_stats_of(f.m)->cur_bytes, 0);
    fx_close(&f);
    REQUIRE(fx_open(&f, ""));
    for (int i = 0; i < 2000; i++)
        f.a->malloc(f.h, (size_t)i * 13);
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
    hb_osmem *m = hb_osmem_new(1 << 20, 0);
    bool page4k = m && hb_osmem_source(m)->page_size == PAGE;
    hb_osmem_free(m);
    if (!page4k) {
        fprintf(stderr, "test_pow2: these tests assume 4096-byte pages\n");
        return 1;
    }
    RUN(test_model);
    RUN(test_refill_carves_one_page);
    RUN(test_nonempty_list_paths_call_no_source);
    RUN(test_sizes_round_to_powers_of_two);
    RUN(test_large_runs);
    RUN(test_edge_sizes);
    RUN(test_calloc_and_aligned);
    RUN(test_invalid_and_double_free);
    RUN(test_realloc);
    RUN(test_options_and_destroy);
    return check_summary();
}
