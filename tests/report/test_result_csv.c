/*
 * The result renderings: the CSV header is exactly the documented one, every
 * row has as many fields, text fields cannot break the format, and figures
 * that were not measured are empty.
 */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "report/result.h"

static const char *expected_header =
    "allocator,trace,repetition,status,detail,ops,mallocs,callocs,reallocs,frees,aligned,"
    "failed_allocs,peak_live_bytes,peak_live_blocks,peak_footprint_bytes,footprint_source,"
    "utilization,throughput_ops_s,replay_s,"
    "malloc_count,malloc_mean_ns,malloc_p50_ns,malloc_p90_ns,malloc_p99_ns,malloc_p999_ns,"
    "malloc_max_ns,"
    "free_count,free_mean_ns,free_p50_ns,free_p90_ns,free_p99_ns,free_p999_ns,free_max_ns,"
    "realloc_count,realloc_mean_ns,realloc_p50_ns,realloc_p90_ns,realloc_p99_ns,"
    "realloc_p999_ns,realloc_max_ns,"
    "calloc_count,calloc_mean_ns,calloc_p50_ns,calloc_p90_ns,calloc_p99_ns,calloc_p999_ns,"
    "calloc_max_ns,clock,clock_overhead_ns,"
    "aligned_count,aligned_mean_ns,aligned_p50_ns,aligned_p90_ns,aligned_p99_ns,"
    "aligned_p999_ns,aligned_max_ns,"
    "clock_step_ns,latency_passes,latency_slow_samples,latency_pass_ns_op,"
    "malloc_tmean_ns,free_tmean_ns,realloc_tmean_ns,calloc_tmean_ns,aligned_tmean_ns,"
    "malloc_tmean_ci95_ns,free_tmean_ci95_ns,realloc_tmean_ci95_ns,calloc_tmean_ci95_ns,"
    "aligned_tmean_ci95_ns,"
    "throughput_median_ops_s,throughput_best_ops_s,throughput_passes,throughput_cv,"
    "throughput_ci95_ops_s,"
    "footprint_resident_bytes,footprint_reserved_bytes,footprint_reserved_method,"
    "footprint_stats_bytes,footprint_stats_method,utilization_reserved,footprint_end_bytes,"
    "frag_internal_bytes,frag_external_bytes,frag_jw1,frag_jw2,frag_jw3,frag_jw4,purge_timers,"
    "cpu_mhz,cpu_mhz_ratio";

#define NFIELDS 91

static char row[4096];

static void render(const hb_result *r)
{
    FILE *f = fmemopen(row, sizeof row, "w");
    hb_csv_write_row(f, r);
    fclose(f);
}

static size_t fields(const char *s)
{
    size_t n = 1;
    for (; *s && *s != '\n'; s++)
        n += *s == ',';
    return n;
}

/* Field i (0-based) of a rendered row, in a static buffer. */
static const char *field(const char *s, size_t i)
{
    static char out[256];
    for (; i && *s; s++)
        i -= *s == ',';
    size_t n = strcspn(s, ",\n");
    snprintf(out, sizeof out, "%.*s", (int)n, s);
    return out;
}

static void test_header_exact(void)
{
    CHECK(!strcmp(hb_csv_header(), expected_header));
    CHECK_EQ_U(fields(hb_csv_header()), NFIELDS);
}

static void test_status_names(void)
{
    static const char *const names[] = { "ok", "failed", "unsupported", "crashed", "timeout",
                                         "load-error", "bad-free", "corrupt" };
    for (int s = 0; s < HB_ST_COUNT; s++)
        CHECK(!strcmp(hb_status_name((enum hb_status)s), names[s]));
    CHECK(!strcmp(hb_status_name(HB_ST_COUNT), "unknown"));
}

static void test_failed_row_is_empty_and_sanitized(void)
{
    hb_result r;
    hb_result_failed(&r, "seg,fit", "cfrac", 3, HB_ST_CRASHED,
                     "signal SIGSEGV, op 12\nline 14");
    render(&r);
    CHECK_EQ_U(fields(row), NFIELDS);
    CHECK(row[strlen(row) - 1] == '\n');
    CHECK(!strcmp(field(row, 0), "seg_fit"));
    CHECK(!strcmp(field(row, 2), "3"));
    CHECK(!strcmp(field(row, 3), "crashed"));
    CHECK(!strcmp(field(row, 4), "signal SIGSEGV; op 12 line 14"));
    for (size_t i = 5; i < NFIELDS; i++)
        CHECK(field(row, i)[0] == '\0');
}

static void test_full_row(void)
{
    hb_result r;
    hb_result_failed(&r, "segfit", "cfrac", 1, HB_ST_OK, "");
    r.measured = HB_MEAS_COUNTS | HB_MEAS_FOOTPRINT | HB_MEAS_THROUGHPUT | HB_MEAS_LATENCY;
    r.ops = 10;
    r.count[HB_OP_MALLOC] = 4;
    r.count[HB_OP_FREE] = 4;
    r.count[HB_OP_REALLOC] = 2;
    r.peak_live_bytes = 1000;
    r.peak_live_blocks = 3;
    r.peak_footprint = 4096;
    strcpy(r.footprint_source, "memsrc");
    r.utilization = 1000.0 / 4096;
    r.fp_reserved = 4096;
    strcpy(r.reserved_method, "memsrc");
    r.jw[0] = 0.15;
    r.throughput_ops_s = 1e6;
    r.replay_s = 1e-5;
    r.lat[HB_OP_MALLOC] = (hb_latency){ 4, 20, 18, 30, 40, 40, 41, 19, NAN };
    r.lat[HB_OP_FREE] = (hb_latency){ 4, 10, 9, 12, 13, 13, 14, 9.5, 0.25 };
    r.lat[HB_OP_REALLOC] = (hb_latency){ 2, 50, 50, 60, 60, 60, 60, 50, NAN };
    strcpy(r.clock, "tsc");
    r.clock_overhead_ns = 7.25;
    r.cpu_mhz = 3412.4;
    r.cpu_mhz_ratio = 1.0213;
    render(&r);
    CHECK_EQ_U(fields(row), NFIELDS);
    CHECK(!strcmp(field(row, 3), "ok"));
    CHECK(!strcmp(field(row, 5), "10"));
    CHECK(!strcmp(field(row, 6), "4"));
    CHECK(!strcmp(field(row, 8), "2"));
    CHECK(!strcmp(field(row, 14), "4096"));
    CHECK(!strcmp(field(row, 15), "memsrc"));
    CHECK(!strcmp(field(row, 16), "0.244141"));
    CHECK(!strcmp(field(row, 17), "1000000.0"));
    CHECK(!strcmp(field(row, 19), "4"));      /* malloc_count */
    CHECK(!strcmp(field(row, 21), "18.0"));   /* malloc_p50_ns */
    CHECK(!strcmp(field(row, 26), "4"));      /* free_count */
    CHECK(!strcmp(field(row, 33), "2"));      /* realloc_count */
    CHECK(!strcmp(field(row, 40), "0"));      /* calloc_count: measured, none */
    CHECK(field(row, 41)[0] == '\0');         /* calloc_mean_ns: no samples */
    CHECK(!strcmp(field(row, 47), "tsc"));
    CHECK(!strcmp(field(row, 48), "7.25"));
    CHECK(!strcmp(field(row, 60), "19.00"));  /* malloc_tmean_ns */
    CHECK(!strcmp(field(row, 61), "9.50"));   /* free_tmean_ns */
    CHECK(field(row, 65)[0] == '\0');         /* malloc_tmean_ci95_ns: one pass */
    CHECK(!strcmp(field(row, 66), "0.25"));   /* free_tmean_ci95_ns */
    CHECK(!strcmp(field(row, 70), "1000000.0")); /* throughput_median_ops_s */
    CHECK(field(row, 73)[0] == '\0');         /* throughput_cv: not measured */
    CHECK(!strcmp(field(row, 75), "4096"));   /* footprint_resident_bytes */
    CHECK(!strcmp(field(row, 76), "4096"));   /* footprint_reserved_bytes */
    CHECK(!strcmp(field(row, 77), "memsrc"));
    CHECK(field(row, 78)[0] == '\0' && field(row, 79)[0] == '\0'); /* no own stats */
    CHECK(!strcmp(field(row, 84), "0.1500")); /* frag_jw1 */
    CHECK(field(row, 85)[0] == '\0');         /* frag_jw2: undefined */
    CHECK(!strcmp(field(row, 89), "3412"));   /* cpu_mhz */
    CHECK(!strcmp(field(row, 90), "1.021"));  /* cpu_mhz_ratio */
}

static void test_human_report(void)
{
    hb_result r;
    hb_result_failed(&r, "segfit", "cfrac", 1, HB_ST_OK, "");
    r.measured = HB_MEAS_COUNTS | HB_MEAS_FOOTPRINT | HB_MEAS_LATENCY;
    r.peak_live_bytes = 3 << 20;
    r.peak_footprint = 4 << 20;
    strcpy(r.footprint_source, "memsrc");
    r.utilization = 0.75;
    r.lat[HB_OP_MALLOC] = (hb_latency){ 4, 20, 18, 30, 40, 40, 41, 19, NAN };
    strcpy(r.clock, "tsc");
    char buf[4096];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    hb_result_print(f, &r);
    fclose(f);
    CHECK_STR_CONTAINS(buf, "segfit on cfrac");
    CHECK_STR_CONTAINS(buf, "4.0 MiB");
    CHECK_STR_CONTAINS(buf, "75.0 %");
    CHECK_STR_CONTAINS(buf, "malloc");
    CHECK_STR_CONTAINS(buf, "p99.9");
}

int main(void)
{
    RUN(test_header_exact);
    RUN(test_status_names);
    RUN(test_failed_row_is_empty_and_sanitized);
    RUN(test_full_row);
    RUN(test_human_report);
    return check_summary();
}
