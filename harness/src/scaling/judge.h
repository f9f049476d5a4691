/*
 * Verdicts of the scaling benchmark: does an allocator's cost grow with N
 * more than the cost it promises allows?  Two rules, one per pattern.
 *
 * The ratio rule (fifo pattern) is the requirement taken literally: an
 * allocator promising O(1) or O(log n) is out of class when
 *     ns(N_max) / ns(N_min) > 2.0,
 * nothing subtracted.  Under fifo the harness walks memory in allocation
 * order, so the loop by itself costs the same at every N and the ratio is
 * the allocator's own.
 *
 * The misses rule (random pattern).  Random frees among N live blocks
 * touch memory that stops fitting the caches as N grows, so even the loop
 * with no allocator call gets an order of magnitude slower from N = 1e3 to
 * N = 1e6, and an O(1) allocator whose every operation touches a few cold
 * cache lines grows the same way.  So the growth is expressed in "miss
 * equivalents": the allocator's own cost growth (its time minus the
 * loop's, at N_max minus at N_min) divided by the loop's growth, which is
 * what one extra random memory access costs at N_max.  An allocator is out
 * of class when its raw ratio exceeds 2.0 AND its growth is more than a
 * bounded number of extra cache misses explains:
 *     O(1)       16 miss equivalents (a generous bound on the lines one
 *                free + one malloc of the suite's designs touch)
 *     O(log n)   2 * log2(N_max) miss equivalents (one or two cold lines
 *                per level of a tree over N blocks)
 * An O(free blocks) search grows by hundreds or thousands of them.
 *
 * Under both rules an O(free blocks) allocator (first fit) is never out
 * of class: its growth is reported, as a ratio and as the exponent k of
 * the power law ns ~ N^k through the first and last measured N.
 */
#ifndef HB_SCALING_JUDGE_H
#define HB_SCALING_JUDGE_H

#include <stdbool.h>
#include <stddef.h>

#include "scaling/scaling.h"
#include "load/suite.h"

#define HB_SCALING_RATIO_LIMIT 2.0

/* What a suite allocator promises (load/suite.h keeps it with its name). */
typedef hb_suite_alloc hb_scaling_claim;

/* The promise of a suite allocator, or NULL for any other library. */
const hb_scaling_claim *hb_scaling_claim_of(const char *name);

typedef struct hb_scaling_verdict {
    bool judged;       /* the first and last N were both measured          */
    size_t n_min;      /* the N the ratio compares ...                     */
    size_t n_max;      /* ... (n_max is the last N measured)               */
    double ratio;      /* ns at n_max / ns at n_min                        */
    double exponent;   /* k in ns ~ N^k through those two points           */
    double misses;     /* misses rule: own growth in miss equivalents      */
    double allowance;  /* misses rule: miss equivalents the promise allows */
    bool out_of_class; /* a bounded promise broken                         */
} hb_scaling_verdict;

/* The ratio rule over cells[0..done) (ascending N). */
hb_scaling_verdict hb_scaling_judge_ratio(const hb_scaling_claim *claim,
                                          const hb_scaling_cell *cells, size_t done);

/* The misses rule: cells[0..done) and loop[0..loop_done) are measured at
 * the same N in the same order. */
hb_scaling_verdict hb_scaling_judge_misses(const hb_scaling_claim *claim,
                                           const hb_scaling_cell *cells, size_t done,
                                           const hb_scaling_cell *loop, size_t loop_done);

/* The verdict as the table prints it: "OUT OF CLASS", "in class",
 * "O(free blocks), growth expected", ... (claim may be NULL). */
const char *hb_scaling_verdict_text(const hb_scaling_claim *claim, const hb_scaling_verdict *v);

#endif /* HB_SCALING_JUDGE_H */
