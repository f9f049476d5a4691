/* Each pattern writes a valid trace with the requested operations per phase
 * and the shape it promises; the trace parser accepts every one of them. */
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "gen_check.h"
#include "trace/trace.h"

#define PINNED_TRACE 0x9f0932443bb87cfbULL

/* Generates yaml, checks validity both here and with the trace parser, and
 * that each phase has the operations it asked for. */
static bool gen_valid(const char *yaml, const uint64_t *phase_ops, int nphases, gc_trace *t)
{
    hb_gen_text out;
    if (gc_generate(yaml, 0, &out))
        return false;
    bool ok = gc_read(out.text, out.len, t);
    if (!ok)
        fprintf(stderr, "invalid trace: %s\n", t->error);
    hb_trace tr;
    hb_diag d = { .out = stderr };
    if (hb_trace_parse_buffer("gen.trace", out.text, out.len, HB_FMT_NATIVE, &tr, &d) == 0) {
        CHECK_EQ_U(tr.nops, out.ops);
        CHECK_EQ_U(tr.sum.peak_live_bytes, out.peak_live_bytes);
        hb_trace_release(&tr);
    } else {
        ok = false;
    }
    CHECK_EQ_U(t->nops, out.ops);
    CHECK_EQ_U(t->peak, out.peak_live_bytes);
    CHECK(t->nphases == nphases);
    for (int i = 0; i < nphases; i++)
        CHECK_EQ_U(t->phase_ops[i], phase_ops[i]);
    free(out.text);
    return ok;
}

static const char ramp_yaml[] = "name: r\nseed: 5\nphases:\n"
                                "  - {pattern: ramp, ops: 40000, target: 4MiB, size: {dist: "
                                "uniform, min: 16, max: 512}}\n";

static void test_ramp_rises_to_target(void)
{
    gc_trace t;
    REQUIRE(gen_valid(ramp_yaml, (uint64_t[]){ 40000 }, 1, &t));
    size_t a, b;
    gc_phase_range(&t, 0, &a, &b);
    uint64_t prev = 0;
    for (int k = 1; k <= 20; k++) { /* live bytes sampled every 5% */
        uint64_t v = t.ops[a + (b - a) * (size_t)k / 20 - 1].live;
        CHECK(v >= prev);
        prev = v;
    }
    CHECK(prev >= (4 << 20) - 512 && prev <= (4 << 20) + 512);
    CHECK(t.peak <= (4 << 20) + 512);
    CHECK_EQ_U(t.left_live, 0); /* end: free is the default */
    gc_free(&t);
}

static void test_peak_rises_then_returns(void)
{
    const char *y = "name: p\nseed: 6\nphases:\n"
                    "  - {pattern: ramp, ops: 1000, target: 64KiB, size: 64}\n"
                    "  - {pattern: peak, ops: 20000, height: 2MiB, rise: 0.25, release: oldest,\n"
                    "     size: {dist: exponential, mean: 1000}}\n";
    gc_trace t;
    REQUIRE(gen_valid(y, (uint64_t[]){ 1000, 20000 }, 2, &t));
    size_t a, b;
    gc_phase_range(&t, 1, &a, &b);
    uint64_t l0 = t.ops[a - 1].live, top = t.ops[a + 5000 - 1].live, end = t.ops[b - 1].live;
    CHECK(top > l0 + (2 << 20) - 20000 && top < l0 + (2 << 20) + 20000);
    CHECK(end + 20000 > l0 && end < l0 + 20000);
    /* release: oldest: the peak's frees come in birth order */
    uint64_t last = 0;
    for (size_t i = a + 5000; i < b; i++)
        if (t.ops[i].kind == 'f' && t.ops[i].id > 1000) {
            CHECK(t.ops[i].id > last);
            last = t.ops[i].id;
        }
    gc_free(&t);
}

static void test_plateau_holds_level(void)
{
    const char *y = "name: pl\nseed: 7\nphases:\n"
                    "  - {pattern: plateau, ops: 30000, level: 1MiB, size: {dist: lognormal, "
                    "median: 100, sigma: 1, max: 4096}}\n";
    gc_trace t;
    REQUIRE(gen_valid(y, (uint64_t[]){ 30000 }, 1, &t));
    size_t frees = 0;
    for (size_t i = 15000; i < 30000; i++) {
        CHECK(t.ops[i].live + 4096 >= (1 << 20) && t.ops[i].live <= (1 << 20) + 4096);
        frees += t.ops[i].kind == 'f';
    }
    CHECK(frees > 6000 && frees < 9000); /* churn: about every other op */
    gc_free(&t);
}

static void test_fixed_lifetime_is_kept(void)
{
    const char *y = "name: lf\nseed: 8\nend: leak\nphases:\n"
                    "  - {pattern: plateau, ops: 20000, size: 32, lifetime: {dist: fixed, ops: 300}}\n";
    gc_trace t;
    REQUIRE(gen_valid(y, (uint64_t[]){ 20000 }, 1, &t));
    uint64_t *birth = calloc(t.nops + 2, sizeof *birth);
    size_t late = 0, frees = 0;
    for (size_t i = 0; i < t.nops; i++) {
        if (t.ops[i].kind == 'a')
            birth[t.ops[i].id] = i;
        if (t.ops[i].kind == 'f') {
            CHECK(i - birth[t.ops[i].id] >= 300);
            late += i - birth[t.ops[i].id] > 302;
            frees++;
        }
    }
    CHECK(frees > 9000);
    CHECK(late == 0); /* one death per op at most: never queued long */
    CHECK(t.left_live > 0); /* end: leak */
    free(birth);
    gc_free(&t);
}

static void test_queue_frees_in_allocation_order(void)
{
    const char *y = "name: q\nseed: 9\nphases:\n"
                    "  - {pattern: queue, ops: 30001, depth: 500, size: {dist: uniform, min: 8, "
                    "max: 100}}\n";
    gc_trace t;
    REQUIRE(gen_valid(y, (uint64_t[]){ 30001 }, 1, &t));
    uint64_t last = 0, maxlen = 0, len = 0;
    for (size_t i = 0; i < t.nops; i++) {
        if (t.ops[i].kind == 'f') {
            CHECK(t.ops[i].id == last + 1);
            last = t.ops[i].id;
            len--;
        } else if (t.ops[i].kind == 'a') {
            len++;
        }
        if (len > maxlen)
            maxlen = len;
    }
    CHECK(maxlen > 300 && maxlen <= 1000);
    CHECK(t.ops[t.nops - 1].live == 0); /* drained within the phase */
    gc_free(&t);
}

static void test_stack_frees_newest_first(void)
{
    const char *y = "name: s\nseed: 10\nphases:\n"
                    "  - {pattern: stack, ops: 20000, depth: 100, size: 48}\n";
    gc_trace t;
    REQUIRE(gen_valid(y, (uint64_t[]){ 20000 }, 1, &t));
    uint64_t *stack = malloc(20001 * sizeof *stack);
    size_t n = 0;
    for (size_t i = 0; i < t.nops; i++) {
        if (t.ops[i].kind == 'a')
            stack[n++] = t.ops[i].id;
        else if (t.ops[i].kind == 'f')
            CHECK(n > 0 && stack[--n] == t.ops[i].id);
    }
    CHECK_EQ_U(n, 0);
    free(stack);
    gc_free(&t);
}

static void test_vector_doubles_until_max(void)
{
    const char *y = "name: v\nseed: 11\nphases:\n"
                    "  - {pattern: vector, ops: 10000, vectors: 3, initial: 16, factor: 2, max: 64KiB}\n";
    gc_trace t;
    REQUIRE(gen_valid(y, (uint64_t[]){ 10000 }, 1, &t));
    uint64_t *size = calloc(t.nops + 2, sizeof *size);
    size_t reallocs = 0, restarts = 0;
    for (size_t i = 0; i < t.nops; i++) {
        gc_op *o = &t.ops[i];
        if (o->kind == 'a') {
            CHECK_EQ_U(o->size, 16);
            size[o->id] = 16;
        } else if (o->kind == 'r') {
            CHECK_EQ_U(o->size, size[o->id] * 2);
            CHECK(o->size <= 65536);
            size[o->id] = o->size;
            reallocs++;
        } else if (o->kind == 'f' && o->phase == 0) {
            CHECK_EQ_U(size[o->id], 65536); /* dropped only once full */
            restarts++;
        }
    }
    CHECK(reallocs > 8000 && restarts > 500);
    free(size);
    gc_free(&t);
}

static void test_pow2_plus_one_sizes(void)
{
    const char *y = "name: pw\nseed: 12\nphases:\n"
                    "  - {pattern: pow2-plus-one, ops: 20000, min: 32, max: 8KiB, level: 4MiB}\n";
    gc_trace t;
    REQUIRE(gen_valid(y, (uint64_t[]){ 20000 }, 1, &t));
    unsigned seen[64] = { 0 }, bad = 0;
    for (size_t i = 0; i < t.nops; i++)
        if (t.ops[i].kind == 'a') {
            uint64_t p = t.ops[i].size - 1;
            bad += !(p >= 32 && p <= 8192 && (p & (p - 1)) == 0);
            seen[__builtin_ctzll(p | (1ULL << 63))]++;
        }
    CHECK_EQ_U(bad, 0);
    for (int k = 5; k <= 13; k++)
        CHECK(seen[k] > 0);
    CHECK(t.peak >= (4 << 20) && t.peak <= (4 << 20) + 8193);
    gc_free(&t);
}

static void test_fragment_firstfit_structure(void)
{
    const char *y = "name: ff\nseed: 13\nphases:\n"
                    "  - {pattern: fragment-firstfit, ops: 4000, count: 1000, larges: 300,\n"
                    "     size: 32, large: {dist: uniform, min: 100, max: 200}}\n";
    gc_trace t;
    REQUIRE(gen_valid(y, (uint64_t[]){ 4000 }, 1, &t));
    /* round 1: 1000 smalls (ids 1..1000), 499 frees of ids 2, 4, .., 998
     * (never the last), 300 larges; then round 2 starts the same way */
    for (size_t i = 0; i < 1000; i++)
        CHECK(t.ops[i].kind == 'a' && t.ops[i].size == 32);
    for (size_t i = 0; i < 499; i++)
        CHECK(t.ops[1000 + i].kind == 'f' && t.ops[1000 + i].id == 2 + 2 * i);
    for (size_t i = 1499; i < 1799; i++)
        CHECK(t.ops[i].kind == 'a' && t.ops[i].size >= 100 && t.ops[i].size <= 200);
    CHECK(t.ops[1799].kind == 'a' && t.ops[1799].size == 32);
    gc_free(&t);
}

static void test_free_then_large_cycles(void)
{
    const char *y = "name: fl\nseed: 14\nphases:\n"
                    "  - {pattern: free-then-large, ops: 20000, level: 512KiB, burst: 16, keep: 2,\n"
                    "     size: {dist: uniform, min: 16, max: 256}, large: 1MiB}\n";
    gc_trace t;
    REQUIRE(gen_valid(y, (uint64_t[]){ 20000 }, 1, &t));
    size_t larges = 0, live_larges = 0, run = 0;
    for (size_t i = 0; i < t.nops && t.ops[i].phase == 0; i++) {
        gc_op *o = &t.ops[i];
        if (o->kind == 'a' && o->size == (1 << 20)) {
            CHECK(run >= 16); /* a burst of frees came first */
            larges++;
            live_larges++;
            CHECK(live_larges <= 2);
        } else if (o->kind == 'f' && o->size == (1 << 20)) {
            live_larges--;
        }
        run = o->kind == 'f' && o->size < 1024 ? run + 1 : o->kind == 'f' ? run : 0;
    }
    CHECK(larges > 100);
    gc_free(&t);
}

static void test_phase_lifetime_dies_in_phase(void)
{
    const char *y = "name: ph\nseed: 15\nphases:\n"
                    "  - {pattern: peak, ops: 10001, height: 1MiB, lifetime: phase, size: 1000}\n"
                    "  - {pattern: queue, ops: 999, depth: 50, size: 16}\n";
    gc_trace t;
    REQUIRE(gen_valid(y, (uint64_t[]){ 10001, 999 }, 2, &t));
    size_t a, b;
    gc_phase_range(&t, 0, &a, &b);
    CHECK_EQ_U(t.ops[b - 1].live, 0);
    gc_phase_range(&t, 1, &a, &b);
    CHECK_EQ_U(t.ops[b - 1].live, 0);
    gc_free(&t);
}

static void test_mix_fractions(void)
{
    const char *y = "name: mx\nseed: 16\nphases:\n"
                    "  - {pattern: plateau, ops: 40000, level: 1MiB, size: {dist: uniform, min: 1,"
                    " max: 600},\n     mix: {calloc: 0.2, aligned: 0.1, realloc: 0.1, "
                    "alignments: [64, 4096]}}\n";
    gc_trace t;
    REQUIRE(gen_valid(y, (uint64_t[]){ 40000 }, 1, &t));
    size_t n[128] = { 0 };
    for (size_t i = 0; i < t.nops; i++) {
        n[(unsigned char)t.ops[i].kind]++;
        if (t.ops[i].kind == 'm')
            CHECK(t.ops[i].align == 64 || t.ops[i].align == 4096);
    }
    double allocs = (double)(n['a'] + n['c'] + n['m']);
    CHECK(n['c'] / allocs > 0.18 && n['c'] / allocs < 0.22);
    CHECK(n['m'] / allocs > 0.08 && n['m'] / allocs < 0.12);
    CHECK(n['r'] / (allocs + (double)n['r']) > 0.08 && n['r'] / (allocs + (double)n['r']) < 0.12);
    gc_free(&t);
}

static void test_same_seed_same_bytes_other_seed_differs(void)
{
    hb_gen_text a, b, c;
    REQUIRE(gc_generate(ramp_yaml, 0, &a) == 0);
    REQUIRE(gc_generate(ramp_yaml, 0, &b) == 0);
    REQUIRE(gc_generate(ramp_yaml, 6, &c) == 0);
    CHECK(a.len == b.len && memcmp(a.text, b.text, a.len) == 0);
    CHECK(a.len != c.len || memcmp(a.text, c.text, a.len) != 0);
    CHECK_STR_CONTAINS(c.text, "#! source: generated: inline.yaml, seed 6\n");
    free(a.text);
    free(b.text);
    free(c.text);
}

/* The whole output of a spec touching every distribution, pinned: the same
 * spec must give these bytes on every machine and every build. */
static void test_output_is_pinned(void)
{
    const char *y = "name: pin\ndescription: every distribution\nseed: 77\nphases:\n"
                    "  - {pattern: ramp, ops: 3000, target: 256KiB, size: {dist: lognormal, "
                    "median: 90, sigma: 1.3}, mix: {calloc: 0.1, aligned: 0.1, realloc: 0.1}}\n"
                    "  - {pattern: plateau, ops: 3000, size: {dist: pareto, alpha: 1.1, min: 8, "
                    "max: 1MiB}, lifetime: {dist: exponential, mean: 80}}\n"
                    "  - {pattern: queue, ops: 2000, depth: 100, size: {dist: exponential, mean: "
                    "200}}\n"
                    "  - {pattern: stack, ops: 2000, depth: 100, size: {dist: fixed, sizes: [8, "
                    "24], weights: [1, 3]}}\n";
    hb_gen_text a;
    REQUIRE(gc_generate(y, 0, &a) == 0);
    uint64_t h = gc_fnv1a(GC_FNV_BASIS, a.text, a.len);
    printf("pinned trace hash %016" PRIx64 "\n", h);
    if (h != PINNED_TRACE)
        gc_output_changed("test_output_is_pinned", h, PINNED_TRACE);
    CHECK_EQ_U(h, PINNED_TRACE);
    CHECK_STR_CONTAINS(a.text, "#! name: pin\n#! description: every distribution\n");
    CHECK_STR_CONTAINS(a.text, "#! spec-hash: ");
    free(a.text);
}

static void test_300k_ops_fast(void)
{
    const char *y = "name: big\nseed: 1\nphases:\n"
                    "  - {pattern: ramp, ops: 100000, target: 32MiB, size: {dist: lognormal, "
                    "median: 256, sigma: 1.5}}\n"
                    "  - {pattern: plateau, ops: 200000, size: {dist: lognormal, median: 256, "
                    "sigma: 1.5}, lifetime: {dist: exponential, mean: 1000}}\n";
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    hb_gen_text a;
    REQUIRE(gc_generate(y, 0, &a) == 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("300k ops generated in %.3f s\n", s);
    CHECK(a.ops >= 300000);
    CHECK(s < 1.0);
    free(a.text);
}

int main(void)
{
    RUN(test_ramp_rises_to_target);
    RUN(test_peak_rises_then_returns);
    RUN(test_plateau_holds_level);
    RUN(test_fixed_lifetime_is_kept);
    RUN(test_queue_frees_in_allocation_order);
    RUN(test_stack_frees_newest_first);
    RUN(test_vector_doubles_until_max);
    RUN(test_pow2_plus_one_sizes);
    RUN(test_fragment_firstfit_structure);
    RUN(test_free_then_large_cycles);
    RUN(test_phase_lifetime_dies_in_phase);
    RUN(test_mix_fractions);
    RUN(test_same_seed_same_bytes_other_seed_differs);
    RUN(test_output_is_pinned);
    RUN(test_300k_ops_fast);
    return check_summary();
}
