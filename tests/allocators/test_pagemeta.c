/*
 * pagemeta: random operations against a shadow model, edge sizes, free
 * status codes, mode=page (all 4096 bytes usable, split and merge, no byte
 * of the page used by metadata), the elastic heap (no mapping at create,
 * one page more each time nothing fits), and check() catching damage to
 * the metadata outside the pages.
 */
#include "shadow.h"

#include "pagemeta/pagemeta_internal.h"

static size_t PAGE = 4096; /* the memory source's page, set in main */

/* ---- shadow model ---------------------------------------------------------- */

/* Around one page, and runs of a few pages. */
static size_t random_size(uint64_t *r) { return edge_size(r, PAGE - 64, 128, 3 * PAGE); }

/* align: what malloc promises, 8 in mode=page. */
static void run_model(const char *options, size_t ops, size_t align)
{
    every_method_model(options, ops, random_size, align, 8192);
}

static void test_random_model(void) { run_model(NULL, 30000, 16); }

static void test_edge_sizes(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    void *z[2];
    check_zero_and_huge(&f, z);
    void *z1 = z[0], *z2 = z[1];
    CHECK_EQ_U(f.a->usable_size(f.heap, z1), 16);
    CHECK(f.a->aligned_alloc(f.heap, 48, 16) == NULL);
    CHECK(f.a->realloc(f.heap, z1, SIZE_MAX) == NULL);
    CHECK_EQ_U(f.a->free(f.heap, z1), HB_FREE_OK);
    CHECK(f.a->realloc(f.heap, z2, 0) == NULL);
    CHECK(heap_ok(&f));
    close_heap(&f);
    hb_osmem *m = hb_osmem_new(0, 0);
    CHECK(lib->create(hb_osmem_source(m), "mode=pages") == NULL);
    CHECK(lib->create(hb_osmem_source(m), "size=1") == NULL);
    hb_osmem_free(m);
}

static void test_free_codes(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    int on_stack;
    char *a = f.a->malloc(f.heap, 100), *big = f.a->malloc(f.heap, 3 * PAGE);
    REQUIRE(a && big);
    CHECK_EQ_U(f.a->free(f.heap, &on_stack), HB_FREE_INVALID);
    CHECK_EQ_U(f.a->free(f.heap, a + 16), HB_FREE_INVALID);
    CHECK_EQ_U(f.a->free(f.heap, a + 1), HB_FREE_INVALID);
    CHECK_EQ_U(f.a->free(f.heap, a + PAGE - 16), HB_FREE_INVALID); /* never handed out */
    CHECK_EQ_U(f.a->free(f.heap, big + 16), HB_FREE_INVALID);
    CHECK_EQ_U(f.a->free(f.heap, big + PAGE), HB_FREE_INVALID);
    CHECK_EQ_U(f.a->free(f.heap, a), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, a), HB_FREE_DOUBLE);
    CHECK_EQ_U(f.a->free(f.heap, big), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, big), HB_FREE_DOUBLE);
    /* a freed block merged with its free neighbours is still known as freed */
    char *b = f.a->malloc(f.heap, 32), *c = f.a->malloc(f.heap, 32);
    REQUIRE(b && c);
    CHECK_EQ_U(f.a->free(f.heap, b), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, c), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, c), HB_FREE_DOUBLE);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* ---- mode=page ---------------------------------------------------------------- */

static void test_page_mode_all_bytes(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "mode=page"));
    const hb_osmem_stats *st = hb_osmem_stats_of(f.mem);
    CHECK_EQ_U(st->map_calls, 1);
    static char *p[512];
    char *lo = NULL;
    for (int i = 0; i < 512; i++) {
        REQUIRE((p[i] = f.a->malloc(f.heap, 8)));
        CHECK((uintptr_t)p[i] % 8 == 0);
        if (!lo || p[i] < lo)
            lo = p[i];
    }
    CHECK(f.a->malloc(f.heap, 8) == NULL);
    CHECK(f.a->malloc(f.heap, 1) == NULL);
    /* the 512 blocks tile the page exactly */
    static bool seen[512];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < 512; i++) {
        size_t k = (size_t)(p[i] - lo) / 8;
        CHECK(k < 512 && !seen[k] && (p[i] - lo) % 8 == 0);
        if (k < 512)
            seen[k] = true;
    }
    memset(lo, 0xFF, 4096); /* metadata outside the page: this breaks nothing */
    CHECK(heap_ok(&f));
    for (int i = 0; i < 512; i++)
        CHECK_EQ_U(f.a->free(f.heap, p[i]), HB_FREE_OK);
    char *whole = f.a->malloc(f.heap, 4096);
    CHECK(whole == lo);
    CHECK(whole && f.a->usable_size(f.heap, whole) == 4096);
    CHECK(f.a->malloc(f.heap, 8) == NULL);
    memset(whole, 0xA5, 4096);
    CHECK(heap_ok(&f));
    CHECK_EQ_U(f.a->free(f.heap, whole), HB_FREE_OK);
    CHECK(f.a->malloc(f.heap, 4097) == NULL);
    CHECK(f.a->aligned_alloc(f.heap, 8192, 8) == NULL);
    CHECK_EQ_U(st->map_calls, 1);
    close_heap(&f);
}

static void test_page_mode_split_merge(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "mode=page"));
    char *q[4];
    for (int i = 0; i < 4; i++)
        REQUIRE((q[i] = f.a->malloc(f.heap, 1024)));
    CHECK(f.a->malloc(f.heap, 8) == NULL);
    /* split: a freed 1024 serves 1000 + 24 */
    CHECK_EQ_U(f.a->free(f.heap, q[1]), HB_FREE_OK);
    char *s1 = f.a->malloc(f.heap, 1000), *s2 = f.a->malloc(f.heap, 24);
    CHECK(s1 == q[1] && s2 == q[1] + 1000);
    CHECK(f.a->malloc(f.heap, 8) == NULL);
    /* merge: free neighbours become one run */
    CHECK_EQ_U(f.a->free(f.heap, s1), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, s2), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, q[2]), HB_FREE_OK);
    CHECK(f.a->malloc(f.heap, 2056) == NULL);
    char *m = f.a->malloc(f.heap, 2048);
    CHECK(m == q[1]);
    CHECK_EQ_U(f.a->free(f.heap, m), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, q[0]), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, q[3]), HB_FREE_OK);
    CHECK(heap_ok(&f));
    CHECK(f.a->malloc(f.heap, 4096) == q[0]);
    close_heap(&f);
}

static void test_page_mode_model(void) { run_model("mode=page", 20000, 8); }

/* ---- elastic --------------------------------------------------------------- */

static void test_elastic_maps_on_demand(void)
{
    fixture f;
    REQUIRE(open_heap(&f, "mode=elastic"));
    const hb_osmem_stats *st = hb_osmem_stats_of(f.mem);
    CHECK_EQ_U(st->map_calls, 0);
    CHECK_EQ_U(st->map_bytes, 0);
    size_t quarter = PAGE / 4;
    char *p[8];
    for (int i = 0; i < 8; i++) {
        REQUIRE((p[i] = f.a->malloc(f.heap, quarter)));
        CHECK_EQ_U(st->map_calls, (uint64_t)(i / 4 + 1));
        CHECK_EQ_U(st->map_bytes, (size_t)(i / 4 + 1) * PAGE);
    }
    /* freed space is found again before any new page */
    CHECK_EQ_U(f.a->free(f.heap, p[1]), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, p[6]), HB_FREE_OK);
    CHECK(f.a->malloc(f.heap, quarter) != NULL);
    CHECK(f.a->malloc(f.heap, quarter) != NULL);
    CHECK_EQ_U(st->map_calls, 2);
    /* two quarters free, but not adjacent: a half needs a new page */
    CHECK_EQ_U(f.a->free(f.heap, p[0]), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, p[7]), HB_FREE_OK);
    CHECK(f.a->malloc(f.heap, 2 * quarter) != NULL);
    CHECK_EQ_U(st->map_calls, 3);
    /* a request above a page gets a dedicated run, unmapped by free */
    char *run = f.a->malloc(f.heap, PAGE + 1);
    REQUIRE(run);
    CHECK_EQ_U(st->map_bytes, 5 * PAGE);
    CHECK_EQ_U(f.a->usable_size(f.heap, run), 2 * PAGE);
    CHECK_EQ_U(f.a->free(f.heap, run), HB_FREE_OK);
    CHECK_EQ_U(st->map_bytes, 3 * PAGE);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

static void test_elastic_realloc_in_page(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    char *a = f.a->malloc(f.heap, 64), *b = f.a->malloc(f.heap, 64);
    REQUIRE(a && b);
    memset(a, 'a', 64);
    CHECK_EQ_U(f.a->free(f.heap, b), HB_FREE_OK);
    CHECK(f.a->realloc(f.heap, a, 1000) == a);
    CHECK(a[63] == 'a');
    CHECK(f.a->realloc(f.heap, a, 32) == a);
    char *big = f.a->realloc(f.heap, a, 2 * PAGE);
    CHECK(big && big != a && big[31] == 'a');
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* ---- check() ------------------------------------------------------------- */

/* Descriptor i, for the first PM_CHUNK0 of them (all in chunk 0). */
static pm_page *desc(const pm_heap *h, uint32_t i)
{
    return (pm_page *)((char *)h->chunk[0] + (size_t)i * h->stride);
}

/* One field or bit of a page descriptor, of the bucket bitmap or of the
 * free-descriptor list is broken, as a stray write into the metadata would,
 * and check() names what is wrong.  The pages themselves are not touched. */
static void test_check_reports_damage(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    pm_heap *h = f.heap;
    char *a = f.a->malloc(f.heap, 100), *b = f.a->malloc(f.heap, 100);
    char *big = f.a->malloc(f.heap, 3 * PAGE);
    REQUIRE(a && b && big);
    CHECK_EQ_U(f.a->free(f.heap, big), HB_FREE_OK); /* its descriptor is unused now */
    REQUIRE(h->ndesc == 2 && h->free_desc == 1);
    pm_page *d = desc(h, 0);
    REQUIRE(d->kind == PM_SMALL && d->addr == ((uintptr_t)a & ~(uintptr_t)(PAGE - 1)));
    CHECK(heap_ok(&f));

    /* a's start bit lost: its used run begins no block */
    size_t g = ((uintptr_t)a - d->addr) >> h->gran_shift;
    REQUIRE(hb_bit(pm_start(h, d), g) && (g == 0 || !hb_bit(pm_used(d), g - 1)));
    pm_start(h, d)[g >> 6] ^= (uint64_t)1 << (g & 63);
    expect_damage(&f, "no start bit");
    pm_start(h, d)[g >> 6] ^= (uint64_t)1 << (g & 63);

    /* the page's bound below its true longest free run */
    uint32_t largest = d->largest;
    d->largest = 1;
    expect_damage(&f, "above its bound");
    d->largest = largest;

    /* the descriptor names another page than the page map gives it */
    d->addr += PAGE;
    expect_damage(&f, "page map does not point back");
    d->addr -= PAGE;

    /* the bucket bitmap says the page's bucket is empty */
    h->bucket_bits[largest >> 6] ^= (uint64_t)1 << (largest & 63);
    expect_damage(&f, "bitmap bit is wrong");
    h->bucket_bits[largest >> 6] ^= (uint64_t)1 << (largest & 63);

    /* the free-descriptor list holds the live page instead of the unused
     * descriptor: the next large run would take over the page */
    h->free_desc = 0;
    expect_damage(&f, "free list holds descriptor 0");
    h->free_desc = 1;

    CHECK(heap_ok(&f));
    close_heap(&f);
}

int main(void)
{
    lib = load_lib("pagemeta", NULL);
    if (!lib)
        return 1;
    hb_osmem *m = hb_osmem_new(0, 0);
    if (m) {
        PAGE = hb_osmem_source(m)->page_size;
        hb_osmem_free(m);
    }
    RUN(test_random_model);
    RUN(test_edge_sizes);
    RUN(test_free_codes);
    RUN(test_page_mode_all_bytes);
    RUN(test_page_mode_split_merge);
    RUN(test_page_mode_model);
    RUN(test_elastic_maps_on_demand);
    RUN(test_elastic_realloc_in_page);
    RUN(test_check_reports_damage);
    return check_summary();
}
