/*
 * hb_osmem_contains: inside the break, inside a mapping near its start and
 * far into a large one (found by the two lookups), across a mapping's end
 * and in memory the source never handed out.
 */
#include "check.h"
#include "osmem/osmem.h"

static void test_contains(void)
{
    hb_osmem *m = hb_osmem_new(1 << 20, 0);
    REQUIRE(m);
    const hb_memsrc *s = hb_osmem_source(m);
    char *brk = s->grow(s->ctx, 1000);
    REQUIRE(brk);
    CHECK(hb_osmem_contains(m, brk, 1000));
    CHECK(!hb_osmem_contains(m, brk, 1001));
    char *small = s->map(s->ctx, 4096), *big = s->map(s->ctx, 64 * 4096);
    REQUIRE(small && big);
    for (int i = 0; i < 300; i++) /* a table larger than its first size */
        REQUIRE(s->map(s->ctx, 4096));
    CHECK(hb_osmem_contains(m, small + 32, 100));
    CHECK(hb_osmem_contains(m, small, 4096));
    CHECK(!hb_osmem_contains(m, small + 4000, 100));
    CHECK(hb_osmem_contains(m, big + 2 * 4096 + 8, 4096));
    CHECK(hb_osmem_contains(m, big + 60 * 4096, 4 * 4096)); /* far in: the walk */
    CHECK(!hb_osmem_contains(m, big + 60 * 4096, 4 * 4096 + 1));
    int local;
    CHECK(!hb_osmem_contains(m, &local, sizeof local));
    REQUIRE(s->unmap(s->ctx, big, 64 * 4096) == 0);
    CHECK(!hb_osmem_contains(m, big + 8, 16));
    hb_osmem_free(m);
}

int main(void)
{
    RUN(test_contains);
    return check_summary();
}
