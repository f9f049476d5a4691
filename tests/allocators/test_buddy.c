/*
 * buddy.so: the binary buddy system against a shadow model, its edge sizes
 * and free status codes, resizing in place, merging back to whole top-level
 * blocks once everything is free, and check() catching damage to the order
 * table, the free lists and the avail bits.
 */
#include "shadow.h"

#include "buddy/buddy_internal.h"

#define TOP_SMALL 65536 /* top-level block of the "min=16,top=64k" heaps */

/* ---- the shadow model ----------------------------------------------------- */

/* Mostly small, some medium, a few above the top-level size. */
static size_t random_size(uint64_t *r) { return tiered_size(r, 3 * TOP_SMALL); }

static void model_run(const char *options, uint64_t seed)
{
    const shadow_plan plan = { .seed = seed, .slots = 1500, .ops = 60000, .check_every = 4096,
                               .size = random_size, .realloc_pct = 33, .align = 16 };
    shadow_model(&plan, options);
}

static void test_model_default(void) { model_run(NULL, 1); }
static void test_model_small_top(void) { model_run("min=16,top=64k", 2); }

/* ---- merging ---------------------------------------------------------------- */

/* After every block is freed, in any order, each arena is one free top-level
 * block again: a top-size request is served without the memory source. */
static void test_merges_back_to_top_blocks(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "min=16,top=64k"));
    enum { N = 6000 };
    void **p = calloc(N, sizeof *p);
    uint64_t r = 7;
    for (size_t i = 0; i < N; i++)
        REQUIRE((p[i] = f.a->malloc(f.heap, rng_next(&r) % 700)));
    for (size_t i = N; i > 1; i--) { /* shuffle, then free in that order */
        size_t j = rng_next(&r) % i;
        void *t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
    for (size_t i = 0; i < N; i++)
        REQUIRE(f.a->free(f.heap, p[i]) == HB_FREE_OK);
    CHECK(heap_ok(&f));
    /* An arena is a one-page order table and the top-level block. */
    size_t arenas = hb_osmem_stats_of(f.mem)->brk_bytes / (TOP_SMALL + 4096);
    CHECK(arenas > 4);
    uint64_t calls = source_calls(&f);
    for (size_t i = 0; i < arenas; i++) {
        void *q = f.a->malloc(f.heap, TOP_SMALL);
        CHECK(q && hb_osmem_contains(f.mem, q, TOP_SMALL));
    }
    CHECK_EQ_U(source_calls(&f), calls);
    CHECK(f.a->malloc(f.heap, 16) != NULL); /* every arena is taken: grows now */
    CHECK_EQ_U(source_calls(&f), calls + 1);
    free(p);
    close_heap(&f);
}

/* One block of every order, freed smallest first, merges all the way up. */
static void test_merge_chain(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "min=16,top=64k"));
    void *first = f.a->malloc(f.heap, 16), *q[12];
    for (unsigned k = 0; k < 12; k++)
        q[k] = f.a->malloc(f.heap, (size_t)16 << k);
    for (unsigned k = 0; k < 12; k++)
        CHECK(f.a->free(f.heap, q[k]) == HB_FREE_OK);
    CHECK(f.a->free(f.heap, first) == HB_FREE_OK);
    CHECK(heap_ok(&f));
    CHECK(f.a->malloc(f.heap, TOP_SMALL) == first);
    close_heap(&f);
}

/* ---- edge sizes ---------------------------------------------------------- */

static void test_edge_sizes(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    void *a = f.a->malloc(f.heap, 0), *b = f.a->malloc(f.heap, 0);
    CHECK(a && b && a != b);
    CHECK_EQ_U(f.a->usable_size(f.heap, a), 32);
    CHECK_EQ_U(f.a->usable_size(f.heap, f.a->malloc(f.heap, 33)), 64);
    CHECK_EQ_U(f.a->usable_size(f.heap, f.a->malloc(f.heap, 1 << 20)), 1 << 20);
    void *big = f.a->malloc(f.heap, (1 << 20) + 1);
    CHECK(big && f.a->usable_size(f.heap, big) == (1 << 20) + 4096);
    check_huge_refused(&f, a);
    CHECK(f.a->usable_size(f.heap, a) == 32); /* failed realloc left it alone */
    CHECK(f.a->calloc(f.heap, SIZE_MAX / 2 + 1, 2) == NULL);
    CHECK(f.a->calloc(f.heap, (size_t)1 << 32, (size_t)1 << 32) == NULL);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

static void test_calloc_zeroes_reused_block(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    unsigned char *p = f.a->malloc(f.heap, 200);
    memset(p, 0xEE, 200);
    f.a->free(f.heap, p);
    unsigned char *q = f.a->calloc(f.heap, 25, 8);
    REQUIRE(q == p);
    for (size_t i = 0; i < 200; i++)
        CHECK(q[i] == 0);
    close_heap(&f);
}

static void test_aligned_alloc(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    for (size_t align = 8; align <= 4096; align *= 2) {
        void *p = f.a->aligned_alloc(f.heap, align, 24);
        CHECK(p && (uintptr_t)p % align == 0 && f.a->usable_size(f.heap, p) >= 24);
        f.a->malloc(f.heap, 48); /* disturb the next fit */
    }
    CHECK(f.a->aligned_alloc(f.heap, 8192, 24) == NULL); /* above the page: refused */
    CHECK(f.a->aligned_alloc(f.heap, 24, 24) == NULL);
    CHECK(f.a->aligned_alloc(f.heap, 4, 24) == NULL);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* ---- free status codes ----------------------------------------------------- */

static void test_invalid_and_double_free(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    char *p = f.a->malloc(f.heap, 100), *q = f.a->malloc(f.heap, 100);
    char *big = f.a->malloc(f.heap, 3 << 20);
    int local;
    REQUIRE(p && q && big);
    uint64_t calls = source_calls(&f);
    CHECK(f.a->free(f.heap, NULL) == HB_FREE_OK);
    CHECK(f.a->free(f.heap, p + 32) == HB_FREE_INVALID); /* inside the block */
    CHECK(f.a->free(f.heap, p + 1) == HB_FREE_INVALID);  /* misaligned */
    CHECK(f.a->free(f.heap, p - 64) == HB_FREE_INVALID); /* the order table */
    CHECK(f.a->free(f.heap, &local) == HB_FREE_INVALID);
    CHECK(f.a->free(f.heap, big + 4096) == HB_FREE_INVALID);
    CHECK(f.a->free(f.heap, q) == HB_FREE_OK);
    CHECK(f.a->free(f.heap, q) == HB_FREE_DOUBLE);
    CHECK(f.a->free(f.heap, q + 64) == HB_FREE_INVALID); /* inside a free block */
    CHECK_EQ_U(source_calls(&f), calls);
    CHECK(heap_ok(&f));
    CHECK(f.a->usable_size(f.heap, q) == 0 && f.a->realloc(f.heap, q, 10) == NULL);
    CHECK(f.a->free(f.heap, p) == HB_FREE_OK);
    CHECK(f.a->free(f.heap, big) == HB_FREE_OK);
    CHECK(f.a->free(f.heap, big) == HB_FREE_INVALID); /* its mapping is gone */
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* ---- realloc in place ------------------------------------------------------ */

static void test_realloc_in_place(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    char *p = f.a->malloc(f.heap, 100);
    memcpy(p, "buddy", 6);
    CHECK(f.a->realloc(f.heap, p, 1000) == p); /* upper buddies are free */
    CHECK_EQ_U(f.a->usable_size(f.heap, p), 1024);
    CHECK(f.a->realloc(f.heap, p, 40) == p);
    CHECK_EQ_U(f.a->usable_size(f.heap, p), 64);
    char *blocker = f.a->malloc(f.heap, 64); /* takes p's buddy */
    CHECK(blocker == p + 64);
    char *moved = f.a->realloc(f.heap, p, 128);
    CHECK(moved && moved != p && !strcmp(moved, "buddy"));
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* ---- check() ------------------------------------------------------------- */

/* The order-table byte of the block at p, in the heap's first arena. */
static unsigned char *head_byte(const bd_heap *h, const void *p)
{
    size_t off = (size_t)((const char *)p - h->base) - h->table_len;
    return (unsigned char *)h->base + (off >> h->min_order);
}

/* One byte of the order table or one word of a free block at a time is
 * broken, as a stray write would, and check() names what is wrong. */
static void test_check_reports_damage(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "min=16,top=64k"));
    bd_heap *h = f.heap;
    char *a = f.a->malloc(f.heap, 16), *b = f.a->malloc(f.heap, 16);
    char *big = f.a->malloc(f.heap, 256);
    REQUIRE(a && b && big && b == a + 16);
    CHECK_EQ_U(f.a->free(f.heap, b), HB_FREE_OK); /* a in use: b stays order 4 */
    CHECK(heap_ok(&f));

    /* a marked free beside its free buddy b: a merge was missed */
    unsigned char *ha = head_byte(h, a), saved = *ha;
    *ha |= BD_FREE;
    expect_damage(&f, "not merged");
    *ha = saved;

    /* a head byte inside the 256-byte block: two tiles overlap */
    unsigned char *inner = head_byte(h, big + 16);
    *inner = 4;
    expect_damage(&f, "overlapped");
    *inner = 0;

    /* b's links: its next names a block in use, its prev names no node */
    bd_node *node = (bd_node *)b, links = *node;
    node->next = (bd_node *)a;
    expect_damage(&f, "no free block");
    *node = links;
    node->prev = (bd_node *)big;
    expect_damage(&f, "back link");
    *node = links;

    /* the list of order 4 is not empty, but avail says it is */
    h->avail &= ~((uint64_t)1 << 4);
    expect_damage(&f, "avail bit 4");
    h->avail |= (uint64_t)1 << 4;

    CHECK(heap_ok(&f));
    close_heap(&f);
}

static void test_options(void)
{
    fixture f;
    CHECK(open_heap(&f, "min=16,top=64k"));
    close_heap(&f);
    CHECK(open_heap(&f, ""));
    close_heap(&f);
    const char *bad[] = { "bogus=1", "min=24", "min=8", "top=16", "top=2g", "min=1m,top=64k",
                          "min", "min=16,top", "top=1k", "min=32x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool opened = open_heap(&f, bad[i]);
        if (opened)
            fprintf(stderr, "accepted options \"%s\"\n", bad[i]);
        CHECK(!opened);
        if (!opened)
            CHECK_EQ_U(hb_osmem_stats_of(f.mem)->cur_bytes, 0); /* nothing taken */
        close_heap(&f);
    }
}

/* Everything the heap obtained goes back, its own struct included. */
static void test_destroy_returns_everything(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    for (int i = 0; i < 1000; i++)
        f.a->malloc(f.heap, (size_t)i * 40);
    f.a->malloc(f.heap, 5 << 20);
    close_heap(&f); /* checks that no byte and no mapping is left */
}

int main(void)
{
    lib = load_lib("buddy", NULL);
    if (!lib)
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
    RUN(test_check_reports_damage);
    RUN(test_options);
    RUN(test_destroy_returns_everything);
    return check_summary();
}
