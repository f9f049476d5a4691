/*
 * `heapbench run` end to end: the binary (HB_HEAPBENCH) against a trace
 * file, through every system allocator, with its exit codes, CSV output
 * and crash report.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "run/registry.h"
#include "report/result.h"

static char trace_path[] = "/tmp/hb-run-cli-XXXXXX.trace";
static char out[65536], err[65536];
static char out_path[64], err_path[64];

static void slurp(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : 0;
    buf[n > 0 ? n : 0] = '\0';
    if (fd >= 0)
        close(fd);
}

/* Runs heapbench with args; returns the wait status, output in out/err. */
static int run(const char *const *args)
{
    const char *bin = getenv("HB_HEAPBENCH");
    char *argv[32] = { (char *)bin };
    size_t n = 1;
    for (; args[n - 1] && n < 31; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        /* In a sanitizer build, the system allocators' own one-time
         * allocations are not the harness's leaks. */
        setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(o, 1);
        dup2(e, 2);
        execv(bin, argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    slurp(out_path, out, sizeof out);
    slurp(err_path, err, sizeof err);
    return st;
}

static size_t fields(const char *s)
{
    size_t n = 1;
    for (; *s && *s != '\n'; s++)
        n += *s == ',';
    return n;
}

static int exit_code(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : -1; }

static void test_system_allocators(void)
{
    static const char *const names[] = { "glibc", "jemalloc", "mimalloc", "tcmalloc", "mmap" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        /* jemalloc, mimalloc and tcmalloc are optional packages */
        hb_alloc_spec spec = { .name = (char *)names[i] };
        hb_alloc_where where;
        hb_registry_resolve(&spec, &where);
        if (!where.available && i > 0) {
            fprintf(stderr, "  %s: not installed, skipped\n", names[i]);
            continue;
        }
        const char *args[] = { "run", "--csv", "--no-cache", names[i], trace_path, NULL };
        CHECK(exit_code(run(args)) == 0);
        CHECK(!strncmp(out, names[i], strlen(names[i])));
        CHECK_STR_CONTAINS(out, ",cli,1,ok,,14,");
        CHECK_EQ_U(fields(out), 91);
        if (strstr(out, ",ok,") == NULL)
            fprintf(stderr, "  %s: %s%s", names[i], out, err);
    }
}

/* Column k (from 1) of the first line of s, up to its comma or newline. */
static const char *field_at(const char *s, unsigned k)
{
    for (unsigned i = 1; i < k && s; i++) {
        s = strchr(s, ',');
        s = s ? s + 1 : NULL;
    }
    return s ? s : "";
}

#define COL_LATENCY_PASSES 58
#define COL_THROUGHPUT_PASSES 73
#define COL_PURGE_TIMERS 89
#define COL_CPU_MHZ 90

static void test_purge_timers(void)
{
    const char *glibc[] = { "run", "--csv", "--timing", "throughput", "glibc", trace_path, NULL };
    CHECK(exit_code(run(glibc)) == 0);
    CHECK(!strncmp(field_at(out, COL_PURGE_TIMERS), "none,", 5));
    const char *bad[] = { "run", "--purge-timers", "sometimes", "glibc", trace_path, NULL };
    CHECK(exit_code(run(bad)) == 2);
    CHECK_STR_CONTAINS(err, "frozen or live");
    hb_alloc_spec spec = { .name = (char *)"jemalloc" };
    hb_alloc_where where;
    hb_registry_resolve(&spec, &where);
    if (!where.available) {
        fprintf(stderr, "  jemalloc: not installed, skipped\n");
        return;
    }
    /* jemalloc's arenas decay on timers: held by default, live on request,
     * through the isolated child and without it. */
    const char *held[] = { "run", "--csv", "--timing", "throughput", "jemalloc", trace_path,
                           NULL };
    CHECK(exit_code(run(held)) == 0);
    CHECK(!strncmp(field_at(out, COL_PURGE_TIMERS), "frozen,", 7));
    const char *live[] = { "run", "--csv", "--timing", "throughput", "--purge-timers", "live",
                           "jemalloc", trace_path, NULL };
    CHECK(exit_code(run(live)) == 0);
    CHECK(!strncmp(field_at(out, COL_PURGE_TIMERS), "live,", 5));
    const char *inproc[] = { "run", "--csv", "--no-isolate", "--timing", "throughput",
                             "--purge-timers", "live", "jemalloc", trace_path, NULL };
    CHECK(exit_code(run(inproc)) == 0);
    CHECK(!strncmp(field_at(out, COL_PURGE_TIMERS), "live,", 5));
}

/* The processor's clock around the timed passes: a plausible rate, a
 * spread of at least 1; no timed pass, no clock. */
static void test_cpu_clock(void)
{
    const char *args[] = { "run", "--csv", "--timing", "throughput", "segfit", trace_path, NULL };
    CHECK(exit_code(run(args)) == 0);
    double mhz = atof(field_at(out, COL_CPU_MHZ)), ratio = atof(field_at(out, COL_CPU_MHZ + 1));
    CHECK(mhz > 100 && mhz < 20000);
    CHECK(ratio >= 1.0 && ratio < 100);
    const char *bad[] = { "run", "--csv", "--no-cache", "/nonexistent/x.so", trace_path, NULL };
    CHECK(exit_code(run(bad)) == 1);
    CHECK(!strncmp(field_at(out, COL_CPU_MHZ), ",\n", 2));
}

/* max_time (here a nanosecond: every pass takes longer) stops adding
 * passes only after the second of each kind, so a slow
 * cell still has intervals; fewer passes asked for are honoured. */
static void test_max_time_keeps_two_passes(void)
{
    const char *slow[] = { "run", "--csv", "--max-time", "0.000000001", "segfit", trace_path, NULL };
    CHECK(exit_code(run(slow)) == 0);
    CHECK(!strncmp(field_at(out, COL_LATENCY_PASSES), "2,", 2));
    CHECK(!strncmp(field_at(out, COL_THROUGHPUT_PASSES), "2,", 2));
    CHECK(field_at(out, COL_THROUGHPUT_PASSES + 2)[0] != ','); /* throughput_ci95_ops_s */
    const char *one[] = { "run", "--csv", "--max-time", "0.000000001", "--passes", "1",
                          "--latency-passes", "1", "segfit", trace_path, NULL };
    CHECK(exit_code(run(one)) == 0);
    CHECK(!strncmp(field_at(out, COL_LATENCY_PASSES), "1,", 2));
    CHECK(!strncmp(field_at(out, COL_THROUGHPUT_PASSES), "1,", 2));
}

static void test_header_name_rep(void)
{
    const char *args[] = { "run", "--csv", "--csv-header", "--no-cache", "--rep", "4",
                           "--name", "sys", "--timing", "throughput", "glibc", trace_path,
                           NULL };
    CHECK(exit_code(run(args)) == 0);
    CHECK(!strncmp(out, hb_csv_header(), strlen(hb_csv_header())));
    const char *row = strchr(out, '\n');
    REQUIRE(row);
    CHECK(!strncmp(row + 1, "sys,cli,4,ok,", 13));
    /* the aligned latency columns (the last of the first 56) are empty */
    CHECK(strstr(row, ",,,,,,,") != NULL);
}

static void test_lab_form_and_human_report(void)
{
    const char *args[] = { HB_TEST_FIXTURES "/lab_firstfit.so", trace_path, "--no-cache",
                           "--arena", "1MiB", NULL };
    CHECK(exit_code(run(args)) == 0);
    CHECK_STR_CONTAINS(out, "lab-report contract");
    CHECK_STR_CONTAINS(out, "utilization");
    CHECK_STR_CONTAINS(out, "by arena");
    CHECK_STR_CONTAINS(out, "p99.9");
}

static void test_load_error_row_and_exit_1(void)
{
    const char *args[] = { "run", "--csv", "--no-cache", "/nonexistent/x.so", trace_path, NULL };
    CHECK(exit_code(run(args)) == 1);
    CHECK(!strncmp(out, "x,cli,1,load-error,", 19));
    CHECK_EQ_U(fields(out), 91);
    CHECK_STR_CONTAINS(err, "/nonexistent/x.so");
}

static void test_trace_error_exit_1(void)
{
    char bad[] = "/tmp/hb-run-cli-bad-XXXXXX.trace";
    int fd = mkstemps(bad, 6);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, "a 1 10\nf 9\n", 11) == 11);
    close(fd);
    const char *args[] = { "run", "--no-cache", "glibc", bad, NULL };
    CHECK(exit_code(run(args)) == 1);
    CHECK_STR_CONTAINS(err, ":2: error:");
    unlink(bad);
}

static void test_usage_exit_2(void)
{
    const char *a1[] = { "run", "glibc", NULL };
    CHECK(exit_code(run(a1)) == 2);
    const char *a2[] = { "run", "--timing", "sometimes", "glibc", trace_path, NULL };
    CHECK(exit_code(run(a2)) == 2);
    const char *a3[] = { "run", "--help", NULL };
    CHECK(exit_code(run(a3)) == 0);
    CHECK_STR_CONTAINS(out, "usage: heapbench run");
}

static void test_crash_is_reported(void)
{
    char big[] = "/tmp/hb-run-cli-crash-XXXXXX.trace";
    int fd = mkstemps(big, 6);
    REQUIRE(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < 150; i++)
        fprintf(f, "a %d 40\n", i);
    fclose(f);
    const char *args[] = { "run", "--csv", "--no-cache", "--no-isolate",
                           HB_TEST_FIXTURES "/crash_at_100.so", big, NULL };
    int st = run(args);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    CHECK_STR_CONTAINS(err, "#HB-FAULT signal=SIGSEGV pass=measure op=99 line=100\n");

    /* Isolated, the crash is a result: the report's status, exit 0. */
    const char *iso[] = { "run", "--isolate", "--no-cache", HB_TEST_FIXTURES "/crash_at_100.so",
                          big, NULL };
    CHECK(exit_code(run(iso)) == 0);
    CHECK_STR_CONTAINS(out, "crash_at_100 on ");
    CHECK_STR_CONTAINS(out, "status       crashed: SIGSEGV at op 99 (trace line 100) in the "
                            "measure pass\n");
    CHECK_STR_CONTAINS(err, "#HB-FAULT signal=SIGSEGV");
    unlink(big);
}

static void test_isolate_rows_and_usage(void)
{
    /* an ok row is the replay's own */
    const char *ok[] = { "run", "--csv", "--csv-header", "--isolate", "--no-cache", "--name",
                         "sys", "glibc", trace_path, NULL };
    CHECK(exit_code(run(ok)) == 0);
    CHECK(!strncmp(out, hb_csv_header(), strlen(hb_csv_header())));
    const char *row = strchr(out, '\n');
    REQUIRE(row);
    CHECK(!strncmp(row + 1, "sys,cli,1,ok,,14,", 17));
    CHECK(strchr(row + 1, '\n') && !strchr(row + 1, '\n')[1]); /* header and one row */
    /* a load error is a row too, and so exits 0 */
    const char *gone[] = { "run", "--csv", "--isolate", "/nonexistent/x.so", trace_path, NULL };
    CHECK(exit_code(run(gone)) == 0);
    CHECK(!strncmp(out, "x,cli,1,load-error,", 19));
    const char *lone[] = { "run", "--no-isolate", "--timeout", "5s", "glibc", trace_path, NULL };
    CHECK(exit_code(run(lone)) == 2);
    CHECK_STR_CONTAINS(err, "--timeout: does not apply with --no-isolate");
    const char *bad[] = { "run", "--isolate", "--timeout", "soon", "glibc", trace_path, NULL };
    CHECK(exit_code(run(bad)) == 2);
    CHECK_STR_CONTAINS(err, "--timeout: expected a duration");
}

/* The process that replays glibc (the harness's own malloc) has used that
 * heap for nothing but a few small blocks of its own: the report says how
 * many bytes, measured with mallinfo2 at the zero of the measuring pass,
 * and docs/metrics.md promises a few KiB.  Parsed afresh or from the
 * cache, the trace never lives in that heap. */
static void test_glibc_heap_is_clean(void)
{
    const char *const modes[2][8] = {
        { "run", "--no-cache", "--timing", "throughput", "--passes", "1", "glibc", trace_path },
        { "run", "--timing", "throughput", "--passes", "1", "glibc", trace_path, NULL },
    };
    for (int m = 0; m < 2; m++) {
        const char *args[10] = { 0 };
        for (int i = 0; i < 8 && modes[m][i]; i++)
            args[i] = modes[m][i];
        CHECK(exit_code(run(args)) == 0);
        const char *h = strstr(out, "  harness ");
        REQUIRE(h);
        const char *open = strchr(h, '(');
        REQUIRE(open);
        unsigned long long bytes = strtoull(open + 1, NULL, 10);
        if (bytes == 0 || bytes > 16384)
            fprintf(stderr, "  %s", h);
        CHECK(bytes > 0 && bytes <= 16384);
    }
}

int main(void)
{
    if (!getenv("HB_HEAPBENCH")) {
        fprintf(stderr, "HB_HEAPBENCH is not set\n");
        return 1;
    }
    snprintf(out_path, sizeof out_path, "/tmp/hb-run-cli-%d.out", (int)getpid());
    snprintf(err_path, sizeof err_path, "/tmp/hb-run-cli-%d.err", (int)getpid());
    int fd = mkstemps(trace_path, 6);
    if (fd < 0)
        return 1;
    static const char text[] = "#! name: cli\n"
                               "a 1 100\nc 2 4 32\nr 1 400\nf 2\nm 3 64 1000\na 4 100000\n"
                               "f 1\nf 3\nf -\na 5 0\nf 5\na 6 5000\nr 6 0\nt 1\na 7 8\n";
    if (write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1))
        return 1;
    close(fd);
    RUN(test_system_allocators);
    RUN(test_glibc_heap_is_clean);
    RUN(test_purge_timers);
    RUN(test_cpu_clock);
    RUN(test_max_time_keeps_two_passes);
    RUN(test_header_name_rep);
    RUN(test_lab_form_and_human_report);
    RUN(test_load_error_row_and_exit_1);
    RUN(test_trace_error_exit_1);
    RUN(test_usage_exit_2);
    RUN(test_crash_is_reported);
    RUN(test_isolate_rows_and_usage);
    unlink(trace_path);
    unlink(out_path);
    unlink(err_path);
    return check_summary();
}
