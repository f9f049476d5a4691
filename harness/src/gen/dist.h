/*
 * Distributions of block sizes (bytes) and lifetimes (operations), sampled
 * with the generator's own random numbers.
 */
#ifndef HB_GEN_DIST_H
#define HB_GEN_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "gen/rng.h"

enum hb_size_kind {
    HB_SIZE_UNIFORM,     /* min..max, every size equally likely            */
    HB_SIZE_EXPONENTIAL, /* a = mean                                       */
    HB_SIZE_LOGNORMAL,   /* a = mu, b = sigma of the log                   */
    HB_SIZE_PARETO,      /* a = alpha, bounded to min..max                 */
    HB_SIZE_FIXED,       /* one of sizes[], by weights                     */
    HB_SIZE_POW2_PLUS,   /* 2^k + offset, k uniform in lo_exp..hi_exp      */
};

#define HB_SIZE_FIXED_MAX 64

typedef struct hb_size_dist {
    enum hb_size_kind kind;
    double a, b;
    uint64_t min, max; /* every draw is clamped to [min, max]              */
    size_t n;          /* fixed: number of sizes                           */
    uint64_t sizes[HB_SIZE_FIXED_MAX];
    double cum[HB_SIZE_FIXED_MAX]; /* running sums of weights              */
    unsigned lo_exp, hi_exp;
    uint64_t offset;
} hb_size_dist;

uint64_t hb_size_draw(const hb_size_dist *d, hb_rng *r);

enum hb_life_kind {
    HB_LIFE_FOREVER,     /* until the pattern frees it or the trace ends   */
    HB_LIFE_PHASE,       /* freed before the phase's last operation        */
    HB_LIFE_EXPONENTIAL, /* mean                                           */
    HB_LIFE_UNIFORM,     /* min..max                                       */
    HB_LIFE_FIXED,       /* exactly min                                    */
};

typedef struct hb_lifetime {
    enum hb_life_kind kind;
    double mean;
    uint64_t min, max;
} hb_lifetime;

/* Operations from birth to death, >= 1; only for the timed kinds. */
uint64_t hb_life_draw(const hb_lifetime *l, hb_rng *r);

/* Rounds size * factor up, at least size + 1: one growth step of a vector. */
uint64_t hb_grow_by_factor(uint64_t size, double factor);

#endif /* HB_GEN_DIST_H */
