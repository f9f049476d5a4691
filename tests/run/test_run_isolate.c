/* `heapbench run` in a process of its own: isolated by default, a crash or
 * a hang reported readably, and a replaying process that starts clean, so
 * a libc-contract allocator measures the same whether the trace came from
 * the binary cache, from a fresh parse or from --no-cache. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char dir[64] = "/tmp/hb-isolate-XXXXXX";
static char out[65536], err[65536];

static void slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* Runs "ENV heapbench ARGS"; its exit status, output in out and err. */
static int heapbench(const char *env, const char *args)
{
    const char *exe = getenv("HB_HEAPBENCH");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "env ASAN_OPTIONS=detect_leaks=0 %s '%s' %s >%s/out 2>%s/err",
             env, exe ? exe : "heapbench", args, dir, dir);
    int st = system(cmd);
    char path[128];
    snprintf(path, sizeof path, "%s/out", dir);
    slurp(path, out, sizeof out);
    snprintf(path, sizeof path, "%s/err", dir);
    slurp(path, err, sizeof err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_lines(const char *name, const char *fmt, int n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    for (int i = 0; i < n; i++)
        fprintf(f, fmt, i);
    fclose(f);
}

/* The memory figures of the row in out (after its header line): every
 * column whose name speaks of footprint or utilization, "name=value;". */
static void figures(char *buf, size_t len)
{
    char *save1, text[sizeof out];
    snprintf(text, sizeof text, "%s", out);
    char *nl = strchr(text, '\n');
    buf[0] = '\0';
    if (!nl)
        return;
    *nl = '\0';
    char *h = strtok_r(text, ",", &save1), *v = nl + 1;
    size_t n = 0;
    while (h && v) {
        char *comma = strchr(v, ',');
        if (comma)
            *comma = '\0';
        if ((strstr(h, "footprint") || strstr(h, "utilization")) && n < len)
            n += (size_t)snprintf(buf + n, len - n, "%s=%s;", h, v);
        h = strtok_r(NULL, ",", &save1);
        v = comma ? comma + 1 : NULL;
    }
}

/* Glibc raises its mmap threshold when a large mapped block is freed, and
 * a parse frees such blocks (the decompressed text, the ops array): in a
 * process that parsed, these ~600 KB blocks go to the heap instead. */
static void test_same_figures_cached_or_not(void)
{
#ifdef __SANITIZE_ADDRESS__
    /* The sanitizer's runtime moves the resident set by tens of KiB from
     * run to run, cache or not: the figures compare in the plain build. */
    fprintf(stderr, "skipped under AddressSanitizer\n");
    return;
#endif
    char path[128], trace[160], env[200], args[400], a[512], b[512], c[512];
    snprintf(path, sizeof path, "%s/big.trace", dir);
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    for (int i = 1; i <= 3000; i++) {
        fprintf(f, "a %d %d\n", i, 600000 + (i * 4099) % 65536);
        if (i > 24)
            fprintf(f, "f %d\n", i - 24);
    }
    for (int i = 2977; i <= 3000; i++)
        fprintf(f, "f %d\n", i);
    fclose(f);
    snprintf(args, sizeof args, "xz -f %s", path);
    REQUIRE(system(args) == 0);
    snprintf(trace, sizeof trace, "%s.xz", path);
    snprintf(env, sizeof env, "HB_CACHE_DIR=%s/cache", dir);
    snprintf(args, sizeof args, "run --csv --csv-header --timing throughput glibc %s", trace);
    CHECK_EQ_U(heapbench(env, args), 0); /* a miss: parsed, then stored */
    figures(a, sizeof a);
    CHECK_EQ_U(heapbench(env, args), 0); /* a hit */
    figures(b, sizeof b);
    snprintf(args, sizeof args, "run --csv --csv-header --no-cache --timing throughput glibc %s",
             trace);
    CHECK_EQ_U(heapbench(env, args), 0); /* handed over in a memfd */
    figures(c, sizeof c);
    if (strcmp(a, b) || strcmp(a, c))
        fprintf(stderr, "miss %s, hit %s, no cache %s\n", a, b, c);
    CHECK(strstr(a, "utilization=0.") && !strcmp(a, b) && !strcmp(a, c));
}

/* heapbench run OPTS on a fixture library that fails at its 100th malloc,
 * over a trace of 150 mallocs named after it. */
static int run_fixture(const char *opts, const char *lib)
{
    char name[64], args[512];
    snprintf(name, sizeof name, "%s.trace", lib);
    write_lines(name, "a %d 40\n", 150);
    snprintf(args, sizeof args, "run %s %s/%s.so %s/%s", opts, HB_TEST_FIXTURES, lib, dir, name);
    return heapbench("", args);
}

static void test_crash_report_by_default(void)
{
    CHECK_EQ_U(run_fixture("--no-cache", "crash_at_100"), 0);
    CHECK_STR_CONTAINS(out, "status       crashed: SIGSEGV at op 99 (trace line 100)");
    CHECK_STR_CONTAINS(err, "#HB-FAULT signal=SIGSEGV pass=measure op=99 line=100\n");
    CHECK_STR_CONTAINS(err, "the replay crashed\n  signal     SIGSEGV\n"
                            "  operation  99 (0-based index in the trace)\n"
                            "  trace line 100\n  pass       measure\n"
                            "  the last lines of its stderr:\n");
    /* --csv: the crashed row, exit 0 as well */
    CHECK_EQ_U(run_fixture("--csv --name c", "crash_at_100"), 0);
    CHECK_STR_CONTAINS(out, "c,crash_at_100,1,crashed,SIGSEGV at op 99");
}

static void test_timeout_report(void)
{
    CHECK_EQ_U(run_fixture("--timeout 1s", "hang_at_100"), 0);
    CHECK_STR_CONTAINS(out, "status       timeout: after 1 s");
    CHECK_STR_CONTAINS(err, "the replay did not finish within 1 s\n");
}

static void test_options_by_getopt(void)
{
    char args[400];
    snprintf(args, sizeof args, "run --bogus glibc %s/crash_at_100.trace", dir);
    CHECK_EQ_U(heapbench("", args), 2);
    CHECK_STR_CONTAINS(err, "run: unrecognized option '--bogus'");
    snprintf(args, sizeof args, "run glibc %s/crash_at_100.trace --rep=x", dir);
    CHECK_EQ_U(heapbench("", args), 2);
    CHECK_STR_CONTAINS(err, "heapbench run: --rep: expected a whole number, got 'x'");
    /* options after the operands, "=" or a separate value */
    snprintf(args, sizeof args, "run glibc %s/crash_at_100.trace --csv --rep=3 --name sys", dir);
    CHECK_EQ_U(heapbench("", args), 0);
    CHECK(!strncmp(out, "sys,crash_at_100,3,ok,", 22));
    snprintf(args, sizeof args, "run --isolate --no-isolate glibc %s/crash_at_100.trace", dir);
    CHECK_EQ_U(heapbench("", args), 2);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(test_same_figures_cached_or_not);
    RUN(test_crash_report_by_default);
    RUN(test_timeout_report);
    RUN(test_options_by_getopt);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? check_summary() : 1;
}
