/*
 * pow2.so: power-of-two free lists against a shadow model, the O(1) paths
 * (no memory-source call while a list is non-empty, LIFO reuse, one run
 * per refill), edge sizes, free status codes, resizing, and check()
 * catching damage to usage[] and the free lists.
 */
#include "shadow.h"

#include "pow2/pow2_internal.h"

#define PAGE 4096 /* the tests assume 4 KiB pages (checked in main) */

/* ---- the shadow model ----------------------------------------------------- */

/* Mostly small, some bucket sizes of a page or two, a few large runs. */
static size_t random_size(uint64_t *r) { return tiered_size(r, 12 * PAGE); }

static void test_model(void)
{
    const shadow_plan plan = { .seed = 3, .slots = 1000, .ops = 60000, .check_every = 4096,
                               .size = random_size, .realloc_pct = 33, .align = 16 };
    shadow_model(&plan, NULL);
}

/* ---- the O(1) paths ------------------------------------------------------- */

/* A refill maps exactly one page and carves it into blocks of one size,
 * handed out in address order; the next refill comes only when the page
 * is used up. */
static void test_refill_carves_one_page(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    uint64_t calls = source_calls(&f);
    char *first = f.a->malloc(f.heap, 50); /* the 64-byte list */
    REQUIRE(first && ((uintptr_t)first & (PAGE - 1)) == 0);
    uint64_t after_refill = source_calls(&f);
    CHECK(after_refill - calls >= 1 && after_refill - calls <= 2); /* the run (+ table) */
    for (size_t i = 1; i < PAGE / 64; i++)
        CHECK(f.a->malloc(f.heap, 64) == first + i * 64);
    CHECK_EQ_U(source_calls(&f), after_refill);
    char *next = f.a->malloc(f.heap, 33);
    CHECK(next && (next < first || next >= first + PAGE));
    CHECK_EQ_U(source_calls(&f), after_refill + 1);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* While a list is non-empty, malloc and free touch no memory-source
 * method, and free/malloc of one size is LIFO: the block comes back. */
static void test_nonempty_list_paths_call_no_source(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    void *warm[9];
    for (unsigned c = 0; c < 9; c++) /* one run for each size 16 .. 4096 */
        warm[c] = f.a->malloc(f.heap, (size_t)16 << c);
    uint64_t calls = source_calls(&f);
    uint64_t r = 11;
    for (int i = 0; i < 20000; i++) {
        unsigned c = (unsigned)(rng_next(&r) % 8);
        size_t size = ((size_t)16 << c) - rng_next(&r) % (8u << c);
        void *p = f.a->malloc(f.heap, size);
        CHECK(f.a->free(f.heap, p) == HB_FREE_OK);
        CHECK(f.a->malloc(f.heap, size) == p);
        CHECK(f.a->free(f.heap, p) == HB_FREE_OK);
    }
    CHECK(f.a->free(f.heap, warm[8]) == HB_FREE_OK);
    CHECK(f.a->malloc(f.heap, 4096) == warm[8]);
    CHECK_EQ_U(source_calls(&f), calls);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* Every size class: usable size is the power of two, alignment holds. */
static void test_sizes_round_to_powers_of_two(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    CHECK_EQ_U(f.a->usable_size(f.heap, f.a->malloc(f.heap, 0)), 16);
    CHECK(f.a->malloc(f.heap, 0) != f.a->malloc(f.heap, 0));
    for (size_t size = 1; size <= 2 * PAGE; size += size / 7 + 1) {
        void *p = f.a->malloc(f.heap, size);
        size_t want = 16;
        while (want < size)
            want *= 2;
        CHECK(p && f.a->usable_size(f.heap, p) == want);
        CHECK((uintptr_t)p % (want < PAGE ? want : PAGE) == 0);
    }
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* Above two pages: a run of its own, given back on free. */
static void test_large_runs(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    const hb_osmem_stats *st = hb_osmem_stats_of(f.mem);
    size_t maps = st->live_maps;
    char *p = f.a->malloc(f.heap, 2 * PAGE + 1);
    REQUIRE(p);
    CHECK_EQ_U(f.a->usable_size(f.heap, p), 3 * PAGE);
    CHECK(((uintptr_t)p & (PAGE - 1)) == 0);
    CHECK(hb_osmem_contains(f.mem, p, 3 * PAGE));
    CHECK(f.a->free(f.heap, p + PAGE) == HB_FREE_INVALID);
    CHECK(f.a->free(f.heap, p) == HB_FREE_OK);
    CHECK(f.a->free(f.heap, p) == HB_FREE_INVALID); /* the run and its descriptor are gone */
    CHECK_EQ_U(st->live_maps, maps + 1);         /* the descriptor table stays */
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* ---- edge sizes and status codes ----------------------------------------- */

static void test_edge_sizes(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    void *a = f.a->malloc(f.heap, 10);
    check_huge_refused(&f, a);
    CHECK_EQ_U(f.a->usable_size(f.heap, a), 16); /* failed realloc left it alone */
    CHECK(f.a->calloc(f.heap, SIZE_MAX / 2 + 1, 2) == NULL);
    CHECK(f.a->calloc(f.heap, (size_t)1 << 32, (size_t)1 << 32) == NULL);
    CHECK(f.a->malloc(f.heap, 2 * PAGE) != NULL); /* the largest bucket */
    CHECK(heap_ok(&f));
    close_heap(&f);
}

static void test_calloc_and_aligned(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    unsigned char *p = f.a->malloc(f.heap, 100);
    memset(p, 0xEE, 100);
    f.a->free(f.heap, p);
    unsigned char *q = f.a->calloc(f.heap, 10, 10);
    REQUIRE(q == p);
    for (size_t i = 0; i < 100; i++)
        CHECK(q[i] == 0);
    for (size_t align = 8; align <= PAGE; align *= 2) {
        void *b = f.a->aligned_alloc(f.heap, align, 24);
        CHECK(b && (uintptr_t)b % align == 0 && f.a->usable_size(f.heap, b) >= 24);
    }
    CHECK(f.a->aligned_alloc(f.heap, 2 * PAGE, 24) == NULL);
    CHECK(f.a->aligned_alloc(f.heap, 48, 24) == NULL);
    close_heap(&f);
}

static void test_invalid_and_double_free(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    char *p = f.a->malloc(f.heap, 100), *q = f.a->malloc(f.heap, 100);
    int local;
    REQUIRE(p && q);
    uint64_t calls = source_calls(&f);
    CHECK(f.a->free(f.heap, NULL) == HB_FREE_OK);
    CHECK(f.a->free(f.heap, p + 16) == HB_FREE_INVALID); /* inside the block */
    CHECK(f.a->free(f.heap, p + 1) == HB_FREE_INVALID);
    CHECK(f.a->free(f.heap, &local) == HB_FREE_INVALID);
    CHECK(f.a->free(f.heap, (char *)((uintptr_t)p & ~(uintptr_t)(PAGE - 1)) + 8 * PAGE) ==
          HB_FREE_INVALID); /* a page with no descriptor */
    CHECK(f.a->free(f.heap, q) == HB_FREE_OK);
    CHECK(f.a->free(f.heap, q) == HB_FREE_DOUBLE);
    CHECK(f.a->usable_size(f.heap, q) == 0 && f.a->realloc(f.heap, q, 10) == NULL);
    CHECK(f.a->malloc(f.heap, 128) == q); /* the list holds q once */
    CHECK(f.a->malloc(f.heap, 128) != q);
    CHECK_EQ_U(source_calls(&f), calls);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

static void test_realloc(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    char *p = f.a->malloc(f.heap, 100);
    strcpy(p, "power of two");
    CHECK(f.a->realloc(f.heap, p, 128) == p); /* same bucket */
    CHECK(f.a->realloc(f.heap, p, 65) == p);
    char *bigger = f.a->realloc(f.heap, p, 129);
    CHECK(bigger && bigger != p && !strcmp(bigger, "power of two"));
    CHECK_EQ_U(f.a->usable_size(f.heap, bigger), 256);
    char *smaller = f.a->realloc(f.heap, bigger, 20); /* a quarter: moves down */
    CHECK(smaller && !memcmp(smaller, "power of two", 20 < 13 ? 20 : 13));
    CHECK_EQ_U(f.a->usable_size(f.heap, smaller), 32);
    char *large = f.a->realloc(f.heap, smaller, 5 * PAGE);
    CHECK(large && !strcmp(large, "power of two"));
    CHECK(f.a->realloc(f.heap, large, 4 * PAGE + 1) == large); /* same pages */
    CHECK(f.a->realloc(f.heap, large, 0) == NULL);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* A bit of usage[], a byte of a page's entry or a free block's link is
 * broken, as a stray write would, and check() names what is wrong. */
static void test_check_reports_damage(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    p2_heap *h = f.heap;
    char *a = f.a->malloc(f.heap, 64), *b = f.a->malloc(f.heap, 64);
    char *two = f.a->malloc(f.heap, 2 * PAGE);
    REQUIRE(a && b && two && b == a + 64);
    CHECK(f.a->free(f.heap, b) == HB_FREE_OK); /* b heads the 64-byte list */
    CHECK(heap_ok(&f));

    /* a's live bit lost: the page counts one block in use, its bits none */
    p2_page *pg = p2_page_of(h, a);
    size_t bit = ((uintptr_t)a & (PAGE - 1)) / 64;
    REQUIRE(p2_is_live(pg, bit));
    pg->live[bit / 64] ^= (uint64_t)1 << bit % 64;
    expect_damage(&f, "live bits");
    pg->live[bit / 64] ^= (uint64_t)1 << bit % 64;

    /* b's link names a, a block in use */
    p2_free *node = (p2_free *)b, *link = node->next;
    node->next = (p2_free *)a;
    expect_damage(&f, "no free block");
    node->next = link;

    /* the second page of the two-page block claims 64-byte blocks */
    p2_page *second = p2_page_of(h, two + PAGE);
    second->cls = 6;
    expect_damage(&f, "second page");
    second->cls = P2_CONT;

    CHECK(heap_ok(&f));
    close_heap(&f);
}

static void test_options_and_destroy(void)
{
    fixture f;
    CHECK(!open_heap(&f, "size=16"));
    CHECK_EQ_U(hb_osmem_stats_of(f.mem)->cur_bytes, 0);
    close_heap(&f);
    REQUIRE(open_heap(&f, ""));
    for (int i = 0; i < 2000; i++)
        f.a->malloc(f.heap, (size_t)i * 13);
    close_heap(&f); /* checks that no byte and no mapping is left */
}

int main(void)
{
    lib = load_lib("pow2", NULL);
    if (!lib)
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
    RUN(test_check_reports_damage);
    RUN(test_options_and_destroy);
    return check_summary();
}
