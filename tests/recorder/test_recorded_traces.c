/*
 * The traces committed in traces/recorded/: each one must pass the
 * independent checker (tracecheck.h), carry the metadata docs/traces.md
 * promises, and together they must cover what the benchmark relies on
 * (enough operations, realloc and calloc, more than one thread).
 */
#include <dirent.h>
#include <stdlib.h>

#include "check.h"
#include "recorder/tracecheck.h"

#define DIR_RECORDED "traces/recorded"

static uint64_t total_ops, largest, reallocs, callocs, ntraces;
static uint32_t most_threads;

static void check_one(const char *name)
{
    char path[512], v[1024];
    size_t len;
    snprintf(path, sizeof path, "%s/%s", DIR_RECORDED, name);
    char *text = tc_read(path, &len);
    CHECK(text != NULL);
    if (!text)
        return;
    CHECK(tc_meta(text, "name", v, sizeof v));
    CHECK(tc_meta(text, "description", v, sizeof v) && strlen(v) > 10);
    CHECK(tc_meta(text, "source", v, sizeof v) && !strncmp(v, "recorded: ", 10));
    CHECK_STR_CONTAINS(v, ", command \"");
    uint64_t declared = tc_meta(text, "ops", v, sizeof v) ? strtoull(v, NULL, 10) : 0;
    tc_result r;
    tc_check(text, &r);
    if (r.errors)
        fprintf(stderr, "%s: %u errors, first: %s\n", path, r.errors, r.first_error);
    CHECK_EQ_U(r.errors, 0);
    CHECK_EQ_U(declared, r.ops);
    CHECK(r.ops <= 2100000); /* keeps a full benchmark fast */
    fprintf(stderr, "  %-28s %8llu ops %u thread(s)\n", name, (unsigned long long)r.ops, r.threads);
    total_ops += r.ops;
    largest = r.ops > largest ? r.ops : largest;
    reallocs += r.reallocs;
    callocs += r.calls_c;
    most_threads = r.threads > most_threads ? r.threads : most_threads;
    ntraces++;
    free(text);
}

static void test_every_recorded_trace_is_valid(void)
{
    DIR *d = opendir(DIR_RECORDED);
    REQUIRE(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 9 && !strcmp(e->d_name + n - 9, ".trace.xz"))
            check_one(e->d_name);
    }
    closedir(d);
}

static void test_together_they_cover_the_benchmark(void)
{
    CHECK(ntraces >= 6);
    CHECK(total_ops > 1000000);
    CHECK(largest > 500000);
    CHECK(reallocs > 0);
    CHECK(callocs > 0);
    CHECK(most_threads > 1);
}

int main(void)
{
    RUN(test_every_recorded_trace_is_valid);
    RUN(test_together_they_cover_the_benchmark);
    return check_summary();
}
