/*
 * Replay on hand-made in-memory traces whose figures are known: op counts,
 * peak live bytes and blocks, statuses, and the same figures through every
 * contract (native baseline, lab report, libc).
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "replay/alloc_free.h"
#include "load/load.h"
#include "replay/replay.h"

static hb_op OP(uint8_t kind, uint32_t slot, uint64_t size, uint32_t aux, uint8_t flags)
{
    static uint32_t line;
    return (hb_op){ .kind = kind, .slot = slot, .size = size, .aux = aux, .flags = flags,
                    .line = ++line };
}

/*
 * slot 0: malloc 100, realloc to 1000, freed by realloc(p, 0)
 * slot 1: malloc 200, freed; then aligned 5000 at 64, left live
 * slot 2: calloc 4 x 32, freed; then malloc(0), freed
 * and one free(NULL).
 * Live bytes: 100, 300, 428, 1328, 1128, 6128 (peak), 6000, ...
 */
static hb_op known_ops[11];
static hb_trace known;

static void build_known(void)
{
    size_t n = 0;
    known_ops[n++] = OP(HB_OP_MALLOC, 0, 100, 0, 0);
    known_ops[n++] = OP(HB_OP_MALLOC, 1, 200, 0, 0);
    known_ops[n++] = OP(HB_OP_CALLOC, 2, 128, 4, 0);
    known_ops[n++] = OP(HB_OP_REALLOC, 0, 1000, 0, 0);
    known_ops[n++] = OP(HB_OP_FREE, 1, 0, 0, 0);
    known_ops[n++] = OP(HB_OP_ALIGNED, 1, 5000, 64, 0);
    known_ops[n++] = OP(HB_OP_FREE, 2, 0, 0, 0);
    known_ops[n++] = OP(HB_OP_FREE, HB_SLOT_NONE, 0, 0, 0);
    known_ops[n++] = OP(HB_OP_MALLOC, 2, 0, 0, 0);
    known_ops[n++] = OP(HB_OP_FREE, 2, 0, 0, 0);
    known_ops[n++] = OP(HB_OP_FREE, 0, 0, 0, HB_OPF_FROM_REALLOC0);
    known = (hb_trace){ .name = "known", .ops = known_ops, .nops = n, .nslots = 3 };
}

static hb_clock clk;

static int replay(const char *spec, const hb_trace *t, unsigned timing, hb_result *r)
{
    char err[512];
    hb_load_opts o = { .arena_size = 4 << 20 };
    hb_loaded *l = hb_load(spec, &o, err, sizeof err);
    if (!l) {
        fprintf(stderr, "  load %s: %s\n", spec, err);
        return -1;
    }
    memset(r, 0, sizeof *r);
    hb_replay_cfg cfg = { .timing = timing, .clock = &clk };
    int rc = hb_replay(l, t, &cfg, r);
    hb_unload(l);
    return rc;
}

static void check_known(const char *spec, const char *source)
{
    hb_result r;
    REQUIRE(replay(spec, &known, HB_TIMING_BOTH, &r) == 0);
    if (r.status != HB_ST_OK)
        fprintf(stderr, "  %s: %s: %s\n", spec, hb_status_name(r.status), r.detail);
    CHECK(r.status == HB_ST_OK);
    CHECK_EQ_U(r.ops, 11);
    CHECK_EQ_U(r.count[HB_OP_MALLOC], 3);
    CHECK_EQ_U(r.count[HB_OP_CALLOC], 1);
    CHECK_EQ_U(r.count[HB_OP_REALLOC], 1);
    CHECK_EQ_U(r.count[HB_OP_FREE], 5);
    CHECK_EQ_U(r.count[HB_OP_ALIGNED], 1);
    CHECK_EQ_U(r.failed_allocs, 0);
    CHECK_EQ_U(r.peak_live_bytes, 6128);
    CHECK_EQ_U(r.peak_live_blocks, 3);
    /* one common footprint for every contract, and each kind's own method
     * beside it ("" when the library has none) */
    CHECK(!strcmp(r.footprint_source, "resident"));
    CHECK(!strcmp(r.reserved_method, source));
    CHECK(r.peak_footprint >= 6128);
    CHECK(r.utilization > 0 && r.utilization <= 1.0);
    CHECK(r.throughput_ops_s > 0 && r.replay_s > 0);
    CHECK(r.tp_passes >= HB_DEFAULT_PASSES);
    CHECK_EQ_U(r.lat_passes, HB_DEFAULT_LATENCY_PASSES);
    CHECK_EQ_U(r.lat[HB_OP_MALLOC].count, 3 * r.lat_passes);
    CHECK_EQ_U(r.lat[HB_OP_FREE].count, 5 * r.lat_passes);
    CHECK_EQ_U(r.lat[HB_OP_REALLOC].count, 1 * r.lat_passes);
    CHECK(r.clock_step_ns > 0);
    CHECK(r.lat[HB_OP_MALLOC].max_ns >= r.lat[HB_OP_MALLOC].p50_ns);
    CHECK(r.measured == (HB_MEAS_COUNTS | HB_MEAS_FOOTPRINT | HB_MEAS_THROUGHPUT |
                         HB_MEAS_LATENCY));
}

static void test_known_mmap(void)
{
    check_known("mmap", "memsrc");
    hb_result r;
    REQUIRE(replay("mmap", &known, HB_TIMING_BOTH, &r) == 0);
    /* heap record (1 page) + 1000 B (1 page) + 5000 B at 64 (2 pages) +
     * 128 B (1 page) live at once, at least */
    CHECK(r.peak_footprint >= 5 * 4096);
}

static void test_known_glibc(void) { check_known("glibc", "mallinfo2:arena+hblkhd"); }
static void test_known_lab(void) { check_known(HB_TEST_FIXTURES "/lab_firstfit.so", "arena"); }
static void test_known_lab_legacy(void) { check_known(HB_TEST_FIXTURES "/lab_legacy.so", "arena"); }
static void test_known_libc_bump(void) { check_known(HB_TEST_FIXTURES "/libc_bump.so", ""); }

/* The suite's libraries that are built and load; the loader's own tests
 * cover a library that does not. */
static void test_known_suite(void)
{
    static const char *const names[] = { "buddy", "pow2", "firstfit", "bestfit", "segfit",
                                         "pagemeta", "nova" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, HB_ALLOCATOR_DIR "/%s.so", names[i]);
        char err[512];
        hb_loaded *l = access(path, R_OK) == 0 ? hb_load(path, NULL, err, sizeof err) : NULL;
        if (!l) {
            fprintf(stderr, "  (%s not built or not loadable; skipped)\n", names[i]);
            continue;
        }
        hb_unload(l);
        check_known(path, "memsrc");
    }
}

/* Timing off: only the measuring pass, and the CSV's timed groups empty. */
static void test_timing_selection(void)
{
    hb_result r;
    REQUIRE(replay("mmap", &known, 0, &r) == 0);
    CHECK(r.measured == (HB_MEAS_COUNTS | HB_MEAS_FOOTPRINT));
    REQUIRE(replay("mmap", &known, HB_TIMING_THROUGHPUT, &r) == 0);
    CHECK(r.measured & HB_MEAS_THROUGHPUT);
    CHECK(!(r.measured & HB_MEAS_LATENCY));
    REQUIRE(replay("mmap", &known, HB_TIMING_PER_OP, &r) == 0);
    CHECK(!(r.measured & HB_MEAS_THROUGHPUT));
    CHECK(r.measured & HB_MEAS_LATENCY);
}

static void test_bad_free_status(void)
{
    hb_trace t = alloc_free_trace(200, 24);
    hb_result r;
    REQUIRE(replay(HB_TEST_FIXTURES "/bad_free.so", &t, HB_TIMING_BOTH, &r) == 0);
    CHECK(r.status == HB_ST_BAD_FREE);
    CHECK_STR_CONTAINS(r.detail, "op 249 line 250"); /* the 50th free */
    CHECK_STR_CONTAINS(r.detail, "double free");
    CHECK(!(r.measured & HB_MEAS_LATENCY)); /* no timing of a heap that lies */
    CHECK(r.measured == 0);                 /* and no figure at all */
    free((void *)t.ops);
}

/* A lab arena of 64 KiB cannot hold 100 blocks of 1000 bytes: the rest
 * fail, are counted, and their frees become free(NULL). */
static void test_failed_allocations(void)
{
    hb_trace t = alloc_free_trace(100, 1000);
    char err[256];
    hb_load_opts o = { .arena_size = 64 << 10 };
    hb_loaded *l = hb_load(HB_TEST_FIXTURES "/lab_firstfit.so", &o, err, sizeof err);
    REQUIRE(l);
    hb_result r;
    memset(&r, 0, sizeof r);
    hb_replay_cfg cfg = { .timing = HB_TIMING_BOTH, .clock = &clk };
    REQUIRE(hb_replay(l, &t, &cfg, &r) == 0);
    CHECK(r.status == HB_ST_FAILED);
    CHECK(r.failed_allocs > 30 && r.failed_allocs < 100);
    CHECK_EQ_U(r.peak_live_blocks, 100 - r.failed_allocs);
    CHECK_EQ_U(r.peak_live_bytes, 1000 * (100 - r.failed_allocs));
    CHECK_STR_CONTAINS(r.detail, "allocations returned NULL");
    CHECK(r.peak_footprint <= 64 << 10);
    hb_unload(l);
    free((void *)t.ops);
}

/* A memory-source limit below what the heap needs fails the allocations,
 * and options the allocator does not know make create fail. */
static void test_limit_and_options(void)
{
    hb_trace t = alloc_free_trace(64, 4000);
    char err[256];
    hb_loaded *l = hb_load("mmap", NULL, err, sizeof err);
    REQUIRE(l);
    hb_result r;
    memset(&r, 0, sizeof r);
    hb_replay_cfg cfg = { .timing = 0, .limit = 16 * 4096 };
    REQUIRE(hb_replay(l, &t, &cfg, &r) == 0);
    CHECK(r.status == HB_ST_FAILED);
    CHECK(r.peak_footprint <= 16 * 4096);
    cfg = (hb_replay_cfg){ .timing = 0, .options = "bogus=1" };
    CHECK(hb_replay(l, &t, &cfg, &r) == -1);
    CHECK(r.status == HB_ST_LOAD_ERROR);
    CHECK_STR_CONTAINS(r.detail, "bogus=1");
    hb_unload(l);
    free((void *)t.ops);
}

/* Blocks that span many pages are written on each page: a libc-contract
 * footprint (RSS) sees them. */
static void test_rss_sees_touched_pages(void)
{
    hb_trace t = alloc_free_trace(8, 1 << 20);
    hb_result r;
    REQUIRE(replay(HB_TEST_FIXTURES "/libc_bump.so", &t, 0, &r) == 0);
    CHECK(r.status == HB_ST_OK);
    CHECK_EQ_U(r.peak_live_bytes, 8 << 20);
    CHECK(r.peak_footprint >= (uint64_t)7 << 20);
    free((void *)t.ops);
}

int main(void)
{
    hb_clock_init(&clk);
    build_known();
    RUN(test_known_mmap);
    RUN(test_known_glibc);
    RUN(test_known_lab);
    RUN(test_known_lab_legacy);
    RUN(test_known_libc_bump);
    RUN(test_known_suite);
    RUN(test_timing_selection);
    RUN(test_bad_free_status);
    RUN(test_failed_allocations);
    RUN(test_limit_and_options);
    RUN(test_rss_sees_touched_pages);
    return check_summary();
}
