/* Verdicts of the scaling benchmark (see judge.h). */
#include "bench/judge.h"

#include <math.h>
#include <string.h>

#define CONST_ALLOWANCE 16.0
#define MIN_MISS_NS 1.0 /* floor of the loop's growth, for machines whose
                           caches hold the whole heap */

static const hb_scaling_claim claims[] = {
    { "buddy", "O(log n)", HB_COST_LOG },   { "pow2", "O(1)", HB_COST_CONST },
    { "segfit", "O(1)", HB_COST_CONST },    { "pagemeta", "O(1)", HB_COST_CONST },
    { "nova", "O(1)", HB_COST_CONST },      { "bestfit", "O(log n)", HB_COST_LOG },
    { "firstfit", "O(free)", HB_COST_LINEAR },
};

const hb_scaling_claim *hb_scaling_claim_of(const char *name)
{
    for (size_t i = 0; i < sizeof claims / sizeof *claims; i++)
        if (!strcmp(claims[i].name, name))
            return &claims[i];
    return NULL;
}

static double allowance_of(const hb_scaling_claim *c, size_t n_max)
{
    if (!c || c->cls == HB_COST_LINEAR || c->cls == HB_COST_UNKNOWN)
        return INFINITY; /* nothing promised that growth could break */
    return c->cls == HB_COST_CONST ? CONST_ALLOWANCE : 2.0 * log2((double)n_max);
}

hb_scaling_verdict hb_scaling_judge(const hb_scaling_claim *claim, const hb_scaling_cell *cells,
                                    size_t done, const hb_scaling_cell *loop, size_t loop_done)
{
    hb_scaling_verdict v = { 0 };
    if (done < 2 || loop_done < done || cells[0].ns_per_op <= 0)
        return v;
    size_t last = done - 1;
    v.judged = true;
    v.ratio = cells[last].ns_per_op / cells[0].ns_per_op;
    double own_growth = (cells[last].ns_per_op - loop[last].ns_per_op) -
                        (cells[0].ns_per_op - loop[0].ns_per_op);
    double miss_ns = loop[last].ns_per_op - loop[0].ns_per_op;
    v.misses = own_growth / (miss_ns > MIN_MISS_NS ? miss_ns : MIN_MISS_NS);
    v.allowance = allowance_of(claim, cells[last].n);
    v.out_of_class = v.ratio > HB_SCALING_RATIO_LIMIT && v.misses > v.allowance;
    return v;
}
