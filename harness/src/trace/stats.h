/*
 * Figures about a loaded trace beyond its summary, for `heapbench trace
 * stats`: the request size distribution and how long blocks live.
 */
#ifndef HB_TRACE_STATS_H
#define HB_TRACE_STATS_H

#include <stdint.h>

#include "trace/trace.h"

#define HB_SIZE_BUCKETS 65

typedef struct hb_trace_stats {
    /* [0]: size 0; [k + 1]: sizes in [2^k, 2^(k+1)).  Every malloc, calloc
     * (the product), aligned allocation and realloc to a nonzero size. */
    uint64_t size_hist[HB_SIZE_BUCKETS];
    uint64_t requests;
    /* Lifetimes in ops: a block born at op i and freed at op j lived
     * j - i; a realloc keeps the block alive. */
    uint64_t births, freed, never_freed;
    uint64_t realloc0; /* frees that were realloc(p, 0) */
    double life_mean;
    uint64_t life_p50, life_p90, life_max;
} hb_trace_stats;

/* 0, or -1 when out of memory. */
int hb_trace_stats_of(const hb_trace *t, hb_trace_stats *s);

/* Bucket index of a size in size_hist. */
unsigned hb_size_bucket(uint64_t size);

#endif /* HB_TRACE_STATS_H */
