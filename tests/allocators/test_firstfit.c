/*
 * firstfit: the watermark allocator's own promises -- first fit over an
 * address-ordered free list (or LIFO), and a free list whose damage check()
 * catches -- plus what it shares with bestfit (watermark_tests.h): the
 * contract, O(1) merging through boundary tags, growth of a free top block,
 * in-place realloc, trimming, free() status codes, and a shadow-model run
 * under each option set.
 */
#include "watermark_tests.h"

/* ---- the shadow model ------------------------------------------------- */

static void model_run(const char *options, size_t ops) { watermark_model(options, 1500, ops, 997); }

static void test_model_address_order(void) { model_run(NULL, 60000); }
static void test_model_lifo(void) { model_run("order=lifo", 60000); }
static void test_model_exact_growth_eager_trim(void) { model_run("grow=16,trim=64", 30000); }

/* ---- the contract ----------------------------------------------------- */

static void test_method_table_complete(void) { check_method_table("firstfit"); }

static void test_options(void)
{
    const char *bad[] = { "nope=1", "grow=3", "grow=8", "grow=2g", "trim=x", "order=fifo",
                          "grow", "trim=1t" };
    check_options(bad, sizeof bad / sizeof *bad, "grow=64k,trim=0,order=address");
}

/* The smallest block has room for the list links. */
static void test_edge_sizes(void) { check_edge_sizes(16); }

/* ---- the algorithm ---------------------------------------------------- */

/* Holes A (lowest), B, C: address order takes the lowest that fits, LIFO
 * the most recently freed. */
static void hole_run(const char *options, int expect_hole)
{
    fixture f;
    REQUIRE(open_heap(&f, options));
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
    close_heap(&f);
}

static void test_first_fit_takes_lowest_address(void) { hole_run(NULL, 0); }
static void test_lifo_takes_latest_freed(void) { hole_run("order=lifo", 1); }

/* A free list link pointing into the middle of a block, or backwards, is
 * caught. */
static void test_check_reports_list_damage(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
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
    close_heap(&f);
}

int main(void)
{
    lib = load_lib("firstfit", NULL);
    if (!lib)
        return 1;
    RUN(test_method_table_complete);
    RUN(test_options);
    RUN(test_edge_sizes);
    run_watermark_tests();
    RUN(test_first_fit_takes_lowest_address);
    RUN(test_lifo_takes_latest_freed);
    RUN(test_check_reports_list_damage);
    RUN(test_model_address_order);
    RUN(test_model_lifo);
    RUN(test_model_exact_growth_eager_trim);
    return check_summary();
}
