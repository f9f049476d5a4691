/*
 * bestfit: the logarithmic allocator's own promises -- the smallest fitting
 * block, lowest address among equals, from a red-black tree whose invariants
 * check() verifies -- plus what it shares with firstfit (watermark_tests.h):
 * the contract, merging through boundary tags, growth of a free top block,
 * in-place realloc, trimming, free() status codes, and shadow-model runs,
 * one of them large enough to stress the tree.
 */
#include "watermark_tests.h"

/* ---- the shadow model ------------------------------------------------- */

static void model_run(const char *options, size_t slots, size_t ops)
{
    watermark_model(options, slots, ops, ops / 40);
}

static void test_model_default(void) { model_run(NULL, 1500, 60000); }
static void test_model_exact_growth_eager_trim(void) { model_run("grow=16,trim=64", 1500, 30000); }
static void test_model_large_tree(void) { model_run("trim=0", 60000, 400000); }

/* ---- the contract ----------------------------------------------------- */

static void test_method_table_complete(void) { check_method_table("bestfit"); }

static void test_options(void)
{
    const char *bad[] = { "nope=1", "grow=3", "grow=8", "grow=2g", "trim=x", "order=fifo",
                          "grow", "trim=1t", "order=lifo" };
    check_options(bad, sizeof bad / sizeof *bad, "grow=64k,trim=0");
}

/* The smallest block has room for a tree node. */
static void test_edge_sizes(void) { check_edge_sizes(32); }

/* ---- the algorithm ---------------------------------------------------- */

/* Free blocks of 1000, 500 and 700 bytes between live ones: a request for
 * 600 lands in the 700 block, the smallest that fits, not the first.  (At
 * 100, 50, 70 and 60 the 16-byte rounding would let 60 fit the 50 block.) */
static void test_best_fit_takes_smallest(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    size_t sizes[3] = { 1000, 500, 700 };
    char *hole[3];
    for (int i = 0; i < 3; i++) {
        hole[i] = lib->malloc(f.heap, sizes[i]);
        lib->malloc(f.heap, 16); /* keeps the holes apart */
    }
    for (int i = 0; i < 3; i++)
        lib->free(f.heap, hole[i]);
    CHECK(lib->malloc(f.heap, 600) == hole[2]);
    CHECK(lib->malloc(f.heap, 900) == hole[0]);
    CHECK(lib->malloc(f.heap, 400) == hole[1]);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* Equal sizes tie by address, whatever the order they were freed in. */
static void test_ties_go_to_lowest_address(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    char *hole[5];
    for (int i = 0; i < 5; i++) {
        hole[i] = lib->malloc(f.heap, 200);
        lib->malloc(f.heap, 16);
    }
    int order[5] = { 3, 0, 4, 2, 1 };
    for (int i = 0; i < 5; i++)
        lib->free(f.heap, hole[order[i]]);
    for (int i = 0; i < 5; i++)
        CHECK(lib->malloc(f.heap, 200) == hole[i]);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* Many free blocks of many sizes: each request gets the smallest fitting
 * block, checked against a brute-force scan of the shadow holes. */
static void test_best_fit_matches_brute_force(void)
{
    enum { N = 400 };
    fixture f;
    REQUIRE(open_heap(&f, "grow=16,trim=0")); /* exact growth: no free top block */
    uint64_t r = 42;
    char *p[N];
    size_t size[N];
    for (int i = 0; i < N; i++) {
        size[i] = 16 * (2 + rng_next(&r) % 60);
        p[i] = lib->malloc(f.heap, size[i]);
        lib->malloc(f.heap, 16);
    }
    int freed[N] = { 0 };
    for (int i = 0; i < N; i++)
        if (rng_next(&r) % 2) {
            lib->free(f.heap, p[i]);
            freed[i] = 1;
        }
    for (int round = 0; round < 100; round++) {
        size_t want = 16 * (2 + rng_next(&r) % 60); /* block = want + 16 exactly */
        int best = -1;
        for (int i = 0; i < N; i++)
            if (freed[i] && size[i] >= want && (best < 0 || size[i] < size[best]))
                best = i;
        char *got = lib->malloc(f.heap, want);
        if (best >= 0 && size[best] - want < 48) { /* the whole hole is taken */
            CHECK(got == p[best]);
            freed[best] = 0;
        } else if (best >= 0) {
            CHECK(got == p[best]);
            size[best] -= want + 16; /* the rest stays free, right above */
            p[best] += want + 16;
        }
    }
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* A flipped colour or a wrong parent link in a free block's tree node is
 * caught. */
static void test_check_reports_tree_damage(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    char *p[9];
    for (int i = 0; i < 9; i++) {
        p[i] = lib->malloc(f.heap, 64 + 16 * i);
        lib->malloc(f.heap, 16);
    }
    for (int i = 0; i < 9; i++)
        lib->free(f.heap, p[i]);
    CHECK(heap_ok(&f));
    size_t *red = (size_t *)(p[4] + 3 * sizeof(void *)); /* child[2], parent, red */
    size_t saved = *red;
    char msg[256] = "";
    *red = !saved;
    CHECK(lib->check(f.heap, msg, sizeof msg) != 0);
    CHECK_STR_CONTAINS(msg, "tree");
    *red = saved;
    void **parent = (void **)(p[4] + 2 * sizeof(void *));
    void *saved_parent = *parent;
    *parent = p[4];
    CHECK(lib->check(f.heap, msg, sizeof msg) != 0);
    CHECK_STR_CONTAINS(msg, "tree");
    *parent = saved_parent;
    CHECK(heap_ok(&f));
    close_heap(&f);
}

int main(void)
{
    lib = load_lib("bestfit", NULL);
    if (!lib)
        return 1;
    RUN(test_method_table_complete);
    RUN(test_options);
    RUN(test_edge_sizes);
    run_watermark_tests();
    RUN(test_best_fit_takes_smallest);
    RUN(test_ties_go_to_lowest_address);
    RUN(test_best_fit_matches_brute_force);
    RUN(test_check_reports_tree_damage);
    RUN(test_model_default);
    RUN(test_model_large_tree);
    RUN(test_model_exact_growth_eager_trim);
    return check_summary();
}
