/* The report's statistics, looks and trace kinds on hand-computed cases. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report/facts.h"
#include "report/kind.h"
#include "report/palette.h"
#include "report/stats.h"
#include "util/stats.h"

#define NEAR(a, b) (fabs((double)(a) - (double)(b)) < 1e-3 * fmax(1, fabs((double)(b))))

static void test_t_quantiles(void)
{
    CHECK(NEAR(hb_t975(1), 12.706));
    CHECK(NEAR(hb_t975(4), 2.776));
    CHECK(fabs(hb_t975(60) - 2.000) < 2e-3);
    CHECK(fabs(hb_t975(1000) - 1.962) < 2e-3);
}

static void test_mean_ci(void)
{
    /* 1 2 3: mean 2, sd 1, half-width t(2) * 1 / sqrt(3) = 4.303 / 1.732 */
    double x[] = { 1, 2, 3 };
    hb_est e = hb_mean_ci(x, 3);
    CHECK(NEAR(e.v, 2));
    CHECK(NEAR(e.half, 4.303 / sqrt(3)));
    e = hb_mean_ci(x, 1);
    CHECK(NEAR(e.v, 1) && isnan(e.half));
    CHECK(isnan(hb_mean_ci(x, 0).v));
}

static void test_geomean_ratio(void)
{
    /* ratios 2 and 4 -> sqrt(8); a zero or missing figure is left out */
    hb_est num[] = { { 2, NAN, 1 }, { 8, NAN, 1 }, { 0, NAN, 1 }, { NAN, NAN, 0 } };
    hb_est den[] = { { 1, NAN, 1 }, { 2, NAN, 1 }, { 5, NAN, 1 }, { 3, NAN, 1 } };
    double lo, hi;
    hb_est g = hb_geomean_ratio(num, den, 4, &lo, &hi);
    CHECK(NEAR(g.v, sqrt(8)));
    CHECK_EQ_U(g.n, 2);
    CHECK(isnan(lo) && isnan(g.half));
    /* one trace, 10 % relative sd on each side (half = 1.96 * 0.1 * v):
     * log sd = sqrt(0.02), interval exp(+-1.96 * 0.1414) around 1 */
    hb_est a = { 10, 1.959964, 3 }, b = { 10, 1.959964, 3 };
    g = hb_geomean_ratio(&a, &b, 1, &lo, &hi);
    CHECK(NEAR(g.v, 1));
    CHECK(NEAR(lo, exp(-1.959964 * sqrt(0.02))));
    CHECK(NEAR(hi, exp(1.959964 * sqrt(0.02))));
}

static void test_looks(void)
{
    hb_look a = hb_look_of("glibc"), b = hb_look_of("buddy");
    CHECK(strcmp(a.rgb, b.rgb) != 0);
    CHECK(hb_look_rank("glibc") < hb_look_rank("buddy"));
    /* an unknown name: always the same look, after the fixed ones */
    hb_look u1 = hb_look_of("my-alloc"), u2 = hb_look_of("my-alloc");
    CHECK(!strcmp(u1.rgb, u2.rgb) && u1.dash == u2.dash && u1.point == u2.point);
    CHECK(u1.dash >= 1 && u1.dash <= 5);
    CHECK(hb_look_rank("my-alloc") == hb_look_rank("other-alloc"));
}

static void test_kinds(void)
{
    CHECK(!strcmp(hb_trace_kind("traces/handmade/every-op.trace"), "fixture"));
    CHECK(!strcmp(hb_trace_kind("/x/traces/recorded/gcc.trace.xz"), "recorded"));
    CHECK(!strcmp(hb_trace_kind("build/traces/synthetic/a.trace"), "synthetic"));
    CHECK(!strcmp(hb_trace_kind("traces/mine.trace"), "other"));
    CHECK(!strcmp(hb_trace_kind("traces/handmade-ish/a.trace"), "other"));
    CHECK(!strcmp(hb_trace_kind(NULL), "other"));
}

static void test_lines_of_code(void)
{
    char dir[] = "/tmp/hb_loc_XXXXXX";
    REQUIRE(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/a.c", dir);
    FILE *f = fopen(path, "w");
    fputs("/* a comment\n   over lines */\n\nint x; // code\n// only a comment\n"
          "int y; /* tail */\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    f = fopen(path, "w");
    fputs("int z;\n", f);
    fclose(f);
    CHECK(hb_count_loc(dir) == 2);
    CHECK(hb_count_loc("/nonexistent/folder") == -1);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    RUN(test_t_quantiles);
    RUN(test_mean_ci);
    RUN(test_geomean_ratio);
    RUN(test_looks);
    RUN(test_kinds);
    RUN(test_lines_of_code);
    return check_summary();
}
