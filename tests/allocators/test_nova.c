/*
 * nova: random operations against a shadow model, edge sizes, reliable
 * free status codes, coalescing, in-place realloc, space reused by doubling
 * vectors, check() catching damage to free runs, bitmaps and lists, and the
 * course task's promises through its own API (my_malloc, my_free,
 * nova_bind): 1024 allocations of 16 bytes take at most 32 KiB from the
 * memory source.
 */
#include "shadow.h"

#include "nova/nova_internal.h"

static void *(*my_malloc)(unsigned long);
static int (*my_free)(void *);
static int (*nova_bind)(const hb_memsrc *);

/* ---- shadow model ---------------------------------------------------------- */

/* Around one word of bitmap (64 blocks of 16 bytes), and large blocks. */
static size_t random_size(uint64_t *r) { return edge_size(r, 1008, 32, 300 << 10); }

static void test_random_model(void)
{
    every_method_model(NULL, 30000, random_size, 16, 4096);
}

static void test_edge_sizes(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    void *z[2];
    check_zero_and_huge(&f, z);
    void *z1 = z[0], *z2 = z[1];
    CHECK_EQ_U(f.a->usable_size(f.heap, z1), 16);
    CHECK(f.a->aligned_alloc(f.heap, (size_t)1 << 62, 16) == NULL);
    CHECK(f.a->realloc(f.heap, z1, SIZE_MAX) == NULL);
    CHECK_EQ_U(f.a->free(f.heap, z1), HB_FREE_OK);
    CHECK(f.a->realloc(f.heap, z2, 0) == NULL);
    CHECK(heap_ok(&f));
    close_heap(&f);
    hb_osmem *m = hb_osmem_new(0, 0);
    CHECK(lib->create(hb_osmem_source(m), "grow=") == NULL);
    CHECK(lib->create(hb_osmem_source(m), "shape=round") == NULL);
    hb_osmem_free(m);
}

static void test_free_codes(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    int on_stack;
    char *a = f.a->malloc(f.heap, 64), *b = f.a->malloc(f.heap, 64), *c = f.a->malloc(f.heap, 64);
    REQUIRE(a && b && c);
    CHECK_EQ_U(f.a->free(f.heap, &on_stack), HB_FREE_INVALID);
    CHECK_EQ_U(f.a->free(f.heap, b + 16), HB_FREE_INVALID);
    CHECK_EQ_U(f.a->free(f.heap, b + 1), HB_FREE_INVALID);
    CHECK_EQ_U(f.a->free(f.heap, c + 64), HB_FREE_INVALID);   /* never handed out */
    CHECK_EQ_U(f.a->free(f.heap, a - 4096), HB_FREE_INVALID); /* below the arena */
    CHECK_EQ_U(f.a->free(f.heap, b), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, b), HB_FREE_DOUBLE);
    /* b merges with a and c; the second free is still known as one */
    CHECK_EQ_U(f.a->free(f.heap, a), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, c), HB_FREE_OK);
    CHECK_EQ_U(f.a->free(f.heap, b), HB_FREE_DOUBLE);
    CHECK_EQ_U(f.a->free(f.heap, c), HB_FREE_DOUBLE);
    /* the space is reused by one block: b is now inside it, not a block */
    char *big = f.a->malloc(f.heap, 192);
    CHECK(big == a);
    memset(big, 0x5A, 192);
    CHECK_EQ_U(f.a->free(f.heap, b), HB_FREE_INVALID);
    CHECK_EQ_U(f.a->usable_size(f.heap, big), 192);
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* Frees small neighbours, then one large block lands where the first was. */
static void test_coalescing(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    char *p[8];
    for (int i = 0; i < 8; i++)
        REQUIRE((p[i] = f.a->malloc(f.heap, 48)));
    char *guard = f.a->malloc(f.heap, 16);
    REQUIRE(guard);
    for (int i = 1; i < 8; i++)
        CHECK(p[i] == p[i - 1] + 48);
    for (int i = 7; i >= 0; i -= 2)
        CHECK_EQ_U(f.a->free(f.heap, p[i]), HB_FREE_OK);
    for (int i = 6; i >= 0; i -= 2)
        CHECK_EQ_U(f.a->free(f.heap, p[i]), HB_FREE_OK);
    CHECK(heap_ok(&f));
    char *one = f.a->malloc(f.heap, 8 * 48);
    CHECK(one == p[0]);
    close_heap(&f);
}

static void test_realloc_in_place(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    char *a = f.a->malloc(f.heap, 100), *b = f.a->malloc(f.heap, 400), *c = f.a->malloc(f.heap, 16);
    REQUIRE(a && b && c);
    memset(a, 'a', 100);
    CHECK(f.a->realloc(f.heap, a, 40) == a);
    CHECK_EQ_U(f.a->free(f.heap, b), HB_FREE_OK);
    CHECK(f.a->realloc(f.heap, a, 500) == a);
    CHECK(a[39] == 'a');
    CHECK(heap_ok(&f));
    char *top = f.a->malloc(f.heap, 3000);
    REQUIRE(top);
    memset(top, 't', 3000);
    char *grown = f.a->realloc(f.heap, top, 200000);
    CHECK(grown == top && grown[2999] == 't');
    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* Many blocks: the arena grows many times and the bitmaps move each time. */
static void test_growth_and_trim(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    enum { N = 50000 };
    static unsigned *p[N];
    for (unsigned i = 0; i < N; i++) {
        REQUIRE((p[i] = f.a->malloc(f.heap, 16 + (i % 5) * 16)));
        *p[i] = i;
    }
    CHECK(heap_ok(&f));
    size_t peak = hb_osmem_stats_of(f.mem)->brk_bytes;
    for (unsigned i = 0; i < N; i++) {
        CHECK(*p[i] == i);
        CHECK_EQ_U(f.a->free(f.heap, p[i]), HB_FREE_OK);
    }
    CHECK(heap_ok(&f));
    CHECK(hb_osmem_stats_of(f.mem)->brk_bytes < peak / 4);
    close_heap(&f);
}

/*
 * Vectors doubling by realloc from 16 bytes to 256 KiB, at staggered
 * stages, while short-lived small blocks land between them (the shape of
 * the vector-doubling trace).  Small blocks soon pin the arena's top, so a
 * vector at the top may grow in place only when no free run could take it:
 * growing the arena for it anyway made the footprint climb to many times
 * the live bytes.  The bound is what a coalescing heap needs here with room
 * to spare (nova needs about 1.5x; growing at the top regardless, 4.8x).
 */
static void test_doubling_vectors_reuse_space(void)
{
    enum { VECTORS = 32, LEVELS = 15, NOISE = 256, ROUNDS = 40 * LEVELS };
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    static char *vec[VECTORS], *noise[NOISE];
    static size_t vsize[VECTORS], nsize[NOISE];
    uint64_t rng = 7;
    size_t live = 0, peak_live = 0, next_noise = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int v = 0; v < VECTORS; v++) {
            size_t size = (size_t)16 << (round + v) % LEVELS;
            if (size == 16 && vec[v]) { /* done: drop it and start again */
                CHECK(vec[v][0] == (char)v);
                CHECK_EQ_U(f.a->free(f.heap, vec[v]), HB_FREE_OK);
                live -= vsize[v];
                vec[v] = NULL;
                vsize[v] = 0;
            }
            char *q = f.a->realloc(f.heap, vec[v], size);
            REQUIRE(q);
            CHECK(!vec[v] || q[0] == (char)v);
            q[0] = (char)v;
            live += size - vsize[v];
            vec[v] = q;
            vsize[v] = size;
            size_t i = next_noise++ % NOISE;
            if (noise[i]) {
                CHECK_EQ_U(f.a->free(f.heap, noise[i]), HB_FREE_OK);
                live -= nsize[i];
            }
            nsize[i] = 16 + rng_next(&rng) % 240;
            REQUIRE((noise[i] = f.a->malloc(f.heap, nsize[i])));
            live += nsize[i];
            peak_live = live > peak_live ? live : peak_live;
        }
    }
    CHECK(heap_ok(&f));
    size_t peak = hb_osmem_stats_of(f.mem)->peak_bytes;
    if (peak > 2 * peak_live)
        fprintf(stderr, "peak footprint %zu for %zu peak live bytes\n", peak, peak_live);
    CHECK(peak <= 2 * peak_live);
    close_heap(&f);
}

/* ---- check() ------------------------------------------------------------- */

static void flip(uint64_t *bits, uint32_t g) { bits[g >> 6] ^= (uint64_t)1 << (g & 63); }

/* A free run's record, a bit of either bitmap or a list link is broken, as
 * an overflow or a stray write would, and check() names what is wrong. */
static void test_check_reports_damage(void)
{
    fixture f;
    REQUIRE(open_heap(&f, NULL));
    nova_heap *h = f.heap;
    char *a = f.a->malloc(f.heap, 64), *b = f.a->malloc(f.heap, 64), *c = f.a->malloc(f.heap, 64);
    REQUIRE(a && b && c && b == a + 64 && c == b + 64);
    CHECK_EQ_U(f.a->free(f.heap, b), HB_FREE_OK); /* a free run of 4 granules */
    uint32_t ga = (uint32_t)((a - h->arena) / NV_GRAN), gb = ga + 4;
    nv_run *run = (nv_run *)b, saved = *run;
    REQUIRE(run->len == 4 && h->heads[0][4] == gb);
    REQUIRE(ga == 0 || !hb_bit(h->used, ga - 1)); /* a begins a run of used granules */
    CHECK(heap_ok(&f));

    /* an overflow out of a rewrites the length at the head of b's run */
    run->len = 3;
    expect_damage(&f, "length");
    run->len = 4;

    /* a's start bit lost: its used granules begin no block */
    flip(h->start, ga);
    expect_damage(&f, "begins no block");
    flip(h->start, ga);

    /* b's run linked to a granule in use */
    run->next = ga;
    expect_damage(&f, "starts no free run");
    *run = saved;

    /* the list of 4-granule runs is marked empty */
    h->sl_bitmap[0] ^= 1u << 4;
    expect_damage(&f, "bitmap bit");
    h->sl_bitmap[0] ^= 1u << 4;

    CHECK(heap_ok(&f));
    close_heap(&f);
}

/* ---- the course task's API --------------------------------------------------- */

static void test_task_overhead(void)
{
    hb_osmem *m = hb_osmem_new(0, 0);
    REQUIRE(m);
    REQUIRE(nova_bind(hb_osmem_source(m)) == 0);
    static char *p[1024];
    for (int i = 0; i < 1024; i++) {
        REQUIRE((p[i] = my_malloc(16)));
        CHECK((uintptr_t)p[i] % 16 == 0);
        memset(p[i], i, 16);
    }
    const hb_osmem_stats *st = hb_osmem_stats_of(m);
    CHECK(st->brk_bytes <= 2 * 1024 * 16);
    CHECK(st->peak_bytes <= 2 * 1024 * 16);
    CHECK_EQ_U(st->map_calls, 0);
    for (int i = 0; i < 1024; i++) {
        CHECK(p[i][0] == (char)i && p[i][15] == (char)i);
        CHECK_EQ_U(my_free(p[i]), 0);
    }
    REQUIRE(nova_bind(NULL) == 0);
    CHECK_EQ_U(st->cur_bytes, 0);
    hb_osmem_free(m);
}

static void test_task_error_codes(void)
{
    hb_osmem *m = hb_osmem_new(0, 0);
    REQUIRE(m);
    REQUIRE(nova_bind(hb_osmem_source(m)) == 0);
    int on_stack;
    char *a = my_malloc(100), *b = my_malloc(100);
    REQUIRE(a && b);
    CHECK_EQ_U(my_free(NULL), 0);
    CHECK_EQ_U(my_free(&on_stack), 1);
    CHECK_EQ_U(my_free(a + 32), 1);
    CHECK_EQ_U(my_free(a), 0);
    CHECK_EQ_U(my_free(a), 2);
    /* freed memory is allocated again; blocks never overlap */
    char *c = my_malloc(50);
    CHECK(c == a);
    CHECK(my_malloc(1UL << 62) == NULL);
    CHECK_EQ_U(my_free(b), 0);
    CHECK_EQ_U(my_free(c), 0);
    REQUIRE(nova_bind(NULL) == 0);
    hb_osmem_free(m);
}

/* Unbound, my_malloc runs on the process's real program break. */
static void test_task_real_sbrk(void)
{
    REQUIRE(nova_bind(NULL) == 0);
    char *a = my_malloc(4000), *b = my_malloc(16);
    REQUIRE(a && b);
    memset(a, 1, 4000);
    memset(b, 2, 16);
    CHECK(a[3999] == 1 && b[0] == 2);
    CHECK_EQ_U(my_free(a), 0);
    CHECK_EQ_U(my_free(a), 2);
    CHECK_EQ_U(my_free(b), 0);
    CHECK(nova_bind(NULL) == 0);
    CHECK_EQ_U(my_free(b), 1); /* a fresh process heap never gave b out */
}

int main(void)
{
    void *dl = NULL;
    lib = load_lib("nova", &dl);
    if (!lib)
        return 1;
    *(void **)&my_malloc = dlsym(dl, "my_malloc");
    *(void **)&my_free = dlsym(dl, "my_free");
    *(void **)&nova_bind = dlsym(dl, "nova_bind");
    if (!my_malloc || !my_free || !nova_bind) {
        fprintf(stderr, "nova.so lacks its own API: %s\n", dlerror());
        return 1;
    }
    RUN(test_random_model);
    RUN(test_edge_sizes);
    RUN(test_free_codes);
    RUN(test_coalescing);
    RUN(test_realloc_in_place);
    RUN(test_growth_and_trim);
    RUN(test_doubling_vectors_reuse_space);
    RUN(test_check_reports_damage);
    RUN(test_task_overhead);
    RUN(test_task_error_codes);
    RUN(test_task_real_sbrk);
    return check_summary();
}
