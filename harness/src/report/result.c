/*
 * The two renderings of a cell's result (see result.h): a CSV row whose
 * columns are documented in docs/results.md and never reordered, and a
 * block of text for a person.
 */
#include "report/result.h"

#include "report/csvfield.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

static const char *const status_names[HB_ST_COUNT] = {
    "ok", "failed", "unsupported", "crashed", "timeout", "load-error", "bad-free", "corrupt"
};

/* The latency columns, in this order, for each of these op kinds. */
static const unsigned csv_ops[] = { HB_OP_MALLOC, HB_OP_FREE, HB_OP_REALLOC, HB_OP_CALLOC };
#define CSV_OPS (sizeof csv_ops / sizeof csv_ops[0])

const char *hb_status_name(enum hb_status s)
{
    return (unsigned)s < HB_ST_COUNT ? status_names[s] : "unknown";
}

const char *hb_csv_header(void)
{
    return "allocator,trace,repetition,status,detail,ops,mallocs,callocs,reallocs,frees,"
           "aligned,failed_allocs,peak_live_bytes,peak_live_blocks,peak_footprint_bytes,"
           "footprint_source,utilization,throughput_ops_s,replay_s,"
           "malloc_count,malloc_mean_ns,malloc_p50_ns,malloc_p90_ns,malloc_p99_ns,"
           "malloc_p999_ns,malloc_max_ns,"
           "free_count,free_mean_ns,free_p50_ns,free_p90_ns,free_p99_ns,free_p999_ns,free_max_ns,"
           "realloc_count,realloc_mean_ns,realloc_p50_ns,realloc_p90_ns,realloc_p99_ns,"
           "realloc_p999_ns,realloc_max_ns,"
           "calloc_count,calloc_mean_ns,calloc_p50_ns,calloc_p90_ns,calloc_p99_ns,"
           "calloc_p999_ns,calloc_max_ns,"
           "clock,clock_overhead_ns,"
           "aligned_count,aligned_mean_ns,aligned_p50_ns,aligned_p90_ns,aligned_p99_ns,"
           "aligned_p999_ns,aligned_max_ns,"
           "clock_step_ns,latency_passes,latency_slow_samples,latency_pass_ns_op,"
           "malloc_tmean_ns,free_tmean_ns,realloc_tmean_ns,calloc_tmean_ns,aligned_tmean_ns,"
           "malloc_tmean_ci95_ns,free_tmean_ci95_ns,realloc_tmean_ci95_ns,"
           "calloc_tmean_ci95_ns,aligned_tmean_ci95_ns,"
           "throughput_median_ops_s,throughput_best_ops_s,throughput_passes,throughput_cv,"
           "throughput_ci95_ops_s,"
           "footprint_resident_bytes,footprint_reserved_bytes,footprint_reserved_method,"
           "footprint_stats_bytes,footprint_stats_method,utilization_reserved,"
           "footprint_end_bytes,frag_internal_bytes,frag_external_bytes,"
           "frag_jw1,frag_jw2,frag_jw3,frag_jw4,purge_timers,cpu_mhz,cpu_mhz_ratio";
}

/* A text field may hold neither the separator nor a line break: cleaned
 * by the one rule of report/csvfield.c (every text field is shorter than
 * the buffer). */
static void put_text(FILE *f, const char *s, char comma)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    if (comma == ';')
        hb_csv_detail_clean(buf);
    else
        hb_csv_field_clean(buf, comma);
    fputs(buf, f);
}

static void put_u64(FILE *f, bool on, uint64_t v)
{
    fputc(',', f);
    if (on)
        fprintf(f, "%llu", (unsigned long long)v);
}

static void put_dbl(FILE *f, bool on, const char *fmt, double v)
{
    fputc(',', f);
    if (on)
        fprintf(f, fmt, v);
}

/* A figure that may be absent even in a measured row: NaN or HB_NONE. */
static void put_opt_u64(FILE *f, bool on, uint64_t v) { put_u64(f, on && v != HB_NONE, v); }

static void put_opt_dbl(FILE *f, bool on, const char *fmt, double v)
{
    put_dbl(f, on && !isnan(v), fmt, v);
}

static void put_opt_text(FILE *f, bool on, const char *s)
{
    fputc(',', f);
    if (on)
        put_text(f, s, '_');
}

static void put_latency(FILE *f, bool on, const hb_latency *l)
{
    bool any = on && l->count;
    put_u64(f, on, l->count);
    put_dbl(f, any, "%.1f", l->mean_ns);
    put_dbl(f, any, "%.1f", l->p50_ns);
    put_dbl(f, any, "%.1f", l->p90_ns);
    put_dbl(f, any, "%.1f", l->p99_ns);
    put_dbl(f, any, "%.1f", l->p999_ns);
    put_dbl(f, any, "%.1f", l->max_ns);
}

/* The latency and throughput columns appended with repeated passes. */
static void put_timing_more(FILE *f, const hb_result *r, bool lat, bool tp)
{
    static const unsigned order[] = { HB_OP_MALLOC, HB_OP_FREE, HB_OP_REALLOC, HB_OP_CALLOC,
                                      HB_OP_ALIGNED };
    put_dbl(f, lat, "%.2f", r->clock_step_ns);
    put_u64(f, lat, r->lat_passes);
    put_u64(f, lat, r->slow_samples);
    put_dbl(f, lat, "%.1f", r->lat_pass_ns_op);
    for (size_t i = 0; i < 5; i++)
        put_dbl(f, lat && r->lat[order[i]].count, "%.2f", r->lat[order[i]].tmean_ns);
    for (size_t i = 0; i < 5; i++)
        put_opt_dbl(f, lat && r->lat[order[i]].count, "%.2f", r->lat[order[i]].tmean_ci95_ns);
    put_dbl(f, tp, "%.1f", r->throughput_ops_s);
    put_dbl(f, tp, "%.1f", r->tp_best_ops_s);
    put_u64(f, tp, r->tp_passes);
    put_opt_dbl(f, tp, "%.4f", r->tp_cv);
    put_opt_dbl(f, tp, "%.1f", r->tp_ci95_ops_s);
}

/* The memory columns appended with the common resident method. */
static void put_memory_more(FILE *f, const hb_result *r, bool fp)
{
    put_u64(f, fp, r->peak_footprint);
    put_opt_u64(f, fp, r->fp_reserved);
    put_opt_text(f, fp && r->fp_reserved != HB_NONE, r->reserved_method);
    put_opt_u64(f, fp, r->fp_stats);
    put_opt_text(f, fp && r->fp_stats != HB_NONE, r->stats_method);
    put_opt_dbl(f, fp, "%.6f", r->utilization_reserved);
    put_u64(f, fp, r->fp_end);
    put_opt_u64(f, fp, r->frag_internal);
    put_opt_u64(f, fp, r->frag_external);
    for (int i = 0; i < 4; i++)
        put_opt_dbl(f, fp, "%.4f", r->jw[i]);
    put_opt_text(f, fp && r->purge_timers[0], r->purge_timers);
}

void hb_csv_write_row(FILE *f, const hb_result *r)
{
    bool counts = r->measured & HB_MEAS_COUNTS, fp = r->measured & HB_MEAS_FOOTPRINT;
    bool tp = r->measured & HB_MEAS_THROUGHPUT, lat = r->measured & HB_MEAS_LATENCY;
    put_text(f, r->allocator, '_');
    fputc(',', f);
    put_text(f, r->trace, '_');
    fprintf(f, ",%u,%s,", r->repetition, hb_status_name(r->status));
    put_text(f, r->detail, ';');
    put_u64(f, counts, r->ops);
    put_u64(f, counts, r->count[HB_OP_MALLOC]);
    put_u64(f, counts, r->count[HB_OP_CALLOC]);
    put_u64(f, counts, r->count[HB_OP_REALLOC]);
    put_u64(f, counts, r->count[HB_OP_FREE]);
    put_u64(f, counts, r->count[HB_OP_ALIGNED]);
    put_u64(f, counts, r->failed_allocs);
    put_u64(f, counts, r->peak_live_bytes);
    put_u64(f, counts, r->peak_live_blocks);
    put_u64(f, fp, r->peak_footprint);
    fputc(',', f);
    if (fp)
        put_text(f, r->footprint_source, '_');
    put_opt_dbl(f, fp && r->peak_footprint, "%.6f", r->utilization);
    put_dbl(f, tp, "%.1f", r->throughput_ops_s);
    put_dbl(f, tp, "%.6f", r->replay_s);
    for (size_t i = 0; i < CSV_OPS; i++)
        put_latency(f, lat, &r->lat[csv_ops[i]]);
    fputc(',', f);
    if (lat)
        put_text(f, r->clock, '_');
    put_dbl(f, lat, "%.2f", r->clock_overhead_ns);
    put_latency(f, lat, &r->lat[HB_OP_ALIGNED]); /* appended later: columns only grow */
    put_timing_more(f, r, lat, tp);
    put_memory_more(f, r, fp);
    /* the processor's clock over the timed passes (cpuclock.h) */
    put_dbl(f, (tp || lat) && r->cpu_mhz > 0, "%.0f", r->cpu_mhz);
    put_dbl(f, (tp || lat) && r->cpu_mhz > 0, "%.3f", r->cpu_mhz_ratio);
    fputc('\n', f);
}

void hb_result_failed(hb_result *r, const char *allocator, const char *trace,
                      unsigned repetition, enum hb_status st, const char *detail)
{
    memset(r, 0, sizeof *r);
    snprintf(r->allocator, sizeof r->allocator, "%s", allocator ? allocator : "");
    snprintf(r->trace, sizeof r->trace, "%s", trace ? trace : "");
    r->repetition = repetition;
    r->status = st;
    snprintf(r->detail, sizeof r->detail, "%s", detail ? detail : "");
    /* figures that may stay absent even when their group is measured */
    r->fp_reserved = r->fp_stats = r->frag_internal = r->frag_external = HB_NONE;
    r->harness_heap = HB_NONE;
    r->utilization_reserved = r->tp_cv = r->tp_ci95_ops_s = NAN;
    for (int i = 0; i < 4; i++)
        r->jw[i] = NAN;
    for (int k = 0; k < HB_OP_KINDS; k++)
        r->lat[k].tmean_ci95_ns = NAN;
    hb_csv_detail_clean(r->detail);
}

/* ---- for a person --------------------------------------------------------- */

/* Bytes with a binary unit: "12.3 MiB". */
static void human_bytes(char *buf, size_t len, uint64_t v)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double d = (double)v;
    int u = 0;
    while (d >= 1024 && u < 4) {
        d /= 1024;
        u++;
    }
    snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", d, unit[u]);
}

static void print_bytes(FILE *f, const char *label, uint64_t v, const char *how)
{
    char h[32];
    if (v == HB_NONE)
        return;
    human_bytes(h, sizeof h, v);
    fprintf(f, "  %-12s %s (%llu bytes)%s%s\n", label, h, (unsigned long long)v,
            how ? ", " : "", how ? how : "");
}

static void print_memory(FILE *f, const hb_result *r)
{
    char how[64];
    print_bytes(f, "footprint", r->peak_footprint, "peak anonymous resident growth");
    if (isnan(r->utilization))
        fprintf(f, "  utilization  not measured: resident peak below peak live\n");
    else
        fprintf(f, "  utilization  %.1f %% (peak live / peak resident footprint)\n",
                100 * r->utilization);
    snprintf(how, sizeof how, "by %s", r->reserved_method);
    print_bytes(f, "reserved", r->fp_reserved, how);
    snprintf(how, sizeof how, "by %s", r->stats_method);
    print_bytes(f, "own stats", r->fp_stats, how);
    print_bytes(f, "at the end", r->fp_end, "resident after the last operation");
    print_bytes(f, "harness", r->harness_heap, "in use in the same heap at the start (mallinfo2)");
    print_bytes(f, "internal", r->frag_internal, "usable - requested at peak live");
    print_bytes(f, "external", r->frag_external, "resident - usable at peak live");
    fprintf(f, "  J&W frag     #1 %.3f  #2 %.3f  #3 %.3f  #4 %.3f (footprint / live - 1)\n",
            r->jw[0], r->jw[1], r->jw[2], r->jw[3]);
}

static void print_counts(FILE *f, const hb_result *r)
{
    char live[32];
    fprintf(f, "  operations   %llu: %llu malloc, %llu calloc, %llu realloc, %llu free, "
               "%llu aligned\n",
            (unsigned long long)r->ops, (unsigned long long)r->count[HB_OP_MALLOC],
            (unsigned long long)r->count[HB_OP_CALLOC], (unsigned long long)r->count[HB_OP_REALLOC],
            (unsigned long long)r->count[HB_OP_FREE], (unsigned long long)r->count[HB_OP_ALIGNED]);
    fprintf(f, "  failed       %llu allocations returned NULL\n",
            (unsigned long long)r->failed_allocs);
    human_bytes(live, sizeof live, r->peak_live_bytes);
    fprintf(f, "  peak live    %s requested (%llu bytes) in %llu blocks\n", live,
            (unsigned long long)r->peak_live_bytes, (unsigned long long)r->peak_live_blocks);
    if (r->measured & HB_MEAS_FOOTPRINT)
        print_memory(f, r);
}

static void print_latency(FILE *f, const hb_result *r)
{
    static const char *const kinds[HB_OP_KINDS] = { "malloc", "calloc", "realloc", "free",
                                                   "aligned" };
    fprintf(f, "  latency (ns)      count      mean     tmean     +-95%%       p50       p90"
               "       p99     p99.9       max\n");
    for (int k = 0; k < HB_OP_KINDS; k++) {
        const hb_latency *l = &r->lat[k];
        if (!l->count)
            continue;
        fprintf(f, "    %-10s %10llu %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n",
                kinds[k], (unsigned long long)l->count, l->mean_ns, l->tmean_ns,
                l->tmean_ci95_ns, l->p50_ns, l->p90_ns, l->p99_ns, l->p999_ns, l->max_ns);
    }
    fprintf(f, "  clock        %s, step %.2f ns, mean overhead %.2f ns subtracted; "
               "%u passes, %.1f ns per op with timing, %llu samples over %.0f us\n",
            r->clock, r->clock_step_ns, r->clock_overhead_ns, r->lat_passes, r->lat_pass_ns_op,
            (unsigned long long)r->slow_samples, HB_SLOW_NS / 1000);
}

void hb_result_print(FILE *f, const hb_result *r)
{
    fprintf(f, "%s on %s (repetition %u)\n", r->allocator, r->trace, r->repetition);
    fprintf(f, "  status       %s%s%s\n", hb_status_name(r->status), r->detail[0] ? ": " : "",
            r->detail);
    if (r->measured & HB_MEAS_COUNTS)
        print_counts(f, r);
    if (r->measured & HB_MEAS_THROUGHPUT)
        fprintf(f, "  throughput   %.0f ops/s median of %u passes (%.6f s each), best %.0f, "
                   "cv %.3f, +-%.0f (95 %%)\n",
                r->throughput_ops_s, r->tp_passes, r->replay_s, r->tp_best_ops_s, r->tp_cv,
                r->tp_ci95_ops_s);
    if (r->measured & HB_MEAS_LATENCY)
        print_latency(f, r);
    if (r->cpu_mhz > 0)
        fprintf(f, "  cpu clock    %.0f MHz median over the timed passes, max/min %.3f\n",
                r->cpu_mhz, r->cpu_mhz_ratio);
}
