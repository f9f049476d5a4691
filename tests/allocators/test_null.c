/*
 * null: the bump allocator that measures the harness's own cost.  Random
 * operations against the shadow model (contents kept, blocks disjoint,
 * calloc zero, alignment), edge sizes, a region that grows contiguously
 * when it runs out, the whole region pre-faulted and given back, and
 * check() catching a damaged bump pointer.
 */
#include "shadow.h"

static size_t random_size(uint64_t *r) { return edge_size(r, 4096, 256, 70000); }

static void test_random_model(void)
{
    every_method_model("region=1m,step=256k", 20000, random_size, 16, 8192);
}

static void test_edge_sizes(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "region=1m"));
    void *z[2];
    check_zero_and_huge(&f, z);
    check_huge_refused(&f, z[0]);
    CHECK_EQ_U(f.a->usable_size(f.heap, z[0]), 16);
    CHECK_EQ_U(f.a->free(f.heap, z[0]), HB_FREE_OK);
    CHECK(f.a->realloc(f.heap, z[1], 0) == NULL);
    CHECK(f.a->aligned_alloc(f.heap, 48, 16) == NULL);
    CHECK(heap_ok(&f));
    close_heap(&f);
    hb_osmem *m = hb_osmem_new(0, 0);
    CHECK(lib->create(hb_osmem_source(m), "region=0") == NULL);
    CHECK(lib->create(hb_osmem_source(m), "size=1m") == NULL);
    CHECK_EQ_U(hb_osmem_stats_of(m)->cur_bytes, 0);
    hb_osmem_free(m);
}

/* The region is taken whole at create(); running out adds `step` bytes
 * right after it, and destroy() gives everything back. */
static void test_region_grows(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "region=64k,step=64k"));
    CHECK_EQ_U(brk_bytes(&f), 65536);
    unsigned char *a = f.a->malloc(f.heap, 40000), *b = f.a->malloc(f.heap, 40000);
    REQUIRE(a && b);
    CHECK(b > a + 40000);
    CHECK_EQ_U(brk_bytes(&f), 131072);
    unsigned char *big = f.a->calloc(f.heap, 1, 300000);
    REQUIRE(big);
    CHECK(all_zero(big, 300000));
    CHECK(brk_bytes(&f) > 131072 && brk_bytes(&f) >= 2 * 40000 + 300000);
    memset(a, 0x5a, 40000);
    unsigned char *c = f.a->realloc(f.heap, a, 50000);
    REQUIRE(c && c != a);
    CHECK(c[0] == 0x5a && c[39999] == 0x5a);
    void *al = f.a->aligned_alloc(f.heap, 4096, 100);
    CHECK(al && ((uintptr_t)al & 4095) == 0);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

static void test_check_reports_damage(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "region=64k"));
    REQUIRE(f.a->malloc(f.heap, 100));
    unsigned char **top = (unsigned char **)((char *)f.heap + sizeof(hb_memsrc) + sizeof(void *));
    *top += 8;
    expect_damage(&f, "not 16-aligned");
    *top -= 8;
    CHECK(heap_ok(&f));
    close_heap(&f);
}

int main(void)
{
    lib = load_lib("null", NULL);
    if (!lib)
        return 1;
    RUN(test_random_model);
    RUN(test_edge_sizes);
    RUN(test_region_grows);
    RUN(test_check_reports_damage);
    return check_summary();
}
