/* Fused multiply-add would change the last bit of results between machines
 * that have it and machines that do not; every sum of products below must
 * round twice, as written. */
#pragma GCC optimize("fp-contract=off")

#include "gen/rng.h"

#include <math.h>

uint64_t hb_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void hb_rng_seed(hb_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = hb_splitmix64(&x);
    /* splitmix64 is a bijection of distinct inputs, so the four words cannot
     * all be zero; xoshiro's one forbidden state is unreachable. */
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t hb_rng_next(hb_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double hb_rng_unit(hb_rng *r) { return (double)(hb_rng_next(r) >> 11) * 0x1.0p-53; }

/* Lemire's multiply-shift: the high word of x * n is uniform in [0, n) once
 * the low words that would over-represent some values are rejected. */
uint64_t hb_rng_below(hb_rng *r, uint64_t n)
{
    unsigned __int128 m = (unsigned __int128)hb_rng_next(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = (unsigned __int128)hb_rng_next(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

int hb_rng_chance(hb_rng *r, double p) { return p > 0 && hb_rng_unit(r) < p; }

double hb_rng_normal(hb_rng *r)
{
    double u, v, s;
    do {
        u = 2.0 * hb_rng_unit(r) - 1.0;
        v = 2.0 * hb_rng_unit(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * hb_det_log(s) / s);
}

double hb_rng_exponential(hb_rng *r, double mean)
{
    /* 1 - u is in (0, 1], so the log is finite. */
    return -mean * hb_det_log(1.0 - hb_rng_unit(r));
}

/* ln 2 split so that k * LN2_HI is exact for |k| < 2^11. */
#define LN2_HI 6.93147180369123816490e-01
#define LN2_LO 1.90821492927058770002e-10

/* log x = e ln 2 + log m with m in [sqrt(1/2), sqrt(2)); log m is
 * 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172, whose odd series reaches double
 * precision by the s^23 term. */
double hb_det_log(double x)
{
    if (!(x > 0))
        return x == 0 ? -HUGE_VAL : NAN;
    if (isinf(x))
        return x;
    int e;
    double m = frexp(x, &e);
    if (m < 0.70710678118654752440) {
        m *= 2.0;
        e--;
    }
    double s = (m - 1.0) / (m + 1.0), s2 = s * s;
    double p = 1.0 / 23.0;
    for (int k = 21; k >= 1; k -= 2)
        p = p * s2 + 1.0 / k;
    return (double)e * LN2_HI + ((double)e * LN2_LO + 2.0 * s * p);
}

/* exp x = 2^k e^r with |r| <= ln2/2; the Taylor series of e^r to r^14 is
 * below half an ulp there. */
double hb_det_exp(double x)
{
    if (isnan(x))
        return x;
    if (x > 709.7)
        return HUGE_VAL;
    if (x < -745.2)
        return 0.0;
    double k = floor(x * 1.44269504088896338700 + 0.5);
    double r = (x - k * LN2_HI) - k * LN2_LO;
    double p = 1.0;
    for (int i = 14; i >= 1; i--)
        p = 1.0 + p * r / i;
    return ldexp(p, (int)k);
}

double hb_det_pow(double x, double y) { return hb_det_exp(y * hb_det_log(x)); }
