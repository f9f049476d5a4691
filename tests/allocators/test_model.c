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
#include "shadow.h"

static const char *const all_names[] = { "buddy", "pow2", "firstfit", "bestfit",
                                         "segfit", "pagemeta", "nova" };

#define MAX_LIVE 3000
#define OPS 40000

/* Mostly small requests, some medium, a few large: the shape of real heaps. */
static size_t rnd_size(uint64_t *rng)
{
    uint64_t r = rng_next(rng) % 1000;
    if (r < 700)
        return rng_next(rng) % 129;
    if (r < 950)
        return 129 + rng_next(rng) % 4000;
    if (r < 995)
        return 4096 + rng_next(rng) % 60000;
    return 65536 + rng_next(rng) % 300000;
}

/* check() passes; otherwise the library and the operation are named. */
static bool heap_ok_after(const fixture *f, const char *name, unsigned op)
{
    if (heap_ok(f))
        return true;
    fprintf(stderr, "%s: check failed after op %u\n", name, op);
    return false;
}

/* A new block of a random size from calloc or aligned_alloc (one time in
 * ten each) or malloc, with its fill tag.  p is NULL after a failed check,
 * or for a malloc(0) that answers NULL, which the contract allows. */
static shadow new_block(const fixture *f, uint64_t *rng, size_t *align)
{
    shadow b = { NULL, rnd_size(rng), (unsigned char)(1 + rng_next(rng) % 254) };
    uint64_t kind = rng_next(rng) % 10;
    *align = HB_ALIGNMENT;
    if (kind == 0 && lib->calloc) {
        size_t nmemb = 1 + rng_next(rng) % 8;
        b.size = (b.size / nmemb + 1) * nmemb;
        b.p = lib->calloc(f->heap, nmemb, b.size / nmemb);
        CHECK(b.p != NULL);
        if (b.p && !all_zero(b.p, b.size))
            CHECK(!"calloc memory is not zero");
    } else if (kind == 1 && lib->aligned_alloc) {
        *align = (size_t)32 << (rng_next(rng) % 8); /* 32 .. 4096 */
        b.p = lib->aligned_alloc(f->heap, *align, b.size);
        CHECK(b.p != NULL);
    } else {
        b.p = lib->malloc(f->heap, b.size);
        CHECK(b.size == 0 || b.p != NULL);
    }
    return b;
}

/* realloc keeps the prefix. */
static void resize(const fixture *f, shadow *s, uint64_t *rng)
{
    size_t ns = rnd_size(rng) + 1, keep = ns < s->size ? ns : s->size;
    unsigned char *q = lib->realloc(f->heap, s->p, ns);
    REQUIRE(q != NULL);
    s->p = q;
    CHECK(intact(s, keep));
    s->size = ns;
    fill(s);
    check_new_block(f, q, ns, HB_ALIGNMENT);
}

/* Frees set[i] (refusing, one time in sixteen, a second free of it) and
 * moves the last block into its place. */
static void release(const fixture *f, shadow *set, size_t *n, size_t i, uint64_t *rng)
{
    void *p = set[i].p;
    CHECK_EQ_U(lib->free(f->heap, p), HB_FREE_OK);
    if (rng_next(rng) % 16 == 0) /* freeing it again must be refused */
        CHECK(lib->free(f->heap, p) != HB_FREE_OK);
    set[i] = set[--*n];
}

/* Phases of 5000 operations alternate: one grows the live set (35% frees),
 * the next shrinks it (60%). */
static void run_model(const char *name, uint64_t seed)
{
    REQUIRE(lib != NULL);
    REQUIRE(lib->create && lib->destroy && lib->malloc && lib->free);
    fixture f;
    REQUIRE(open_heap(&f, NULL));

    static shadow set[MAX_LIVE];
    size_t n = 0;
    uint64_t rng = seed;
    for (unsigned op = 0; op < OPS && !check_test_failed_; op++) {
        uint64_t r = rng_next(&rng) % 100;
        bool grow_phase = (op / 5000) % 2 == 0;
        if (n > 0 && (n == MAX_LIVE || r < (grow_phase ? 35u : 60u))) {
            size_t i = rng_next(&rng) % n;
            CHECK(intact(&set[i], set[i].size));
            if (rng_next(&rng) % 4 == 0 && lib->realloc)
                resize(&f, &set[i], &rng);
            else
                release(&f, set, &n, i, &rng);
        } else {
            size_t align;
            shadow b = new_block(&f, &rng, &align);
            if (!b.p)
                continue;
            check_new_block(&f, b.p, b.size, align);
            fill(&b);
            set[n++] = b;
        }
        if (op % 2000 == 0) {
            CHECK(disjoint(&f, set, n));
            CHECK(heap_ok_after(&f, name, op));
        }
    }
    if (check_test_failed_)
        return; /* one fault is enough: no cascade */
    /* A pointer into the middle of a live block is refused, and the block
     * survives the attempt. */
    for (size_t i = 0; i < n; i++) {
        if (set[i].size >= 64) {
            CHECK(lib->free(f.heap, set[i].p + 24) != HB_FREE_OK);
            CHECK(intact(&set[i], set[i].size));
            break;
        }
    }
    CHECK(disjoint(&f, set, n));
    CHECK(heap_ok_after(&f, name, OPS));
    while (n > 0) {
        CHECK(intact(&set[n - 1], set[n - 1].size));
        CHECK_EQ_U(lib->free(f.heap, set[--n].p), HB_FREE_OK);
    }
    CHECK(heap_ok_after(&f, name, OPS));
    close_heap(&f);
}

/* Sizes at the edge of size_t never wrap around into a small block. */
static void run_edges(const char *name)
{
    fixture f;
    REQUIRE(lib != NULL);
    REQUIRE(open_heap(&f, NULL));
    const size_t huge[] = { SIZE_MAX, SIZE_MAX - 15, SIZE_MAX / 2, (size_t)PTRDIFF_MAX,
                            (size_t)1 << 62 };
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        CHECK(lib->malloc(f.heap, huge[i]) == NULL);
        if (lib->calloc)
            CHECK(lib->calloc(f.heap, 2, huge[i] / 2 + 1) == NULL);
    }
    void *z = lib->malloc(f.heap, 0);
    CHECK_EQ_U(lib->free(f.heap, z), HB_FREE_OK);
    CHECK_EQ_U(lib->free(f.heap, NULL), HB_FREE_OK);
    int on_stack;
    CHECK(lib->free(f.heap, &on_stack) != HB_FREE_OK);
    if (lib->realloc) {
        unsigned char *p = lib->realloc(f.heap, NULL, 100);
        REQUIRE(p != NULL);
        memset(p, 7, 100);
        CHECK(lib->realloc(f.heap, p, SIZE_MAX - 8) == NULL);
        CHECK(p[99] == 7);
        CHECK(lib->realloc(f.heap, p, 0) == NULL); /* frees p */
    }
    CHECK(heap_ok_after(&f, name, 0));
    close_heap(&f);
}

/* Two heaps of one library share nothing. */
static void run_two_heaps(void)
{
    fixture f1, f2;
    REQUIRE(lib != NULL);
    open_heap(&f1, NULL);
    open_heap(&f2, NULL);
    REQUIRE(f1.heap && f2.heap);
    void *p1 = lib->malloc(f1.heap, 100), *p2 = lib->malloc(f2.heap, 100);
    REQUIRE(p1 && p2);
    CHECK(hb_osmem_contains(f1.mem, p1, 100) && !hb_osmem_contains(f2.mem, p1, 100));
    CHECK(hb_osmem_contains(f2.mem, p2, 100) && !hb_osmem_contains(f1.mem, p2, 100));
    CHECK(lib->free(f2.heap, p1) != HB_FREE_OK); /* not f2's block */
    CHECK_EQ_U(lib->free(f1.heap, p1), HB_FREE_OK);
    CHECK_EQ_U(lib->free(f2.heap, p2), HB_FREE_OK);
    close_heap(&f1);
    close_heap(&f2);
}

static const char *current;
static void test_model(void) { run_model(current, 0x5EED0001); run_model(current, 0x5EED0002); }
static void test_edges(void) { run_edges(current); }
static void test_two_heaps(void) { run_two_heaps(); }

int main(int argc, char **argv)
{
    size_t count = argc > 1 ? (size_t)argc - 1 : sizeof all_names / sizeof all_names[0];
    for (size_t i = 0; i < count; i++) {
        current = argc > 1 ? argv[i + 1] : all_names[i];
        fprintf(stderr, "== %s\n", current);
        lib = load_lib(current, NULL);
        RUN(test_model);
        RUN(test_edges);
        RUN(test_two_heaps);
    }
    return check_summary();
}
