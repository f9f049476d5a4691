/*
 * One cell of the scaling benchmark (see scaling.h): fill, warm up, time
 * the steady-state replacement loop.
 */
#include "scaling/scaling.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "osmem/osmem.h"
#include "replay/clock.h"

/* Small sizes, skewed small the way object sizes of real programs are. */
static const uint16_t size_mix[16] = { 16, 16, 24, 32, 32, 48, 64, 64,
                                       80, 96, 128, 128, 160, 192, 224, 256 };

const char *hb_scaling_pattern_name(hb_scaling_pattern p)
{
    return p == HB_PATTERN_FIFO ? "fifo" : "random";
}

/* splitmix64: one multiply-xorshift step per draw, fixed seed, so every
 * allocator sees the same sequence of slots and sizes. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* x mapped onto [0, n) by a multiply, not a division. */
static size_t pick(uint64_t x, size_t n)
{
    return (size_t)(((unsigned __int128)x * n) >> 64);
}

static size_t size_of(uint64_t x) { return size_mix[x & 15]; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the access pattern ---------------------------------------------------- */

/* Where the replacements are: slots[0..n) holds the live blocks, rng
 * draws sizes (and, under random, slots), head is the oldest block of
 * the fifo ring.  The fill writes slots in order, so the ring starts in
 * allocation order with slot 0 the oldest. */
typedef struct walk {
    hb_scaling_pattern pat;
    size_t n, head;
    uint64_t rng;
} walk;

static walk walk_start(hb_scaling_pattern pat, size_t n)
{
    return (walk){ .pat = pat, .n = n, .rng = HB_SCALING_SEED };
}

/* The slot the next replacement takes.  x is the step's draw, which also
 * picks the new block's size (its low bits; pick() uses the high ones).
 * The branch on the pattern goes the same way for a whole loop, so the
 * predictor makes it free. */
static inline size_t next_slot(walk *w, uint64_t x)
{
    if (w->pat == HB_PATTERN_RANDOM)
        return pick(x, w->n);
    size_t s = w->head;
    w->head = s + 1 == w->n ? 0 : s + 1;
    return s;
}

/* Untimed replacements before the timed ones.  Under fifo at least one
 * turn of the ring, so the timed part frees only blocks that the
 * replacement loop allocated: the heap's free structures are in their
 * steady state, not in the state the fill left. */
static uint64_t warmup_ops(const walk *w, uint64_t ops)
{
    uint64_t q = ops / 4;
    return w->pat == HB_PATTERN_FIFO && q < w->n ? w->n : q;
}

/* ---- the measured loop ----------------------------------------------------- */

/* Runs ops replacements.  Each one does what a program does around a free
 * and a malloc: it reads the object it is done with, frees it, mallocs a
 * new one and writes it.  With a clock, the free and the malloc (and only
 * they) are timed, and their ticks added to *ticks: the program's reads
 * and writes, and their cache misses, stay outside the window.  Statuses
 * are or-ed and checked once, so the check costs no branch per operation. */
static bool replace_loop(const hb_allocator *a, void *h, void **slots, walk *w, uint64_t ops,
                         const hb_clock *clk, uint64_t *ticks, char *err, size_t errlen)
{
    void *(*do_malloc)(void *, size_t) = a->malloc;
    int (*do_free)(void *, void *) = a->free;
    int bad = 0;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < ops; i++) {
        uint64_t x = rng_next(&w->rng);
        size_t s = next_slot(w, x);
        x ^= *(volatile uint64_t *)slots[s] & 0x100; /* the program's last use */
        uint64_t t0 = clk ? hb_clock_ticks(clk) : 0;
        bad |= do_free(h, slots[s]);
        void *p = do_malloc(h, size_of(x));
        if (clk)
            sum += hb_clock_ticks(clk) - t0;
        if (!p) {
            snprintf(err, errlen, "malloc(%zu) failed with %zu blocks live", size_of(x), w->n);
            return false;
        }
        *(uint64_t *)p = x;
        slots[s] = p;
    }
    if (ticks)
        *ticks += sum;
    if (bad)
        snprintf(err, errlen, "free of a live block returned an error status");
    return !bad;
}

static bool fill(const hb_allocator *a, void *h, void **slots, walk *w, char *err, size_t errlen)
{
    for (size_t i = 0; i < w->n; i++) {
        uint64_t x = rng_next(&w->rng);
        if (!(slots[i] = a->malloc(h, size_of(x)))) {
            snprintf(err, errlen, "malloc(%zu) failed while filling to %zu blocks", size_of(x),
                     w->n);
            return false;
        }
        *(uint64_t *)slots[i] = x;
    }
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_s(const double *seg_s)
{
    double sorted[HB_SCALING_SEGMENTS];
    memcpy(sorted, seg_s, sizeof sorted);
    qsort(sorted, HB_SCALING_SEGMENTS, sizeof *sorted, cmp_double);
    return sorted[HB_SCALING_SEGMENTS / 2];
}

/* The timed part runs as HB_SCALING_SEGMENTS equal segments, each timed
 * on its own; the cell reports the median segment's mean, so a segment in
 * which the process was preempted does not move the figure. */
static void settle(hb_scaling_cell *cell, const double *seg_s, uint64_t seg_ops)
{
    cell->ops = seg_ops * HB_SCALING_SEGMENTS;
    cell->loop_s = 0;
    for (int i = 0; i < HB_SCALING_SEGMENTS; i++)
        cell->loop_s += seg_s[i];
    cell->ns_per_op = seg_ops ? median_s(seg_s) * 1e9 / (double)seg_ops : 0;
    cell->total_ns_per_op = cell->ns_per_op;
}

bool hb_scaling_measure(const hb_allocator *a, hb_scaling_pattern pat, size_t n, uint64_t ops,
                        hb_scaling_cell *cell, char *err, size_t errlen)
{
    double t0 = now_s(), seg_s[HB_SCALING_SEGMENTS] = { 0 };
    uint64_t seg_ops = ops / HB_SCALING_SEGMENTS;
    hb_osmem *m = hb_osmem_new(0, 0);
    void *h = m ? a->create(hb_osmem_source(m), NULL) : NULL;
    void **slots = calloc(n ? n : 1, sizeof *slots);
    walk w = walk_start(pat, n);
    bool ok = h && slots;
    if (!ok)
        snprintf(err, errlen, "%s", !m ? "cannot reserve a memory source"
                                   : !h ? "create() returned NULL" : "out of memory");
    ok = ok && fill(a, h, slots, &w, err, errlen) &&
         replace_loop(a, h, slots, &w, warmup_ops(&w, ops), NULL, NULL, err, errlen);
    /* Wall time per segment for the totals; clock ticks inside the
     * allocator calls for the figure that is judged. */
    hb_clock clk;
    hb_clock_init(&clk);
    double own_ns[HB_SCALING_SEGMENTS] = { 0 };
    for (int i = 0; ok && i < HB_SCALING_SEGMENTS; i++) {
        uint64_t ticks = 0;
        double t = now_s();
        ok = replace_loop(a, h, slots, &w, seg_ops, &clk, &ticks, err, errlen);
        seg_s[i] = now_s() - t;
        double net = (double)ticks - (double)clk.overhead * (double)seg_ops;
        own_ns[i] = seg_ops ? hb_clock_ns(&clk, net > 0 ? net : 0) / (double)seg_ops : 0;
    }
    if (h)
        a->destroy(h);
    hb_osmem_free(m);
    free(slots);
    *cell = (hb_scaling_cell){ .n = n };
    settle(cell, seg_s, seg_ops);
    cell->ns_per_op = median_s(own_ns);
    cell->setup_s = now_s() - t0 - cell->loop_s;
    return ok;
}

/* ---- the loop by itself ---------------------------------------------------- */

/* Touches the chosen block as the allocator loop does (one read and one
 * write of its first word), without any allocator call. */
static void touch_loop(uint64_t **slots, walk *w, uint64_t ops)
{
    for (uint64_t i = 0; i < ops; i++) {
        uint64_t x = rng_next(&w->rng);
        uint64_t *b = slots[next_slot(w, x)];
        *(volatile uint64_t *)b += x + size_of(x);
    }
}

bool hb_scaling_baseline(hb_scaling_pattern pat, size_t n, uint64_t ops, hb_scaling_cell *cell,
                         char *err, size_t errlen)
{
    double t0 = now_s(), seg_s[HB_SCALING_SEGMENTS] = { 0 };
    uint64_t seg_ops = ops / HB_SCALING_SEGMENTS;
    uint64_t **slots = calloc(n ? n : 1, sizeof *slots);
    walk w = walk_start(pat, n);
    bool ok = slots != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = (slots[i] = calloc(1, size_of(rng_next(&w.rng)))) != NULL;
    if (!ok)
        snprintf(err, errlen, "out of memory filling %zu blocks", n);
    if (ok)
        touch_loop(slots, &w, warmup_ops(&w, ops));
    for (int i = 0; ok && i < HB_SCALING_SEGMENTS; i++) {
        double t = now_s();
        touch_loop(slots, &w, seg_ops);
        seg_s[i] = now_s() - t;
    }
    for (size_t i = 0; slots && i < n; i++)
        free(slots[i]);
    free(slots);
    *cell = (hb_scaling_cell){ .n = n };
    settle(cell, seg_s, seg_ops);
    cell->setup_s = now_s() - t0 - cell->loop_s;
    return ok;
}
