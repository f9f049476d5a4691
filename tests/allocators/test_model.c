/*
 * The contract every suite allocator keeps, checked against a shadow model.
 *
 * For each library (all seven, or those named on the command line) a seeded
 * random sequence of malloc, calloc, realloc, aligned_alloc and free runs
 * while the test remembers every live block.  It checks what a program
 * relies on: blocks are aligned, lie inside memory the source handed out, do
 * not overlap (each block carries its own fill pattern, verified at free and
 * realloc), realloc keeps the prefix, calloc zeroes, usable_size covers the
 * request, check() passes, bad frees are refused without damage, and
 * destroy() returns every byte to the memory source.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "osmem/osmem.h"

static const char *const all_names[] = { "buddy", "pow2", "firstfit", "bestfit",
                                         "segfit", "pagemeta", "nova" };

typedef struct live {
    unsigned char *p;
    size_t size;
    unsigned char fill;
} live;

#define MAX_LIVE 3000
#define OPS 40000

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Mostly small requests, some medium, a few large: the shape of real heaps. */
static size_t rnd_size(void)
{
    uint64_t r = rnd() % 1000;
    if (r < 700)
        return rnd() % 129;
    if (r < 950)
        return 129 + rnd() % 4000;
    if (r < 995)
        return 4096 + rnd() % 60000;
    return 65536 + rnd() % 300000;
}

static const hb_allocator *open_lib(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.so", HB_ALLOCATOR_DIR, name);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "%s: %s\n", name, dlerror());
        return NULL;
    }
    hb_allocator_entry entry = (hb_allocator_entry)dlsym(h, HB_ALLOCATOR_SYMBOL);
    return entry ? entry() : NULL;
}

static void fill(live *b) { memset(b->p, b->fill, b->size); }

static int intact(const live *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b->p[i] != b->fill)
            return 0;
    return 1;
}

static int cmp_live(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const live *)a)->p, y = (uintptr_t)((const live *)b)->p;
    return x < y ? -1 : x > y;
}

/* Sorts a copy of the live set by address and checks neighbours, using each
 * block's usable size: no two blocks may share a byte. */
static int no_overlap(const hb_allocator *a, void *heap, const live *set, size_t n)
{
    static live sorted[MAX_LIVE];
    memcpy(sorted, set, n * sizeof *set);
    qsort(sorted, n, sizeof *sorted, cmp_live);
    for (size_t i = 1; i < n; i++) {
        size_t prev = a->usable_size ? a->usable_size(heap, sorted[i - 1].p) : sorted[i - 1].size;
        if (sorted[i - 1].p && sorted[i - 1].p + prev > sorted[i].p)
            return 0;
    }
    return 1;
}

/* A new block passes every property a caller relies on. */
static void check_new_block(const hb_allocator *a, void *heap, hb_osmem *m, live *b, size_t align)
{
    CHECK(((uintptr_t)b->p & (align - 1)) == 0);
    CHECK(hb_osmem_contains(m, b->p, b->size ? b->size : 1));
    if (a->usable_size)
        CHECK(a->usable_size(heap, b->p) >= b->size);
}

static int heap_ok(const hb_allocator *a, void *heap, const char *name, unsigned op)
{
    char msg[256] = "";
    if (!a->check || a->check(heap, msg, sizeof msg) == 0)
        return 1;
    fprintf(stderr, "%s: check failed after op %u: %s\n", name, op, msg);
    return 0;
}

static void run_model(const char *name, uint64_t seed)
{
    const hb_allocator *a = open_lib(name);
    REQUIRE(a != NULL);
    REQUIRE(a->create && a->destroy && a->malloc && a->free);
    hb_osmem *m = hb_osmem_new(0, 0);
    REQUIRE(m != NULL);
    void *heap = a->create(hb_osmem_source(m), NULL);
    REQUIRE(heap != NULL);

    static live set[MAX_LIVE];
    size_t n = 0;
    rng_state = seed;
    for (unsigned op = 0; op < OPS; op++) {
        uint64_t r = rnd() % 100;
        bool grow_phase = (op / 5000) % 2 == 0;
        if (n > 0 && (n == MAX_LIVE || r < (grow_phase ? 35u : 60u))) {
            size_t i = rnd() % n;
            CHECK(intact(&set[i], set[i].size));
            if (rnd() % 4 == 0 && a->realloc) { /* realloc keeps the prefix */
                size_t ns = rnd_size() + 1;
                unsigned char *q = a->realloc(heap, set[i].p, ns);
                REQUIRE(q != NULL);
                size_t keep = ns < set[i].size ? ns : set[i].size;
                set[i].p = q;
                CHECK(intact(&set[i], keep));
                set[i].size = ns;
                fill(&set[i]);
                check_new_block(a, heap, m, &set[i], HB_ALIGNMENT);
            } else {
                void *p = set[i].p;
                CHECK_EQ_U(a->free(heap, p), HB_FREE_OK);
                if (rnd() % 16 == 0) /* freeing it again must be refused */
                    CHECK(a->free(heap, p) != HB_FREE_OK);
                set[i] = set[--n];
            }
        } else {
            live b = { NULL, rnd_size(), (unsigned char)(1 + rnd() % 254) };
            size_t align = HB_ALIGNMENT;
            uint64_t kind = rnd() % 10;
            if (kind == 0 && a->calloc) {
                size_t nmemb = 1 + rnd() % 8;
                b.size = (b.size / nmemb + 1) * nmemb;
                b.p = a->calloc(heap, nmemb, b.size / nmemb);
                REQUIRE(b.p != NULL);
                for (size_t k = 0; k < b.size; k++)
                    if (b.p[k]) {
                        CHECK(!"calloc memory is not zero");
                        break;
                    }
            } else if (kind == 1 && a->aligned_alloc) {
                align = (size_t)32 << (rnd() % 8); /* 32 .. 4096 */
                b.p = a->aligned_alloc(heap, align, b.size);
                REQUIRE(b.p != NULL);
            } else {
                b.p = a->malloc(heap, b.size);
                REQUIRE(b.size == 0 || b.p != NULL);
                if (!b.p)
                    continue;
            }
            check_new_block(a, heap, m, &b, align);
            fill(&b);
            set[n++] = b;
        }
        if (op % 2000 == 0) {
            CHECK(no_overlap(a, heap, set, n));
            CHECK(heap_ok(a, heap, name, op));
        }
    }
    /* A pointer into the middle of a live block is refused, and the block
     * survives the attempt. */
    for (size_t i = 0; i < n; i++) {
        if (set[i].size >= 64) {
            CHECK(a->free(heap, set[i].p + 24) != HB_FREE_OK);
            CHECK(intact(&set[i], set[i].size));
            break;
        }
    }
    CHECK(no_overlap(a, heap, set, n));
    CHECK(heap_ok(a, heap, name, OPS));
    while (n > 0) {
        CHECK(intact(&set[n - 1], set[n - 1].size));
        CHECK_EQ_U(a->free(heap, set[--n].p), HB_FREE_OK);
    }
    CHECK(heap_ok(a, heap, name, OPS));
    a->destroy(heap);
    CHECK_EQ_U(hb_osmem_stats_of(m)->cur_bytes, 0);
    hb_osmem_free(m);
}

/* Sizes at the edge of size_t never wrap around into a small block. */
static void run_edges(const char *name)
{
    const hb_allocator *a = open_lib(name);
    REQUIRE(a != NULL);
    hb_osmem *m = hb_osmem_new(0, 0);
    void *heap = a->create(hb_osmem_source(m), NULL);
    REQUIRE(heap != NULL);
    const size_t huge[] = { SIZE_MAX, SIZE_MAX - 15, SIZE_MAX / 2, (size_t)PTRDIFF_MAX,
                            (size_t)1 << 62 };
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        CHECK(a->malloc(heap, huge[i]) == NULL);
        if (a->calloc)
            CHECK(a->calloc(heap, 2, huge[i] / 2 + 1) == NULL);
    }
    void *z = a->malloc(heap, 0);
    CHECK_EQ_U(a->free(heap, z), HB_FREE_OK);
    CHECK_EQ_U(a->free(heap, NULL), HB_FREE_OK);
    int on_stack;
    CHECK(a->free(heap, &on_stack) != HB_FREE_OK);
    if (a->realloc) {
        unsigned char *p = a->realloc(heap, NULL, 100);
        REQUIRE(p != NULL);
        memset(p, 7, 100);
        CHECK(a->realloc(heap, p, SIZE_MAX - 8) == NULL);
        CHECK(p[99] == 7);
        CHECK(a->realloc(heap, p, 0) == NULL); /* frees p */
    }
    CHECK(heap_ok(a, heap, name, 0));
    a->destroy(heap);
    CHECK_EQ_U(hb_osmem_stats_of(m)->cur_bytes, 0);
    hb_osmem_free(m);
}

/* Two heaps of one library share nothing. */
static void run_two_heaps(const char *name)
{
    const hb_allocator *a = open_lib(name);
    REQUIRE(a != NULL);
    hb_osmem *m1 = hb_osmem_new(0, 0), *m2 = hb_osmem_new(0, 0);
    void *h1 = a->create(hb_osmem_source(m1), NULL);
    void *h2 = a->create(hb_osmem_source(m2), NULL);
    REQUIRE(h1 && h2);
    void *p1 = a->malloc(h1, 100), *p2 = a->malloc(h2, 100);
    REQUIRE(p1 && p2);
    CHECK(hb_osmem_contains(m1, p1, 100) && !hb_osmem_contains(m2, p1, 100));
    CHECK(hb_osmem_contains(m2, p2, 100) && !hb_osmem_contains(m1, p2, 100));
    CHECK(a->free(h2, p1) != HB_FREE_OK); /* not h2's block */
    CHECK_EQ_U(a->free(h1, p1), HB_FREE_OK);
    CHECK_EQ_U(a->free(h2, p2), HB_FREE_OK);
    a->destroy(h1);
    a->destroy(h2);
    hb_osmem_free(m1);
    hb_osmem_free(m2);
}

static const char *current;
static void test_model(void) { run_model(current, 0x5EED0001); run_model(current, 0x5EED0002); }
static void test_edges(void) { run_edges(current); }
static void test_two_heaps(void) { run_two_heaps(current); }

int main(int argc, char **argv)
{
    size_t count = argc > 1 ? (size_t)argc - 1 : sizeof all_names / sizeof all_names[0];
    for (size_t i = 0; i < count; i++) {
        current = argc > 1 ? argv[i + 1] : all_names[i];
        fprintf(stderr, "== %s\n", current);
        RUN(test_model);
        RUN(test_edges);
        RUN(test_two_heaps);
    }
    return check_summary();
}
