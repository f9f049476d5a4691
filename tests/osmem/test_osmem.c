/* The memory source counts every byte exactly and refuses what it must. */
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "check.h"
#include "osmem/osmem.h"

static void test_grow_counts_exact_bytes(void)
{
    hb_osmem *m = hb_osmem_new(1 << 20, 0);
    REQUIRE(m != NULL);
    const hb_memsrc *src = hb_osmem_source(m);
    char *start = src->grow(src->ctx, 0);
    CHECK(((uintptr_t)start & (src->page_size - 1)) == 0);
    CHECK(src->grow(src->ctx, 100) == start);
    CHECK(src->grow(src->ctx, 28) == start + 100);
    CHECK_EQ_U(hb_osmem_stats_of(m)->brk_bytes, 128);
    memset(start, 0xAB, 128); /* below the break: writable */
    CHECK(src->grow(src->ctx, -28) == start + 128);
    CHECK_EQ_U(hb_osmem_stats_of(m)->cur_bytes, 100);
    CHECK_EQ_U(hb_osmem_stats_of(m)->peak_bytes, 128);
    CHECK(src->grow(src->ctx, -101) == NULL); /* below the start */
    CHECK(src->grow(src->ctx, 2 << 20) == NULL); /* beyond the reservation */
    CHECK_EQ_U(hb_osmem_stats_of(m)->refused, 2);
    hb_osmem_free(m);
}

static void test_shrunk_pages_come_back_zeroed(void)
{
    hb_osmem *m = hb_osmem_new(1 << 20, 0);
    const hb_memsrc *src = hb_osmem_source(m);
    char *p = src->grow(src->ctx, 3 * 4096);
    memset(p, 0x5A, 3 * 4096);
    src->grow(src->ctx, -2 * 4096);
    src->grow(src->ctx, 2 * 4096);
    CHECK(p[4096] == 0 && p[3 * 4096 - 1] == 0);
    CHECK(p[4095] == 0x5A);
    src->grow(src->ctx, -(3 * 4096 - 100)); /* into the first page */
    src->grow(src->ctx, 200);
    CHECK(p[99] == 0x5A && p[100] == 0 && p[299] == 0);
    hb_osmem_free(m);
}

static void test_map_unmap_exact(void)
{
    hb_osmem *m = hb_osmem_new(0, 0);
    const hb_memsrc *src = hb_osmem_source(m);
    void *a = src->map(src->ctx, 5000);
    void *b = src->map(src->ctx, 4096);
    REQUIRE(a && b);
    CHECK_EQ_U(hb_osmem_stats_of(m)->map_bytes, 3 * 4096);
    CHECK(hb_osmem_contains(m, a, 8192));
    CHECK(!hb_osmem_contains(m, a, 8193));
    CHECK(src->unmap(src->ctx, a, 4096) == -1);          /* not the whole mapping */
    CHECK(src->unmap(src->ctx, (char *)a + 4096, 4096) == -1); /* not a mapping start */
    CHECK(src->unmap(src->ctx, a, 5000) == 0);
    CHECK(src->unmap(src->ctx, a, 5000) == -1);          /* already gone */
    CHECK_EQ_U(hb_osmem_stats_of(m)->map_bytes, 4096);
    CHECK(src->unmap(src->ctx, b, 4096) == 0);
    CHECK_EQ_U(hb_osmem_stats_of(m)->cur_bytes, 0);
    CHECK_EQ_U(hb_osmem_stats_of(m)->peak_bytes, 3 * 4096);
    hb_osmem_free(m);
}

/* Many live mappings exercise table growth and backward-shift deletion. */
static void test_many_mappings(void)
{
    enum { N = 5000 };
    static void *maps[N];
    hb_osmem *m = hb_osmem_new(0, 0);
    const hb_memsrc *src = hb_osmem_source(m);
    for (int i = 0; i < N; i++)
        REQUIRE((maps[i] = src->map(src->ctx, 4096)) != NULL);
    for (int i = 0; i < N; i += 2)
        CHECK(src->unmap(src->ctx, maps[i], 4096) == 0);
    for (int i = 1; i < N; i += 2)
        CHECK(src->unmap(src->ctx, maps[i], 4096) == 0);
    CHECK_EQ_U(hb_osmem_stats_of(m)->live_maps, 0);
    CHECK_EQ_U(hb_osmem_stats_of(m)->map_calls, N);
    hb_osmem_free(m);
}

static void test_limit(void)
{
    hb_osmem *m = hb_osmem_new(0, 3 * 4096);
    const hb_memsrc *src = hb_osmem_source(m);
    CHECK(src->grow(src->ctx, 4096) != NULL);
    CHECK(src->map(src->ctx, 2 * 4096) != NULL);
    CHECK(src->map(src->ctx, 1) == NULL);
    CHECK(src->grow(src->ctx, 1) == NULL);
    hb_osmem_free(m);
}

/* remap keeps the bytes, moves the count by the difference only (old and
 * new never count at once), and refuses what unmap would refuse. */
static void test_remap(void)
{
    hb_osmem *m = hb_osmem_new(0, 8 * 4096);
    const hb_memsrc *src = hb_osmem_source(m);
    char *a = src->map(src->ctx, 4096);
    REQUIRE(a != NULL);
    memset(a, 0x3C, 4096);
    char *b = hb_osmem_remap(src, a, 4096, 3 * 4096 + 1);
    REQUIRE(b != NULL);
    CHECK(b[0] == 0x3C && b[4095] == 0x3C && b[4 * 4096 - 1] == 0);
    CHECK_EQ_U(hb_osmem_stats_of(m)->map_bytes, 4 * 4096);
    CHECK_EQ_U(hb_osmem_stats_of(m)->peak_bytes, 4 * 4096);
    CHECK_EQ_U(hb_osmem_stats_of(m)->live_maps, 1);
    CHECK_EQ_U(hb_osmem_stats_of(m)->remap_calls, 1);
    CHECK(hb_osmem_remap(src, b + 4096, 4096, 8192) == NULL);   /* not a mapping start */
    CHECK(hb_osmem_remap(src, b, 4096, 8192) == NULL);          /* not its length */
    CHECK(hb_osmem_remap(src, b, 4 * 4096, 9 * 4096) == NULL);  /* over the limit */
    CHECK_EQ_U(hb_osmem_stats_of(m)->refused, 3);
    char *c = hb_osmem_remap(src, b, 4 * 4096, 4096); /* shrink */
    REQUIRE(c != NULL);
    CHECK(c[0] == 0x3C);
    CHECK_EQ_U(hb_osmem_stats_of(m)->map_bytes, 4096);
    CHECK(src->unmap(src->ctx, c, 4096) == 0);
    CHECK_EQ_U(hb_osmem_stats_of(m)->cur_bytes, 0);
    /* another memory source: no remap, the caller copies */
    hb_memsrc other = *src;
    other.map = NULL;
    CHECK(hb_osmem_remap(&other, c, 4096, 8192) == NULL);
    hb_osmem_free(m);
}

static sigjmp_buf jump;
static void on_segv(int sig) { (void)sig; siglongjmp(jump, 1); }

/* Writing past the break faults: nobody uses memory that was not counted. */
static void test_beyond_break_faults(void)
{
    hb_osmem *m = hb_osmem_new(1 << 20, 0);
    const hb_memsrc *src = hb_osmem_source(m);
    char *p = src->grow(src->ctx, 4096);
    struct sigaction sa = { .sa_handler = on_segv }, old;
    sigaction(SIGSEGV, &sa, &old);
    volatile int faulted = 0;
    if (sigsetjmp(jump, 1) == 0)
        p[4096] = 1;
    else
        faulted = 1;
    sigaction(SIGSEGV, &old, NULL);
    CHECK(faulted);
    hb_osmem_free(m);
}

int main(void)
{
    RUN(test_grow_counts_exact_bytes);
    RUN(test_shrunk_pages_come_back_zeroed);
    RUN(test_map_unmap_exact);
    RUN(test_many_mappings);
    RUN(test_limit);
    RUN(test_remap);
    RUN(test_beyond_break_faults);
    return check_summary();
}
