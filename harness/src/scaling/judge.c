/* Verdicts of the scaling benchmark (see judge.h). */
#include "scaling/judge.h"

#include <math.h>
#include <string.h>

#define CONST_ALLOWANCE 16.0
#define MIN_MISS_NS 1.0 /* floor of the loop's growth, for machines whose
                           caches hold the whole heap */

const hb_scaling_claim *hb_scaling_claim_of(const char *name)
{
    return hb_suite_find(name);
}

/* Only O(1) and O(log n) promise a bound that growth can break. */
static bool bounded(const hb_scaling_claim *c)
{
    return c && (c->cls == HB_COST_CONST || c->cls == HB_COST_LOG);
}

/* Ratio and exponent between the first and the last measured cell; not
 * judged with fewer than two cells or a first cell that measured nothing. */
static hb_scaling_verdict growth(const hb_scaling_cell *cells, size_t done)
{
    hb_scaling_verdict v = { .misses = NAN, .allowance = INFINITY };
    if (done < 2 || cells[0].ns_per_op <= 0 || cells[done - 1].n <= cells[0].n)
        return v;
    const hb_scaling_cell *lo = &cells[0], *hi = &cells[done - 1];
    v.judged = true;
    v.n_min = lo->n;
    v.n_max = hi->n;
    v.ratio = hi->ns_per_op / lo->ns_per_op;
    v.exponent = v.ratio > 0 ? log(v.ratio) / log((double)hi->n / (double)lo->n) : -INFINITY;
    return v;
}

hb_scaling_verdict hb_scaling_judge_ratio(const hb_scaling_claim *claim,
                                          const hb_scaling_cell *cells, size_t done)
{
    hb_scaling_verdict v = growth(cells, done);
    v.out_of_class = v.judged && bounded(claim) && v.ratio > HB_SCALING_RATIO_LIMIT;
    return v;
}

static double allowance_of(const hb_scaling_claim *c, size_t n_max)
{
    if (!bounded(c))
        return INFINITY; /* nothing promised that growth could break */
    return c->cls == HB_COST_CONST ? CONST_ALLOWANCE : 2.0 * log2((double)n_max);
}

hb_scaling_verdict hb_scaling_judge_misses(const hb_scaling_claim *claim,
                                           const hb_scaling_cell *cells, size_t done,
                                           const hb_scaling_cell *loop, size_t loop_done)
{
    hb_scaling_verdict v = growth(cells, done);
    if (!v.judged || loop_done < done) {
        v.judged = false;
        return v;
    }
    size_t last = done - 1;
    double own_growth = (cells[last].ns_per_op - loop[last].ns_per_op) -
                        (cells[0].ns_per_op - loop[0].ns_per_op);
    double miss_ns = loop[last].ns_per_op - loop[0].ns_per_op;
    v.misses = own_growth / (miss_ns > MIN_MISS_NS ? miss_ns : MIN_MISS_NS);
    v.allowance = allowance_of(claim, v.n_max);
    v.out_of_class = v.ratio > HB_SCALING_RATIO_LIMIT && v.misses > v.allowance;
    return v;
}

const char *hb_scaling_verdict_text(const hb_scaling_claim *claim, const hb_scaling_verdict *v)
{
    if (!claim)
        return "no promise known";
    if (claim->cls == HB_COST_LINEAR)
        return "O(free blocks), growth expected";
    if (!v->judged)
        return "not judged: fewer than two sizes measured";
    if (v->out_of_class)
        return "OUT OF CLASS";
    /* Under the ratio rule a bounded promise over the limit is out of
     * class, so this text appears only under the misses rule. */
    return v->ratio > HB_SCALING_RATIO_LIMIT ? "ratio over 2, within cache misses: in class" : "in class";
}
