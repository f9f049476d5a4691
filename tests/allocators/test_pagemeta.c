/*
 * pagemeta: random operations against a shadow model, edge sizes, free
 * status codes, mode=page (all 4096 bytes usable, split and merge, no byte
 * of the page used by metadata) and the elastic heap (no mapping at create,
 * one page more each time nothing fits).
 */
#include "check.h"
#include "osmem/osmem.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LIB HB_ALLOCATOR_DIR "/pagemeta.so"
static size_t ALIGN = 16; /* 8 in mode=page */
static size_t PAGE = 4096; /* the memory source's page, set in main */

typedef struct fixture {
    hb_osmem *mem;
    const hb_allocator *a;
    void *heap;
} fixture;

static const hb_allocator *load(void)
{
    static const hb_allocator *a;
    if (!a) {
        void *dl = dlopen(LIB, RTLD_NOW | RTLD_LOCAL);
        hb_allocator_entry entry = dl ? (hb_allocator_entry)dlsym(dl, HB_ALLOCATOR_SYMBOL) : NULL;
        a = entry ? entry() : NULL;
    }
    return a;
}

static bool open_heap(fixture *f, const char *options)
{
    f->a = load();
    f->mem = hb_osmem_new(0, 0);
    f->heap = f->a && f->mem ? f->a->create(hb_osmem_source(f->mem), options) : NULL;
    return f->heap != NULL;
}

static void close_heap(fixture *f)
{
    if (f->heap)
        f->a->destroy(f->heap);
    if (f->mem) {
        CHECK_EQ_U(hb_osmem_stats_of(f->mem)->cur_bytes, 0);
        hb_osmem_free(f->mem);
    }
}

static bool heap_ok(fixture *f)
{
    char msg[200];
    int rc = f->a->check(f->heap, msg, sizeof msg);
    if (rc)
        fprintf(stderr, "check: %s\n", msg);
    return rc == 0;
}

/* ---- shadow model ---------------------------------------------------------- */

typedef struct slot {
    unsigned char *p;
    size_t n;
    unsigned char seed;
} slot;

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fill(slot *s)
{
    for (size_t i = 0; i < s->n; i++)
        s->p[i] = (unsigned char)(s->seed + i * 7);
}

static bool intact(const slot *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->p[i] != (unsigned char)(s->seed + i * 7))
            return false;
    return true;
}

static bool disjoint(const slot *slots, size_t count, size_t self)
{
    const unsigned char *p = slots[self].p;
    size_t n = slots[self].n ? slots[self].n : 1;
    for (size_t i = 0; i < count; i++)
        if (i != self && slots[i].p && p < slots[i].p + (slots[i].n ? slots[i].n : 1) &&
            slots[i].p < p + n)
            return false;
    return true;
}

static size_t random_size(void)
{
    uint64_t r = next_rand();
    switch (r % 16) {
    case 0: return (size_t)(r >> 8) % 3;
    case 1: return PAGE - 64 + (size_t)(r >> 8) % 128; /* around one page */
    case 2: return (size_t)(r >> 8) % (3 * PAGE);
    case 3: case 4: return (size_t)(r >> 8) % 4096;
    default: return 1 + (size_t)(r >> 8) % 256;
    }
}

/* Places a fresh pointer into slot i and checks everything about it. */
static bool accept(fixture *f, slot *slots, size_t count, size_t i, void *p, size_t n, size_t align)
{
    if (!p)
        return false;
    slots[i] = (slot){ p, n, (unsigned char)next_rand() };
    CHECK((uintptr_t)p % align == 0);
    CHECK(hb_osmem_contains(f->mem, p, n ? n : 1));
    CHECK(f->a->usable_size(f->heap, p) >= n);
    CHECK(disjoint(slots, count, i));
    fill(&slots[i]);
    return true;
}

static void one_op(fixture *f, slot *slots, size_t count)
{
    size_t i = (size_t)(next_rand() % count);
    slot *s = &slots[i];
    if (s->p) {
        CHECK(intact(s));
        if (next_rand() % 2) {
            CHECK_EQ_U(f->a->free(f->heap, s->p), HB_FREE_OK);
            s->p = NULL;
            return;
        }
        size_t n = random_size();
        unsigned char *q = f->a->realloc(f->heap, s->p, n);
        if (!n)
            s->p = NULL;
        else if (q) {
            size_t keep = n < s->n ? n : s->n;
            s->n = keep;
            s->p = q;
            CHECK(intact(s));
            accept(f, slots, count, i, q, n, ALIGN);
        }
        return;
    }
    size_t n = random_size();
    switch (next_rand() % 4) {
    case 0: {
        unsigned char *p = f->a->calloc(f->heap, 1, n);
        for (size_t k = 0; p && k < n; k++)
            if (p[k]) {
                CHECK(!"calloc memory is zero");
                break;
            }
        accept(f, slots, count, i, p, n, ALIGN);
        break;
    }
    case 1: {
        size_t align = (size_t)8 << (next_rand() % 11);
        accept(f, slots, count, i, f->a->aligned_alloc(f->heap, align, n), n, align);
        break;
    }
    default: accept(f, slots, count, i, f->a->malloc(f->heap, n), n, ALIGN);
    }
}

static void run_model(const char *options, int ops)
{
    fixture f;
    REQUIRE(open_heap(&f, options));
    enum { COUNT = 400 };
    static slot slots[COUNT];
    memset(slots, 0, sizeof slots);
    for (int op = 0; op < ops; op++) {
        one_op(&f, slots, COUNT);
        if (op % 1000 == 0)
            CHECK(heap_ok(&f));
    }
    for (size_t i = 0; i < COUNT; i++)
        if (slots[i].p) {
            CHECK(intact(&slots[i]));
            CHECK_EQ_U(f.a->free(f.heap, slots[i].p), HB_FREE_OK);
        }
    CHECK(heap_ok(&f));
    close_heap(&f);
}

static void test_random_model(void) { run_model(NULL, 30000); }

static void test_edge_sizes(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    void *z1 = f.a->malloc(f.heap, 0), *z2 = f.a->malloc(f.heap, 0);
    CHECK(z1 && z2 && z1 != z2);
    CHECK_EQ_U(f.a->usable_size(f.heap, z1), 16);
    CHECK(f.a->malloc(f.heap, SIZE_MAX) == NULL);
    CHECK(f.a->malloc(f.heap, SIZE_MAX - 15) == NULL);
    CHECK(f.a->malloc(f.heap, PTRDIFF_MAX) == NULL);
    CHECK(f.a->calloc(f.heap, SIZE_MAX / 2, 3) == NULL);
    CHECK(f.a->aligned_alloc(f.heap, 64, SIZE_MAX - 15) == NULL);
    CHECK(f.a->aligned_alloc(f.heap, 48, 16) == NULL);
    CHECK(f.a->realloc(f.heap, z1, SIZE_MAX) == NULL);
    CHECK_EQ_U(f.a->free(f.heap, z1), HB_FREE_OK);
    CHECK(f.a->realloc(f.heap, z2, 0) == NULL);
    CHECK(heap_ok(&f));
    close_heap(&f);
    hb_osmem *m = hb_osmem_new(0, 0);
    CHECK(load()->create(hb_osmem_source(m), "mode=pages") == NULL);
    CHECK(load()->create(hb_osmem_source(m), "size=1") == NULL);
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

static void test_page_mode_model(void)
{
    ALIGN = 8;
    run_model("mode=page", 20000);
    ALIGN = 16;
}

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

int main(void)
{
    if (!load()) {
        fprintf(stderr, "cannot load %s: %s\n", LIB, dlerror());
        return 1;
    }
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
    return check_summary();
}
