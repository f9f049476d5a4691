/*
 * The memory figures on hand-made traces whose footprint and fragmentation
 * follow by arithmetic from two suite allocators' documented layouts
 * (allocators/pow2/README.md, allocators/bestfit/README.md), and the
 * memory-over-time series against the row's peaks.
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "replay/alloc_free.h"
#include "load/load.h"
#include "replay/replay.h"

#define PAGE 4096u

static int replay(const char *name, const hb_trace *t, const char *series, hb_result *r)
{
    char err[512], path[512];
    snprintf(path, sizeof path, HB_ALLOCATOR_DIR "/%s.so", name);
    hb_loaded *l = hb_load(path, NULL, err, sizeof err);
    if (!l) {
        fprintf(stderr, "  load %s: %s\n", path, err);
        return -1;
    }
    hb_result_failed(r, name, t->name, 1, HB_ST_OK, "");
    hb_replay_cfg cfg = { .timing = 0, .series_path = series };
    int rc = hb_replay(l, t, &cfg, r);
    hb_unload(l);
    return rc;
}

/*
 * pow2, 256 blocks of 100 bytes then 256 frees.  Each block takes the
 * 128-byte bucket (usable 128): internal fragmentation 256 x 28 = 7168.
 * A bucket page holds 32 blocks, so the blocks fill 8 pages; the heap
 * struct has a page of its own and usage[] a mapping of which one page is
 * written: peak resident 10 pages = 40960, external = 40960 - 256 x 128
 * = 8192.  Pages stay with the heap, so the footprint at the end is the
 * peak.  After malloc i the footprint is 2 + ceil(i / 32) pages; it
 * reaches 10 pages at i = 225 and stays there, with most bytes live (25600)
 * at i = 256, so J&W #2 = #3 = #4 = 40960 / 25600 - 1 = 0.6,
 *   J&W #1 = sum of footprints / sum of live bytes - 1
 *          = 4096 (512 + 32 (1 + ... + 8) + 256 x 10)
 *            / (100 (1 + ... + 256 + 0 + ... + 255)) - 1
 *          = 17301504 / 6553600 - 1.
 */
static void test_pow2_arithmetic(void)
{
    hb_trace t = alloc_free_trace(256, 100);
    hb_result r;
    REQUIRE(replay("pow2", &t, NULL, &r) == 0);
    CHECK(r.status == HB_ST_OK);
    CHECK_EQ_U(r.peak_live_bytes, 25600);
    CHECK_EQ_U(r.peak_footprint, 10 * PAGE);
    CHECK_EQ_U(r.fp_reserved, 10 * PAGE); /* every page it took is written */
    CHECK_EQ_U(r.fp_end, 10 * PAGE);
    CHECK_EQ_U(r.frag_internal, 7168);
    CHECK_EQ_U(r.frag_external, 8192);
    CHECK(fabs(r.utilization - 25600.0 / 40960) < 1e-12);
    CHECK(fabs(r.jw[0] - (17301504.0 / 6553600 - 1)) < 1e-12);
    CHECK(fabs(r.jw[1] - 0.6) < 1e-12);
    CHECK(fabs(r.jw[2] - 0.6) < 1e-12);
    CHECK(fabs(r.jw[3] - 0.6) < 1e-12);
    free((void *)t.ops);
}

/*
 * bestfit: a block is n + 16 rounded up to 16 bytes (header 16 bytes),
 * so 100 bytes take 128 and give 112 usable: internal 12 per block.  The
 * heap grows by exactly what the blocks take, so 256 blocks reserve
 * 128 x 128 bytes more than 128 blocks do, and the resident footprint is
 * the reserved bytes rounded up to pages (everything below the break is
 * written: headers, blocks and the instance struct).
 */
static void test_bestfit_arithmetic(void)
{
    hb_trace small = alloc_free_trace(128, 100), big = alloc_free_trace(256, 100);
    hb_result a, b;
    REQUIRE(replay("bestfit", &small, NULL, &a) == 0);
    REQUIRE(replay("bestfit", &big, NULL, &b) == 0);
    CHECK(a.status == HB_ST_OK && b.status == HB_ST_OK);
    CHECK_EQ_U(b.fp_reserved - a.fp_reserved, 128 * 128);
    CHECK_EQ_U(a.frag_internal, 128 * 12);
    CHECK_EQ_U(b.frag_internal, 256 * 12);
    CHECK_EQ_U(b.peak_footprint, (b.fp_reserved + PAGE - 1) / PAGE * PAGE);
    CHECK_EQ_U(a.peak_footprint, (a.fp_reserved + PAGE - 1) / PAGE * PAGE);
    CHECK_EQ_U(b.frag_external, b.peak_footprint - 256 * 112);
    CHECK(fabs(b.jw[3] - ((double)b.peak_footprint / 25600 - 1)) < 1e-12);
    free((void *)small.ops);
    free((void *)big.ops);
}

/* The series holds one point per interval with that interval's largest
 * values, so its maxima are the row's peaks; it starts at op >= 1 and ends
 * at the last op. */
static void test_series_holds_the_peaks(void)
{
    static const char *const names[] = { "pow2", "bestfit", "segfit", "buddy" };
    hb_trace t = alloc_free_trace(5000, 700);
    char path[] = "/tmp/hb-series-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        hb_result r;
        REQUIRE(replay(names[k], &t, path, &r) == 0);
        FILE *f = fopen(path, "r");
        REQUIRE(f);
        char line[256];
        unsigned long long op, live, res, resv, max_live = 0, max_res = 0, last = 0, n = 0;
        CHECK(fgets(line, sizeof line, f) &&
              !strcmp(line, "op,live_bytes,resident_bytes,reserved_bytes\n"));
        while (fgets(line, sizeof line, f) &&
               sscanf(line, "%llu,%llu,%llu,%llu", &op, &live, &res, &resv) == 4) {
            max_live = live > max_live ? live : max_live;
            max_res = res > max_res ? res : max_res;
            CHECK(op > last);
            last = op;
            n++;
        }
        fclose(f);
        CHECK_EQ_U(max_live, r.peak_live_bytes);
        CHECK_EQ_U(max_res, r.peak_footprint);
        CHECK_EQ_U(last, t.nops);
        CHECK(n >= 1000 && n <= HB_SERIES_POINTS + 1);
        CHECK(r.utilization > 0 && r.utilization <= 1);
    }
    unlink(path);
    free((void *)t.ops);
}

int main(void)
{
    RUN(test_pow2_arithmetic);
    RUN(test_bestfit_arithmetic);
    RUN(test_series_holds_the_peaks);
    return check_summary();
}
