/*
 * Validation mode: each broken fixture is caught, with the op, the trace
 * line and the block it collides with in the detail; correct allocators
 * (the fixture the broken ones start from, the suite, the lab and libc
 * fixtures) pass every handmade trace; an allocator's check() runs every K
 * operations; and heapbench run --check reports it as a cell.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "load/load.h"
#include "replay/replay.h"
#include "trace/trace.h"
#include "verify/verify.h"

#define FX(name) HB_TEST_FIXTURES "/" name ".so"

static hb_result verify_text(const char *lib, const char *text, uint64_t every)
{
    hb_result r;
    memset(&r, 0, sizeof r);
    hb_trace t;
    hb_diag d = { 0 };
    char err[512];
    if (hb_trace_parse_buffer("t.trace", text, strlen(text), HB_FMT_NATIVE, &t, &d) != 0) {
        r.status = HB_ST_LOAD_ERROR;
        return r;
    }
    hb_loaded *l = hb_load(lib, NULL, err, sizeof err);
    if (!l) {
        fprintf(stderr, "  %s\n", err);
        r.status = HB_ST_LOAD_ERROR;
    } else {
        hb_verify_cfg cfg = { .check_every = every };
        hb_verify(l, &t, &cfg, &r);
        hb_unload(l);
    }
    hb_trace_release(&t);
    return r;
}

/* Plain replay of the same text: what the timed mode's checks see. */
static enum hb_status replay_text(const char *lib, const char *text)
{
    hb_result r;
    memset(&r, 0, sizeof r);
    hb_trace t;
    hb_diag d = { 0 };
    char err[512];
    if (hb_trace_parse_buffer("t.trace", text, strlen(text), HB_FMT_NATIVE, &t, &d) != 0)
        return HB_ST_LOAD_ERROR;
    hb_loaded *l = hb_load(lib, NULL, err, sizeof err);
    hb_replay_cfg cfg = { .timing = 0 };
    if (l)
        hb_replay(l, &t, &cfg, &r);
    hb_unload(l);
    hb_trace_release(&t);
    return l ? r.status : HB_ST_LOAD_ERROR;
}

static const char three[] = "a 1 100\na 2 200\na 3 300\nr 1 500\nf 2\nf 3\nf 1\n";

static void test_overlap_names_both_blocks(void)
{
    hb_result r = verify_text(FX("broken_overlap"), three, 0);
    CHECK(r.status == HB_ST_CORRUPT);
    /* the third malloc is placed 32 bytes into the second */
    CHECK_STR_CONTAINS(r.detail, "t.trace:3: malloc slot 2 size 300 ptr 0x");
    CHECK_EQ_U(r.ops, 3); /* the replay ends at the finding */
    CHECK_STR_CONTAINS(r.detail, "overlaps the live block allocated at line 2 (slot 1, [0x");
    CHECK_STR_CONTAINS(r.detail, ", +200))");
}

static void test_scribble_on_neighbour(void)
{
    hb_result r = verify_text(FX("broken_scribble"), three, 0);
    CHECK(r.status == HB_ST_CORRUPT);
    CHECK_STR_CONTAINS(r.detail, "t.trace:4: realloc slot 0 size 500");
    CHECK_STR_CONTAINS(r.detail, "the block allocated at line 1 changed before realloc: "
                                 "byte 8 of 100 is ");
    /* the first and last bytes are intact: the timed mode's checks pass */
    CHECK(replay_text(FX("broken_scribble"), three) == HB_ST_OK);
}

static void test_realloc_losing_contents(void)
{
    hb_result r = verify_text(FX("broken_realloc"), three, 0);
    CHECK(r.status == HB_ST_CORRUPT);
    CHECK_STR_CONTAINS(r.detail, "t.trace:4: realloc slot 0 size 500");
    CHECK_STR_CONTAINS(r.detail, "changed after realloc (the old contents were not kept): "
                                 "byte 50 of 100");
}

static void test_misaligned(void)
{
    hb_result r = verify_text(FX("broken_align"), three, 0);
    CHECK(r.status == HB_ST_CORRUPT);
    CHECK_STR_CONTAINS(r.detail, "t.trace:1: malloc slot 0 size 100");
    CHECK_STR_CONTAINS(r.detail, "is not a multiple of 16");
    CHECK(replay_text(FX("broken_align"), three) == HB_ST_OK);
    /* an aligned request is held to its own alignment */
    r = verify_text(FX("broken_ok"), "m 1 4096 100\nf 1\n", 0);
    CHECK(r.status == HB_ST_OK); /* emulated by the harness: aligned */
}

/* A zero-filled block passes calloc; the broken fixtures' reuse does not
 * matter here: broken_ok never reuses.  Every count is kept. */
static void test_correct_fixture_counts(void)
{
    hb_result r = verify_text(FX("broken_ok"), "a 1 10\nc 2 4 40\nm 3 64 100\nr 1 0\nf 2\nf 3\n",
                              0);
    CHECK(r.status == HB_ST_OK);
    CHECK_EQ_U(r.ops, 6);
    CHECK_EQ_U(r.count[HB_OP_FREE], 3);
    CHECK_EQ_U(r.peak_live_blocks, 3);
    CHECK_EQ_U(r.peak_live_bytes, 10 + 4 * 40 + 100);
}

/* The libc fixture that frees nothing but its newest block, reused: the
 * new block's old bytes must be cleared by calloc. */
static void test_calloc_zero(void)
{
    hb_result r = verify_text(FX("libc_bump"), "a 1 64\nf 1\nc 2 1 64\nf 2\n", 0);
    CHECK(r.status == HB_ST_OK);
}

static void test_every_allocator_passes_handmade_traces(void)
{
    static const char *const specs[] = { "buddy", "pow2", "firstfit", "bestfit", "segfit",
                                         "pagemeta", "nova", "mmap", "glibc", FX("broken_ok"),
                                         FX("lab_firstfit"), FX("lab_legacy"),
                                         FX("libc_bump"), NULL };
    glob_t g;
    REQUIRE(glob("traces/handmade/*", 0, NULL, &g) == 0);
    for (const char *const *s = specs; *s; s++) {
        char err[512];
        hb_loaded *l = hb_load(*s, NULL, err, sizeof err);
        if (!l) {
            fprintf(stderr, "  %s\n", err);
            CHECK(l != NULL);
            continue;
        }
        for (size_t i = 0; i < g.gl_pathc; i++) {
            hb_trace t;
            hb_diag d = { 0 };
            hb_trace_load_opts o = { .format = HB_FMT_AUTO };
            REQUIRE(hb_trace_load(g.gl_pathv[i], &o, &t, &d) == 0);
            hb_result r;
            memset(&r, 0, sizeof r);
            hb_verify_cfg cfg = { .check_every = 1 };
            CHECK(hb_verify(l, &t, &cfg, &r) == 0);
            if (r.status != HB_ST_OK)
                fprintf(stderr, "  %s on %s: %s\n", *s, g.gl_pathv[i], r.detail);
            CHECK(r.status == HB_ST_OK);
            hb_trace_release(&t);
        }
        hb_unload(l);
    }
    globfree(&g);
}

/* The CLI: a row with status corrupt and the detail, exit 0. */
static void test_run_check_cli(void)
{
    char cmd[1024], out[4096] = "";
    snprintf(cmd, sizeof cmd, "'%s' run --check --check-every 5 --csv %s "
             "traces/handmade/every-op.trace 2>&1", getenv("HB_HEAPBENCH"), FX("broken_overlap"));
    FILE *f = popen(cmd, "r");
    REQUIRE(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    CHECK(pclose(f) == 0);
    CHECK_STR_CONTAINS(out, "broken_overlap,every-op,1,corrupt,every-op.trace:8: realloc slot 0 "
                            "size 400 ptr 0x");
    snprintf(cmd, sizeof cmd, "'%s' run --check --check-every 0 buddy x.trace 2>&1",
             getenv("HB_HEAPBENCH"));
    REQUIRE((f = popen(cmd, "r")));
    n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    CHECK(pclose(f) != 0);
    CHECK_STR_CONTAINS(out, "--check-every: expected a positive whole number, got '0'");
}

int main(void)
{
    RUN(test_overlap_names_both_blocks);
    RUN(test_scribble_on_neighbour);
    RUN(test_realloc_losing_contents);
    RUN(test_misaligned);
    RUN(test_correct_fixture_counts);
    RUN(test_calloc_zero);
    RUN(test_every_allocator_passes_handmade_traces);
    RUN(test_run_check_cli);
    return check_summary();
}
