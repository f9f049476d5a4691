/*
 * The native text reader: counts and peaks of known traces, every class
 * of bad line with its FILE:LINE message, CRLF, comments and metadata, the
 * edge cases (malloc(0), free(NULL), realloc to 0), threads, and a large
 * trace built in memory.
 */
#include <stdint.h>

#include "check.h"
#include "trace_util.h"

static void test_every_op_figures(void)
{
    hb_trace t;
    captured c;
    REQUIRE(load_file(HANDMADE "/every-op.trace", NULL, &t, &c) == 0);
    CHECK_EQ_U(c.d.errors + c.d.warnings, 0);
    CHECK_EQ_U(t.nops, 17);
    CHECK_EQ_U(t.sum.count[HB_OP_MALLOC], 4);
    CHECK_EQ_U(t.sum.count[HB_OP_CALLOC], 1);
    CHECK_EQ_U(t.sum.count[HB_OP_REALLOC], 2);
    CHECK_EQ_U(t.sum.count[HB_OP_FREE], 8);
    CHECK_EQ_U(t.sum.count[HB_OP_ALIGNED], 2);
    CHECK_EQ_U(t.sum.free_null, 1);
    CHECK_EQ_U(t.sum.peak_live_bytes, 5632);
    CHECK_EQ_U(t.sum.peak_live_blocks, 4);
    CHECK_EQ_U(t.nslots, 4);
    CHECK_EQ_U(t.sum.threads, 2);
    CHECK_EQ_U(t.sum.max_size, 4096);
    CHECK_EQ_U(t.sum.total_alloc_bytes, 6268);
    CHECK(!strcmp(t.name, "every-op"));
    CHECK(t.source && !strcmp(t.source, "hand-written"));
    CHECK(t.content_hash != 0);
    /* calloc(4, 32): nmemb in aux, the product in size */
    CHECK_EQ_U(t.ops[1].kind, HB_OP_CALLOC);
    CHECK_EQ_U(t.ops[1].aux, 4);
    CHECK_EQ_U(t.ops[1].size, 128);
    CHECK_EQ_U(t.ops[1].line, 7);
    CHECK_EQ_U(t.ops[5].kind, HB_OP_ALIGNED);
    CHECK_EQ_U(t.ops[5].aux, 64);
    CHECK_EQ_U(t.ops[6].slot, HB_SLOT_NONE); /* f - */
    CHECK_EQ_U(t.ops[7].thread, 1);          /* after "t 1" */
    CHECK_EQ_U(t.ops[9].thread, 0);
    CHECK_EQ_U(t.ops[9].kind, HB_OP_FREE); /* r 5 0 */
    CHECK_EQ_U(t.ops[9].flags, HB_OPF_FROM_REALLOC0);
    CHECK_EQ_U(t.ops[9].slot, t.ops[7].slot);
    CHECK_EQ_U(t.ops[2].slot, t.ops[0].slot); /* realloc keeps the slot */
    CHECK_EQ_U(t.ops[12].slot, t.ops[3].slot); /* the latest freed slot is reused */
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_realloc_ladder_figures(void)
{
    hb_trace t;
    captured c;
    REQUIRE(load_file(HANDMADE "/realloc-ladder.trace", NULL, &t, &c) == 0);
    CHECK_EQ_U(t.nops, 39);
    CHECK_EQ_U(t.sum.count[HB_OP_REALLOC], 17);
    CHECK_EQ_U(t.sum.peak_live_bytes, 1048576 + 6 * 48 + 4096); /* as its header says */
    CHECK_EQ_U(t.sum.peak_live_blocks, 8);
    CHECK_EQ_U(t.sum.max_size, 1048576);
    hb_trace_release(&t);
    cap_free(&c);
}

/* line -> the message expected for it in tests/data/traces/bad/errors.trace */
static const struct {
    unsigned line;
    const char *msg;
} bad_lines[] = {
    { 4, "expected an operation (a, c, m, r, f or t), got 'x'" },
    { 5, "expected SIZE after 'a 2', got end of line" },
    { 6, "expected a decimal integer for SIZE, got '12x'" },
    { 7, "expected SIZE that fits in 64 bits, got '99999999999999999999'" },
    { 8, "expected SIZE of at most 9223372036854775807 (PTRDIFF_MAX), got '9223372036854775808'" },
    { 9, "expected NMEMB * SIZE of at most 9223372036854775807, got 4611686018427387904 * 4" },
    { 10, "expected ALIGN to be a power of two from 1 to 1073741824, got '3'" },
    { 11, "expected ALIGN to be a power of two from 1 to 1073741824, got '2147483648'" },
    { 12, "expected a new or freed id, got 1, which is still live (allocated at line 3)" },
    { 13, "expected a live id, got 99: unknown id (never allocated)" },
    { 15, "expected a live id, got 1: double free (freed at line 14)" },
    { 16, "expected a live id, got 1: realloc of a freed block (freed at line 14)" },
    { 17, "expected end of line after 'a 9 10', got '11'" },
    { 18, "expected ID or '-' after 'f', got end of line" },
    { 19, "expected TID after 't', got end of line" },
    { 20, "expected a decimal integer for TID, got 'abc'" },
    { 21, "expected an operation (a, c, m, r, f or t), got 'aa'" },
    { 22, "expected a decimal integer for ID or '-', got '-1'" },
    { 23, "expected end of line after 'f -', got '2'" },
    { 24, "expected SIZE after 'r 9', got end of line" },
};

static void test_bad_lines_all_reported(void)
{
    const char *path = TRACE_DATA "/bad/errors.trace";
    hb_trace t;
    captured c;
    CHECK(load_file(path, NULL, &t, &c) == -1);
    CHECK(t.ops == NULL && t.nops == 0 && t.path == NULL);
    size_t n = sizeof bad_lines / sizeof bad_lines[0];
    CHECK_EQ_U(c.d.errors, n);
    for (size_t i = 0; i < n; i++) {
        char want[512];
        snprintf(want, sizeof want, "%s:%u: error: %s\n", path, bad_lines[i].line,
                 bad_lines[i].msg);
        CHECK_STR_CONTAINS(c.text, want);
    }
    CHECK_STR_CONTAINS(c.d.first, "errors.trace:4: error: expected an operation");
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_print_cap(void)
{
    char buf[4096] = "";
    for (int i = 0; i < 30; i++)
        strcat(buf, "f 1\n");
    hb_trace t;
    captured c;
    cap_begin(&c, 5);
    CHECK(hb_trace_parse_buffer("cap.trace", buf, strlen(buf), HB_FMT_NATIVE, &t, &c.d) < 0);
    cap_end(&c);
    CHECK_EQ_U(c.d.errors, 30); /* "no operation" is said only of an otherwise good file */
    CHECK_EQ_U(count_lines_with(c.text, ": error: "), 5);
    CHECK_STR_CONTAINS(c.text, "cap.trace: ... and 25 more problems\n");
    cap_free(&c);
}

static void test_crlf(void)
{
    hb_trace t;
    captured c;
    REQUIRE(load_file(TRACE_DATA "/good/crlf.trace", NULL, &t, &c) == 0);
    CHECK_EQ_U(t.nops, 4);
    CHECK(!strcmp(t.name, "crlf")); /* no '\r' kept in the name */
    CHECK_EQ_U(t.ops[1].size, 20);
    CHECK_EQ_U(t.ops[1].line, 4);
    CHECK_EQ_U(t.sum.free_null, 1);
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_metadata_and_comments(void)
{
    hb_trace t;
    captured c;
    REQUIRE(load_file(TRACE_DATA "/good/metadata.trace", NULL, &t, &c) == 0);
    CHECK_EQ_U(t.nops, 3);
    CHECK(!strcmp(t.name, "tight"));
    CHECK(t.description && !strcmp(t.description, "spaces around are trimmed"));
    CHECK(t.source && !strcmp(t.source, "generated: hand, seed 0"));
    CHECK_STR_CONTAINS(t.metadata, "program: example 1.0\n");
    CHECK(!strstr(t.metadata, "after the first op"));
    CHECK_EQ_U(c.d.warnings, 1);
    CHECK_STR_CONTAINS(c.text, "metadata.trace:5: warning: expected '#! key: value', got "
                               "'#! not metadata because there is no colon'");
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_edge_cases(void)
{
    hb_trace t;
    captured c;
    REQUIRE(parse_str("edge.trace", "a 1 0\nf 1\nf -\na 2 5\nr 2 0\na 2 7\n", HB_FMT_AUTO, &t,
                      &c) == 0);
    CHECK_EQ_U(t.nops, 6);
    CHECK_EQ_U(t.ops[0].kind, HB_OP_MALLOC);
    CHECK_EQ_U(t.ops[0].size, 0);
    CHECK_EQ_U(t.ops[1].kind, HB_OP_FREE);
    CHECK_EQ_U(t.ops[1].flags, 0);
    CHECK_EQ_U(t.ops[2].slot, HB_SLOT_NONE);
    CHECK_EQ_U(t.ops[4].kind, HB_OP_FREE);
    CHECK_EQ_U(t.ops[4].flags, HB_OPF_FROM_REALLOC0);
    CHECK_EQ_U(t.sum.count[HB_OP_FREE], 3);
    CHECK_EQ_U(t.sum.count[HB_OP_REALLOC], 0);
    CHECK_EQ_U(t.sum.free_null, 1);
    CHECK_EQ_U(t.sum.peak_live_bytes, 7);
    CHECK_EQ_U(t.sum.peak_live_blocks, 1);
    CHECK_EQ_U(t.nslots, 1);
    CHECK(!strcmp(t.name, "edge"));
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_limits(void)
{
    hb_trace t;
    captured c;
    REQUIRE(parse_str("lim.trace",
                      "a 18446744073709551615 9223372036854775807\n"
                      "m 0 1073741824 1\nm 1 1 0\n"
                      "c 2 5000000000 1\nc 3 0 32\nc 4 3 3074457345618258602\n",
                      HB_FMT_NATIVE, &t, &c) == 0);
    CHECK_EQ_U(t.ops[0].size, 9223372036854775807ull);
    CHECK_EQ_U(t.ops[1].aux, 1u << 30);
    CHECK_EQ_U(t.ops[3].aux, 1); /* nmemb above 2^32: calloc(1, product) */
    CHECK_EQ_U(t.ops[3].size, 5000000000ull);
    CHECK_EQ_U(t.ops[4].aux, 0);
    CHECK_EQ_U(t.ops[4].size, 0);
    CHECK_EQ_U(t.ops[5].size, 9223372036854775806ull);
    CHECK_EQ_U(t.sum.max_size, 9223372036854775807ull);
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_empty_is_an_error(void)
{
    hb_trace t;
    captured c;
    CHECK(parse_str("empty.trace", "# nothing\n\n#! name: x\n", HB_FMT_NATIVE, &t, &c) < 0);
    CHECK_STR_CONTAINS(c.text, "empty.trace: error: expected at least one operation, got none");
    cap_free(&c);
    CHECK(parse_str("zero.trace", "", HB_FMT_AUTO, &t, &c) < 0);
    cap_free(&c);
}

/* "#! ops: N" promises N operations (a, c, m, r, f; not t): a file that
 * holds another number was cut short or edited, and is refused. */
static void test_ops_header_must_match(void)
{
    hb_trace t;
    captured c;
    CHECK(parse_str("x.trace", "#! name: x\n#! source: hand-written\n#! ops: 5\n"
                               "a 1 10\nf 1\n", HB_FMT_NATIVE, &t, &c) < 0);
    CHECK_EQ_U(c.d.errors, 1);
    CHECK_STR_CONTAINS(c.text, "x.trace:3: error: header says 5 operations, the file holds 2 "
                               "(truncated?)\n");
    cap_free(&c);

    /* more than promised: edited, not truncated */
    CHECK(parse_str("more.trace", "#! ops: 1\na 1 10\nf 1\n", HB_FMT_NATIVE, &t, &c) < 0);
    CHECK_STR_CONTAINS(c.text, "more.trace:1: error: header says 1 operations, the file holds 2\n");
    cap_free(&c);

    /* a line cut in the middle counts as held; it is reported on its own */
    CHECK(parse_str("cut.trace", "#! ops: 3\na 1 10\nr 1 20\nf", HB_FMT_NATIVE, &t, &c) < 0);
    CHECK_EQ_U(c.d.errors, 1);
    CHECK_STR_CONTAINS(c.text, "cut.trace:4: error: expected ID or '-'");
    cap_free(&c);

    CHECK(parse_str("bad.trace", "#! ops: many\na 1 10\n", HB_FMT_NATIVE, &t, &c) < 0);
    CHECK_STR_CONTAINS(c.text, "bad.trace:1: error: expected '#! ops: N', N the number of "
                               "operations, got '#! ops: many'");
    cap_free(&c);
}

static void test_ops_header_matching_or_absent(void)
{
    hb_trace t;
    captured c;
    /* t, f -, r ID 0 and comments: only operations count */
    const char *text = "#! ops: 4\n# a comment\na 1 10\nt 1\nf -\nr 1 0\n\nc 2 3 4\n"
                       "#! ops: 99 is a comment after the first op\n";
    REQUIRE(parse_str("ok.trace", text, HB_FMT_NATIVE, &t, &c) == 0);
    CHECK_EQ_U(c.d.errors + c.d.warnings, 0);
    CHECK_EQ_U(t.nops, 4);
    CHECK_STR_CONTAINS(t.metadata, "ops: 4\n");
    hb_trace_release(&t);
    cap_free(&c);
    REQUIRE(parse_str("none.trace", "a 1 10\nf 1\n", HB_FMT_NATIVE, &t, &c) == 0);
    CHECK_EQ_U(c.d.errors + c.d.warnings, 0);
    CHECK_EQ_U(t.nops, 2);
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_threads_dense(void)
{
    hb_trace t;
    captured c;
    REQUIRE(parse_str("thr.trace", "t 700\na 1 1\nt 3\na 2 2\nt 700\nf 1\nt 99\n", HB_FMT_NATIVE,
                      &t, &c) == 0);
    CHECK_EQ_U(t.sum.threads, 2); /* thread 99 made no op */
    CHECK_EQ_U(t.ops[0].thread, 0);
    CHECK_EQ_U(t.ops[1].thread, 1);
    CHECK_EQ_U(t.ops[2].thread, 0);
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_id_reuse_and_leaks(void)
{
    hb_trace t;
    captured c;
    REQUIRE(parse_str("reuse.trace", "a 5 10\nf 5\na 5 20\na 6 30\n", HB_FMT_NATIVE, &t, &c) == 0);
    CHECK_EQ_U(t.nops, 4);
    CHECK_EQ_U(t.sum.peak_live_bytes, 50); /* leaked blocks are allowed */
    CHECK_EQ_U(t.sum.peak_live_blocks, 2);
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_kind_names(void)
{
    CHECK(!strcmp(hb_op_kind_name(HB_OP_MALLOC), "malloc"));
    CHECK(!strcmp(hb_op_kind_name(HB_OP_CALLOC), "calloc"));
    CHECK(!strcmp(hb_op_kind_name(HB_OP_REALLOC), "realloc"));
    CHECK(!strcmp(hb_op_kind_name(HB_OP_FREE), "free"));
    CHECK(!strcmp(hb_op_kind_name(HB_OP_ALIGNED), "aligned"));
    CHECK(!strcmp(hb_op_kind_name(99), "unknown"));
}

/* A million ops: blocks of a sawtooth live set, so the peak is known. */
static void test_large_in_memory(void)
{
    const unsigned rounds = 1000, width = 500; /* each round: 500 a, 500 f */
    size_t cap = (size_t)rounds * width * 2 * 24, len = 0;
    char *buf = malloc(cap);
    REQUIRE(buf);
    uint64_t id = 0;
    for (unsigned r = 0; r < rounds; r++) {
        for (unsigned i = 0; i < width; i++)
            len += (size_t)sprintf(buf + len, "a %llu %u\n", (unsigned long long)(id + i),
                                   16 + i);
        for (unsigned i = width; i-- > 0;)
            len += (size_t)sprintf(buf + len, "f %llu\n", (unsigned long long)(id + i));
        id += width;
    }
    hb_trace t;
    hb_diag d = { 0 };
    REQUIRE(hb_trace_parse_buffer("large.trace", buf, len, HB_FMT_NATIVE, &t, &d) == 0);
    CHECK_EQ_U(t.nops, (uint64_t)rounds * width * 2);
    CHECK_EQ_U(t.sum.peak_live_blocks, width);
    CHECK_EQ_U(t.nslots, width);
    CHECK_EQ_U(t.sum.peak_live_bytes, (uint64_t)width * 16 + (uint64_t)width * (width - 1) / 2);
    CHECK_EQ_U(t.sum.count[HB_OP_FREE], (uint64_t)rounds * width);
    CHECK_EQ_U(t.ops[t.nops - 1].line, t.nops);
    hb_trace_release(&t);
    free(buf);
}

static void test_release_is_idempotent(void)
{
    hb_trace t;
    memset(&t, 0, sizeof t);
    hb_trace_release(&t);
    hb_trace_release(&t);
    CHECK(t.ops == NULL);
}

int main(void)
{
    RUN(test_every_op_figures);
    RUN(test_realloc_ladder_figures);
    RUN(test_bad_lines_all_reported);
    RUN(test_print_cap);
    RUN(test_crlf);
    RUN(test_metadata_and_comments);
    RUN(test_edge_cases);
    RUN(test_limits);
    RUN(test_empty_is_an_error);
    RUN(test_ops_header_must_match);
    RUN(test_ops_header_matching_or_absent);
    RUN(test_threads_dense);
    RUN(test_id_reuse_and_leaks);
    RUN(test_kind_names);
    RUN(test_large_in_memory);
    RUN(test_release_is_idempotent);
    return check_summary();
}
