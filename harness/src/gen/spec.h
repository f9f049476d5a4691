/*
 * A synthetic workload specification, as read from YAML (docs/synthetic.md
 * is the reference).  A spec is a seed and a list of phases; each phase runs
 * one pattern for an exact number of operations.
 */
#ifndef HB_GEN_SPEC_H
#define HB_GEN_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen/dist.h"

enum hb_pattern {
    HB_PAT_RAMP,
    HB_PAT_PEAK,
    HB_PAT_PLATEAU,
    HB_PAT_VECTOR,
    HB_PAT_QUEUE,
    HB_PAT_STACK,
    HB_PAT_POW2_PLUS_ONE,
    HB_PAT_FRAGMENT_FIRSTFIT,
    HB_PAT_FREE_THEN_LARGE,
    HB_PAT_COUNT
};

const char *hb_pattern_name(enum hb_pattern p);

/* Which live blocks a pattern may free when it chooses a victim. */
enum hb_victims { HB_FROM_PHASE, HB_FROM_ALL };
enum hb_release { HB_RELEASE_RANDOM, HB_RELEASE_OLDEST, HB_RELEASE_NEWEST };

#define HB_MIX_ALIGN_MAX 16

/* How an allocation is made: of allocations, calloc and aligned fractions
 * become c and m lines; realloc is the fraction of allocation decisions that
 * resize a live block instead. */
typedef struct hb_op_mix {
    double calloc, aligned, realloc;
    size_t naligns;
    uint64_t aligns[HB_MIX_ALIGN_MAX];
} hb_op_mix;

typedef struct hb_phase {
    enum hb_pattern pattern;
    uint64_t ops;
    unsigned line;      /* of the phase in the spec, for messages        */
    hb_size_dist size;  /* the sizes it allocates (small ones, if two)   */
    hb_size_dist large; /* fragment-firstfit, free-then-large            */
    hb_lifetime life;
    hb_op_mix mix;
    enum hb_victims from;
    enum hb_release release;
    /* curve patterns (ramp, peak, plateau, pow2-plus-one) */
    uint64_t level;     /* target / height / level, bytes                */
    bool level_given;
    uint64_t rise_ops;  /* peak: ops of the rise; pow2-plus-one: of the fill */
    /* queue, stack */
    uint64_t depth;
    bool drain;
    /* vector */
    uint64_t vectors, initial, step, vmax;
    double factor, noise;
    /* adversarial */
    uint64_t count, larges, burst, keep;
} hb_phase;

enum hb_end { HB_END_FREE, HB_END_LEAK };

typedef struct hb_spec {
    char *path;
    char *name;
    char *description;
    uint64_t seed;
    uint64_t max_size;
    enum hb_end end;
    hb_phase *phases;
    size_t nphases;
    uint64_t total_ops; /* of all phases, without the final frees       */
    uint64_t hash;      /* of the spec's bytes, generator version, seed  */
    uint64_t bytes_hash; /* of the spec's bytes alone                    */
} hb_spec;

/* Reads and checks a spec file.  Returns 0, or -1 with a message
 * "FILE:LINE:COL: error: ..." in err. */
int hb_spec_load(const char *path, hb_spec *s, char *err, size_t errlen);

/* The same from memory; name stands for the file in messages. */
int hb_spec_load_string(const char *name, const char *text, size_t len, hb_spec *s, char *err,
                        size_t errlen);

void hb_spec_free(hb_spec *s);

/* The spec-hash written into the trace header: FNV-1a 64 over the spec
 * bytes, the generator version and the seed actually used. */
uint64_t hb_spec_hash_bytes(const char *text, size_t len, uint64_t seed);

/* Replaces the spec's seed (and so its hash). */
void hb_spec_set_seed(hb_spec *s, uint64_t seed);

/* Part of every spec-hash, and so of whether a generated trace is stale.
 * Bump it whenever the generator's output for the same spec and seed may
 * change (a pattern, a distribution, the random numbers, the text written):
 * otherwise traces generated before the change count as up to date and are
 * kept.  tests/gen/test_gen_shipped.c pins a hash of the output of every
 * shipped spec and fails when one changes; after bumping, update its pinned
 * hashes and PINNED_AT_GEN_VERSION, and PINNED_TRACE in test_gen_patterns.c. */
#define HB_GEN_VERSION "1"
#define HB_GEN_MAX_OPS 100000000ULL
#define HB_GEN_DEFAULT_MAX_SIZE (16ULL << 20)

#endif /* HB_GEN_SPEC_H */
