/* bench.yaml parsing: every key, and one message per kind of mistake, each
 * naming FILE:LINE:COL and what was expected; every mistake of a file at
 * once; and the mistakes found only when the plan is made (a missing
 * library, globs that match nothing), located the same way. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "run/config.h"
#include "run/plan.h"

#define CFG(name) HB_TEST_DATA "/configs/" name

static void test_good_config(void)
{
    hb_config c;
    char err[1024] = "";
    REQUIRE(hb_config_load(CFG("good.yaml"), &c, err, sizeof err) == 0);
    CHECK_EQ_U(c.nallocs, 5);
    CHECK(!strcmp(c.allocs[0].name, "buddy") && !c.allocs[0].path);
    CHECK(!strcmp(c.allocs[2].name, "lab"));
    CHECK(c.allocs[2].path && !strcmp(c.allocs[2].path, "build/tests/fixtures/lab_firstfit.so"));
    CHECK_EQ_U(c.allocs[2].arena, 64u << 20);
    CHECK(c.allocs[2].options && !strcmp(c.allocs[2].options, "checks=on,order=20"));
    CHECK(c.allocs[3].options && !strcmp(c.allocs[3].options, "a=1,b=2"));
    CHECK_EQ_U(c.allocs[2].line, 5);
    CHECK_EQ_U(c.ntraces, 2);
    CHECK(!strcmp(c.traces[0], "traces/**/*.trace"));
    CHECK_EQ_U(c.repetitions, 3);
    CHECK_EQ_U(c.arena, 128u << 20);
    CHECK(!strcmp(c.timing, "per-op"));
    CHECK(c.timeout_s == 90.0);
    CHECK(hb_config_is_optional(&c, "tuned"));
    CHECK(!hb_config_is_optional(&c, "jemalloc")); /* the list replaces the default */
    hb_config_free(&c);
}

static void test_defaults(void)
{
    static const char text[] = "allocators: [mmap, glibc]\ntraces: [x.trace]\n";
    hb_config c;
    char err[1024] = "";
    REQUIRE(hb_config_parse("mem.yaml", text, strlen(text), &c, err, sizeof err) == 0);
    CHECK_EQ_U(c.repetitions, 1);
    CHECK_EQ_U(c.arena, 0);
    CHECK(c.timing[0] == '\0');
    CHECK(c.timeout_s == 120.0);
    CHECK(hb_config_is_optional(&c, "jemalloc"));
    CHECK(hb_config_is_optional(&c, "mimalloc"));
    CHECK(hb_config_is_optional(&c, "tcmalloc"));
    CHECK(!hb_config_is_optional(&c, "glibc"));
    hb_config_free(&c);
}

static void test_bare_path_allocator(void)
{
    static const char text[] = "allocators: [build/x/libfast.so.2]\ntraces: [x.trace]\n";
    hb_config c;
    char err[1024] = "";
    REQUIRE(hb_config_parse("mem.yaml", text, strlen(text), &c, err, sizeof err) == 0);
    CHECK(!strcmp(c.allocs[0].name, "libfast"));
    CHECK(!strcmp(c.allocs[0].path, "build/x/libfast.so.2"));
    hb_config_free(&c);
}

/* Loads a bad file and checks where and what the message says. */
static void expect_error(const char *file, const char *where, const char *what)
{
    hb_config c;
    char err[1024] = "";
    CHECK(hb_config_load(file, &c, err, sizeof err) == -1);
    CHECK_STR_CONTAINS(err, where);
    CHECK_STR_CONTAINS(err, what);
    CHECK_STR_CONTAINS(err, "error");
}

static void test_wrong_type(void)
{
    expect_error(CFG("bad_type.yaml"), "bad_type.yaml:3:14:",
                 "repetitions: expected a non-negative integer, got a list");
}

static void test_unknown_key(void)
{
    expect_error(CFG("unknown_key.yaml"), "unknown_key.yaml:3:1:", "unknown key 'repetition'");
    expect_error(CFG("unknown_key.yaml"), "unknown_key.yaml:3:1:", "expected one of: allocators");
}

static void test_bad_size(void)
{
    expect_error(CFG("bad_size.yaml"), "bad_size.yaml:5:12:",
                 "arena: expected a size such as 4096, 64KiB or 256MiB, got '12 parsecs'");
}

static void test_bad_duration(void)
{
    expect_error(CFG("bad_duration.yaml"), "bad_duration.yaml:3:10:",
                 "timeout: expected a duration such as 90, 90s, 2m or 500ms, got 'soon'");
}

static void test_empty_allocators(void)
{
    expect_error(CFG("empty_allocators.yaml"), "empty_allocators.yaml:1:13:",
                 "allocators: expected a non-empty list");
}

static void test_unknown_allocator(void)
{
    expect_error(CFG("unknown_allocator.yaml"), "unknown_allocator.yaml:3:5:",
                 "allocator 'hoard': expected one of buddy");
}

static void test_bad_allocator_key(void)
{
    expect_error(CFG("bad_allocator_key.yaml"), "bad_allocator_key.yaml:3:5:",
                 "allocator: unknown key 'lib'; expected one of: name, path, options, arena");
}

static void test_duplicate_allocator(void)
{
    expect_error(CFG("duplicate_allocator.yaml"), "duplicate_allocator.yaml:4:5:",
                 "expected unique names; 'mmap' is already listed on line 2");
}

static void test_bad_timing(void)
{
    expect_error(CFG("bad_timing.yaml"), "bad_timing.yaml:3:9:",
                 "timing: expected per-op, throughput or both, got 'sometimes'");
}

/* purge_timers: parsed, defaulted, checked, and handed to every cell. */
static void test_purge_timers(void)
{
    static const char live[] = "allocators: [glibc]\ntraces: [x.trace]\npurge_timers: live\n";
    static const char none[] = "allocators: [glibc]\ntraces: [x.trace]\n";
    static const char bad[] = "allocators: [glibc]\ntraces: [x.trace]\npurge_timers: often\n";
    hb_config c;
    char err[1024] = "";
    REQUIRE(hb_config_parse("t.yaml", live, strlen(live), &c, err, sizeof err) == 0);
    CHECK(!strcmp(c.purge_timers, "live"));
    hb_config_free(&c);
    REQUIRE(hb_config_parse("t.yaml", none, strlen(none), &c, err, sizeof err) == 0);
    CHECK(c.purge_timers[0] == '\0');
    hb_config_free(&c);
    CHECK(hb_config_parse("t.yaml", bad, strlen(bad), &c, err, sizeof err) == -1);
    CHECK_STR_CONTAINS(err, "t.yaml:3:15:");
    CHECK_STR_CONTAINS(err, "purge_timers: expected frozen or live, got 'often'");
}

static void test_missing_traces(void)
{
    expect_error(CFG("no_traces.yaml"), "no_traces.yaml:1:1:", "expected a traces: list");
}

static void test_zero_repetitions(void)
{
    expect_error(CFG("zero_repetitions.yaml"), "zero_repetitions.yaml:3:14:",
                 "repetitions: expected an integer from 1");
}

static void test_missing_file(void)
{
    expect_error("/nonexistent/bench.yaml", "/nonexistent/bench.yaml", "cannot open");
}

static void test_syntax_error(void)
{
    static const char text[] = "allocators: [mmap\ntraces: x\n";
    hb_config c;
    char err[1024] = "";
    CHECK(hb_config_parse("broken.yaml", text, strlen(text), &c, err, sizeof err) == -1);
    CHECK_STR_CONTAINS(err, "broken.yaml:");
}

static unsigned count_lines(const char *s)
{
    unsigned n = *s != '\0';
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_every_mistake_reported(void)
{
    hb_config c;
    char err[8192] = "";
    const char *file = CFG("several_mistakes.yaml");
    CHECK(hb_config_load(file, &c, err, sizeof err) == -1);
    CHECK_STR_CONTAINS(err, "several_mistakes.yaml:6:1: error: configuration: unknown key "
                            "'repetition'");
    CHECK_STR_CONTAINS(err, "several_mistakes.yaml:4:5: error: allocator 'hoard'");
    CHECK_STR_CONTAINS(err, "several_mistakes.yaml:5:42: error: allocator: unknown key 'colour'");
    CHECK_STR_CONTAINS(err, "several_mistakes.yaml:5:36: error: arena: expected a size");
    CHECK_STR_CONTAINS(err, "several_mistakes.yaml:7:10: error: timeout: expected a duration");
    CHECK_STR_CONTAINS(err, "several_mistakes.yaml:8:29: error: traces: expected a string, got a "
                            "list");
    CHECK_EQ_U(count_lines(err), 6);
}

static void test_many_mistakes_fit_the_buffer(void)
{
    /* 40 unknown allocators: the lines that fit, then how many did not. */
    char text[2048] = "traces: [x.trace]\nallocators:\n";
    for (int i = 0; i < 40; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "  - nope%d\n", i);
    hb_config c;
    char err[1024] = "";
    CHECK(hb_config_parse("many.yaml", text, strlen(text), &c, err, sizeof err) == -1);
    CHECK(strlen(err) < sizeof err);
    CHECK_STR_CONTAINS(err, "many.yaml:3:5: error: allocator 'nope0'");
    CHECK_STR_CONTAINS(err, " more problems");
    CHECK(strstr(err, "'nope39'") == NULL);
}

/* A missing required library is located to its column and the dynamic
 * loader says why; an optional one is only a note. */
static void test_missing_library_located(void)
{
    hb_config c;
    char err[8192] = "";
    REQUIRE(hb_config_load(CFG("missing_library.yaml"), &c, err, sizeof err) == 0);
    hb_plan p;
    char *notes = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&notes, &len);
    CHECK(hb_plan_build(&c, NULL, &p, f, err, sizeof err) == -1);
    fclose(f);
    CHECK_STR_CONTAINS(err, "missing_library.yaml:4:5: error: allocator 'gone': library "
                            "/nonexistent/gone.so cannot be loaded (");
    CHECK_STR_CONTAINS(err, "No such file or directory); expected it to be built");
    CHECK(strstr(err, "elsewhere") == NULL);
    CHECK_STR_CONTAINS(notes, "skipping elsewhere:");
    free(notes);
    hb_config_free(&c);
}

static void test_no_trace_located(void)
{
    hb_config c;
    char err[8192] = "";
    REQUIRE(hb_config_load(CFG("no_trace_match.yaml"), &c, err, sizeof err) == 0);
    hb_plan p;
    CHECK(hb_plan_build(&c, NULL, &p, NULL, err, sizeof err) == -1);
    CHECK_STR_CONTAINS(err, "no_trace_match.yaml:3:3: error: traces: expected the globs to match "
                            "at least one .trace");
    hb_config_free(&c);

    /* Traces that match, all left out by the filter: still the traces: list. */
    static const char text[] = "allocators: [mmap]\ntraces: [traces/handmade/*.trace]\n";
    REQUIRE(hb_config_parse("mem.yaml", text, strlen(text), &c, err, sizeof err) == 0);
    hb_plan_filter flt = { NULL, "no-such-trace" };
    CHECK(hb_plan_build(&c, &flt, &p, NULL, err, sizeof err) == -1);
    CHECK_STR_CONTAINS(err, "mem.yaml:2:9: error: traces: expected the globs to match at least "
                            "one trace that passes --filter-trace 'no-such-trace'");
    hb_config_free(&c);
}

static void test_glob_positions(void)
{
    hb_config c;
    char err[1024] = "";
    REQUIRE(hb_config_load(CFG("good.yaml"), &c, err, sizeof err) == 0);
    CHECK_EQ_U(c.traces_pos.line, 14);
    CHECK_EQ_U(c.traces_pos.col, 3);
    CHECK_EQ_U(c.trace_pos[1].line, 15);
    CHECK_EQ_U(c.trace_pos[1].col, 5);
    CHECK_EQ_U(c.allocs[1].col, 5);
    hb_config_free(&c);
}

/* A key given twice at any level: which one would the reader believe? */
static void test_duplicate_keys(void)
{
    static const char *const texts[][2] = {
        { "allocators: [mmap]\ntraces: [x.trace]\nrepetitions: 3\nrepetitions: 1\n",
          "d.yaml:4:1: error: repetitions: expected each key once in a mapping, got it again "
          "(first given at line 3, column 1)" },
        { "allocators: [mmap]\ntraces: [x.trace]\nallocators: [glibc]\n",
          "d.yaml:3:1: error: allocators: expected each key once" },
        { "allocators:\n  - {name: a, path: x.so, name: b}\ntraces: [x.trace]\n",
          "d.yaml:2:27: error: name: expected each key once in a mapping, got it again (first "
          "given at line 2, column 6)" },
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        hb_config c;
        char err[1024] = "";
        CHECK(hb_config_parse("d.yaml", texts[i][0], strlen(texts[i][0]), &c, err, sizeof err) < 0);
        CHECK_STR_CONTAINS(err, texts[i][1]);
    }
}

/* An optional name must be one of the list: a typo would do nothing. */
static void test_optional_names(void)
{
    static const char bad[] = "allocators: [mmap, glibc]\noptional: [glibc, nosuch]\n"
                              "traces: [x.trace]\n";
    static const char good[] = "allocators: [mmap, glibc]\noptional: [glibc]\ntraces: [x.trace]\n";
    hb_config c;
    char err[1024] = "";
    CHECK(hb_config_parse("o.yaml", bad, strlen(bad), &c, err, sizeof err) < 0);
    CHECK_STR_CONTAINS(err, "o.yaml:2:19: error: optional: expected the name of an allocator of "
                            "the list (mmap, glibc), got 'nosuch'");
    REQUIRE(hb_config_parse("o.yaml", good, strlen(good), &c, err, sizeof err) == 0);
    CHECK(hb_config_is_optional(&c, "glibc") && !hb_config_is_optional(&c, "mmap"));
    hb_config_free(&c);
}

int main(void)
{
    RUN(test_duplicate_keys);
    RUN(test_optional_names);
    RUN(test_good_config);
    RUN(test_defaults);
    RUN(test_bare_path_allocator);
    RUN(test_wrong_type);
    RUN(test_unknown_key);
    RUN(test_bad_size);
    RUN(test_bad_duration);
    RUN(test_empty_allocators);
    RUN(test_unknown_allocator);
    RUN(test_bad_allocator_key);
    RUN(test_duplicate_allocator);
    RUN(test_bad_timing);
    RUN(test_missing_traces);
    RUN(test_purge_timers);
    RUN(test_zero_repetitions);
    RUN(test_missing_file);
    RUN(test_syntax_error);
    RUN(test_every_mistake_reported);
    RUN(test_many_mistakes_fit_the_buffer);
    RUN(test_missing_library_located);
    RUN(test_no_trace_located);
    RUN(test_glob_positions);
    return check_summary();
}
