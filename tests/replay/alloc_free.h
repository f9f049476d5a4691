/*
 * The simplest hand-made trace of the replay tests: n mallocs of size bytes
 * into slots 0..n-1, then n frees in the same order.  The ops are calloc'd:
 * free(t.ops) when done.
 */
#ifndef HB_TEST_ALLOC_FREE_H
#define HB_TEST_ALLOC_FREE_H

#include <stdlib.h>

#include "trace/trace.h"

static inline hb_trace alloc_free_trace(size_t n, uint64_t size)
{
    hb_op *ops = calloc(2 * n, sizeof *ops);
    for (size_t i = 0; i < n; i++) {
        ops[i] = (hb_op){ .kind = HB_OP_MALLOC, .slot = (uint32_t)i, .size = size,
                          .line = (uint32_t)i + 1 };
        ops[n + i] = (hb_op){ .kind = HB_OP_FREE, .slot = (uint32_t)i,
                              .line = (uint32_t)(n + i + 1) };
    }
    return (hb_trace){ .name = "alloc-free", .ops = ops, .nops = 2 * n, .nslots = (uint32_t)n };
}

#endif /* HB_TEST_ALLOC_FREE_H */
