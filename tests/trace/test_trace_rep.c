/*
 * CS:APP malloc-lab .rep traces: both header dialects, the advisory
 * counts, the documented leniency, the errors that remain errors, and how
 * the format is told apart from the native one.
 */
#include <stdlib.h>

#include "check.h"
#include "trace_util.h"

static void test_four_int_header(void)
{
    hb_trace t;
    captured c;
    REQUIRE(load_file(HANDMADE "/lab-4header.rep", NULL, &t, &c) == 0);
    CHECK_EQ_U(c.d.errors + c.d.warnings, 0);
    CHECK_EQ_U(t.nops, 13);
    CHECK_EQ_U(t.sum.count[HB_OP_MALLOC], 5);
    CHECK_EQ_U(t.sum.count[HB_OP_REALLOC], 3);
    CHECK_EQ_U(t.sum.count[HB_OP_FREE], 5); /* with "r 3 0" */
    CHECK_EQ_U(t.sum.peak_live_bytes, 8992);
    CHECK_EQ_U(t.sum.peak_live_blocks, 3);
    CHECK_EQ_U(t.ops[0].line, 5);
    CHECK_EQ_U(t.ops[12].flags, HB_OPF_FROM_REALLOC0);
    CHECK(!strcmp(t.name, "lab-4header"));
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_three_int_header(void)
{
    hb_trace t;
    captured c;
    REQUIRE(load_file(HANDMADE "/lab-3header.rep", NULL, &t, &c) == 0);
    CHECK_EQ_U(c.d.errors + c.d.warnings, 0);
    CHECK_EQ_U(t.nops, 12);
    CHECK_EQ_U(t.sum.peak_live_bytes, 2040 + 48 + 4072);
    CHECK_EQ_U(t.sum.peak_live_blocks, 3);
    CHECK_EQ_U(t.ops[0].line, 4);
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_quirky_is_lenient(void)
{
    const char *path = TRACE_DATA "/rep/quirky.rep";
    hb_trace t;
    captured c;
    REQUIRE(load_file(path, NULL, &t, &c) == 0);
    CHECK_EQ_U(c.d.errors, 0);
    CHECK_EQ_U(c.d.warnings, 5);
    CHECK_STR_CONTAINS(c.text, "quirky.rep:5: warning: realloc of unknown id 5 replayed as malloc");
    CHECK_STR_CONTAINS(c.text, "quirky.rep:6: warning: free of unknown id 7 skipped");
    CHECK_STR_CONTAINS(c.text, "quirky.rep:7: warning: id 0 is still live (allocated at line 4); "
                               "that block is kept as a leak");
    CHECK_STR_CONTAINS(c.text, "quirky.rep:2: warning: header says 9 ids, the trace uses 3");
    CHECK_STR_CONTAINS(c.text, "quirky.rep:2: warning: header says 6 operations, the trace has 7");
    CHECK_EQ_U(t.nops, 6);
    CHECK_EQ_U(t.ops[1].kind, HB_OP_MALLOC); /* r 5 200 */
    CHECK_EQ_U(t.ops[1].size, 200);
    CHECK_EQ_U(t.sum.peak_live_bytes, 600); /* the leaked 100 stays live */
    CHECK_EQ_U(t.sum.peak_live_blocks, 3);
    CHECK_EQ_U(t.nslots, 3);
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_header_errors(void)
{
    hb_trace t;
    captured c;
    CHECK(parse_str("two.rep", "10\n20\na 0 1\n", HB_FMT_REP, &t, &c) < 0);
    CHECK_STR_CONTAINS(c.text, "two.rep:1: error: expected a header of 3 or 4 integers "
                               "(heap size, ids, operations, weight), got 2");
    cap_free(&c);
    CHECK(parse_str("five.rep", "1\n2\n3\n4\n5\na 0 1\n", HB_FMT_REP, &t, &c) < 0);
    CHECK_STR_CONTAINS(c.text, "five.rep:5: error: expected a header of at most 4 integers, got '5'");
    cap_free(&c);
    CHECK(parse_str("word.rep", "1 2 x3\na 0 1\n", HB_FMT_REP, &t, &c) < 0);
    CHECK_STR_CONTAINS(c.text, "word.rep:1: error: expected a decimal integer for the header, got 'x3'");
    cap_free(&c);
    REQUIRE(parse_str("none.rep", "a 0 1\nf 0\n", HB_FMT_REP, &t, &c) == 0);
    CHECK_EQ_U(c.d.warnings, 1);
    CHECK_STR_CONTAINS(c.text, "none.rep:1: warning: expected a header of 3 or 4 integers");
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_errors_that_stay_errors(void)
{
    hb_trace t;
    captured c;
    CHECK(parse_str("bad.rep", "1 2 3\na 0 8\nf 0\nf 0\nr 0 9\nc 1 2 3\na 1\na 2 3 4\n",
                    HB_FMT_REP, &t, &c) < 0);
    CHECK_EQ_U(c.d.errors, 5);
    CHECK_STR_CONTAINS(c.text, "bad.rep:4: error: expected a live id, got 0: double free (freed at line 3)");
    CHECK_STR_CONTAINS(c.text, "bad.rep:5: error: expected a live id, got 0: realloc of a freed "
                               "block (freed at line 3)");
    CHECK_STR_CONTAINS(c.text, "bad.rep:6: error: expected an operation (a, r or f), got 'c'");
    CHECK_STR_CONTAINS(c.text, "bad.rep:7: error: expected SIZE after 'a 1', got end of line");
    CHECK_STR_CONTAINS(c.text, "bad.rep:8: error: expected end of line after 'a 2 3', got '4'");
    cap_free(&c);
}

static void test_crlf_and_blank_lines(void)
{
    hb_trace t;
    captured c;
    REQUIRE(parse_str("crlf.rep", "20000\r\n1\r\n2\r\n1\r\n\r\na 0 5\r\nf 0\r\n", HB_FMT_AUTO, &t,
                      &c) == 0);
    CHECK_EQ_U(c.d.warnings, 0);
    CHECK_EQ_U(t.nops, 2);
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_format_detection(void)
{
    hb_trace t;
    captured c;
    /* by content: a bare integer first is a .rep header */
    REQUIRE(parse_str("noext", "# c\n\n3\n1\n1\na 0 1\n", HB_FMT_AUTO, &t, &c) == 0);
    CHECK_EQ_U(t.nops, 1);
    hb_trace_release(&t);
    cap_free(&c);
    /* the name's suffix wins over the content */
    CHECK(parse_str("forced.rep", "c 0 2 2\n", HB_FMT_AUTO, &t, &c) < 0);
    CHECK_STR_CONTAINS(c.text, "forced.rep:1: error: expected an operation (a, r or f), got 'c'");
    cap_free(&c);
    /* an op first is native: "c" exists there */
    REQUIRE(parse_str("noext2", "c 0 2 2\n", HB_FMT_AUTO, &t, &c) == 0);
    CHECK_EQ_U(t.ops[0].kind, HB_OP_CALLOC);
    hb_trace_release(&t);
    cap_free(&c);
    /* by suffix, when loading: quirky.rep starts with a comment line and
     * would be read natively if not for the name */
    hb_trace_load_opts o = { .format = HB_FMT_NATIVE };
    CHECK(load_file(TRACE_DATA "/rep/quirky.rep", &o, &t, &c) < 0);
    cap_free(&c);
}

/* Programs recorded into the .rep format write free(NULL) as "f -1". */
static void test_free_null_in_the_wild(void)
{
    hb_trace t;
    captured c;
    REQUIRE(load_file(TRACE_DATA "/rep/free-null.rep", NULL, &t, &c) == 0);
    CHECK_EQ_U(c.d.errors + c.d.warnings, 0);
    CHECK_EQ_U(t.nops, 8);
    CHECK_EQ_U(t.sum.free_null, 3);
    CHECK_EQ_U(t.sum.count[HB_OP_FREE], 5);
    CHECK_EQ_U(t.ops[1].slot, HB_SLOT_NONE);
    CHECK_EQ_U(t.ops[1].line, 6);
    hb_trace_release(&t);
    cap_free(&c);
    CHECK(parse_str("neg.rep", "1\n2\n1\na -1 5\nr -2 5\nf -\nf -x\n", HB_FMT_REP, &t, &c) < 0);
    CHECK_STR_CONTAINS(c.text, "neg.rep:4: error: expected a non-negative ID (a negative id is "
                               "free(NULL), allowed on f only), got '-1'");
    CHECK_STR_CONTAINS(c.text, "neg.rep:5: error: expected a non-negative ID");
    CHECK_STR_CONTAINS(c.text, "neg.rep:6: error: expected a decimal integer for ID, got '-'");
    CHECK_STR_CONTAINS(c.text, "neg.rep:7: error: expected a decimal integer for ID, got '-x'");
    cap_free(&c);
}

/* Fewer operations than the header says: cut short, no result.  One more
 * than it says is how some files in the wild are, and stays a warning. */
static void test_header_count(void)
{
    hb_trace t;
    captured c;
    CHECK(parse_str("cut.rep", "20000\n2\n5\n1\na 0 1\na 1 2\nf 0\n", HB_FMT_REP, &t,
                    &c) < 0);
    CHECK_STR_CONTAINS(c.text, "cut.rep:3: error: header says 5 operations, the trace has 3 "
                               "(truncated?)");
    cap_free(&c);
    REQUIRE(parse_str("under.rep", "20000\n1\n1\n1\na 0 1\nf 0\n", HB_FMT_REP, &t, &c) == 0);
    CHECK_EQ_U(c.d.warnings, 1);
    CHECK_STR_CONTAINS(c.text, "under.rep:3: warning: header says 1 operations, the trace has 2");
    hb_trace_release(&t);
    cap_free(&c);
}

/* A byte order mark starts some files written on Windows. */
static void test_bom(void)
{
    hb_trace t;
    captured c;
    REQUIRE(parse_str("bom.rep", "\xEF\xBB\xBF" "20000\n1\n2\n1\na 0 5\nf 0\n", HB_FMT_AUTO,
                      &t, &c) == 0);
    CHECK_EQ_U(c.d.errors + c.d.warnings, 0);
    CHECK_EQ_U(t.nops, 2);
    hb_trace_release(&t);
    cap_free(&c);
    REQUIRE(parse_str("bom.trace", "\xEF\xBB\xBF" "#! name: b\na 1 5\n", HB_FMT_AUTO, &t, &c) == 0);
    CHECK(!strcmp(t.name, "b"));
    hb_trace_release(&t);
    cap_free(&c);
    CHECK(parse_str("bom2.rep", "1\n1\n2\n1\na 0 5\n\xEF\xBB\xBF" "f 0\n", HB_FMT_REP, &t,
                    &c) < 0);
    CHECK_STR_CONTAINS(c.text, "bom2.rep:6: error: expected an operation (a, r or f), got "
                               "'???f' (a UTF-8 byte order mark");
    cap_free(&c);
    CHECK(parse_str("cr.rep", "1\n1\n2\n1\na 0 5\rf 0\n", HB_FMT_REP, &t, &c) < 0);
    CHECK_STR_CONTAINS(c.text, "cr.rep:5: error: expected a decimal integer for SIZE, got '5?f' "
                               "(a carriage return without a line feed");
    cap_free(&c);
}

/* The command line accepts what the reader accepts: check, convert, run. */
static void test_free_null_cli(void)
{
    const char *hb = getenv("HB_HEAPBENCH");
    if (!hb) {
        fprintf(stderr, "HB_HEAPBENCH is not set: the command line is not tested\n");
        CHECK(0);
        return;
    }
    char cmd[2048], dir[] = "/tmp/hb-rep-XXXXXX";
    REQUIRE(mkdtemp(dir));
    const char *rep = TRACE_DATA "/rep/free-null.rep";
    snprintf(cmd, sizeof cmd, "%s trace check %s >/dev/null 2>&1", hb, rep);
    CHECK_EQ_U(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s trace convert %s -o %s/fn.trace 2>/dev/null && "
             "grep -c '^f -$' %s/fn.trace | grep -qx 3", hb, rep, dir, dir);
    CHECK_EQ_U(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "HB_CACHE_DIR=%s %s run --csv mmap %s 2>/dev/null | "
             "grep -q '^mmap,free-null,1,ok,'", dir, hb, rep);
    CHECK_EQ_U(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_U(system(cmd), 0);
}

int main(void)
{
    RUN(test_free_null_in_the_wild);
    RUN(test_header_count);
    RUN(test_bom);
    RUN(test_free_null_cli);
    RUN(test_four_int_header);
    RUN(test_three_int_header);
    RUN(test_quirky_is_lenient);
    RUN(test_header_errors);
    RUN(test_errors_that_stay_errors);
    RUN(test_crlf_and_blank_lines);
    RUN(test_format_detection);
    return check_summary();
}
