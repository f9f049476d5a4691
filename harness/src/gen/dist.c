#pragma GCC optimize("fp-contract=off") /* see rng.c */

#include "gen/dist.h"

#include <math.h>

/* Doubles become sizes by rounding to nearest, clamped before conversion so
 * that a huge tail draw cannot overflow the integer. */
static uint64_t clamp_round(double x, uint64_t min, uint64_t max)
{
    if (!(x >= (double)min))
        return min;
    if (x >= (double)max)
        return max;
    uint64_t v = (uint64_t)(x + 0.5);
    return v < min ? min : v > max ? max : v;
}

/* Bounded Pareto by inverse CDF: F(x) = (1 - (L/x)^a) / (1 - (L/H)^a). */
static double pareto(const hb_size_dist *d, hb_rng *r)
{
    double lo = (double)d->min, hi = (double)d->max, alpha = d->a;
    double tail = hb_det_pow(lo / hi, alpha);
    double u = hb_rng_unit(r);
    return lo / hb_det_pow(1.0 - u * (1.0 - tail), 1.0 / alpha);
}

static uint64_t fixed(const hb_size_dist *d, hb_rng *r)
{
    double x = hb_rng_unit(r) * d->cum[d->n - 1];
    for (size_t i = 0; i < d->n; i++)
        if (x < d->cum[i])
            return d->sizes[i];
    return d->sizes[d->n - 1];
}

static uint64_t pow2_plus(const hb_size_dist *d, hb_rng *r)
{
    unsigned k = d->lo_exp + (unsigned)hb_rng_below(r, d->hi_exp - d->lo_exp + 1);
    return ((uint64_t)1 << k) + d->offset;
}

uint64_t hb_size_draw(const hb_size_dist *d, hb_rng *r)
{
    switch (d->kind) {
    case HB_SIZE_UNIFORM:
        return d->min + hb_rng_below(r, d->max - d->min + 1);
    case HB_SIZE_EXPONENTIAL:
        return clamp_round(hb_rng_exponential(r, d->a), d->min, d->max);
    case HB_SIZE_LOGNORMAL:
        return clamp_round(hb_det_exp(d->a + d->b * hb_rng_normal(r)), d->min, d->max);
    case HB_SIZE_PARETO:
        return clamp_round(pareto(d, r), d->min, d->max);
    case HB_SIZE_FIXED:
        return fixed(d, r);
    case HB_SIZE_POW2_PLUS:
        return pow2_plus(d, r);
    }
    return d->min;
}

uint64_t hb_life_draw(const hb_lifetime *l, hb_rng *r)
{
    switch (l->kind) {
    case HB_LIFE_EXPONENTIAL:
        return clamp_round(hb_rng_exponential(r, l->mean), 1, UINT64_MAX / 4);
    case HB_LIFE_UNIFORM:
        return l->min + hb_rng_below(r, l->max - l->min + 1);
    case HB_LIFE_FIXED:
        return l->min;
    default:
        return UINT64_MAX;
    }
}

uint64_t hb_grow_by_factor(uint64_t size, double factor)
{
    double x = ceil((double)size * factor);
    if (!(x < 9.2e18))
        return UINT64_MAX / 2;
    uint64_t v = (uint64_t)x;
    return v > size ? v : size + 1;
}
