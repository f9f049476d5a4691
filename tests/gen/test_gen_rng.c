/* The generator's random numbers and distributions: reference values,
 * bounds, and sample statistics over 100k draws with fixed seeds. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "gen/dist.h"
#include "gen/rng.h"

#define N 100000
#define PINNED_DRAWS 0xf0343b8f9ae9f2e8ULL

static void test_xoshiro_reference_outputs(void)
{
    /* The published xoshiro256** sequence from state {1, 2, 3, 4}. */
    hb_rng r = { { 1, 2, 3, 4 } };
    CHECK_EQ_U(hb_rng_next(&r), 11520);
    CHECK_EQ_U(hb_rng_next(&r), 0);
    CHECK_EQ_U(hb_rng_next(&r), 1509978240);
    CHECK_EQ_U(hb_rng_next(&r), 1215971899390074240ULL);
}

static void test_splitmix_reference_output(void)
{
    uint64_t x = 0;
    CHECK_EQ_U(hb_splitmix64(&x), 0xe220a8397b1dcdafULL);
}

static void test_seeds_give_distinct_streams(void)
{
    hb_rng a, b, c;
    hb_rng_seed(&a, 1);
    hb_rng_seed(&b, 1);
    hb_rng_seed(&c, 2);
    uint64_t x = hb_rng_next(&a), y = hb_rng_next(&b), z = hb_rng_next(&c);
    CHECK(x == y);
    CHECK(x != z);
}

static void test_unit_and_below_bounds(void)
{
    hb_rng r;
    hb_rng_seed(&r, 3);
    unsigned counts[10] = { 0 };
    for (int i = 0; i < N; i++) {
        double u = hb_rng_unit(&r);
        CHECK(u >= 0 && u < 1);
        uint64_t k = hb_rng_below(&r, 10);
        REQUIRE(k < 10);
        counts[k]++;
    }
    for (int k = 0; k < 10; k++) /* expected 10000, sd ~95 */
        CHECK(counts[k] > 9500 && counts[k] < 10500);
    CHECK_EQ_U(hb_rng_below(&r, 1), 0);
}

static void test_det_log_exp_match_libm_closely(void)
{
    static const double xs[] = { 1e-300, 1e-10, 0.001, 0.5, 0.70710678, 1, 1.5, 2, 10,
                                 123.456, 1e6, 1e300 };
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        CHECK(fabs(hb_det_log(xs[i]) - log(xs[i])) <= 4e-16 * fmax(1, fabs(log(xs[i]))));
    }
    for (double x = -700; x <= 700; x += 13.37)
        CHECK(fabs(hb_det_exp(x) - exp(x)) <= 4e-16 * exp(x));
    CHECK(hb_det_exp(0) == 1.0);
    CHECK(hb_det_log(1) == 0.0);
    CHECK(fabs(hb_det_pow(2, 10) - 1024) < 1e-9);
}

static void test_exponential_mean(void)
{
    hb_rng r;
    hb_rng_seed(&r, 11);
    double sum = 0;
    for (int i = 0; i < N; i++)
        sum += hb_rng_exponential(&r, 100.0);
    CHECK(fabs(sum / N - 100.0) < 5.0);

    hb_size_dist d = { .kind = HB_SIZE_EXPONENTIAL, .a = 500, .min = 1, .max = 1 << 24 };
    sum = 0;
    for (int i = 0; i < N; i++)
        sum += (double)hb_size_draw(&d, &r);
    CHECK(fabs(sum / N - 500.0) < 25.0);
}

static void test_normal_moments(void)
{
    hb_rng r;
    hb_rng_seed(&r, 12);
    double s = 0, s2 = 0;
    for (int i = 0; i < N; i++) {
        double z = hb_rng_normal(&r);
        s += z;
        s2 += z * z;
    }
    CHECK(fabs(s / N) < 0.02);
    CHECK(fabs(s2 / N - 1.0) < 0.02);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_lognormal_median(void)
{
    hb_rng r;
    hb_rng_seed(&r, 13);
    hb_size_dist d = { .kind = HB_SIZE_LOGNORMAL, .a = log(1000.0), .b = 1.0, .min = 1,
                       .max = 1 << 30 };
    uint64_t *v = malloc(N * sizeof *v);
    REQUIRE(v);
    for (int i = 0; i < N; i++)
        v[i] = hb_size_draw(&d, &r);
    qsort(v, N, sizeof *v, cmp_u64);
    CHECK(v[N / 2] > 950 && v[N / 2] < 1050);
    /* the 84th percentile of a lognormal is median * e^sigma */
    CHECK(fabs((double)v[(int)(0.8413 * N)] / 2718.28 - 1.0) < 0.05);
    free(v);
}

static void test_pareto_bounds_and_tail(void)
{
    hb_rng r;
    hb_rng_seed(&r, 14);
    hb_size_dist d = { .kind = HB_SIZE_PARETO, .a = 1.5, .min = 16, .max = 65536 };
    int above = 0;
    for (int i = 0; i < N; i++) {
        uint64_t x = hb_size_draw(&d, &r);
        CHECK(x >= 16 && x <= 65536);
        above += x > 32;
    }
    /* P(X > 2L) = (2^-a - (L/H)^a) / (1 - (L/H)^a), about 0.3535 */
    double want = (pow(0.5, 1.5) - pow(16.0 / 65536, 1.5)) / (1 - pow(16.0 / 65536, 1.5));
    CHECK(fabs((double)above / N - want) < 0.01);
}

static void test_uniform_and_fixed_and_pow2(void)
{
    hb_rng r;
    hb_rng_seed(&r, 15);
    hb_size_dist u = { .kind = HB_SIZE_UNIFORM, .min = 10, .max = 20 };
    double sum = 0;
    for (int i = 0; i < N; i++) {
        uint64_t x = hb_size_draw(&u, &r);
        CHECK(x >= 10 && x <= 20);
        sum += (double)x;
    }
    CHECK(fabs(sum / N - 15.0) < 0.1);

    hb_size_dist f = { .kind = HB_SIZE_FIXED, .n = 3, .sizes = { 8, 64, 512 },
                       .cum = { 1, 3, 4 } };
    int c[3] = { 0 };
    for (int i = 0; i < N; i++) {
        uint64_t x = hb_size_draw(&f, &r);
        c[x == 8 ? 0 : x == 64 ? 1 : 2]++;
    }
    CHECK(abs(c[0] - N / 4) < 1000 && abs(c[1] - N / 2) < 1000 && abs(c[2] - N / 4) < 1000);

    hb_size_dist p = { .kind = HB_SIZE_POW2_PLUS, .lo_exp = 4, .hi_exp = 16, .offset = 1 };
    for (int i = 0; i < 1000; i++) {
        uint64_t x = hb_size_draw(&p, &r) - 1;
        CHECK(x >= 16 && x <= 65536 && (x & (x - 1)) == 0);
    }
}

static void test_lifetimes(void)
{
    hb_rng r;
    hb_rng_seed(&r, 16);
    hb_lifetime e = { .kind = HB_LIFE_EXPONENTIAL, .mean = 200 };
    hb_lifetime u = { .kind = HB_LIFE_UNIFORM, .min = 5, .max = 9 };
    hb_lifetime f = { .kind = HB_LIFE_FIXED, .min = 42 };
    double sum = 0;
    for (int i = 0; i < N; i++) {
        uint64_t x = hb_life_draw(&e, &r);
        CHECK(x >= 1);
        sum += (double)x;
        uint64_t y = hb_life_draw(&u, &r);
        CHECK(y >= 5 && y <= 9);
    }
    CHECK(fabs(sum / N - 200.0) < 10.0);
    CHECK_EQ_U(hb_life_draw(&f, &r), 42);
    CHECK_EQ_U(hb_grow_by_factor(16, 2.0), 32);
    CHECK_EQ_U(hb_grow_by_factor(3, 1.5), 5);
    CHECK_EQ_U(hb_grow_by_factor(1, 1.01), 2);
}

/* Pins the exact values: a platform whose arithmetic differed would make
 * different traces from the same spec, and must fail here first. */
static void test_draws_are_pinned(void)
{
    hb_rng r;
    hb_rng_seed(&r, 42);
    hb_size_dist ln = { .kind = HB_SIZE_LOGNORMAL, .a = 5.0, .b = 1.5, .min = 1, .max = 1 << 24 };
    hb_size_dist pa = { .kind = HB_SIZE_PARETO, .a = 0.9, .min = 16, .max = 1 << 20 };
    hb_size_dist ex = { .kind = HB_SIZE_EXPONENTIAL, .a = 64, .min = 1, .max = 1 << 24 };
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < 10000; i++) {
        uint64_t v = hb_size_draw(&ln, &r) ^ (hb_size_draw(&pa, &r) << 20) ^
                     (hb_size_draw(&ex, &r) << 40);
        h = (h ^ v) * 0x100000001b3ULL;
    }
    printf("pinned draw hash %016" PRIx64 "\n", h);
    CHECK_EQ_U(h, PINNED_DRAWS);
}

int main(void)
{
    RUN(test_xoshiro_reference_outputs);
    RUN(test_splitmix_reference_output);
    RUN(test_seeds_give_distinct_streams);
    RUN(test_unit_and_below_bounds);
    RUN(test_det_log_exp_match_libm_closely);
    RUN(test_exponential_mean);
    RUN(test_normal_moments);
    RUN(test_lognormal_median);
    RUN(test_pareto_bounds_and_tail);
    RUN(test_uniform_and_fixed_and_pow2);
    RUN(test_lifetimes);
    RUN(test_draws_are_pinned);
    return check_summary();
}
