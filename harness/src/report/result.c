/*
 * The two renderings of a cell's result (see result.h): a CSV row whose
 * columns are documented in docs/results.md and never reordered, and a
 * block of text for a person.
 */
#include "report/result.h"

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
           "aligned_p999_ns,aligned_max_ns";
}

/* A text field may hold neither the separator nor a line break. */
static void put_text(FILE *f, const char *s, char comma)
{
    for (; *s; s++)
        fputc(*s == ',' ? comma : (*s == '\n' || *s == '\r') ? ' ' : *s, f);
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
    put_dbl(f, fp && r->peak_footprint, "%.6f", r->utilization);
    put_dbl(f, tp, "%.1f", r->throughput_ops_s);
    put_dbl(f, tp, "%.6f", r->replay_s);
    for (size_t i = 0; i < CSV_OPS; i++)
        put_latency(f, lat, &r->lat[csv_ops[i]]);
    fputc(',', f);
    if (lat)
        put_text(f, r->clock, '_');
    put_dbl(f, lat, "%.2f", r->clock_overhead_ns);
    put_latency(f, lat, &r->lat[HB_OP_ALIGNED]); /* appended later: columns only grow */
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
    for (char *p = r->detail; *p; p++)
        if (*p == ',' || *p == '\n' || *p == '\r')
            *p = *p == ',' ? ';' : ' ';
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

static void print_counts(FILE *f, const hb_result *r)
{
    char live[32], fp[32];
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
    if (r->measured & HB_MEAS_FOOTPRINT) {
        human_bytes(fp, sizeof fp, r->peak_footprint);
        fprintf(f, "  footprint    %s (%llu bytes), measured by %s\n", fp,
                (unsigned long long)r->peak_footprint, r->footprint_source);
        fprintf(f, "  utilization  %.1f %% (peak live / peak footprint)\n", 100 * r->utilization);
    }
}

static void print_latency(FILE *f, const hb_result *r)
{
    static const char *const kinds[HB_OP_KINDS] = { "malloc", "calloc", "realloc", "free",
                                                   "aligned" };
    fprintf(f, "  latency (ns)      count      mean       p50       p90       p99     p99.9"
               "       max\n");
    for (int k = 0; k < HB_OP_KINDS; k++) {
        const hb_latency *l = &r->lat[k];
        if (!l->count)
            continue;
        fprintf(f, "    %-10s %10llu %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n", kinds[k],
                (unsigned long long)l->count, l->mean_ns, l->p50_ns, l->p90_ns, l->p99_ns,
                l->p999_ns, l->max_ns);
    }
    fprintf(f, "  clock        %s, %.1f ns overhead subtracted from each sample\n", r->clock,
            r->clock_overhead_ns);
}

void hb_result_print(FILE *f, const hb_result *r)
{
    fprintf(f, "%s on %s (repetition %u)\n", r->allocator, r->trace, r->repetition);
    fprintf(f, "  status       %s%s%s\n", hb_status_name(r->status), r->detail[0] ? ": " : "",
            r->detail);
    if (r->measured & HB_MEAS_COUNTS)
        print_counts(f, r);
    if (r->measured & HB_MEAS_THROUGHPUT)
        fprintf(f, "  throughput   %.0f ops/s (%.6f s for the whole trace, untimed pass)\n",
                r->throughput_ops_s, r->replay_s);
    if (r->measured & HB_MEAS_LATENCY)
        print_latency(f, r);
}
