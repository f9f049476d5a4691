/*
 * What firstfit and bestfit promise alike, since both are the watermark heap
 * of allocators/kit/watermark_heap.h and differ only in their
 * free-block index: the contract, the instance inside its own memory, edge
 * sizes, free() status codes, merging through boundary tags, growth of a
 * free top block, trimming, in-place realloc, calloc and aligned_alloc, a
 * source that runs dry, seal damage caught by check() -- and the shadow
 * model with the request sizes of a general-purpose heap.  Each test file
 * runs these against its own library (lib) besides its index's own tests.
 */
#ifndef HB_TEST_WATERMARK_TESTS_H
#define HB_TEST_WATERMARK_TESTS_H

#include "shadow.h"

/* ---- the shadow model ------------------------------------------------- */

/* 70% below 200 bytes, 27% below 5000, 3% up to 200000. */
static inline size_t watermark_size(uint64_t *r)
{
    uint64_t x = rng_next(r) % 100;
    return x < 70 ? rng_next(r) % 200 : x < 97 ? rng_next(r) % 5000 : rng_next(r) % 200000;
}

static inline void watermark_model(const char *options, size_t slots, size_t ops,
                                   size_t check_every)
{
    const shadow_plan plan = { .seed = 42, .slots = slots, .ops = ops,
                               .check_every = check_every, .size = watermark_size,
                               .realloc_pct = 25, .align = 16 };
    shadow_model(&plan, options);
}

/* ---- the contract ----------------------------------------------------- */

static inline void check_method_table(const char *name)
{
    CHECK_EQ_U(lib->struct_size, sizeof(hb_allocator));
    CHECK_EQ_U(lib->abi_version, HB_ALLOCATOR_ABI);
    CHECK(strcmp(lib->name, name) == 0);
    CHECK(lib->create && lib->destroy && lib->malloc && lib->free && lib->realloc &&
          lib->calloc && lib->aligned_alloc && lib->usable_size && lib->check);
}

/* Each of the n bad option strings is refused with nothing kept; `good` is
 * accepted, and its grow=64k moves the watermark by 64 KiB at once. */
static inline void check_options(const char *const *bad, size_t n, const char *good)
{
    for (size_t i = 0; i < n; i++) {
        fixture f;
        CHECK(!open_heap(&f, bad[i]));
        CHECK_EQ_U(brk_bytes(&f), 0); /* a refused create keeps nothing */
        close_heap(&f);
    }
    fixture f;
    REQUIRE(open_heap(&f, good));
    CHECK(lib->malloc(f.heap, 10) != NULL);
    CHECK(brk_bytes(&f) >= 65536);
    close_heap(&f);
}

static inline void check_edge_sizes(size_t min_usable)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    void *z[2];
    check_zero_and_huge(&f, z);
    void *a = z[0], *b = z[1];
    CHECK(lib->usable_size(f.heap, a) >= min_usable); /* room for the index node */
    CHECK(lib->calloc(f.heap, 2, SIZE_MAX - 15) == NULL);
    CHECK(lib->realloc(f.heap, a, SIZE_MAX) == NULL);
    CHECK(lib->aligned_alloc(f.heap, (size_t)1 << 62, 16) == NULL);
    CHECK(lib->aligned_alloc(f.heap, 24, 16) == NULL); /* not a power of two */
    CHECK(heap_ok(&f));
    CHECK_EQ_U(lib->free(f.heap, a), HB_FREE_OK);
    CHECK_EQ_U(lib->free(f.heap, b), HB_FREE_OK);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* ---- the shared algorithm -------------------------------------------- */

static inline void test_instance_lives_in_the_source(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    CHECK(hb_osmem_contains(f.mem, f.heap, 64));
    CHECK(brk_bytes(&f) > 0);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

static inline void test_free_status_codes(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
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
    close_heap(&f);
}

/* A pointer from one heap is foreign to another. */
static inline void test_instances_are_independent(void)
{
    fixture f, g;
    open_heap(&f, NULL);
    open_heap(&g, NULL);
    REQUIRE(f.heap && g.heap);
    void *p = lib->malloc(f.heap, 64);
    CHECK_EQ_U(lib->free(g.heap, p), HB_FREE_INVALID);
    CHECK_EQ_U(lib->free(f.heap, p), HB_FREE_OK);
    close_heap(&f);
    close_heap(&g);
}

/* Three neighbours freed in any order become one block that a request for
 * their combined payload fills exactly in place. */
static inline void test_coalescing_any_order(void)
{
    static const int orders[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
                                      { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
    for (int o = 0; o < 6; o++) {
        fixture f;
        REQUIRE(open_heap(&f, "trim=0"));
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
        close_heap(&f);
    }
}

/* With exact growth and no trim, a free top block is extended, not left
 * behind: the next large request starts where it did. */
static inline void test_free_top_block_is_extended(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "grow=16,trim=0"));
    lib->malloc(f.heap, 1000);
    char *top = lib->malloc(f.heap, 2000);
    size_t before = brk_bytes(&f);
    lib->free(f.heap, top);
    CHECK(lib->malloc(f.heap, 3000) == top);
    CHECK_EQ_U(brk_bytes(&f), before + 1008); /* (3000+16) - (2000+16) */
    CHECK(heap_ok(&f));
    close_heap(&f);
}

static inline void test_trim_gives_top_back(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "trim=64k"));
    void *keep = lib->malloc(f.heap, 100);
    size_t base = brk_bytes(&f);
    void *big = lib->malloc(f.heap, 1 << 20);
    CHECK(brk_bytes(&f) >= base + (1 << 20));
    lib->free(f.heap, big);
    CHECK(brk_bytes(&f) <= base);
    CHECK(heap_ok(&f));
    CHECK(lib->malloc(f.heap, 1 << 20) == big); /* the watermark rises again */
    lib->free(f.heap, keep);
    close_heap(&f);
}

static inline void test_realloc_in_place(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "trim=0"));
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
    close_heap(&f);
}

static inline void test_calloc_and_aligned_alloc(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
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
    close_heap(&f);
}

/* A source that runs dry gives NULL, not a crash; the heap stays usable. */
static inline void test_source_limit(void)
{
    fixture f;
    REQUIRE(open_heap_limit(&f, NULL, 1 << 20));
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
    close_heap(&f);
}

static inline void test_check_reports_damage(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    char *p = lib->malloc(f.heap, 64);
    lib->malloc(f.heap, 64);
    char msg[256] = "";
    p[-12] ^= 0x40; /* a size bit of p's header */
    CHECK(lib->check(f.heap, msg, sizeof msg) != 0);
    CHECK_STR_CONTAINS(msg, "seal");
    CHECK_EQ_U(lib->free(f.heap, p), HB_FREE_INVALID);
    p[-12] ^= 0x40;
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* Runs the shared tests above that need no parameter. */
static inline void run_watermark_tests(void)
{
    RUN(test_instance_lives_in_the_source);
    RUN(test_free_status_codes);
    RUN(test_instances_are_independent);
    RUN(test_coalescing_any_order);
    RUN(test_free_top_block_is_extended);
    RUN(test_trim_gives_top_back);
    RUN(test_realloc_in_place);
    RUN(test_calloc_and_aligned_alloc);
    RUN(test_source_limit);
    RUN(test_check_reports_damage);
}

#endif /* HB_TEST_WATERMARK_TESTS_H */
