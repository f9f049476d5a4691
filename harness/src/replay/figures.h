/*
 * From what the passes saw to the figures of an hb_result (private to
 * replay/): the memory the passes use, the memory figures of the measuring
 * pass, the statistics of repeated throughput and latency passes, and the
 * memory-over-time series file.  docs/metrics.md defines every figure.
 */
#ifndef HB_FIGURES_H
#define HB_FIGURES_H

#include "replay/pass.h"
#include "report/result.h"

/* The memory every pass writes, mapped by the harness and faulted in
 * before the first pass, so no pass allocates from any heap. */
typedef struct hb_replay_mem {
    void *map;
    size_t len;
    void **ptr;          /* [nslots]: the slots' pointers               */
    uint64_t *size;      /* [nslots]: their size words                  */
    hb_hist *hist;       /* [HB_OP_KINDS]: every latency pass           */
    hb_hist *pass_hist;  /* [HB_OP_KINDS]: the current latency pass     */
    double *pass_s;      /* [HB_MAX_PASSES]: throughput pass times      */
    hb_series_pt *pts;
    size_t pts_cap;
    char *text;          /* the series file, formatted here             */
    size_t text_cap;
} hb_replay_mem;

int hb_replay_mem_map(hb_replay_mem *m, const hb_trace *t);
void hb_replay_mem_unmap(hb_replay_mem *m);

/* Counts and memory figures of the measuring pass. */
void hb_fig_measure(const hb_pass *P, const hb_meter *mt, const hb_loaded *l, void *heap,
                    hb_result *r);

/* Median, best, spread and interval of n pass times (sorts times). */
void hb_fig_throughput(double *times, unsigned n, size_t nops, hb_result *r);

/* Latency over several passes: each pass's trimmed means, for the
 * interval, and the samples of all passes, for the rest. */
typedef struct hb_lat_acc {
    hb_hist *all;                       /* [HB_OP_KINDS]              */
    double tmean[HB_OP_KINDS][16];      /* per pass, ns (16 passes at most) */
    unsigned passes;
    double overhead_sum, pass_ns_op_sum;
} hb_lat_acc;

void hb_fig_latency_start(hb_lat_acc *a, hb_hist *all);
void hb_fig_latency_pass(hb_lat_acc *a, const hb_clock *c, const hb_hist *pass, double overhead,
                         double pass_ns_op);
void hb_fig_latency_end(const hb_lat_acc *a, const hb_clock *c, hb_result *r);

/* Writes the series as CSV ("op,live_bytes,resident_bytes,reserved_bytes"). */
int hb_series_write(const char *path, const hb_meter *mt, const hb_replay_mem *m);

#endif /* HB_FIGURES_H */
