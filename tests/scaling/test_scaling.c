/*
 * The scaling benchmark's verdicts (bench/judge.h) on made-up cells, and
 * one real fifo cell on the buddy library.
 */
#include <math.h>
#include <stdlib.h>

#include "scaling/judge.h"
#include "scaling/native.h"
#include "scaling/scaling.h"
#include "scaling/sweep.h"
#include "check.h"

/* Cells at N = 1e3 and 1e6 costing a and b ns per replacement. */
static void two_cells(hb_scaling_cell c[2], double a, double b)
{
    c[0] = (hb_scaling_cell){ .n = 1000, .ns_per_op = a };
    c[1] = (hb_scaling_cell){ .n = 1000000, .ns_per_op = b };
}

static const hb_scaling_claim *claim(const char *name)
{
    const hb_scaling_claim *c = hb_scaling_claim_of(name);
    if (!c)
        fprintf(stderr, "no claim for %s\n", name);
    return c;
}

/* ---- the ratio rule (fifo) ------------------------------------------------ */

static void test_ratio_at_limit_is_in_class(void)
{
    hb_scaling_cell c[2];
    two_cells(c, 10.0, 20.0);
    hb_scaling_verdict v = hb_scaling_judge_ratio(claim("pow2"), c, 2);
    CHECK(v.judged);
    CHECK(fabs(v.ratio - 2.0) < 1e-12);
    CHECK(!v.out_of_class);
    CHECK_STR_CONTAINS(hb_scaling_verdict_text(claim("pow2"), &v), "in class");
}

static void test_ratio_over_limit_is_out_for_o1_and_log(void)
{
    hb_scaling_cell c[2];
    two_cells(c, 10.0, 20.5);
    const char *names[] = { "pow2", "segfit", "pagemeta", "nova", "buddy", "bestfit" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        hb_scaling_verdict v = hb_scaling_judge_ratio(claim(names[i]), c, 2);
        CHECK(v.out_of_class);
        CHECK_STR_CONTAINS(hb_scaling_verdict_text(claim(names[i]), &v), "OUT OF CLASS");
    }
}

/* The ratio rule subtracts nothing: a loop that grew as much does not
 * excuse the allocator (the misses rule would). */
static void test_ratio_rule_ignores_the_loop(void)
{
    hb_scaling_cell c[2], loop[2];
    two_cells(c, 10.0, 40.0);
    two_cells(loop, 1.0, 31.0);
    CHECK(hb_scaling_judge_ratio(claim("segfit"), c, 2).out_of_class);
    CHECK(!hb_scaling_judge_misses(claim("segfit"), c, 2, loop, 2).out_of_class);
}

static void test_ratio_uses_first_and_last_measured(void)
{
    hb_scaling_cell c[3] = { { .n = 1000, .ns_per_op = 10 },
                             { .n = 10000, .ns_per_op = 90 },
                             { .n = 100000, .ns_per_op = 19 } };
    hb_scaling_verdict v = hb_scaling_judge_ratio(claim("buddy"), c, 3);
    CHECK(v.judged && !v.out_of_class);
    CHECK_EQ_U(v.n_min, 1000);
    CHECK_EQ_U(v.n_max, 100000);
    CHECK(fabs(v.exponent - log(1.9) / log(100.0)) < 1e-12);
}

static void test_one_cell_is_not_judged(void)
{
    hb_scaling_cell c[2];
    two_cells(c, 10.0, 1000.0);
    hb_scaling_verdict v = hb_scaling_judge_ratio(claim("pow2"), c, 1);
    CHECK(!v.judged && !v.out_of_class);
    CHECK_STR_CONTAINS(hb_scaling_verdict_text(claim("pow2"), &v), "not judged");
    c[0].ns_per_op = 0; /* a first cell that measured nothing */
    CHECK(!hb_scaling_judge_ratio(claim("pow2"), c, 2).judged);
}

/* ---- first fit and unknown libraries -------------------------------------- */

static void test_firstfit_grows_without_verdict(void)
{
    hb_scaling_cell c[2], loop[2];
    two_cells(c, 100.0, 100000.0);
    two_cells(loop, 1.0, 2.0);
    const hb_scaling_claim *ff = claim("firstfit");
    REQUIRE(ff);
    CHECK(ff->cls == HB_COST_LINEAR);
    hb_scaling_verdict r = hb_scaling_judge_ratio(ff, c, 2);
    hb_scaling_verdict m = hb_scaling_judge_misses(ff, c, 2, loop, 2);
    CHECK(r.judged && !r.out_of_class && !m.out_of_class);
    CHECK(fabs(r.ratio - 1000.0) < 1e-9);
    CHECK(fabs(r.exponent - 1.0) < 1e-9); /* x1000 over x1000 in N */
    CHECK_STR_CONTAINS(hb_scaling_verdict_text(ff, &r), "O(free blocks), growth expected");
    CHECK_STR_CONTAINS(hb_scaling_verdict_text(ff, &m), "O(free blocks), growth expected");
}

static void test_unknown_library_has_no_promise(void)
{
    hb_scaling_cell c[2];
    two_cells(c, 10.0, 1000.0);
    CHECK(hb_scaling_claim_of("glibc") == NULL);
    hb_scaling_verdict v = hb_scaling_judge_ratio(NULL, c, 2);
    CHECK(v.judged && !v.out_of_class);
    CHECK_STR_CONTAINS(hb_scaling_verdict_text(NULL, &v), "no promise known");
}

/* ---- the misses rule (random) --------------------------------------------- */

/* The loop grows by 30 ns: one miss equivalent is 30 ns. */
static void test_misses_within_allowance(void)
{
    hb_scaling_cell c[2], loop[2];
    two_cells(loop, 1.0, 31.0);
    two_cells(c, 10.0, 10.0 + 30.0 + 15 * 30.0); /* loop's growth + 15 misses */
    hb_scaling_verdict v = hb_scaling_judge_misses(claim("pow2"), c, 2, loop, 2);
    CHECK(v.judged && !v.out_of_class);
    CHECK(fabs(v.misses - 15.0) < 1e-9);
    CHECK(fabs(v.allowance - 16.0) < 1e-9);
    CHECK_STR_CONTAINS(hb_scaling_verdict_text(claim("pow2"), &v), "within cache misses");
}

static void test_misses_beyond_allowance(void)
{
    hb_scaling_cell c[2], loop[2];
    two_cells(loop, 1.0, 31.0);
    two_cells(c, 10.0, 10.0 + 30.0 + 17 * 30.0);
    CHECK(hb_scaling_judge_misses(claim("segfit"), c, 2, loop, 2).out_of_class);
    /* O(log n) allows 2 * log2(1e6) = 39.9 misses. */
    hb_scaling_verdict v = hb_scaling_judge_misses(claim("buddy"), c, 2, loop, 2);
    CHECK(!v.out_of_class);
    CHECK(fabs(v.allowance - 2.0 * log2(1e6)) < 1e-9);
    two_cells(c, 10.0, 10.0 + 30.0 + 41 * 30.0);
    CHECK(hb_scaling_judge_misses(claim("buddy"), c, 2, loop, 2).out_of_class);
}

/* Many misses but a ratio within 2.0 is in class: both conditions must hold. */
static void test_misses_need_ratio_over_limit(void)
{
    hb_scaling_cell c[2], loop[2];
    two_cells(loop, 1.0, 1.0); /* flat loop: a miss is floored at 1 ns */
    two_cells(c, 100.0, 190.0);
    hb_scaling_verdict v = hb_scaling_judge_misses(claim("pow2"), c, 2, loop, 2);
    CHECK(v.misses > 16.0);
    CHECK(!v.out_of_class);
}

static void test_misses_need_the_loop(void)
{
    hb_scaling_cell c[2], loop[2];
    two_cells(c, 10.0, 1000.0);
    two_cells(loop, 1.0, 31.0);
    CHECK(!hb_scaling_judge_misses(claim("pow2"), c, 2, loop, 1).judged);
}

/* ---- the time budget ------------------------------------------------------ */

static void test_sweep_keeps_ops_for_cheap_cells(void)
{
    hb_sweep_row r = { .done = 2 };
    two_cells(r.cells, 20.0, 60.0);
    r.cells[1].n = 10000; /* k = log(3)/log(10) < 1: predicted linear */
    CHECK_EQ_U(hb_sweep_ops_for(&r, 100000, 200000), 200000);
    r.done = 0;
    CHECK_EQ_U(hb_sweep_ops_for(&r, 1000, 200000), 200000);
}

/* 2.4 us at 1e4 after 0.2 us at 1e3 (k = 1.08) predicts ~29 us at 1e5:
 * the loop budget then fits about 68,000 replacements, a multiple of the
 * segments; a budget that fits fewer than the floor gets the floor. */
static void test_sweep_cuts_ops_for_growing_cells(void)
{
    hb_sweep_row r = { .done = 2 };
    r.cells[0] = (hb_scaling_cell){ .n = 1000, .ns_per_op = 200 };
    r.cells[1] = (hb_scaling_cell){ .n = 10000, .ns_per_op = 2400 };
    uint64_t ops = hb_sweep_ops_for(&r, 100000, 200000);
    double k = log(12.0) / log(10.0), ns = 2400 * pow(10.0, k);
    CHECK(ops < 200000);
    CHECK_EQ_U(ops % HB_SCALING_SEGMENTS, 0);
    CHECK(fabs((double)ops - HB_SWEEP_LOOP_S * 1e9 / ns) <= HB_SCALING_SEGMENTS);
    r.cells[1].ns_per_op = 1e7;
    CHECK_EQ_U(hb_sweep_ops_for(&r, 100000, 200000), HB_SWEEP_MIN_OPS);
    CHECK_EQ_U(hb_sweep_ops_for(&r, 100000, 5000), 5000); /* never above --ops */
}

/* ---- a real cell ------------------------------------------------------------ */

static void test_fifo_cell_on_buddy(void)
{
    hb_native_lib lib;
    char err[256] = "";
    REQUIRE(hb_native_open(&lib, HB_ALLOCATOR_DIR "/buddy.so", err, sizeof err));
    hb_scaling_cell cell;
    bool ok = hb_scaling_measure(lib.api, HB_PATTERN_FIFO, 1000, 20000, &cell, err, sizeof err);
    if (!ok)
        fprintf(stderr, "%s\n", err);
    CHECK(ok);
    CHECK_EQ_U(cell.n, 1000);
    CHECK_EQ_U(cell.ops, 20000);
    CHECK(cell.ns_per_op > 0 && cell.ns_per_op < 1e6);
    CHECK(cell.loop_s > 0);
    hb_native_close(&lib);
}

static void test_fifo_baseline(void)
{
    hb_scaling_cell cell;
    char err[256] = "";
    CHECK(hb_scaling_baseline(HB_PATTERN_FIFO, 1000, 20000, &cell, err, sizeof err));
    CHECK(cell.ns_per_op > 0);
    CHECK_STR_CONTAINS(hb_scaling_pattern_name(HB_PATTERN_FIFO), "fifo");
    CHECK_STR_CONTAINS(hb_scaling_pattern_name(HB_PATTERN_RANDOM), "random");
}

/* A crashing allocator fails its row, not the process. */
static void test_isolated_row_survives_a_crash(void)
{
    hb_native_lib lib;
    char err[256] = "";
    REQUIRE(hb_native_open(&lib, HB_TEST_FIXTURES "/crash_at_100.so", err, sizeof err));
    static hb_sweep_row r;
    const size_t sizes[] = { 1000 };
    hb_sweep_run_isolated(&r, lib.api, HB_PATTERN_FIFO, sizes, 1, 10000);
    CHECK_EQ_U(r.done, 0);
    /* A sanitizer build catches the fault and exits instead of dying. */
    CHECK(strstr(r.err, "crashed: signal") || strstr(r.err, "exited with status"));
    hb_native_close(&lib);
}

/* A free that reports an error status fails the cell with a reason. */
static void test_bad_free_status_fails_the_cell(void)
{
    hb_native_lib lib;
    char err[256] = "";
    REQUIRE(hb_native_open(&lib, HB_TEST_FIXTURES "/bad_free.so", err, sizeof err));
    hb_scaling_cell cell;
    CHECK(!hb_scaling_measure(lib.api, HB_PATTERN_FIFO, 100, 1000, &cell, err, sizeof err));
    CHECK_STR_CONTAINS(err, "error status");
    hb_native_close(&lib);
}

static void test_open_missing_library_fails(void)
{
    hb_native_lib lib;
    char err[256] = "";
    CHECK(!hb_native_open(&lib, HB_ALLOCATOR_DIR "/no-such-allocator.so", err, sizeof err));
    CHECK(err[0] != '\0');
}

/* ---- trials ------------------------------------------------------------------ */

static hb_sweep_row row_of(double a, double b, size_t done)
{
    hb_sweep_row r = { .done = done };
    two_cells(r.cells, a, b);
    return r;
}

static void test_trials_keep_each_cells_fastest(void)
{
    hb_sweep_row best, t1 = row_of(30.0, 90.0, 2), t2 = row_of(50.0, 25.0, 2);
    hb_sweep_keep_best(&best, &t1, true);
    hb_sweep_keep_best(&best, &t2, false);
    CHECK_EQ_U(best.done, 2);
    CHECK(best.cells[0].ns_per_op == 30.0);
    CHECK(best.cells[1].ns_per_op == 25.0);
    /* A slow second cell in one trial no longer decides the verdict. */
    hb_scaling_verdict v = hb_scaling_judge_ratio(claim("segfit"), best.cells, best.done);
    CHECK(!v.out_of_class);
}

static void test_trials_keep_only_cells_every_trial_measured(void)
{
    hb_sweep_row best, t1 = row_of(30.0, 90.0, 2), t2 = row_of(20.0, 0.0, 1);
    t2.capped_at = 1000000;
    hb_sweep_keep_best(&best, &t1, true);
    hb_sweep_keep_best(&best, &t2, false);
    CHECK_EQ_U(best.done, 1);
    CHECK_EQ_U(best.capped_at, 1000000);
    CHECK(best.cells[0].ns_per_op == 20.0);
}

static void test_a_failed_trial_fails_the_row(void)
{
    hb_sweep_row best, t1 = row_of(30.0, 90.0, 2), t2 = row_of(20.0, 20.0, 0), t3;
    snprintf(t2.err, sizeof t2.err, "crashed: signal 11");
    t3 = row_of(10.0, 10.0, 2);
    hb_sweep_keep_best(&best, &t1, true);
    hb_sweep_keep_best(&best, &t2, false);
    hb_sweep_keep_best(&best, &t3, false);
    CHECK_STR_CONTAINS(best.err, "signal 11");
    CHECK_EQ_U(best.done, 0);
}

int main(void)
{
    RUN(test_ratio_at_limit_is_in_class);
    RUN(test_ratio_over_limit_is_out_for_o1_and_log);
    RUN(test_ratio_rule_ignores_the_loop);
    RUN(test_ratio_uses_first_and_last_measured);
    RUN(test_one_cell_is_not_judged);
    RUN(test_firstfit_grows_without_verdict);
    RUN(test_unknown_library_has_no_promise);
    RUN(test_misses_within_allowance);
    RUN(test_misses_beyond_allowance);
    RUN(test_misses_need_ratio_over_limit);
    RUN(test_misses_need_the_loop);
    RUN(test_sweep_keeps_ops_for_cheap_cells);
    RUN(test_sweep_cuts_ops_for_growing_cells);
    RUN(test_fifo_cell_on_buddy);
    RUN(test_fifo_baseline);
    RUN(test_isolated_row_survives_a_crash);
    RUN(test_bad_free_status_fails_the_cell);
    RUN(test_open_missing_library_fails);
    RUN(test_trials_keep_each_cells_fastest);
    RUN(test_trials_keep_only_cells_every_trial_measured);
    RUN(test_a_failed_trial_fails_the_row);
    return check_summary();
}
