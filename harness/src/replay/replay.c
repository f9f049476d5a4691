/*
 * The protocol of a replay (see replay.h): one heap, a measuring pass on
 * it while it is fresh, then repeated throughput passes and latency passes
 * on the heap each previous pass left.  Setting up -- the heap, the mapped
 * and faulted-in memory every loop writes -- happens here, outside the
 * loops of loop.c; turning what the passes saw into figures is figures.c.
 */
#define _GNU_SOURCE
#include "replay/replay.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "osmem/osmem.h"
#include "replay/cpuclock.h"
#include "replay/fault.h"
#include "replay/figures.h"
#include "replay/pass.h"

#define STACK_PREFAULT (256u << 10)

/* Everything the passes need beyond hb_pass: the heap and the memory the
 * harness mapped for them. */
typedef struct pass_env {
    const hb_loaded *l;
    const hb_trace *t;
    const hb_replay_cfg *cfg;
    hb_osmem *mem;
    void *heap;
    hb_replay_mem m;   /* slots, histograms, pass times, series */
    hb_heapstats hs;
    hb_anon anon;
    hb_cpu_track cpu;  /* the processor's clock around the timed passes */
} pass_env;

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

/* ---- the heap --------------------------------------------------------------- */

static void init_pass(const pass_env *e, hb_pass *P)
{
    memset(P, 0, sizeof *P);
    P->a = e->l->api;
    P->heap = e->heap;
    P->libc = e->l->contract == HB_CONTRACT_LIBC ? &e->l->libc : NULL;
    P->ops = e->t->ops;
    P->nops = e->t->nops;
    P->ptr = e->m.ptr;
    P->size = e->m.size;
    P->nslots = e->t->nslots;
}

/* Ends a pass: its live blocks freed untimed, so the next pass starts from
 * the same kind of state, every block of the trace freed. */
static void end_pass(const pass_env *e, hb_pass *P, hb_result *r)
{
    hb_fault_enter(HB_PASS_CLEANUP, NULL, 0);
    hb_pass_release(P);
    judge_pass(e->t, P, r);
    /* A warm heap that refuses what the fresh one served times a path the
     * measuring pass never took: the row says so. */
    if (P->failed && !r->failed_allocs && P->meter == NULL)
        set_status(r, HB_ST_FAILED, "%llu allocations returned NULL in a timed pass (none in "
                   "the measuring pass); the first at op %zu line %u",
                   (unsigned long long)P->failed, P->first_failed, line_of(e->t, P->first_failed));
    hb_fault_enter(HB_PASS_SETUP, NULL, 0);
}

static bool stop_after(const hb_result *r)
{
    return r->status == HB_ST_BAD_FREE || r->status == HB_ST_CORRUPT;
}

/* ---- measuring ------------------------------------------------------------ */

/* The meter's zero: the harness's own memory is mapped and faulted in,
 * the stack below the loop too; a system allocator that is the harness's
 * own glibc first gives back what the harness freed, and what stays
 * resident of its heap (the harness's few live blocks) is counted as the
 * allocator's, so no byte of the trace can land in memory the meter does
 * not see. */
static void start_meter(pass_env *e, hb_meter *mt, hb_result *r)
{
    memset(mt, 0, sizeof *mt);
    mt->anon = &e->anon;
    static const char *const timers[] = { "none", "frozen", "live" };
    if (hb_heapstats_find(&e->hs, e->l))
        mt->hs = &e->hs;
    snprintf(r->purge_timers, sizeof r->purge_timers, "%s",
             timers[hb_heapstats_freeze(&e->hs, !e->cfg->live_timers)]);
    mt->harness_heap = UINT64_MAX;
    if (e->hs.own_libc) {
        malloc_trim(0);
        mt->extra = hb_brk_heap_resident();
        struct mallinfo2 mi = mallinfo2();
        mt->harness_heap = (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
    }
    if (e->l->contract == HB_CONTRACT_NATIVE || e->l->contract == HB_CONTRACT_BASELINE)
        mt->mem = hb_osmem_stats_of(e->mem);
    mt->have_usable = e->l->api->usable_size != NULL;
    mt->pts = e->m.pts;
    mt->cap = e->m.pts_cap;
    mt->every = e->t->nops / HB_SERIES_POINTS + 1;
    mt->iv = (hb_series_pt){ .reserved = mt->mem ? 0 : HB_NONE };
    if (mt->mem)
        mt->table_base = mt->mem->table_bytes;
    hb_prefault_stack(STACK_PREFAULT);
    if (mt->hs)
        hb_heapstats_zero(&e->hs);
    mt->base = hb_anon_bytes(&e->anon);
}

static int pass_measure(pass_env *e, hb_meter *mt, hb_result *r, char *err, size_t errlen)
{
    hb_pass P;
    if (hb_anon_open(&e->anon) != 0) {
        snprintf(err, errlen, "cannot open /proc/self/statm");
        return -1;
    }
    start_meter(e, mt, r);
    e->heap = hb_loaded_create(e->l, hb_osmem_source(e->mem), e->cfg->options, err, errlen);
    if (!e->heap)
        return -1;
    init_pass(e, &P);
    P.meter = mt;
    hb_fault_enter(HB_PASS_MEASURE, e->t->ops, e->t->nops);
    hb_pass_measure(&P);
    hb_fault_enter(HB_PASS_CLEANUP, NULL, 0);
    hb_fig_measure(&P, mt, e->l, e->heap, r);
    if (P.failed)
        set_status(r, HB_ST_FAILED, "%llu allocations returned NULL; the first at op %zu line %u",
                   (unsigned long long)P.failed, P.first_failed, line_of(e->t, P.first_failed));
    run_check(&P, r, "at the end of the trace");
    end_pass(e, &P, r);
    hb_heapstats_thaw(&e->hs);
    run_check(&P, r, "after freeing the blocks left live");
    return 0;
}

/* ---- timing ----------------------------------------------------------------- */

/* The passes max_time cannot cut: two, so even the slowest cell has an
 * interval, unless fewer were asked for. */
static unsigned uncut(unsigned want) { return want < HB_INTERVAL_PASSES ? want : HB_INTERVAL_PASSES; }

static bool enough_passes(const hb_replay_cfg *c, unsigned n, double total)
{
    unsigned least = c->passes ? c->passes : HB_DEFAULT_PASSES;
    double cap = c->max_time_s > 0 ? c->max_time_s : HB_DEFAULT_MAX_TIME_S;
    if (n >= HB_MAX_PASSES || (n >= uncut(least) && total >= cap))
        return true;
    return n >= least && total >= c->min_time_s;
}

static void pass_throughput(pass_env *e, hb_result *r)
{
    hb_pass P;
    unsigned n = 0;
    double total = 0;
    while (!enough_passes(e->cfg, n, total) && !stop_after(r)) {
        hb_cpu_track_probe(&e->cpu, n == 0);
        init_pass(e, &P);
        hb_fault_enter(HB_PASS_THROUGHPUT, e->t->ops, e->t->nops);
        uint64_t t0 = hb_mono_ns();
        hb_pass_throughput(&P);
        uint64_t t1 = hb_mono_ns();
        end_pass(e, &P, r);
        e->m.pass_s[n] = (double)(t1 - t0) / 1e9;
        total += e->m.pass_s[n++];
    }
    hb_fig_throughput(e->m.pass_s, n, e->t->nops, r);
}

static void pass_latency(pass_env *e, hb_clock *c, hb_result *r)
{
    unsigned want = e->cfg->latency_passes ? e->cfg->latency_passes : HB_DEFAULT_LATENCY_PASSES;
    if (want > HB_MAX_LATENCY_PASSES)
        want = HB_MAX_LATENCY_PASSES;
    hb_lat_acc acc;
    hb_pass P;
    double cap = e->cfg->max_time_s > 0 ? e->cfg->max_time_s : HB_DEFAULT_MAX_TIME_S, spent = 0;
    hb_fig_latency_start(&acc, e->m.hist);
    /* The clock is calibrated before the first pass and after every pass:
     * a pass's zero point is the mean of the calibrations on either side. */
    hb_clock_calibrate(c);
    double before = c->overhead;
    /* A slow cell (a linear-time allocator, the mmap baseline) stops adding
     * passes after max_time, as the throughput passes do. */
    for (unsigned k = 0; k < want && (k < uncut(want) || spent < cap) && !stop_after(r); k++) {
        hb_cpu_track_probe(&e->cpu, k == 0);
        for (int i = 0; i < HB_OP_KINDS; i++)
            hb_hist_reset(&e->m.pass_hist[i]);
        init_pass(e, &P);
        P.clk = c;
        P.hist = e->m.pass_hist;
        hb_fault_enter(HB_PASS_LATENCY, e->t->ops, e->t->nops);
        uint64_t t0 = hb_mono_ns();
        hb_pass_latency(&P);
        uint64_t t1 = hb_mono_ns();
        spent += (double)(t1 - t0) / 1e9;
        end_pass(e, &P, r);
        hb_clock_calibrate(c);
        hb_fig_latency_pass(&acc, c, e->m.pass_hist, (before + c->overhead) / 2,
                            (double)(t1 - t0) / (double)(e->t->nops ? e->t->nops : 1));
        before = c->overhead;
    }
    hb_fig_latency_end(&acc, c, r);
}

/* ---- a replay ----------------------------------------------------------------- */

static void close_heap(pass_env *e)
{
    hb_fault_enter(HB_PASS_CLEANUP, NULL, 0);
    hb_loaded_destroy(e->l, e->heap);
    e->heap = NULL;
    hb_osmem_free(e->mem);
    e->mem = NULL;
    hb_anon_close(&e->anon);
    hb_fault_enter(HB_PASS_SETUP, NULL, 0);
}

static int run_passes(pass_env *e, hb_clock *c, hb_result *r, char *err, size_t errlen)
{
    hb_meter mt;
    if (hb_replay_mem_map(&e->m, e->t) != 0) {
        snprintf(err, errlen, "cannot map the replay's memory (%u slots)", e->t->nslots);
        return -1;
    }
    e->mem = hb_osmem_new(0, e->cfg->limit);
    if (!e->mem) {
        snprintf(err, errlen, "cannot reserve the memory source");
        return -1;
    }
    int rc = pass_measure(e, &mt, r, err, errlen);
    hb_cpu_track_init(&e->cpu);
    if (rc == 0 && !stop_after(r) && (e->cfg->timing & HB_TIMING_THROUGHPUT))
        pass_throughput(e, r);
    if (rc == 0 && !stop_after(r) && (e->cfg->timing & HB_TIMING_PER_OP))
        pass_latency(e, c, r);
    if (e->cpu.n) {
        hb_cpu_track_probe(&e->cpu, 1); /* after the last pass */
        hb_cpu_track_read(&e->cpu, &r->cpu_mhz, &r->cpu_mhz_ratio);
    }
    close_heap(e);
    /* A heap that lost track of its blocks measured nothing worth a
     * figure: the row keeps its status and detail, every figure empty. */
    if (stop_after(r)) {
        r->measured = 0;
        return rc;
    }
    if (rc == 0 && e->cfg->series_path && hb_series_write(e->cfg->series_path, &mt, &e->m) != 0)
        set_status(r, HB_ST_FAILED, "cannot write the series file %s", e->cfg->series_path);
    return rc;
}

int hb_replay(const hb_loaded *l, const hb_trace *t, const hb_replay_cfg *cfg, hb_result *r)
{
    char err[256] = "";
    hb_clock clk;
    pass_env e = { .l = l, .t = t, .cfg = cfg, .anon = { .fd = -1 } };
    r->status = HB_ST_OK;
    r->detail[0] = '\0';
    hb_fault_install();
    hb_fault_enter(HB_PASS_SETUP, NULL, 0);
    if (cfg->timing & HB_TIMING_PER_OP) {
        if (cfg->clock)
            clk = *cfg->clock;
        else
            hb_clock_init(&clk);
    }
    int rc = run_passes(&e, &clk, r, err, sizeof err);
    hb_replay_mem_unmap(&e.m);
    if (rc != 0) {
        if (e.mem)
            hb_osmem_free(e.mem);
        hb_anon_close(&e.anon);
        r->status = HB_ST_LOAD_ERROR;
        snprintf(r->detail, sizeof r->detail, "%s", err);
        r->measured = 0;
        return -1;
    }
    return 0;
}
