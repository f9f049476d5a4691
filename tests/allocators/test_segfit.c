/*
 * segfit: random operations against a shadow model, edge sizes, free status
 * codes, the mapped path for large blocks, and in-place realloc.
 */
#include "check.h"
#include "osmem/osmem.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LIB HB_ALLOCATOR_DIR "/segfit.so"
#define THRESHOLD ((size_t)128 << 10)

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
    case 1: return THRESHOLD - 64 + (size_t)(r >> 8) % 128; /* around the threshold */
    case 2: return (size_t)(r >> 8) % (600 << 10);
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
            accept(f, slots, count, i, q, n, 16);
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
        accept(f, slots, count, i, p, n, 16);
        break;
    }
    case 1: {
        size_t align = (size_t)8 << (next_rand() % 10);
        accept(f, slots, count, i, f->a->aligned_alloc(f->heap, align, n), n, align);
        break;
    }
    default: accept(f, slots, count, i, f->a->malloc(f->heap, n), n, 16);
    }
}

static void test_random_model(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    enum { COUNT = 400, OPS = 30000 };
    static slot slots[COUNT];
    memset(slots, 0, sizeof slots);
    for (int op = 0; op < OPS; op++) {
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

/* ---- edges ------------------------------------------------------------------- */

static void test_edge_sizes(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    void *z1 = f.a->malloc(f.heap, 0), *z2 = f.a->malloc(f.heap, 0);
    CHECK(z1 && z2 && z1 != z2);
    CHECK(f.a->usable_size(f.heap, z1) >= 1);
    CHECK(f.a->malloc(f.heap, SIZE_MAX) == NULL);
    CHECK(f.a->malloc(f.heap, SIZE_MAX - 15) == NULL);
    CHECK(f.a->malloc(f.heap, PTRDIFF_MAX) == NULL);
    CHECK(f.a->calloc(f.heap, SIZE_MAX / 2, 3) == NULL);
    CHECK(f.a->realloc(f.heap, z1, SIZE_MAX - 15) == NULL);
    CHECK(f.a->aligned_alloc(f.heap, 64, SIZE_MAX - 15) == NULL);
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
    CHECK(load()->create(hb_osmem_source(m), "colour=blue") == NULL);
    CHECK(load()->create(hb_osmem_source(m), "grow=lots") == NULL);
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

int main(void)
{
    if (!load()) {
        fprintf(stderr, "cannot load %s: %s\n", LIB, dlerror());
        return 1;
    }
    RUN(test_random_model);
    RUN(test_edge_sizes);
    RUN(test_free_codes);
    RUN(test_large_blocks_are_mapped);
    RUN(test_threshold_option);
    RUN(test_realloc_in_place);
    RUN(test_parked_blocks_merge_before_growth);
    RUN(test_trim_gives_memory_back);
    return check_summary();
}
