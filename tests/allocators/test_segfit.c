/*
 * segfit: random operations against a shadow model, edge sizes, free status
 * codes, the mapped path for large blocks, in-place realloc, and check()
 * catching damage to boundary tags, free and quick lists, and bitmaps.
 */
#include "shadow.h"

#include "segfit/segfit_internal.h"

#define THRESHOLD ((size_t)128 << 10)

/* ---- shadow model ---------------------------------------------------------- */

/* Around the mmap threshold, and large blocks on both sides of it. */
static size_t random_size(uint64_t *r) { return edge_size(r, THRESHOLD - 64, 128, 600 << 10); }

static void test_random_model(void)
{
    every_method_model(NULL, 30000, random_size, 16, 4096);
}

/* ---- edges ------------------------------------------------------------------- */

static void test_edge_sizes(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    void *z[2];
    check_zero_and_huge(&f, z);
    void *z1 = z[0], *z2 = z[1];
    CHECK(f.a->usable_size(f.heap, z1) >= 1);
    CHECK(f.a->realloc(f.heap, z1, SIZE_MAX - 15) == NULL);
    CHECK(f.a->aligned_alloc(f.heap, 24, 10) == NULL);
    CHECK(f.a->realloc(f.heap, z2, 0) == NULL);
    CHECK_EQ_U(f.a->free(f.heap, z1), HB_FREE_OK);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

static void test_free_codes(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    int on_stack;
    char *a = f.a->malloc(f.heap, 100), *b = f.a->malloc(f.heap, 100);
    char *c = f.a->malloc(f.heap, 100), *big = f.a->malloc(f.heap, THRESHOLD * 2);
    REQUIRE(a && b && c && big);
    memset(b, 0xA5, 100);
    CHECK_EQ_U(f.a->free(f.heap, NULL), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, &on_stack), HB_FREE_INVALID);
    CHECK_EQ_U(f.a->free(f.heap, b + 16), HB_FREE_INVALID);
    CHECK_EQ_U(f.a->free(f.heap, b + 1), HB_FREE_INVALID);
    CHECK_EQ_U(f.a->free(f.heap, big + 4096), HB_FREE_INVALID);
    CHECK_EQ_U(f.a->free(f.heap, b), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, b), HB_FREE_DOUBLE);
    CHECK_EQ_U(f.a->free(f.heap, big), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, big), HB_FREE_DOUBLE);
    /* b merges into a: b's stale header no longer matches, still refused */
    CHECK_EQ_U(f.a->free(f.heap, a), HB_FREE_OK);
    CHECK(f.a->free(f.heap, b) != HB_FREE_OK);
    CHECK(f.a->free(f.heap, a) != HB_FREE_OK);
    CHECK(heap_ok(&f));
    CHECK_EQ_U(f.a->free(f.heap, c), HB_FREE_OK);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* ---- promises ---------------------------------------------------------------- */

static void test_large_blocks_are_mapped(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    const hb_osmem_stats *st = hb_osmem_stats_of(f.mem);
    uint64_t maps = st->map_calls, unmaps = st->unmap_calls;
    size_t brk = st->brk_bytes;
    char *big = f.a->malloc(f.heap, THRESHOLD + 1);
    REQUIRE(big);
    CHECK(st->map_calls >= maps + 1);
    CHECK_EQ_U(st->brk_bytes, brk);
    CHECK((uintptr_t)big % 16 == 0);
    memset(big, 1, THRESHOLD + 1);
    uint64_t maps_after = st->map_calls;
    CHECK_EQ_U(f.a->free(f.heap, big), HB_FREE_OK);
    CHECK_EQ_U(st->unmap_calls, unmaps + 1);
    CHECK_EQ_U(st->map_calls, maps_after);
    char *small = f.a->malloc(f.heap, THRESHOLD - 1);
    CHECK(small && st->map_calls == maps_after);
    /* calloc of a mapped block: zero without a memset of ours */
    unsigned char *z = f.a->calloc(f.heap, THRESHOLD, 2);
    REQUIRE(z);
    CHECK(z[0] == 0 && z[2 * THRESHOLD - 1] == 0);
    char *al = f.a->aligned_alloc(f.heap, 1 << 16, THRESHOLD * 3);
    CHECK(al && (uintptr_t)al % (1 << 16) == 0);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* A freed mapping raises the threshold to its size: the next request of
 * that size is served from the heap and reused, unless the threshold was
 * set by option. */
static void test_freed_mapping_raises_threshold(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    const hb_osmem_stats *st = hb_osmem_stats_of(f.mem);
    void *p = f.a->malloc(f.heap, 1 << 20);
    REQUIRE(p);
    CHECK_EQ_U(f.a->free(f.heap, p), HB_FREE_OK);
    uint64_t maps = st->map_calls;
    for (int i = 0; i < 4; i++) {
        void *q = f.a->malloc(f.heap, 1 << 20);
        REQUIRE(q);
        CHECK_EQ_U(f.a->free(f.heap, q), HB_FREE_OK);
    }
    CHECK_EQ_U(st->map_calls, maps);
    CHECK(heap_ok(&f));
    close_heap(&f);

    REQUIRE(open_heap(&f, "mmap_threshold=128k"));
    st = hb_osmem_stats_of(f.mem);
    p = f.a->malloc(f.heap, 1 << 20);
    CHECK_EQ_U(f.a->free(f.heap, p), HB_FREE_OK);
    maps = st->map_calls;
    p = f.a->malloc(f.heap, 1 << 20);
    CHECK(st->map_calls == maps + 1);
    CHECK_EQ_U(f.a->free(f.heap, p), HB_FREE_OK);
    close_heap(&f);
}

/* A mapped block that moves because realloc grows it leaves the threshold
 * alone (a growing buffer is not asking again for the size it had); only
 * free raises it. */
static void test_realloc_keeps_threshold(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    sf_heap *h = f.heap;
    char *p = f.a->malloc(f.heap, 300 << 10);
    REQUIRE(p);
    memset(p, 'r', 300 << 10);
    for (size_t n = 600 << 10; n <= (size_t)5 << 20; n *= 2) {
        REQUIRE((p = f.a->realloc(f.heap, p, n)));
        CHECK(p[0] == 'r' && p[(300 << 10) - 1] == 'r');
        CHECK((uintptr_t)p >= (uintptr_t)h->sentinel || (uintptr_t)p < (uintptr_t)h->first);
        CHECK_EQ_U(h->mmap_threshold, THRESHOLD);
    }
    CHECK_EQ_U(f.a->free(f.heap, p), HB_FREE_OK);
    CHECK(h->mmap_threshold > THRESHOLD);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* The raised threshold lifts the trim threshold with it: a heap block of
 * the raised size freed at the top keeps its pages for the next one, so
 * the break does not move and no grow() call is made. */
static void test_raised_threshold_raises_trim(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    const hb_osmem_stats *st = hb_osmem_stats_of(f.mem);
    void *p = f.a->malloc(f.heap, 1 << 20);
    REQUIRE(p);
    CHECK_EQ_U(f.a->free(f.heap, p), HB_FREE_OK);
    CHECK(((sf_heap *)f.heap)->trim_threshold >= (size_t)2 << 20);
    REQUIRE((p = f.a->malloc(f.heap, 1 << 20))); /* now from the heap */
    CHECK_EQ_U(f.a->free(f.heap, p), HB_FREE_OK);
    size_t brk = st->brk_bytes;
    uint64_t grows = st->grow_calls;
    REQUIRE((p = f.a->malloc(f.heap, 1 << 20)));
    CHECK_EQ_U(f.a->free(f.heap, p), HB_FREE_OK);
    CHECK_EQ_U(st->brk_bytes, brk);
    CHECK_EQ_U(st->grow_calls, grows);
    CHECK(heap_ok(&f));
    close_heap(&f);
    /* a trim set by option stays */
    REQUIRE(open_heap(&f, "trim=300k"));
    p = f.a->malloc(f.heap, 1 << 20);
    CHECK_EQ_U(f.a->free(f.heap, p), HB_FREE_OK);
    CHECK_EQ_U(((sf_heap *)f.heap)->trim_threshold, 300 << 10);
    close_heap(&f);
}

/* A request of a page or more takes a close fit from its own class rather
 * than splitting a larger block the rounded-up class search would find. */
static void test_own_class_close_fit(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    char *x = f.a->malloc(f.heap, 5000), *g1 = f.a->malloc(f.heap, 100);
    char *y = f.a->malloc(f.heap, 40000), *g2 = f.a->malloc(f.heap, 100);
    REQUIRE(x && g1 && y && g2);
    CHECK_EQ_U(f.a->free(f.heap, x), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, y), HB_FREE_OK);
    /* 4900 rounds up past x's class (4864..5119 bytes), to y's */
    CHECK(f.a->malloc(f.heap, 4900) == x);
    CHECK(f.a->malloc(f.heap, 30000) == y);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

static void test_threshold_option(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "mmap_threshold=4k,grow=8k,trim=32k"));
    uint64_t maps = hb_osmem_stats_of(f.mem)->map_calls;
    void *p = f.a->malloc(f.heap, 5000);
    CHECK(p && hb_osmem_stats_of(f.mem)->map_calls > maps);
    CHECK_EQ_U(f.a->free(f.heap, p), HB_FREE_OK);
    close_heap(&f);
    hb_osmem *m = hb_osmem_new(0, 0);
    CHECK(lib->create(hb_osmem_source(m), "colour=blue") == NULL);
    CHECK(lib->create(hb_osmem_source(m), "grow=lots") == NULL);
    hb_osmem_free(m);
}

static void test_realloc_in_place(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    char *a = f.a->malloc(f.heap, 100), *b = f.a->malloc(f.heap, 400);
    char *c = f.a->malloc(f.heap, 100);
    REQUIRE(a && b && c);
    memset(a, 'a', 100);
    CHECK(f.a->realloc(f.heap, a, 40) == a);             /* shrink */
    CHECK_EQ_U(f.a->free(f.heap, b), HB_FREE_OK);
    CHECK(f.a->realloc(f.heap, a, 450) == a);            /* into the freed neighbour */
    CHECK(a[0] == 'a' && a[39] == 'a');
    CHECK(heap_ok(&f));
    /* the last block grows past the top of the region */
    char *top = f.a->malloc(f.heap, 60000);
    REQUIRE(top);
    memset(top, 't', 60000);
    size_t brk = hb_osmem_stats_of(f.mem)->brk_bytes;
    char *grown = f.a->realloc(f.heap, top, 100000);
    CHECK(grown == top);
    CHECK(grown && grown[59999] == 't');
    CHECK(hb_osmem_stats_of(f.mem)->brk_bytes > brk);
    CHECK(heap_ok(&f));
    /* a small block parked between the last block and the top does not
     * make it move */
    char *small = f.a->malloc(f.heap, 100);
    REQUIRE(small && small == grown + 100016); /* right after it */
    CHECK_EQ_U(f.a->free(f.heap, small), HB_FREE_OK);
    REQUIRE(sf_block_of(small)->head & SF_CACHED);
    CHECK(f.a->realloc(f.heap, grown, 200000) == grown);
    CHECK(grown[59999] == 't');
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* Small freed blocks are parked unmerged in quick lists; a request that
 * needs their space merges them instead of growing the region. */
static void test_parked_blocks_merge_before_growth(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "grow=4k"));
    char *p[32];
    for (int i = 0; i < 32; i++)
        REQUIRE((p[i] = f.a->malloc(f.heap, 1000)));
    char *guard = f.a->malloc(f.heap, 16);
    REQUIRE(guard);
    for (int i = 0; i < 32; i++)
        CHECK_EQ_U(f.a->free(f.heap, p[i]), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, p[3]), HB_FREE_DOUBLE); /* parked, still known */
    char *again = f.a->malloc(f.heap, 1000);
    CHECK(again == p[15]); /* the last parked block comes back first */
    CHECK_EQ_U(f.a->free(f.heap, again), HB_FREE_OK);
    CHECK(heap_ok(&f));
    size_t brk = hb_osmem_stats_of(f.mem)->brk_bytes;
    char *big = f.a->malloc(f.heap, 30000);
    CHECK(big == p[0]);
    CHECK_EQ_U(hb_osmem_stats_of(f.mem)->brk_bytes, brk);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

static void test_trim_gives_memory_back(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    const hb_osmem_stats *st = hb_osmem_stats_of(f.mem);
    size_t base = st->brk_bytes;
    void *p[64];
    for (int i = 0; i < 64; i++)
        REQUIRE((p[i] = f.a->malloc(f.heap, 16000)));
    CHECK(st->brk_bytes > base + 64 * 16000);
    for (int i = 0; i < 64; i++)
        CHECK_EQ_U(f.a->free(f.heap, p[i]), HB_FREE_OK);
    CHECK(st->brk_bytes < base + (512 << 10));
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* A trim followed by growth back over the same ground was churn: the trim
 * threshold rises, and the next such round keeps its pages (no grow()
 * call, the break stays).  A trim set by option does not move. */
static void test_regrowth_after_trim_raises_trim(void)
{
    for (int fixed = 0; fixed < 2; fixed++) {
        fixture f;
        REQUIRE(open_heap(&f, fixed ? "trim=256k" : NULL));
        const hb_osmem_stats *st = hb_osmem_stats_of(f.mem);
        void *p[64];
        size_t brk = 0;
        uint64_t grows = 0;
        for (int round = 0; round < 3; round++) {
            if (round == 2) {
                brk = st->brk_bytes;
                grows = st->grow_calls;
            }
            for (int i = 0; i < 64; i++)
                REQUIRE((p[i] = f.a->malloc(f.heap, 16000)));
            for (int i = 0; i < 64; i++)
                CHECK_EQ_U(f.a->free(f.heap, p[i]), HB_FREE_OK);
        }
        if (fixed) {
            CHECK_EQ_U(((sf_heap *)f.heap)->trim_threshold, 256 << 10);
            CHECK(st->grow_calls > grows);
        } else {
            CHECK(((sf_heap *)f.heap)->trim_threshold >= 64 * 16000);
            CHECK_EQ_U(st->grow_calls, grows);
            CHECK_EQ_U(st->brk_bytes, brk);
        }
        CHECK(heap_ok(&f));
        close_heap(&f);
    }
}

/* A request no free block fits is carved off the top; the last block
 * freed joins the top again (it is not filed), and is carved again. */
static void test_top_is_carved(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "grow=64k"));
    sf_heap *h = f.heap;
    const hb_osmem_stats *st = hb_osmem_stats_of(f.mem);
    char *a = f.a->malloc(f.heap, 2000);
    REQUIRE(a);
    uint64_t grows = st->grow_calls;
    char *b = f.a->malloc(f.heap, 3000), *c = f.a->malloc(f.heap, 5000);
    REQUIRE(b && c);
    CHECK(b == a + 2016 && c == b + 3008);
    CHECK_EQ_U(st->grow_calls, grows);
    CHECK((char *)h->sentinel == c - 16 + 5008);
    CHECK_EQ_U(f.a->free(f.heap, c), HB_FREE_OK);
    CHECK((char *)h->sentinel == c - 16);
    CHECK(!h->fl_bitmap);
    CHECK_EQ_U(f.a->free(f.heap, c), HB_FREE_INVALID); /* no longer a block */
    CHECK(f.a->malloc(f.heap, 4000) == c);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* ---- check() ------------------------------------------------------------- */

/* One word of a boundary tag, a list link or a bitmap is broken, as an
 * overflow or a write after free would, and check() names what is wrong. */
static void test_check_reports_damage(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    sf_heap *h = f.heap;
    char *a = f.a->malloc(f.heap, 2000), *b = f.a->malloc(f.heap, 2000);
    char *c = f.a->malloc(f.heap, 2000), *q = f.a->malloc(f.heap, 100);
    char *guard = f.a->malloc(f.heap, 100);
    REQUIRE(a && b && c && q && guard);
    CHECK_EQ_U(f.a->free(f.heap, b), HB_FREE_OK); /* too big to park: listed */
    CHECK_EQ_U(f.a->free(f.heap, q), HB_FREE_OK); /* parked in a quick list */
    sf_block *fb = sf_block_of(b), *cb = sf_block_of(c), *qb = sf_block_of(q);
    REQUIRE(sf_is_free(fb) && sf_next(fb) == cb && (qb->head & SF_CACHED));
    CHECK(heap_ok(&f));

    /* b's footer (c's prev_size) no longer matches b's size */
    cb->prev_size += 16;
    expect_damage(&f, "footer");
    cb->prev_size -= 16;

    /* b's header loses its free flag, as an overflow out of a would do */
    fb->head &= ~SF_FREE;
    expect_damage(&f, "PREV_FREE");
    fb->head |= SF_FREE;

    /* b's list link names a, a block in use */
    sf_block *link = fb->next_free;
    fb->next_free = sf_block_of(a);
    expect_damage(&f, "not a free heap block");
    fb->next_free = link;

    /* the parked block loses its CACHED flag */
    qb->head &= ~SF_CACHED;
    expect_damage(&f, "not a parked block");
    qb->head |= SF_CACHED;

    /* the second-level bit of b's list is cleared: malloc would not find b */
    unsigned fl, sl;
    sf_mapping(sf_size(fb), &fl, &sl);
    h->sl_bitmap[fl] ^= 1u << sl;
    expect_damage(&f, "bitmap bit");
    h->sl_bitmap[fl] ^= 1u << sl;

    CHECK(heap_ok(&f));
    close_heap(&f);
}

int main(void)
{
    lib = load_lib("segfit", NULL);
    if (!lib)
        return 1;
    RUN(test_random_model);
    RUN(test_edge_sizes);
    RUN(test_free_codes);
    RUN(test_large_blocks_are_mapped);
    RUN(test_threshold_option);
    RUN(test_freed_mapping_raises_threshold);
    RUN(test_realloc_keeps_threshold);
    RUN(test_raised_threshold_raises_trim);
    RUN(test_own_class_close_fit);
    RUN(test_realloc_in_place);
    RUN(test_parked_blocks_merge_before_growth);
    RUN(test_trim_gives_memory_back);
    RUN(test_regrowth_after_trim_raises_trim);
    RUN(test_top_is_carved);
    RUN(test_check_reports_damage);
    return check_summary();
}
