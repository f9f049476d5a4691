/*
 * The figures of a replay (see figures.h and docs/metrics.md).
 */
#define _GNU_SOURCE
#include "replay/figures.h"

#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "replay/replay.h"
#include "util/stats.h"

#define LINE_MAX_CHARS 96 /* four 20-digit numbers, commas, newline */

/* ---- the passes' memory ---------------------------------------------------- */

static size_t round64(size_t n) { return (n + 63) & ~(size_t)63; }

int hb_replay_mem_map(hb_replay_mem *m, const hb_trace *t)
{
    size_t nslots = t->nslots ? t->nslots : 1;
    size_t ptrs = round64(nslots * sizeof(void *)), sizes = round64(nslots * sizeof(uint64_t));
    size_t slots = ptrs + sizes;
    size_t hists = round64(HB_OP_KINDS * sizeof(hb_hist));
    size_t times = round64(HB_MAX_PASSES * sizeof(double));
    m->pts_cap = HB_SERIES_POINTS + 2;
    size_t pts = round64(m->pts_cap * sizeof(hb_series_pt));
    m->text_cap = m->pts_cap * LINE_MAX_CHARS + 64;
    m->len = slots + 2 * hists + times + pts + m->text_cap;
    /* MAP_POPULATE faults every page in now: the meter must not see the
     * harness's pages appear during the measuring pass. */
    char *p = mmap(NULL, m->len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) {
        m->map = NULL;
        return -1;
    }
    m->map = p;
    m->ptr = (void **)p;
    m->size = (uint64_t *)(p + ptrs);
    m->hist = (hb_hist *)(p + slots);
    m->pass_hist = (hb_hist *)(p + slots + hists);
    m->pass_s = (double *)(p + slots + 2 * hists);
    m->pts = (hb_series_pt *)(p + slots + 2 * hists + times);
    m->text = p + slots + 2 * hists + times + pts;
    return 0;
}

void hb_replay_mem_unmap(hb_replay_mem *m)
{
    if (m->map)
        munmap(m->map, m->len);
    m->map = NULL;
}

/* ---- memory ------------------------------------------------------------------ */

static double ratio_less_one(uint64_t num, uint64_t den)
{
    return den ? (double)num / (double)den - 1.0 : NAN;
}

/* Johnstone and Wilson's four measures, each "footprint relative to live
 * bytes, less one" with the resident footprint: #1 averaged over the
 * operations, #2 at the moment of peak live bytes, #3 at the moment of peak
 * footprint, #4 peak footprint over peak live bytes. */
static void fig_jw(const hb_pass *P, const hb_meter *mt, hb_result *r)
{
    r->jw[0] = mt->sum_live > 0 ? mt->sum_res / mt->sum_live - 1.0 : NAN;
    r->jw[1] = ratio_less_one(mt->res_at_peak_live, P->peak_bytes);
    r->jw[2] = ratio_less_one(mt->res_peak, mt->live_at_res_peak);
    r->jw[3] = ratio_less_one(mt->res_peak, P->peak_bytes);
}

/* The reserved figure of each contract: the memory source's peak, the lab
 * arena's touched pages, or the system allocator's own figure. */
static void fig_reserved(const hb_meter *mt, const hb_loaded *l, void *heap, hb_result *r)
{
    void *arena;
    size_t len;
    r->fp_reserved = HB_NONE;
    r->fp_stats = HB_NONE;
    if (mt->mem) {
        r->fp_reserved = mt->mem->peak_bytes;
        snprintf(r->reserved_method, sizeof r->reserved_method, "memsrc");
    } else if (hb_loaded_arena(l, heap, &arena, &len)) {
        r->fp_reserved = hb_resident_bytes(arena, len);
        snprintf(r->reserved_method, sizeof r->reserved_method, "arena");
    } else if (mt->have_stats) {
        r->fp_reserved = mt->stats_reserved_max;
        snprintf(r->reserved_method, sizeof r->reserved_method, "%s", mt->hs->reserved_method);
    }
    if (mt->have_stats) {
        r->fp_stats = mt->stats_max;
        snprintf(r->stats_method, sizeof r->stats_method, "%s", mt->hs->stats_method);
    }
}

void hb_fig_measure(const hb_pass *P, const hb_meter *mt, const hb_loaded *l, void *heap,
                    hb_result *r)
{
    r->ops = P->nops;
    memcpy(r->count, P->count, sizeof r->count);
    r->failed_allocs = P->failed;
    r->peak_live_bytes = P->peak_bytes;
    r->peak_live_blocks = P->peak_blocks;
    r->measured |= HB_MEAS_COUNTS | HB_MEAS_FOOTPRINT;
    r->peak_footprint = mt->res_peak;
    r->fp_end = mt->res_end;
    snprintf(r->footprint_source, sizeof r->footprint_source, "resident");
    /* Every page of a live block is written, so the resident peak holds the
     * live bytes: anything else is a fault of the measurement. */
    r->utilization = mt->res_peak && mt->res_peak >= P->peak_bytes
                         ? (double)P->peak_bytes / (double)mt->res_peak
                         : NAN;
    fig_reserved(mt, l, heap, r);
    r->harness_heap = mt->harness_heap;
    r->utilization_reserved = r->fp_reserved != HB_NONE && r->fp_reserved
                                  ? (double)P->peak_bytes / (double)r->fp_reserved
                                  : NAN;
    r->frag_internal = r->frag_external = HB_NONE;
    if (mt->have_usable && P->peak_bytes) {
        r->frag_internal = mt->usable_at_peak - P->peak_bytes;
        r->frag_external = mt->res_at_peak_live > mt->usable_at_peak
                               ? mt->res_at_peak_live - mt->usable_at_peak
                               : 0;
    }
    fig_jw(P, mt, r);
}

/* ---- throughput ----------------------------------------------------------------- */

void hb_fig_throughput(double *times, unsigned n, size_t nops, hb_result *r)
{
    double rate[64];
    if (!n)
        return;
    /* The interval and spread are of pass rates; with many passes (short
     * traces) the first 64 represent them. */
    unsigned nr = n < 64 ? n : 64;
    for (unsigned i = 0; i < nr; i++)
        rate[i] = times[i] > 0 ? (double)nops / times[i] : 0.0;
    double mean = hb_mean(rate, nr);
    r->tp_cv = mean > 0 ? hb_stddev(rate, nr) / mean : NAN;
    r->tp_ci95_ops_s = nr >= 2 ? hb_ci95_half(rate, nr) : NAN;
    double med = hb_median(times, n); /* sorts */
    r->replay_s = med;
    r->throughput_ops_s = med > 0 ? (double)nops / med : 0.0;
    r->tp_best_ops_s = times[0] > 0 ? (double)nops / times[0] : 0.0;
    r->tp_passes = n;
    r->measured |= HB_MEAS_THROUGHPUT;
}

/* ---- latency ---------------------------------------------------------------------- */

void hb_fig_latency_start(hb_lat_acc *a, hb_hist *all)
{
    memset(a, 0, sizeof *a);
    a->all = all;
    for (int k = 0; k < HB_OP_KINDS; k++)
        hb_hist_reset(&all[k]);
}

static double net_ns(const hb_clock *c, double ticks, double overhead)
{
    double ns = (ticks - overhead) * c->ns_per_tick;
    return ns > 0 ? ns : 0.0;
}

void hb_fig_latency_pass(hb_lat_acc *a, const hb_clock *c, const hb_hist *pass, double overhead,
                         double pass_ns_op)
{
    if (a->passes >= 16)
        return;
    for (int k = 0; k < HB_OP_KINDS; k++) {
        a->tmean[k][a->passes] = net_ns(c, hb_hist_tmean(&pass[k], HB_TRIM), overhead);
        hb_hist_merge(&a->all[k], &pass[k]);
    }
    a->overhead_sum += overhead;
    a->pass_ns_op_sum += pass_ns_op;
    a->passes++;
}

/* A percentile of raw samples, which are whole clock steps: snapped to the
 * step, so no sub-step precision is claimed, then less the overhead. */
static double percentile_ns(const hb_clock *c, const hb_hist *h, double q, double overhead)
{
    double v = hb_hist_quantile(h, q);
    if (c->step > 1)
        v = round(v / (double)c->step) * (double)c->step;
    return net_ns(c, v, overhead);
}

static void fill_kind(const hb_lat_acc *a, const hb_clock *c, int k, double ov, hb_latency *out)
{
    const hb_hist *h = &a->all[k];
    out->count = h->count;
    out->mean_ns = net_ns(c, hb_hist_mean(h), ov);
    out->p50_ns = percentile_ns(c, h, 0.50, ov);
    out->p90_ns = percentile_ns(c, h, 0.90, ov);
    out->p99_ns = percentile_ns(c, h, 0.99, ov);
    out->p999_ns = percentile_ns(c, h, 0.999, ov);
    out->max_ns = net_ns(c, h->count ? (double)h->max : 0.0, ov);
    out->tmean_ns = hb_mean(a->tmean[k], a->passes);
    out->tmean_ci95_ns = a->passes >= 2 ? hb_ci95_half(a->tmean[k], a->passes) : NAN;
}

void hb_fig_latency_end(const hb_lat_acc *a, const hb_clock *c, hb_result *r)
{
    if (!a->passes)
        return;
    double ov = a->overhead_sum / a->passes;
    uint64_t slow_ticks = (uint64_t)(HB_SLOW_NS / c->ns_per_tick);
    r->slow_samples = 0;
    for (int k = 0; k < HB_OP_KINDS; k++) {
        fill_kind(a, c, k, ov, &r->lat[k]);
        r->slow_samples += hb_hist_count_at_least(&a->all[k], slow_ticks);
    }
    snprintf(r->clock, sizeof r->clock, "%s", c->name);
    r->clock_overhead_ns = ov * c->ns_per_tick;
    r->clock_step_ns = c->step_ns;
    r->lat_passes = a->passes;
    r->lat_pass_ns_op = a->pass_ns_op_sum / a->passes;
    r->measured |= HB_MEAS_LATENCY;
}

/* ---- the series file ------------------------------------------------------------------ */

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

int hb_series_write(const char *path, const hb_meter *mt, const hb_replay_mem *m)
{
    static const char head[] = "op,live_bytes,resident_bytes,reserved_bytes\n";
    char *p = m->text;
    memcpy(p, head, sizeof head - 1);
    p += sizeof head - 1;
    for (size_t i = 0; i < mt->npts; i++) {
        const hb_series_pt *s = &mt->pts[i];
        p = put_u64(p, s->op);
        *p++ = ',';
        p = put_u64(p, s->live);
        *p++ = ',';
        p = put_u64(p, s->resident);
        *p++ = ',';
        if (s->reserved != HB_NONE)
            p = put_u64(p, s->reserved);
        *p++ = '\n';
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t len = (size_t)(p - m->text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, m->text + off, len - off);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    return close(fd);
}
