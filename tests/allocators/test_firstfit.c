/*
 * firstfit: the watermark allocator's own promises -- first fit over an
 * address-ordered free list, O(1) merging through boundary tags, growth of
 * a free top block, in-place realloc, trimming, and free() status codes --
 * plus a shadow-model run under each option set.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "osmem/osmem.h"

static const hb_allocator *lib;

typedef struct fixture {
    hb_osmem *mem;
    void *heap;
} fixture;

static const hb_allocator *open_lib(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.so", HB_ALLOCATOR_DIR, name);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "%s\n", dlerror());
        return NULL;
    }
    hb_allocator_entry entry = (hb_allocator_entry)dlsym(h, HB_ALLOCATOR_SYMBOL);
    return entry ? entry() : NULL;
}

static fixture setup(const char *options, size_t limit)
{
    fixture f = { hb_osmem_new((size_t)1 << 32, limit), NULL };
    if (f.mem)
        f.heap = lib->create(hb_osmem_source(f.mem), options);
    return f;
}

/* destroy() must give every byte back. */
static void teardown(fixture *f)
{
    if (f->heap)
        lib->destroy(f->heap);
    if (f->mem)
        CHECK_EQ_U(hb_osmem_stats_of(f->mem)->brk_bytes, 0);
    hb_osmem_free(f->mem);
}

static int heap_ok(fixture *f)
{
    char msg[256];
    int rc = lib->check(f->heap, msg, sizeof msg);
    if (rc)
        fprintf(stderr, "check: %s\n", msg);
    return rc == 0;
}

static size_t brk_bytes(fixture *f) { return hb_osmem_stats_of(f->mem)->brk_bytes; }

/* ---- the random shadow model ----------------------------------------- */

typedef struct live {
    unsigned char *p;
    size_t size;
    unsigned char fill;
} live;

static uint64_t rng = 42;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t rnd_size(void)
{
    uint64_t r = rnd() % 100;
    return r < 70 ? rnd() % 200 : r < 97 ? rnd() % 5000 : rnd() % 200000;
}

static int intact(const live *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b->p[i] != b->fill)
            return 0;
    return 1;
}

static int by_address(const void *a, const void *b)
{
    const live *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

static int disjoint(const live *slots, size_t n)
{
    live *s = malloc(n * sizeof *s);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (slots[i].p)
            s[k++] = slots[i];
    qsort(s, k, sizeof *s, by_address);
    int ok = 1;
    for (size_t i = 1; i < k; i++)
        ok &= s[i - 1].p + s[i - 1].size <= s[i].p;
    free(s);
    return ok;
}

/* A fresh block: aligned, inside the source's memory, usable_size covers it. */
static void adopt(fixture *f, live *b, void *p, size_t size)
{
    CHECK(((uintptr_t)p & 15) == 0);
    CHECK(hb_osmem_contains(f->mem, p, size ? size : 1));
    CHECK(lib->usable_size(f->heap, p) >= size);
    b->p = p;
    b->size = size;
    b->fill = (unsigned char)(rnd() | 1);
    memset(p, b->fill, size);
}

static void model_run(const char *options, int ops)
{
    enum { SLOTS = 1500 };
    fixture f = setup(options, 0);
    REQUIRE(f.heap != NULL);
    live *slots = calloc(SLOTS, sizeof *slots);
    for (int i = 0; i < ops; i++) {
        live *b = &slots[rnd() % SLOTS];
        size_t size = rnd_size();
        if (!b->p) {
            void *p = lib->malloc(f.heap, size);
            REQUIRE(p != NULL);
            adopt(&f, b, p, size);
        } else if (rnd() % 4 == 0) {
            size_t keep = size < b->size ? size : b->size;
            unsigned char *p = lib->realloc(f.heap, b->p, size ? size : 1);
            REQUIRE(p != NULL);
            b->p = p;
            CHECK(intact(b, keep));
            adopt(&f, b, p, size ? size : 1);
        } else {
            CHECK(intact(b, b->size));
            CHECK_EQ_U(lib->free(f.heap, b->p), HB_FREE_OK);
            b->p = NULL;
        }
        if (i % 997 == 0) {
            CHECK(heap_ok(&f));
            CHECK(disjoint(slots, SLOTS));
        }
    }
    CHECK(heap_ok(&f));
    for (size_t i = 0; i < SLOTS; i++)
        if (slots[i].p)
            CHECK_EQ_U(lib->free(f.heap, slots[i].p), HB_FREE_OK);
    CHECK(heap_ok(&f));
    free(slots);
    teardown(&f);
}

static void test_model_address_order(void) { model_run(NULL, 60000); }
static void test_model_lifo(void) { model_run("order=lifo", 60000); }
static void test_model_exact_growth_eager_trim(void) { model_run("grow=16,trim=64", 30000); }

/* ---- the contract ----------------------------------------------------- */

static void test_method_table_complete(void)
{
    CHECK_EQ_U(lib->struct_size, sizeof(hb_allocator));
    CHECK_EQ_U(lib->abi_version, HB_ALLOCATOR_ABI);
    CHECK(strcmp(lib->name, "firstfit") == 0);
    CHECK(lib->create && lib->destroy && lib->malloc && lib->free && lib->realloc &&
          lib->calloc && lib->aligned_alloc && lib->usable_size && lib->check);
}

static void test_options(void)
{
    const char *bad[] = { "nope=1", "grow=3", "grow=8", "grow=2g", "trim=x", "order=fifo",
                          "grow", "trim=1t" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fixture f = setup(bad[i], 0);
        CHECK(f.heap == NULL);
        CHECK_EQ_U(brk_bytes(&f), 0); /* a refused create keeps nothing */
        teardown(&f);
    }
    fixture f = setup("grow=64k,trim=0,order=address", 0);
    REQUIRE(f.heap != NULL);
    CHECK(lib->malloc(f.heap, 10) != NULL);
    CHECK(brk_bytes(&f) >= 65536);
    teardown(&f);
}

static void test_instance_lives_in_the_source(void)
{
    fixture f = setup(NULL, 0);
    REQUIRE(f.heap != NULL);
    CHECK(hb_osmem_contains(f.mem, f.heap, 64));
    CHECK(brk_bytes(&f) > 0);
    CHECK(heap_ok(&f));
    teardown(&f);
}

static void test_edge_sizes(void)
{
    fixture f = setup(NULL, 0);
    REQUIRE(f.heap != NULL);
    void *a = lib->malloc(f.heap, 0), *b = lib->malloc(f.heap, 0);
    CHECK(a && b && a != b);
    CHECK(lib->usable_size(f.heap, a) >= 16); /* a minimum block: room for the links */
    CHECK(lib->malloc(f.heap, SIZE_MAX) == NULL);
    CHECK(lib->malloc(f.heap, SIZE_MAX - 15) == NULL);
    CHECK(lib->malloc(f.heap, PTRDIFF_MAX) == NULL);
    CHECK(lib->calloc(f.heap, SIZE_MAX / 2, 3) == NULL);
    CHECK(lib->calloc(f.heap, 2, SIZE_MAX - 15) == NULL);
    CHECK(lib->realloc(f.heap, a, SIZE_MAX) == NULL);
    CHECK(lib->aligned_alloc(f.heap, 64, SIZE_MAX - 15) == NULL);
    CHECK(lib->aligned_alloc(f.heap, (size_t)1 << 62, 16) == NULL);
    CHECK(lib->aligned_alloc(f.heap, 24, 16) == NULL); /* not a power of two */
    CHECK(heap_ok(&f));
    CHECK_EQ_U(lib->free(f.heap, a), HB_FREE_OK);
    CHECK_EQ_U(lib->free(f.heap, b), HB_FREE_OK);
    CHECK(heap_ok(&f));
    teardown(&f);
}

static void test_free_status_codes(void)
{
    fixture f = setup(NULL, 0);
    REQUIRE(f.heap != NULL);
    char *a = lib->malloc(f.heap, 100), *b = lib->malloc(f.heap, 100);
    char *c = lib->malloc(f.heap, 100);
    int on_stack;
    memset(b, 0, 100);
    size_t before = brk_bytes(&f);
    CHECK_EQ_U(lib->free(f.heap, NULL), HB_FREE_OK);
    CHECK_EQ_U(lib->free(f.heap, &on_stack), HB_FREE_INVALID);
    CHECK_EQ_U(lib->free(f.heap, a + 1), HB_FREE_INVALID);
    CHECK_EQ_U(lib->free(f.heap, a + 16), HB_FREE_INVALID);
    CHECK_EQ_U(lib->free(f.heap, b + 32), HB_FREE_INVALID); /* zeroed user data */
    CHECK_EQ_U(lib->free(f.heap, f.heap), HB_FREE_INVALID);
    CHECK_EQ_U(lib->free(f.heap, (char *)f.heap + (1 << 20)), HB_FREE_INVALID);
    CHECK_EQ_U(lib->free(f.heap, a), HB_FREE_OK);
    CHECK_EQ_U(lib->free(f.heap, a), HB_FREE_DOUBLE);
    CHECK_EQ_U(lib->free(f.heap, b), HB_FREE_OK); /* merges into a */
    CHECK_EQ_U(lib->free(f.heap, b), HB_FREE_DOUBLE);
    CHECK_EQ_U(lib->free(f.heap, a), HB_FREE_DOUBLE);
    CHECK_EQ_U(brk_bytes(&f), before);
    CHECK(heap_ok(&f));
    CHECK_EQ_U(lib->usable_size(f.heap, a), 0);
    CHECK(lib->realloc(f.heap, a, 10) == NULL); /* a freed block is not resized */
    CHECK_EQ_U(lib->free(f.heap, c), HB_FREE_OK);
    CHECK(heap_ok(&f));
    teardown(&f);
}

/* A pointer from one heap is foreign to another. */
static void test_instances_are_independent(void)
{
    fixture f = setup(NULL, 0), g = setup(NULL, 0);
    REQUIRE(f.heap && g.heap);
    void *p = lib->malloc(f.heap, 64);
    CHECK_EQ_U(lib->free(g.heap, p), HB_FREE_INVALID);
    CHECK_EQ_U(lib->free(f.heap, p), HB_FREE_OK);
    teardown(&f);
    teardown(&g);
}

/* ---- the algorithm ---------------------------------------------------- */

/* Three neighbours freed in any order become one block that a request for
 * their combined payload fills exactly in place. */
static void test_coalescing_any_order(void)
{
    static const int orders[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
                                      { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
    for (int o = 0; o < 6; o++) {
        fixture f = setup("trim=0", 0);
        REQUIRE(f.heap != NULL);
        char *lo = lib->malloc(f.heap, 100), *p[3];
        for (int i = 0; i < 3; i++)
            p[i] = lib->malloc(f.heap, 100); /* 128-byte blocks */
        char *guard = lib->malloc(f.heap, 100);
        CHECK(p[1] == p[0] + 128 && p[2] == p[1] + 128);
        for (int i = 0; i < 3; i++) {
            CHECK_EQ_U(lib->free(f.heap, p[orders[o][i]]), HB_FREE_OK);
            CHECK(heap_ok(&f));
        }
        CHECK(lib->malloc(f.heap, 3 * 128 - 16) == p[0]);
        CHECK(heap_ok(&f));
        (void)lo;
        (void)guard;
        teardown(&f);
    }
}

/* Holes A (lowest), B, C: address order takes the lowest that fits, LIFO
 * the most recently freed. */
static void hole_run(const char *options, int expect_hole)
{
    fixture f = setup(options, 0);
    REQUIRE(f.heap != NULL);
    size_t sizes[3] = { 200, 100, 300 };
    char *hole[3];
    for (int i = 0; i < 3; i++) {
        hole[i] = lib->malloc(f.heap, sizes[i]);
        lib->malloc(f.heap, 16); /* keeps the holes apart */
    }
    lib->free(f.heap, hole[0]);
    lib->free(f.heap, hole[2]);
    lib->free(f.heap, hole[1]);
    CHECK(lib->malloc(f.heap, 90) == hole[expect_hole]);
    CHECK(lib->malloc(f.heap, 250) == hole[2]); /* only C still fits */
    CHECK(heap_ok(&f));
    teardown(&f);
}

static void test_first_fit_takes_lowest_address(void) { hole_run(NULL, 0); }
static void test_lifo_takes_latest_freed(void) { hole_run("order=lifo", 1); }

/* With exact growth and no trim, a free top block is extended, not left
 * behind: the next large request starts where it did. */
static void test_free_top_block_is_extended(void)
{
    fixture f = setup("grow=16,trim=0", 0);
    REQUIRE(f.heap != NULL);
    lib->malloc(f.heap, 1000);
    char *top = lib->malloc(f.heap, 2000);
    size_t before = brk_bytes(&f);
    lib->free(f.heap, top);
    CHECK(lib->malloc(f.heap, 3000) == top);
    CHECK_EQ_U(brk_bytes(&f), before + 1008); /* (3000+16) - (2000+16) */
    CHECK(heap_ok(&f));
    teardown(&f);
}

static void test_trim_gives_top_back(void)
{
    fixture f = setup("trim=64k", 0);
    REQUIRE(f.heap != NULL);
    void *keep = lib->malloc(f.heap, 100);
    size_t base = brk_bytes(&f);
    void *big = lib->malloc(f.heap, 1 << 20);
    CHECK(brk_bytes(&f) >= base + (1 << 20));
    lib->free(f.heap, big);
    CHECK(brk_bytes(&f) <= base);
    CHECK(heap_ok(&f));
    CHECK(lib->malloc(f.heap, 1 << 20) == big); /* the watermark rises again */
    lib->free(f.heap, keep);
    teardown(&f);
}

static void test_realloc_in_place(void)
{
    fixture f = setup("trim=0", 0);
    REQUIRE(f.heap != NULL);
    char *p = lib->malloc(f.heap, 100), *q = lib->malloc(f.heap, 300);
    lib->malloc(f.heap, 16);
    memset(p, 0x5A, 100);
    lib->free(f.heap, q);
    CHECK(lib->realloc(f.heap, p, 380) == p); /* takes the free neighbour */
    CHECK(p[0] == 0x5A && p[99] == 0x5A);
    CHECK(lib->realloc(f.heap, p, 40) == p); /* shrinks, frees the tail */
    CHECK(heap_ok(&f));
    CHECK(lib->malloc(f.heap, 300) == p + 64); /* the tail merged with what followed */
    char *top = lib->malloc(f.heap, 1000);
    memset(top, 0x77, 1000);
    CHECK(lib->realloc(f.heap, top, 100000) == top); /* the watermark moves */
    CHECK(top[999] == 0x77);
    char *moved = lib->realloc(f.heap, p, 5000); /* no room: moves, keeps the data */
    CHECK(moved != p && moved[0] == 0x5A && moved[39] == 0x5A);
    CHECK_EQ_U(lib->free(f.heap, p), HB_FREE_DOUBLE);
    CHECK(lib->realloc(f.heap, moved, 0) == NULL);
    CHECK_EQ_U(lib->free(f.heap, moved), HB_FREE_DOUBLE);
    CHECK(heap_ok(&f));
    teardown(&f);
}

static void test_calloc_and_aligned_alloc(void)
{
    fixture f = setup(NULL, 0);
    REQUIRE(f.heap != NULL);
    unsigned char *p = lib->malloc(f.heap, 4000);
    memset(p, 0xFF, 4000);
    lib->free(f.heap, p);
    unsigned char *z = lib->calloc(f.heap, 1000, 4);
    REQUIRE(z != NULL);
    int zero = 1;
    for (int i = 0; i < 4000; i++)
        zero &= z[i] == 0;
    CHECK(zero);
    for (size_t align = 8; align <= 65536; align *= 2) {
        void *a = lib->aligned_alloc(f.heap, align, align * 3 + 5);
        REQUIRE(a != NULL);
        CHECK(((uintptr_t)a & (align - 1)) == 0);
        CHECK(lib->usable_size(f.heap, a) >= align * 3 + 5);
        memset(a, 1, align * 3 + 5);
        CHECK(heap_ok(&f));
        if (align % 64 == 0)
            CHECK_EQ_U(lib->free(f.heap, a), HB_FREE_OK);
    }
    CHECK(heap_ok(&f));
    teardown(&f);
}

/* A source that runs dry gives NULL, not a crash; the heap stays usable. */
static void test_source_limit(void)
{
    fixture f = setup(NULL, 1 << 20);
    REQUIRE(f.heap != NULL);
    void *p[400];
    int n = 0;
    while (n < 400 && (p[n] = lib->malloc(f.heap, 10000)))
        n++;
    CHECK(n > 50 && n < 400);
    CHECK(heap_ok(&f));
    for (int i = 0; i < n; i += 2)
        lib->free(f.heap, p[i]);
    CHECK(lib->malloc(f.heap, 9000) == p[0]);
    CHECK(heap_ok(&f));
    teardown(&f);
}

static void test_check_reports_damage(void)
{
    fixture f = setup(NULL, 0);
    REQUIRE(f.heap != NULL);
    char *p = lib->malloc(f.heap, 64);
    lib->malloc(f.heap, 64);
    char msg[256] = "";
    p[-12] ^= 0x40; /* a size bit of p's header */
    CHECK(lib->check(f.heap, msg, sizeof msg) != 0);
    CHECK_STR_CONTAINS(msg, "seal");
    CHECK_EQ_U(lib->free(f.heap, p), HB_FREE_INVALID);
    p[-12] ^= 0x40;
    CHECK(heap_ok(&f));
    teardown(&f);
}

/* A free list link pointing into the middle of a block, or backwards, is
 * caught. */
static void test_check_reports_list_damage(void)
{
    fixture f = setup(NULL, 0);
    REQUIRE(f.heap != NULL);
    char *p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = lib->malloc(f.heap, 64);
        lib->malloc(f.heap, 16);
    }
    for (int i = 0; i < 4; i++)
        lib->free(f.heap, p[i]);
    CHECK(heap_ok(&f));
    void **next = (void **)p[1];
    void *saved = *next;
    char msg[256] = "";
    *next = p[1] + 32;
    CHECK(lib->check(f.heap, msg, sizeof msg) != 0);
    CHECK_STR_CONTAINS(msg, "free list");
    *next = p[0];
    CHECK(lib->check(f.heap, msg, sizeof msg) != 0);
    CHECK_STR_CONTAINS(msg, "free list");
    *next = saved;
    CHECK(heap_ok(&f));
    teardown(&f);
}

int main(void)
{
    lib = open_lib("firstfit");
    if (!lib)
        return 1;
    RUN(test_method_table_complete);
    RUN(test_options);
    RUN(test_instance_lives_in_the_source);
    RUN(test_edge_sizes);
    RUN(test_free_status_codes);
    RUN(test_instances_are_independent);
    RUN(test_coalescing_any_order);
    RUN(test_first_fit_takes_lowest_address);
    RUN(test_lifo_takes_latest_freed);
    RUN(test_free_top_block_is_extended);
    RUN(test_trim_gives_top_back);
    RUN(test_realloc_in_place);
    RUN(test_calloc_and_aligned_alloc);
    RUN(test_source_limit);
    RUN(test_check_reports_damage);
    RUN(test_check_reports_list_damage);
    RUN(test_model_address_order);
    RUN(test_model_lifo);
    RUN(test_model_exact_growth_eager_trim);
    return check_summary();
}
