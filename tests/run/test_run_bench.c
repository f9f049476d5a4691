/* The driver end to end: cells in their own processes, a crash and a hang
 * become rows, results.csv is complete after each run, --resume runs only
 * what is missing, a trace that cannot be loaded is reported once and in
 * full.  The command lines of bench and plan, through the heapbench binary.
 * Also the child-process runner on its own. */
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "report/result.h"
#include "run/bench.h"
#include "report/csvtable.h"
#include "run/outcome.h"
#include "run/runner.h"

static char dir[256], config[300], trace[300];

/* 300 mallocs and their frees, so the fixtures reach their 100th malloc. */
static void write_trace(void)
{
    FILE *f = fopen(trace, "w");
    if (!f)
        return;
    fprintf(f, "#! name: tiny\n");
    for (int i = 1; i <= 300; i++) {
        fprintf(f, "a %d %d\n", i, 16 + (i * 37) % 500);
        if (i > 10)
            fprintf(f, "f %d\n", i - 10);
    }
    for (int i = 291; i <= 300; i++)
        fprintf(f, "f %d\n", i);
    fclose(f);
}

static void write_config(void)
{
    FILE *f = fopen(config, "w");
    if (!f)
        return;
    fprintf(f, "allocators:\n  - mmap\n  - glibc\n"
               "  - {name: crash, path: %s/crash_at_100.so}\n"
               "  - {name: hang, path: %s/hang_at_100.so}\n"
               "traces: ['%s/*.trace']\ntimeout: 2s\n",
            HB_TEST_FIXTURES, HB_TEST_FIXTURES, dir);
    fclose(f);
}

static const char *status_of(const hb_csv_table *t, const char *alloc)
{
    long ca = hb_csv_col(t, "allocator"), cs = hb_csv_col(t, "status");
    for (size_t r = 0; r < t->nrows; r++)
        if (!strcmp(t->fields[r][ca], alloc))
            return t->fields[r][cs];
    return "(no row)";
}

static const char *detail_of(const hb_csv_table *t, const char *alloc)
{
    long ca = hb_csv_col(t, "allocator"), cd = hb_csv_col(t, "detail");
    for (size_t r = 0; r < t->nrows; r++)
        if (!strcmp(t->fields[r][ca], alloc))
            return t->fields[r][cd];
    return "(no row)";
}

static char run_dir[PATH_MAX];

static int bench(const char *resume, char **log)
{
    size_t len = 0;
    FILE *f = open_memstream(log, &len);
    char out[300];
    snprintf(out, sizeof out, "%s/results", dir);
    hb_bench_opts o = { .config = resume ? NULL : config, .out_root = out, .resume = resume,
                        .jobs = 1, .progress = f };
    int rc = hb_bench_run(&o);
    fclose(f);
    return rc;
}

static void test_matrix_with_crash_and_hang(void)
{
    char *log = NULL;
    REQUIRE(bench(NULL, &log) == 0);
    CHECK_STR_CONTAINS(log, "[1/4] mmap tiny rep 1 ... ok");
    CHECK_STR_CONTAINS(log, "[3/4] crash tiny rep 1 ... crashed");
    CHECK_STR_CONTAINS(log, "[4/4] hang tiny rep 1 ... timeout, 2.");
    free(log);
    char latest[300];
    snprintf(latest, sizeof latest, "%s/results/latest", dir);
    REQUIRE(realpath(latest, run_dir) != NULL);
    char path[PATH_MAX + 32];
    struct stat st;
    snprintf(path, sizeof path, "%s/env.txt", run_dir);
    CHECK(stat(path, &st) == 0 && st.st_size > 100);
    snprintf(path, sizeof path, "%s/config.yaml", run_dir);
    CHECK(stat(path, &st) == 0 && st.st_size > 10);
    snprintf(path, sizeof path, "%s/plan.txt", run_dir);
    CHECK(stat(path, &st) == 0);
    hb_csv_table t;
    char err[512];
    snprintf(path, sizeof path, "%s/results.csv", run_dir);
    REQUIRE(hb_csv_read(path, &t, err, sizeof err) == 0);
    CHECK(!strcmp(t.header, hb_csv_header()));
    CHECK_EQ_U(t.nrows, 4);
    CHECK(!strcmp(status_of(&t, "mmap"), "ok"));
    CHECK(!strcmp(status_of(&t, "glibc"), "ok"));
    CHECK(!strcmp(status_of(&t, "crash"), "crashed"));
    CHECK_STR_CONTAINS(detail_of(&t, "crash"), "SIGSEGV at op ");
    CHECK_STR_CONTAINS(detail_of(&t, "crash"), "(trace line ");
    CHECK(!strcmp(status_of(&t, "hang"), "timeout"));
    CHECK_STR_CONTAINS(detail_of(&t, "hang"), "after 2 s at op ");
    hb_csv_table_free(&t);
}

static void test_resume_skips_finished_cells(void)
{
    REQUIRE(run_dir[0]);
    char path[PATH_MAX + 32], err[512];
    snprintf(path, sizeof path, "%s/results.csv", run_dir);
    /* Keep the header and the first row, and the hang's row (slow to redo). */
    hb_csv_table t;
    REQUIRE(hb_csv_read(path, &t, err, sizeof err) == 0);
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fprintf(f, "%s\n%s\n%s\n", t.header, t.lines[0], t.lines[3]);
    fclose(f);
    char first[4096];
    snprintf(first, sizeof first, "%s", t.lines[0]);
    hb_csv_table_free(&t);

    char *log = NULL;
    REQUIRE(bench(run_dir, &log) == 0);
    CHECK_STR_CONTAINS(log, "2 of 4 cells already in results.csv");
    CHECK_STR_CONTAINS(log, "[1/2] glibc tiny rep 1 ... ok");
    CHECK_STR_CONTAINS(log, "[2/2] crash tiny rep 1 ... crashed");
    CHECK(strstr(log, "hang tiny rep 1 ...") == NULL);
    free(log);
    REQUIRE(hb_csv_read(path, &t, err, sizeof err) == 0);
    CHECK_EQ_U(t.nrows, 4);
    CHECK(!strcmp(t.lines[0], first)); /* kept byte for byte */
    CHECK(!strcmp(status_of(&t, "glibc"), "ok"));
    CHECK(!strcmp(status_of(&t, "crash"), "crashed"));
    hb_csv_table_free(&t);
}

static void test_bad_config_fails(void)
{
    char *log = NULL, bad[300];
    snprintf(bad, sizeof bad, "%s/bad.yaml", dir);
    FILE *f = fopen(bad, "w");
    REQUIRE(f != NULL);
    fprintf(f, "allocators: [mmap]\ntraces: [x]\ntimeout: never\n");
    fclose(f);
    size_t len = 0;
    FILE *lf = open_memstream(&log, &len);
    hb_bench_opts o = { .config = bad, .out_root = dir, .jobs = 1, .progress = lf };
    CHECK(hb_bench_run(&o) == 1);
    fclose(lf);
    CHECK_STR_CONTAINS(log, "bad.yaml:3:10: error: timeout: expected a duration");
    free(log);
}

/* A configuration whose globs take in the malformed traces of the test
 * data next to the tiny good one. */
static char bad_traces_config[300];

static void write_bad_traces_config(void)
{
    snprintf(bad_traces_config, sizeof bad_traces_config, "%s/bad-traces.yaml", dir);
    FILE *f = fopen(bad_traces_config, "w");
    if (!f)
        return;
    fprintf(f, "allocators: [mmap, glibc]\ntraces: ['%s/traces/bad/*', '%s/*.trace']\n",
            HB_TEST_DATA, dir);
    fclose(f);
}

static void test_unloadable_traces(void)
{
    char *log = NULL, out[300];
    size_t len = 0;
    snprintf(out, sizeof out, "%s/bad-results", dir);
    FILE *lf = open_memstream(&log, &len);
    hb_bench_opts o = { .config = bad_traces_config, .out_root = out, .jobs = 1, .progress = lf };
    int rc = hb_bench_run(&o);
    fclose(lf);
    CHECK_EQ_U(rc, 3);
    /* every problem of each bad trace, with its line, before the first cell */
    const char *first_cell = strstr(log, "[1/6] ");
    REQUIRE(first_cell != NULL);
    const char *p = strstr(log, "bad/errors.trace:4: error: expected an operation");
    CHECK(p != NULL && p < first_cell);
    p = strstr(log, "bad/errors.trace:24: error: expected SIZE after 'r 9'");
    CHECK(p != NULL && p < first_cell);
    p = strstr(log, "bad/not-xz.trace.xz: error: expected xz data");
    CHECK(p != NULL && p < first_cell);
    CHECK_STR_CONTAINS(log, "2 of 3 traces cannot be loaded");
    /* their cells are rows all the same, and the good trace runs */
    CHECK_STR_CONTAINS(log, "] mmap errors rep 1 ... load-error, 0.0 s");
    CHECK_STR_CONTAINS(log, "] glibc errors rep 1 ... load-error, 0.0 s");
    CHECK_STR_CONTAINS(log, "] mmap tiny rep 1 ... ok");
    CHECK_STR_CONTAINS(log, "[6/6] ");
    CHECK_STR_CONTAINS(log, " 4 load-error");
    CHECK_STR_CONTAINS(log, " 2 ok");
    char want[600];
    snprintf(want, sizeof want, "heapbench bench: 2 traces cannot be loaded: %s/traces/bad/"
             "errors.trace, %s/traces/bad/not-xz.trace.xz", HB_TEST_DATA, HB_TEST_DATA);
    CHECK_STR_CONTAINS(log, want);
    free(log);

    char path[400], err[512];
    snprintf(path, sizeof path, "%s/latest/results.csv", out);
    hb_csv_table t;
    REQUIRE(hb_csv_read(path, &t, err, sizeof err) == 0);
    CHECK_EQ_U(t.nrows, 6);
    long ct = hb_csv_col(&t, "trace"), cs = hb_csv_col(&t, "status"),
         cd = hb_csv_col(&t, "detail");
    unsigned load_errors = 0;
    for (size_t r = 0; r < t.nrows; r++) {
        if (strcmp(t.fields[r][ct], "errors"))
            continue;
        load_errors++;
        CHECK(!strcmp(t.fields[r][cs], "load-error"));
        CHECK_STR_CONTAINS(t.fields[r][cd], "errors.trace: 20 errors; the first: ");
        CHECK_STR_CONTAINS(t.fields[r][cd], "errors.trace:4: error: expected an operation");
    }
    CHECK_EQ_U(load_errors, 2);
    hb_csv_table_free(&t);
}

/* max_ops caps an allocator: its cells of longer traces are rows that say
 * they were skipped and why, and run no process; the others run. */
static void test_max_ops_skips_long_traces(void)
{
    char cfg[300], out[300], *log = NULL;
    size_t len = 0;
    snprintf(cfg, sizeof cfg, "%s/capped.yaml", dir);
    snprintf(out, sizeof out, "%s/capped-results", dir);
    FILE *f = fopen(cfg, "w");
    REQUIRE(f != NULL);
    fprintf(f, "allocators:\n  - {name: mmap, max_ops: 599}\n  - {name: glibc, max_ops: 600}\n"
               "traces: ['%s/*.trace']\n", dir);
    fclose(f);
    FILE *lf = open_memstream(&log, &len);
    hb_bench_opts o = { .config = cfg, .out_root = out, .jobs = 1, .progress = lf };
    CHECK_EQ_U(hb_bench_run(&o), 0);
    fclose(lf);
    CHECK_STR_CONTAINS(log, "] mmap tiny rep 1 ... unsupported, 0.0 s");
    CHECK_STR_CONTAINS(log, "] glibc tiny rep 1 ... ok");
    free(log);
    char path[400], err[512];
    snprintf(path, sizeof path, "%s/latest/results.csv", out);
    hb_csv_table t;
    REQUIRE(hb_csv_read(path, &t, err, sizeof err) == 0);
    CHECK(!strcmp(status_of(&t, "mmap"), "unsupported"));
    CHECK_STR_CONTAINS(detail_of(&t, "mmap"), "skipped: the trace has 600 operations (more "
                                              "than max_ops 599");
    CHECK(!strcmp(status_of(&t, "glibc"), "ok"));
    hb_csv_table_free(&t);
}

/* Runs a command line of the heapbench binary; its stdout and stderr
 * together in *text, its exit status returned. */
static int heapbench(const char *args, char **text)
{
    const char *exe = getenv("HB_HEAPBENCH");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", exe && *exe ? exe : HB_ALLOCATOR_DIR "/../heapbench",
             args);
    FILE *p = popen(cmd, "r");
    size_t len = 0;
    FILE *out = open_memstream(text, &len);
    char buf[4096];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof buf, p)) > 0)
        fwrite(buf, 1, n, out);
    fclose(out);
    int status = p ? pclose(p) : -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static unsigned count_of(const char *text, const char *needle)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void test_cli_filters_add_up(void)
{
    char args[1024], *text = NULL;
    snprintf(args, sizeof args, "plan --config '%s' --filter-allocator mmap "
             "--filter-allocator 'gl*'", config);
    CHECK_EQ_U(heapbench(args, &text), 0);
    CHECK_EQ_U(count_of(text, " run --csv "), 2);
    CHECK_STR_CONTAINS(text, "--name mmap ");
    CHECK_STR_CONTAINS(text, "--name glibc ");
    free(text);

    snprintf(args, sizeof args, "plan --config '%s' --filter-trace errors --filter-trace tiny",
             bad_traces_config);
    CHECK_EQ_U(heapbench(args, &text), 0);
    CHECK_EQ_U(count_of(text, " run --csv "), 4);
    CHECK_EQ_U(count_of(text, "errors.trace\n"), 2);
    CHECK_EQ_U(count_of(text, "tiny.trace\n"), 2);
    CHECK(strstr(text, "not-xz") == NULL);
    free(text);

    snprintf(args, sizeof args, "bench --config '%s' --out '%s/cli' --filter-allocator mmap "
             "--filter-trace tiny --filter-trace 'not-*'", bad_traces_config, dir);
    CHECK_EQ_U(heapbench(args, &text), 3);
    CHECK_STR_CONTAINS(text, "] mmap not-xz rep 1 ... load-error");
    CHECK_STR_CONTAINS(text, "] mmap tiny rep 1 ... ok");
    CHECK_STR_CONTAINS(text, "2 cells run");
    CHECK_STR_CONTAINS(text, "1 trace cannot be loaded: ");
    free(text);
}

static void test_job_timeout_kills_group(void)
{
    /* The shell ignores SIGTERM, so only the SIGKILL after the grace ends
     * it; its sleeping child goes with the process group. */
    char *argv[] = { "/bin/sh", "-c", "trap '' TERM; echo started; sleep 30; echo never", NULL };
    hb_job j;
    REQUIRE(hb_job_start(&j, argv, 0.3) == 0);
    hb_job_wait(&j);
    CHECK(j.timed_out);
    CHECK(WIFSIGNALED(j.wstatus) && WTERMSIG(j.wstatus) == SIGKILL);
    CHECK(j.elapsed_s >= 0.3 + HB_JOB_KILL_GRACE_S - 0.1 && j.elapsed_s < 10);
    CHECK_STR_CONTAINS(j.out.data, "started");
    CHECK(strstr(j.out.data, "never") == NULL);
    hb_job_free(&j);
}

static void test_job_without_row(void)
{
    char *argv[] = { "/bin/sh", "-c", "echo 'cannot load x.so, really' >&2; exit 1", NULL };
    hb_job j;
    REQUIRE(hb_job_start(&j, argv, 5) == 0);
    hb_job_wait(&j);
    hb_cell_id id = { "x", "t", 2 };
    char status[64];
    char *row = hb_outcome_row(&j, &id, status, sizeof status);
    CHECK(!strcmp(status, "load-error"));
    CHECK_STR_CONTAINS(row, "x,t,2,load-error,cannot load x.so; really,");
    free(row);
    hb_job_free(&j);
}

static void test_fault_line(void)
{
    hb_fault f;
    CHECK(hb_fault_parse("#HB-FAULT signal=SIGBUS pass=latency op=1234 line=1240", &f) == 0);
    CHECK(!strcmp(f.signal, "SIGBUS") && !strcmp(f.pass, "latency"));
    CHECK(f.op == 1234 && f.line == 1240);
    CHECK(hb_fault_parse("something else", &f) == -1);
}

int main(void)
{
    /* a fresh folder: one named after the pid may be left from a killed run */
    snprintf(dir, sizeof dir, "/tmp/hb-bench-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(config, sizeof config, "%s/bench.yaml", dir);
    snprintf(trace, sizeof trace, "%s/tiny.trace", dir);
    write_trace();
    write_config();
    write_bad_traces_config();
    RUN(test_fault_line);
    RUN(test_job_without_row);
    RUN(test_job_timeout_kills_group);
    RUN(test_bad_config_fails);
    RUN(test_matrix_with_crash_and_hang);
    RUN(test_resume_skips_finished_cells);
    RUN(test_unloadable_traces);
    RUN(test_max_ops_skips_long_traces);
    RUN(test_cli_filters_add_up);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_summary();
}
