/*
 * Conversions: a real glibc 2.36 mtrace() log (tests/data/traces/mtrace,
 * with the program that made it), malformed mtrace lines, a log's default
 * name, native text written from a loaded trace and read back identical,
 * and the `heapbench trace` command line (convert, check, stats, cache,
 * usage).
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "trace_util.h"

static char tmpdir[256];

static void test_mtrace_sample(void)
{
    const char *path = TRACE_DATA "/mtrace/glibc-2.36.mtrace";
    hb_trace t;
    captured c;
    REQUIRE(load_file(path, NULL, &t, &c) == 0); /* AUTO: "= Start" says mtrace */
    static const struct {
        unsigned kind;
        uint64_t size;
    } want[] = {
        { HB_OP_MALLOC, 100 }, { HB_OP_MALLOC, 128 },  { HB_OP_REALLOC, 400 },
        { HB_OP_REALLOC, 100000 }, { HB_OP_MALLOC, 50 }, { HB_OP_MALLOC, 0 },
        { HB_OP_MALLOC, 1000 }, { HB_OP_MALLOC, 200 }, { HB_OP_MALLOC, 512 },
        { HB_OP_FREE, 0 }, { HB_OP_FREE, 0 }, { HB_OP_FREE, 0 }, { HB_OP_FREE, 0 },
        { HB_OP_FREE, 0 }, { HB_OP_FREE, 0 }, { HB_OP_FREE, 0 },
    };
    REQUIRE(t.nops == sizeof want / sizeof want[0]);
    for (size_t i = 0; i < t.nops; i++) {
        CHECK_EQ_U(t.ops[i].kind, want[i].kind);
        CHECK_EQ_U(t.ops[i].size, want[i].size);
    }
    /* the first realloc moved the block; it is still the same slot, and
     * the last free (of the moved address) frees that slot */
    CHECK_EQ_U(t.ops[2].slot, t.ops[0].slot);
    CHECK_EQ_U(t.ops[3].slot, t.ops[0].slot);
    CHECK_EQ_U(t.ops[15].slot, t.ops[0].slot);
    CHECK_EQ_U(t.ops[0].line, 2);
    CHECK_EQ_U(c.d.warnings, 2);
    CHECK_STR_CONTAINS(c.text, "glibc-2.36.mtrace:15: warning: free of unknown id 0x55a99db502a0 skipped");
    CHECK_STR_CONTAINS(c.text, "glibc-2.36.mtrace: warning: 1 allocations that returned NULL were left out");
    CHECK_EQ_U(t.sum.peak_live_bytes, 100000 + 128 + 50 + 0 + 1000 + 200 + 512);
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_mtrace_errors(void)
{
    hb_trace t;
    captured c;
    CHECK(parse_str("m.log",
                    "= Start\n"
                    "@ ./p:[0x1] > 0x10 0x20\n"
                    "@ ./p:[0x1] + 0x10\n"
                    "@ ./p:[0x1] + 0xzz 0x10\n"
                    "@ ./p:[0x1] * 0x10\n"
                    "@ ./p:[0x1]\n"
                    "@ no bracket + 0x10 0x1\n"
                    "hello\n"
                    "+ 0x20 0x8\n",
                    HB_FMT_MTRACE, &t, &c) < 0);
    CHECK_EQ_U(c.d.errors, 7);
    CHECK_STR_CONTAINS(c.text, "m.log:2: error: expected a '<' line before this '>' line");
    CHECK_STR_CONTAINS(c.text, "m.log:3: error: expected a hexadecimal size, got ''");
    CHECK_STR_CONTAINS(c.text, "m.log:4: error: expected a hexadecimal address, got '0xzz'");
    CHECK_STR_CONTAINS(c.text, "m.log:5: error: expected an mtrace line");
    CHECK_STR_CONTAINS(c.text, "m.log:6: error: expected an operation (+, -, < or >) after the caller");
    CHECK_STR_CONTAINS(c.text, "m.log:7: error: expected a caller ending in ']' after '@'");
    CHECK_STR_CONTAINS(c.text, "m.log:8: error: expected an mtrace line");
    cap_free(&c);
}

/* A log has no fixed suffix: its default name drops whatever extension it
 * has (after .gz or .xz), while a dot inside a version number stays. */
static void test_mtrace_default_name(void)
{
    static const struct {
        const char *file, *name;
    } cases[] = {
        { "logs/mtr.log", "mtr" },          { "mtr.log.gz", "mtr" },
        { "app.mtrace", "app" },            { "glibc-2.36.mtrace", "glibc-2.36" },
        { "glibc-2.36", "glibc-2.36" },     { "plain", "plain" },
        { ".log", ".log" },                 { "run.1", "run.1" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hb_trace t;
        captured c;
        REQUIRE(parse_str(cases[i].file, "= Start\n@ ./p:[0x1] + 0x10 0x20\n= End\n",
                          HB_FMT_MTRACE, &t, &c) == 0);
        if (strcmp(t.name, cases[i].name))
            fprintf(stderr, "%s: name '%s', expected '%s'\n", cases[i].file, t.name,
                    cases[i].name);
        CHECK(!strcmp(t.name, cases[i].name));
        CHECK_EQ_U(t.format, HB_FMT_MTRACE);
        hb_trace_release(&t);
        cap_free(&c);
    }
}

static void test_write_roundtrip(void)
{
    const char *files[] = { HANDMADE "/every-op.trace", HANDMADE "/lab-4header.rep",
                            TRACE_DATA "/good/metadata.trace", TRACE_DATA "/rep/quirky.rep" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        hb_trace a, b;
        captured c;
        REQUIRE(load_file(files[i], NULL, &a, &c) == 0);
        cap_free(&c);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        REQUIRE(hb_trace_write(&a, "converted-from: test\n", f) == 0);
        fclose(f);
        REQUIRE(parse_str("rt.trace", text, HB_FMT_NATIVE, &b, &c) == 0);
        CHECK_EQ_U(c.d.errors + c.d.warnings, 0);
        CHECK_EQ_U(a.nops, b.nops);
        CHECK_EQ_U(a.nslots, b.nslots);
        CHECK(same_sum(&a.sum, &b.sum));
        for (size_t k = 0; k < a.nops && k < b.nops; k++) {
            const hb_op *x = &a.ops[k], *y = &b.ops[k];
            CHECK(x->kind == y->kind && x->size == y->size && x->aux == y->aux &&
                  x->slot == y->slot && x->flags == y->flags && x->thread == y->thread);
        }
        CHECK(!strcmp(a.name, b.name));
        CHECK_STR_CONTAINS(b.metadata, "converted-from: test\n");
        if (a.description)
            CHECK(b.description && !strcmp(a.description, b.description));
        free(text);
        cap_free(&c);
        hb_trace_release(&a);
        hb_trace_release(&b);
    }
}

/* Runs "heapbench ARGS" with stdout and stderr into OUT; the exit status. */
static int cli(const char *args, const char *out)
{
    const char *hb = getenv("HB_HEAPBENCH");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "HB_CACHE_DIR=%s/cache %s %s >%s 2>&1", tmpdir, hb, args, out);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    if (n < 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void test_cli(void)
{
    if (!getenv("HB_HEAPBENCH")) {
        fprintf(stderr, "HB_HEAPBENCH is not set: the command line is not tested\n");
        CHECK(0);
        return;
    }
    char out[300], conv[300], args[1500];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    snprintf(conv, sizeof conv, "%s/quirky.trace", tmpdir);

    CHECK_EQ_U(cli("trace --help", out), 0);
    char *text = slurp(out);
    CHECK_STR_CONTAINS(text, "heapbench trace convert IN -o OUT [--from rep|mtrace|trace]");
    free(text);
    CHECK_EQ_U(cli("trace", out), 2);
    CHECK_EQ_U(cli("trace frobnicate", out), 2);
    CHECK_EQ_U(cli("trace convert " TRACE_DATA "/rep/quirky.rep", out), 2);
    CHECK_EQ_U(cli("trace convert x --from nope -o y", out), 2);

    snprintf(args, sizeof args, "trace convert %s/rep/quirky.rep -o %s --from rep", TRACE_DATA, conv);
    CHECK_EQ_U(cli(args, out), 0);
    hb_trace a, b;
    captured c;
    REQUIRE(load_file(TRACE_DATA "/rep/quirky.rep", NULL, &a, &c) == 0);
    cap_free(&c);
    REQUIRE(load_file(conv, NULL, &b, &c) == 0);
    CHECK_EQ_U(c.d.errors + c.d.warnings, 0);
    cap_free(&c);
    CHECK_EQ_U(a.nops, b.nops);
    CHECK(same_sum(&a.sum, &b.sum));
    CHECK(!strcmp(b.name, "quirky"));
    CHECK_STR_CONTAINS(b.metadata, "(CS:APP malloc lab .rep)");
    CHECK(b.source && !strcmp(b.source, "converted from CS:APP .rep quirky.rep"));
    hb_trace_release(&a);
    hb_trace_release(&b);

    /* an mtrace log found by its content, named without its suffix */
    char log[300], mconv[300];
    snprintf(log, sizeof log, "%s/mtr.log", tmpdir);
    snprintf(mconv, sizeof mconv, "%s/mtr.trace", tmpdir);
    snprintf(args, sizeof args, "cp %s/mtrace/glibc-2.36.mtrace %s", TRACE_DATA, log);
    REQUIRE(system(args) == 0);
    snprintf(args, sizeof args, "trace convert %s -o %s", log, mconv);
    CHECK_EQ_U(cli(args, out), 0);
    REQUIRE(load_file(mconv, NULL, &b, &c) == 0);
    CHECK_EQ_U(c.d.errors + c.d.warnings, 0);
    cap_free(&c);
    CHECK(!strcmp(b.name, "mtr"));
    CHECK(b.source && !strcmp(b.source, "converted from glibc mtrace output mtr.log"));
    CHECK_STR_CONTAINS(b.metadata, "mtr.log (glibc mtrace log)\n");
    CHECK_EQ_U(b.nops, 16);
    hb_trace_release(&b);
    const char *head = "#! name: mtr\n#! source: converted from glibc mtrace output mtr.log\n";
    text = slurp(mconv);
    CHECK(text && !strncmp(text, head, strlen(head)));
    free(text);

    /* a native input keeps the source it has, and gets none made up */
    char native[300];
    snprintf(native, sizeof native, "%s/every-op.trace", tmpdir);
    snprintf(args, sizeof args, "trace convert %s/every-op.trace -o %s", HANDMADE, native);
    CHECK_EQ_U(cli(args, out), 0);
    REQUIRE(load_file(native, NULL, &b, &c) == 0);
    cap_free(&c);
    CHECK(b.source && !strcmp(b.source, "hand-written"));
    hb_trace_release(&b);

    snprintf(args, sizeof args, "trace convert %s/mtrace/glibc-2.36.mtrace -o %s/m.trace --from mtrace",
             TRACE_DATA, tmpdir);
    CHECK_EQ_U(cli(args, out), 0);
    snprintf(args, sizeof args, "trace check %s/m.trace %s", tmpdir, conv);
    CHECK_EQ_U(cli(args, out), 0);
    text = slurp(out);
    CHECK_STR_CONTAINS(text, "m.trace: ok, 16 operations\n");
    CHECK_STR_CONTAINS(text, "quirky.trace: ok, 6 operations\n");
    free(text);

    snprintf(args, sizeof args, "trace check %s %s/bad/errors.trace", conv, TRACE_DATA);
    CHECK_EQ_U(cli(args, out), 1);
    text = slurp(out);
    CHECK_STR_CONTAINS(text, "errors.trace:13: error: expected a live id, got 99");
    CHECK_STR_CONTAINS(text, "errors.trace: 20 errors\n");
    free(text);

    CHECK_EQ_U(cli("trace stats " HANDMADE "/every-op.trace", out), 0);
    CHECK_EQ_U(cli("trace stats " HANDMADE "/every-op.trace", out), 0); /* from the cache */
    text = slurp(out);
    CHECK_STR_CONTAINS(text, "operations   17: malloc 4, calloc 1, realloc 2, free 8, aligned 2\n");
    CHECK_STR_CONTAINS(text, "free(NULL)   1\n");
    CHECK_STR_CONTAINS(text, "peak live    5632 bytes, 4 blocks\n");
    CHECK_STR_CONTAINS(text, "threads      2\n");
    CHECK_STR_CONTAINS(text, "never freed  0 of 7 blocks\n");
    CHECK_STR_CONTAINS(text, "4Ki..<8Ki");
    free(text);

    CHECK_EQ_U(cli("trace cache info", out), 0);
    text = slurp(out);
    CHECK_STR_CONTAINS(text, "entries: 1,");
    free(text);
    CHECK_EQ_U(cli("trace cache clear", out), 0);
    text = slurp(out);
    CHECK_STR_CONTAINS(text, "removed 1 entries");
    free(text);
    CHECK_EQ_U(cli("trace cache sideways", out), 2);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hb_test_trace_convert.%ld", (long)getpid());
    if (mkdir(tmpdir, 0700) < 0) {
        perror(tmpdir);
        return 1;
    }
    RUN(test_mtrace_sample);
    RUN(test_mtrace_errors);
    RUN(test_mtrace_default_name);
    RUN(test_write_roundtrip);
    RUN(test_cli);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary();
}
