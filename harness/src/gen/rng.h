/*
 * The generator's random numbers, written out so that a spec and a seed give
 * the same trace on every machine: xoshiro256** seeded through splitmix64,
 * doubles from the top 53 bits, and the transcendental functions the
 * distributions need computed from IEEE-754 +, -, *, / and sqrt only (each of
 * which is correctly rounded), never from libm's log/exp, whose last bit may
 * differ between C libraries.
 */
#ifndef HB_GEN_RNG_H
#define HB_GEN_RNG_H

#include <stdint.h>

typedef struct hb_rng {
    uint64_t s[4];
} hb_rng;

/* One step of splitmix64: a good 64-bit mix of *x, which advances. */
uint64_t hb_splitmix64(uint64_t *x);

/* Seeds the four state words from splitmix64(seed), never all zero. */
void hb_rng_seed(hb_rng *r, uint64_t seed);

uint64_t hb_rng_next(hb_rng *r);

/* Uniform in [0, 1), a multiple of 2^-53. */
double hb_rng_unit(hb_rng *r);

/* Uniform integer in [0, n) without modulo bias; n > 0. */
uint64_t hb_rng_below(hb_rng *r, uint64_t n);

/* True with probability p. */
int hb_rng_chance(hb_rng *r, double p);

/* Standard normal (Marsaglia's polar method). */
double hb_rng_normal(hb_rng *r);

/* Exponential with the given mean (inverse CDF). */
double hb_rng_exponential(hb_rng *r, double mean);

/* Deterministic natural log (x > 0), exp, and x^y (x > 0). */
double hb_det_log(double x);
double hb_det_exp(double x);
double hb_det_pow(double x, double y);

#endif /* HB_GEN_RNG_H */
