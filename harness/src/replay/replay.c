/*
 * The passes of a replay, and turning what they saw into an hb_result
 * (see replay.h).  Setting up a pass -- a fresh memory source, a fresh
 * heap, zeroed and pre-faulted slot arrays -- happens here, outside the
 * loops of loop.c.
 */
#define _GNU_SOURCE
#include "replay/replay.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <malloc.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "osmem/osmem.h"
#include "replay/fault.h"
#include "replay/pass.h"

#define RSS_SAMPLES 1000

/* Everything a pass needs beyond hb_pass: the heap and where it lives. */
typedef struct pass_env {
    const hb_loaded *l;
    const hb_trace *t;
    const hb_replay_cfg *cfg;
    hb_osmem *mem;
    void *slots_map;
    size_t slots_len;
} pass_env;

static int map_slots(pass_env *e)
{
    size_t n = e->t->nslots ? e->t->nslots : 1;
    e->slots_len = n * (sizeof(void *) + sizeof(uint64_t));
    e->slots_map = mmap(NULL, e->slots_len, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return e->slots_map == MAP_FAILED ? -1 : 0;
}

/* A fresh memory source and heap, and slot arrays written once so every
 * page is faulted in before the loop. */
static int open_pass(pass_env *e, hb_pass *P, char *err, size_t errlen)
{
    memset(P, 0, sizeof *P);
    e->mem = hb_osmem_new(0, e->cfg->limit);
    if (!e->mem) {
        snprintf(err, errlen, "cannot reserve the memory source");
        return -1;
    }
    P->heap = hb_loaded_create(e->l, hb_osmem_source(e->mem), e->cfg->options, err, errlen);
    if (!P->heap) {
        hb_osmem_free(e->mem);
        e->mem = NULL;
        return -1;
    }
    memset(e->slots_map, 0, e->slots_len);
    uint32_t n = e->t->nslots ? e->t->nslots : 1;
    P->a = e->l->api;
    P->ops = e->t->ops;
    P->nops = e->t->nops;
    P->ptr = e->slots_map;
    P->size = (uint64_t *)((char *)e->slots_map + (size_t)n * sizeof(void *));
    P->nslots = e->t->nslots;
    return 0;
}

static void close_pass(pass_env *e, hb_pass *P)
{
    hb_fault_enter(HB_PASS_CLEANUP, NULL, 0);
    hb_pass_release(P);
    hb_loaded_destroy(e->l, P->heap);
    hb_osmem_free(e->mem);
    e->mem = NULL;
    hb_fault_enter(HB_PASS_SETUP, NULL, 0);
}

/* ---- status -------------------------------------------------------------- */

static unsigned line_of(const hb_trace *t, size_t i) { return i < t->nops ? t->ops[i].line : 0; }

static void set_status(hb_result *r, enum hb_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_status(hb_result *r, enum hb_status st, const char *fmt, ...)
{
    if (r->status != HB_ST_OK && r->status != HB_ST_FAILED)
        return; /* the first real problem wins */
    r->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

static void where(const hb_trace *t, size_t i, char *buf, size_t len)
{
    if (i >= t->nops)
        snprintf(buf, len, "releasing blocks live at the end");
    else
        snprintf(buf, len, "op %zu line %u", i, line_of(t, i));
}

static void judge_pass(const hb_trace *t, const hb_pass *P, hb_result *r)
{
    static const char *const corrupt_why[] = {
        "", "a live block's first or last byte changed", "realloc lost the block's contents",
        "calloc memory was not zero", "aligned allocation returned a misaligned pointer"
    };
    char at[64];
    if (P->corrupt) {
        where(t, P->corrupt_op, at, sizeof at);
        set_status(r, HB_ST_CORRUPT, "%s: %s", at, corrupt_why[P->corrupt]);
    }
    if (P->bad_free) {
        where(t, P->bad_free_op, at, sizeof at);
        set_status(r, HB_ST_BAD_FREE, "%s: free answered %s", at,
                   P->bad_free == HB_FREE_DOUBLE ? "double free" : "invalid pointer");
    }
}

static void run_check(const hb_pass *P, hb_result *r, const char *when)
{
    char msg[200] = "";
    if (P->a->check && P->a->check(P->heap, msg, sizeof msg) != 0)
        set_status(r, HB_ST_CORRUPT, "check() failed %s: %s", when, msg[0] ? msg : "no reason");
}

/* ---- the passes ------------------------------------------------------------ */

static void measure_footprint(pass_env *e, hb_pass *P, hb_rss *rss, hb_result *r)
{
    void *arena;
    size_t len;
    uint64_t fp = 0;
    if (e->l->footprint == HB_FOOTPRINT_RSS) {
        fp = hb_rss_growth(rss);
    } else if (hb_loaded_arena(e->l, P->heap, &arena, &len)) {
        long pg = sysconf(_SC_PAGESIZE);
        unsigned char *vec = malloc(len / (pg > 0 ? (size_t)pg : 4096) + 1);
        fp = vec ? hb_resident_bytes(arena, len, vec) : 0;
        free(vec);
    } else {
        fp = hb_osmem_stats_of(e->mem)->peak_bytes;
    }
    r->peak_footprint = fp;
    snprintf(r->footprint_source, sizeof r->footprint_source, "%s",
             hb_footprint_name(e->l->footprint));
    r->utilization = fp ? (double)r->peak_live_bytes / (double)fp : 0.0;
    r->measured |= HB_MEAS_FOOTPRINT;
}

static int pass_measure(pass_env *e, hb_result *r, char *err, size_t errlen)
{
    hb_pass P;
    hb_rss rss = { .fd = -1 };
    if (open_pass(e, &P, err, errlen) != 0)
        return -1;
    /* The harness's own freed memory (trace loading) goes back to the kernel
     * first, so the RSS baseline holds as little slack as possible. */
    if (e->l->footprint == HB_FOOTPRINT_RSS)
        malloc_trim(0);
    if (e->l->footprint == HB_FOOTPRINT_RSS && hb_rss_open(&rss) == 0) {
        P.rss = &rss;
        P.rss_every = e->t->nops / RSS_SAMPLES ? e->t->nops / RSS_SAMPLES : 1;
    }
    hb_fault_enter(HB_PASS_MEASURE, e->t->ops, e->t->nops);
    hb_pass_measure(&P);
    hb_fault_enter(HB_PASS_CLEANUP, NULL, 0);

    r->ops = e->t->nops;
    memcpy(r->count, P.count, sizeof r->count);
    r->failed_allocs = P.failed;
    r->peak_live_bytes = P.peak_bytes;
    r->peak_live_blocks = P.peak_blocks;
    r->measured |= HB_MEAS_COUNTS;
    measure_footprint(e, &P, &rss, r);
    hb_rss_close(&rss);
    if (P.failed)
        set_status(r, HB_ST_FAILED, "%llu allocations returned NULL; the first at op %zu line %u",
                   (unsigned long long)P.failed, P.first_failed, line_of(e->t, P.first_failed));
    run_check(&P, r, "at the end of the trace");
    hb_pass_release(&P);
    run_check(&P, r, "after freeing the blocks left live");
    judge_pass(e->t, &P, r);
    close_pass(e, &P);
    return 0;
}

static int pass_throughput(pass_env *e, hb_result *r, char *err, size_t errlen)
{
    hb_pass P;
    if (open_pass(e, &P, err, errlen) != 0)
        return -1;
    hb_fault_enter(HB_PASS_THROUGHPUT, e->t->ops, e->t->nops);
    uint64_t t0 = hb_mono_ns();
    hb_pass_throughput(&P);
    uint64_t t1 = hb_mono_ns();
    hb_fault_enter(HB_PASS_CLEANUP, NULL, 0);
    r->replay_s = (double)(t1 - t0) / 1e9;
    r->throughput_ops_s = r->replay_s > 0 ? (double)e->t->nops / r->replay_s : 0.0;
    r->measured |= HB_MEAS_THROUGHPUT;
    judge_pass(e->t, &P, r);
    close_pass(e, &P);
    return 0;
}

static void fill_latency(const hb_clock *c, const hb_hist *h, hb_latency *out)
{
    out->count = h->count;
    out->mean_ns = hb_clock_ns(c, hb_hist_mean(h));
    out->p50_ns = hb_clock_ns(c, hb_hist_quantile(h, 0.50));
    out->p90_ns = hb_clock_ns(c, hb_hist_quantile(h, 0.90));
    out->p99_ns = hb_clock_ns(c, hb_hist_quantile(h, 0.99));
    out->p999_ns = hb_clock_ns(c, hb_hist_quantile(h, 0.999));
    out->max_ns = hb_clock_ns(c, h->count ? (double)h->max : 0.0);
}

static int pass_latency(pass_env *e, const hb_clock *c, hb_result *r, char *err, size_t errlen)
{
    hb_hist *hist = malloc(HB_OP_KINDS * sizeof *hist);
    hb_pass P;
    if (!hist) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int k = 0; k < HB_OP_KINDS; k++)
        hb_hist_reset(&hist[k]);
    if (open_pass(e, &P, err, errlen) != 0) {
        free(hist);
        return -1;
    }
    P.clk = c;
    P.hist = hist;
    hb_fault_enter(HB_PASS_LATENCY, e->t->ops, e->t->nops);
    hb_pass_latency(&P);
    hb_fault_enter(HB_PASS_CLEANUP, NULL, 0);
    for (int k = 0; k < HB_OP_KINDS; k++)
        fill_latency(c, &hist[k], &r->lat[k]);
    snprintf(r->clock, sizeof r->clock, "%s", c->name);
    r->clock_overhead_ns = c->overhead_ns;
    r->measured |= HB_MEAS_LATENCY;
    judge_pass(e->t, &P, r);
    close_pass(e, &P);
    free(hist);
    return 0;
}

static bool stop_after_measure(const hb_result *r)
{
    return r->status == HB_ST_BAD_FREE || r->status == HB_ST_CORRUPT;
}

int hb_replay(const hb_loaded *l, const hb_trace *t, const hb_replay_cfg *cfg, hb_result *r)
{
    char err[256] = "";
    hb_clock own;
    const hb_clock *c = cfg->clock;
    pass_env e = { .l = l, .t = t, .cfg = cfg };
    r->status = HB_ST_OK;
    r->detail[0] = '\0';
    hb_fault_install();
    hb_fault_enter(HB_PASS_SETUP, NULL, 0);
    if (!c && (cfg->timing & HB_TIMING_PER_OP)) {
        hb_clock_init(&own);
        c = &own;
    }
    int rc = map_slots(&e);
    if (rc != 0)
        snprintf(err, sizeof err, "cannot map the slot arrays (%u slots)", t->nslots);
    if (rc == 0)
        rc = pass_measure(&e, r, err, sizeof err);
    if (rc == 0 && !stop_after_measure(r) && (cfg->timing & HB_TIMING_THROUGHPUT))
        rc = pass_throughput(&e, r, err, sizeof err);
    if (rc == 0 && !stop_after_measure(r) && (cfg->timing & HB_TIMING_PER_OP))
        rc = pass_latency(&e, c, r, err, sizeof err);
    if (e.slots_map && e.slots_map != MAP_FAILED)
        munmap(e.slots_map, e.slots_len);
    if (rc != 0) {
        r->status = HB_ST_LOAD_ERROR;
        snprintf(r->detail, sizeof r->detail, "%s", err);
        return -1;
    }
    return 0;
}
