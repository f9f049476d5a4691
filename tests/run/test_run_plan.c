/* The plan: cell order, one self-contained command line per cell, shell
 * quoting, filters, optional and required allocators; a line run by itself
 * gives the row bench records even when the allocator crashes or hangs. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "report/result.h"
#include "run/outcome.h"
#include "run/plan.h"
#include "run/runner.h"

static char dir[256];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int load(const char *yaml, hb_config *c)
{
    char err[1024] = "";
    int rc = hb_config_parse("plan.yaml", yaml, strlen(yaml), c, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    return rc;
}

static char *plan_text(const hb_plan *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (size_t i = 0; i < p->ncells; i++) {
        char **argv = hb_plan_argv(p, &p->cells[i]);
        hb_write_shell_line(f, argv);
        hb_argv_free(argv);
    }
    fclose(f);
    return text;
}

static void test_cells_and_lines(void)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "allocators: [mmap, glibc, {name: lab, path: %s/lab_firstfit.so, arena: 1MiB,"
             " options: {k: v}}]\ntraces: ['%s/*.trace']\nrepetitions: 2\ntiming: throughput\n",
             HB_TEST_FIXTURES, dir);
    hb_config c;
    REQUIRE(load(yaml, &c) == 0);
    hb_plan p;
    char err[1024] = "";
    REQUIRE(hb_plan_build(&c, NULL, &p, NULL, err, sizeof err) == 0);
    CHECK_EQ_U(p.traces.n, 2);
    CHECK_EQ_U(p.ncells, 3 * 2 * 2);
    /* repetition, then trace, then allocator */
    CHECK(p.cells[0].rep == 1 && p.cells[0].trace == 0 && p.cells[0].alloc == 0);
    CHECK(p.cells[2].rep == 1 && p.cells[2].trace == 0 && p.cells[2].alloc == 2);
    CHECK(p.cells[3].rep == 1 && p.cells[3].trace == 1 && p.cells[3].alloc == 0);
    CHECK(p.cells[6].rep == 2 && p.cells[6].trace == 0);
    char *text = plan_text(&p);
    char want[1024];
    snprintf(want, sizeof want, " run --csv --isolate --timeout 120s --rep 1 --name mmap "
             "--timing throughput mmap %s/one.trace\n", dir);
    CHECK_STR_CONTAINS(text, want);
    snprintf(want, sizeof want, " run --csv --isolate --timeout 120s --rep 2 --name lab "
             "--arena 1048576 --opts k=v "
             "--timing throughput %s/lab_firstfit.so '%s/two words.trace'\n", HB_TEST_FIXTURES, dir);
    CHECK_STR_CONTAINS(text, want);
    /* every line starts with the absolute path of heapbench */
    size_t lines = 0;
    for (char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL, lines++)
        CHECK(l[0] == '/' && strstr(l, "heapbench run --csv --isolate --timeout 120s ") != NULL);
    CHECK_EQ_U(lines, 12);
    free(text);
    hb_plan_free(&p);
    hb_config_free(&c);
}

static void test_filters(void)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "allocators: [mmap, glibc, buddy]\ntraces: ['%s/*.trace']\n", dir);
    hb_config c;
    REQUIRE(load(yaml, &c) == 0);
    hb_plan p;
    char err[1024] = "";
    hb_plan_filter flt = { "mmap,g*", "one" };
    REQUIRE(hb_plan_build(&c, &flt, &p, NULL, err, sizeof err) == 0);
    CHECK_EQ_U(p.ncells, 2);
    CHECK(!strcmp(hb_cell_trace_name(&p, &p.cells[0]), "one"));
    CHECK(!strcmp(hb_cell_alloc_name(&p, &p.cells[1]), "glibc"));
    hb_plan_free(&p);
    hb_plan_filter none = { NULL, "nothing-matches" };
    CHECK(hb_plan_build(&c, &none, &p, NULL, err, sizeof err) == -1);
    CHECK_STR_CONTAINS(err, "expected the globs to match at least one");
    hb_config_free(&c);
}

static void test_missing_libraries(void)
{
    char yaml[1024], err[1024] = "";
    snprintf(yaml, sizeof yaml, "allocators: [mmap, {name: gone, path: /nonexistent/gone.so}]\n"
             "traces: ['%s/*.trace']\noptional: [gone]\n", dir);
    hb_config c;
    REQUIRE(load(yaml, &c) == 0);
    hb_plan p;
    char *notes = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&notes, &len);
    REQUIRE(hb_plan_build(&c, NULL, &p, f, err, sizeof err) == 0);
    fclose(f);
    CHECK_EQ_U(p.ncells, 2); /* mmap only */
    CHECK_STR_CONTAINS(notes, "skipping gone: /nonexistent/gone.so is not installed (optional)");
    free(notes);
    hb_plan_free(&p);
    hb_config_free(&c);

    snprintf(yaml, sizeof yaml, "allocators: [mmap, {name: gone, path: /nonexistent/gone.so}]\n"
             "traces: ['%s/*.trace']\n", dir);
    REQUIRE(load(yaml, &c) == 0);
    CHECK(hb_plan_build(&c, NULL, &p, NULL, err, sizeof err) == -1);
    CHECK_STR_CONTAINS(err, "plan.yaml:1:");
    CHECK_STR_CONTAINS(err, " error: allocator 'gone'");
    CHECK_STR_CONTAINS(err, "list it under optional:");
    hb_config_free(&c);
}

static void test_shell_quoting(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    char *argv[] = { "/bin/x", "plain-word_1.trace", "it's", "", "a b", NULL };
    hb_write_shell_line(f, argv);
    fclose(f);
    CHECK(!strcmp(text, "/bin/x plain-word_1.trace 'it'\\''s' '' 'a b'\n"));
    free(text);
}

/* Runs a plan line through the shell as a job runner would; its stdout goes
 * to out, its stderr to err, and its exit status (-1 if it did not exit) is
 * returned. */
static int run_line(const char *line, char *out, size_t outlen, char *err, size_t errlen)
{
    char cmd[4096], errfile[300];
    snprintf(errfile, sizeof errfile, "%s/line.err", dir);
    snprintf(cmd, sizeof cmd, "%s 2>'%s'", line, errfile);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    FILE *e = fopen(errfile, "r");
    n = e ? fread(err, 1, errlen - 1, e) : 0;
    err[n] = '\0';
    if (e)
        fclose(e);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The row heapbench bench records for the same cell: the argv run as a job,
 * its end turned into a row; *signaled tells whether the job's own process
 * was killed by a signal (a job is supervised already: --isolate must not
 * start a second child). */
static char *bench_row(const hb_plan *p, const hb_cell *c, bool *signaled)
{
    char **argv = hb_plan_argv(p, c);
    hb_job j;
    if (hb_job_start(&j, argv, p->cfg->timeout_s)) {
        hb_argv_free(argv);
        return NULL;
    }
    hb_job_wait(&j);
    hb_argv_free(argv);
    *signaled = WIFSIGNALED(j.wstatus);
    hb_cell_id id = { hb_cell_alloc_name(p, c), hb_cell_trace_name(p, c), c->rep };
    char status[32];
    char *row = hb_outcome_row(&j, &id, status, sizeof status);
    hb_job_free(&j);
    return row;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* An allocator that crashes at its 100th malloc and one that hangs there:
 * each plan line prints exactly the row bench writes, and exits 0. */
static void test_lines_survive_crash_and_hang(void)
{
    char yaml[1024], path[512];
    snprintf(path, sizeof path, "%s/big.trace", dir);
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    for (int i = 0; i < 150; i++)
        fprintf(f, "a %d 40\n", i);
    fclose(f);
    snprintf(yaml, sizeof yaml,
             "allocators: [{name: crash, path: %s/crash_at_100.so},"
             " {name: hang, path: %s/hang_at_100.so}]\ntraces: ['%s']\ntimeout: 1s\n",
             HB_TEST_FIXTURES, HB_TEST_FIXTURES, path);
    hb_config c;
    REQUIRE(load(yaml, &c) == 0);
    hb_plan p;
    char err[1024] = "";
    REQUIRE(hb_plan_build(&c, NULL, &p, NULL, err, sizeof err) == 0);
    REQUIRE(p.ncells == 2);
    static const char *const want[] = {
        "crash,big,1,crashed,SIGSEGV at op 99 (trace line 100) in the measure pass,",
        "hang,big,1,timeout,after 1 s at op 99 (trace line 100) in the measure pass,",
    };
    for (size_t i = 0; i < 2; i++) {
        char *line = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&line, &len);
        char **argv = hb_plan_argv(&p, &p.cells[i]);
        hb_write_shell_line(m, argv);
        hb_argv_free(argv);
        fclose(m);
        CHECK_STR_CONTAINS(line, " --isolate --timeout 1s ");
        line[strcspn(line, "\n")] = '\0';
        char out[8192], errtext[8192];
        CHECK(run_line(line, out, sizeof out, errtext, sizeof errtext) == 0);
        CHECK(!strncmp(out, want[i], strlen(want[i])));
        CHECK_EQ_U(count_lines(out), 1);
        CHECK_STR_CONTAINS(errtext, "#HB-FAULT signal=");
        bool signaled = false;
        char *row = bench_row(&p, &p.cells[i], &signaled);
        CHECK(signaled);
        CHECK(row && !strcmp(row, out));
        if (row && strcmp(row, out))
            fprintf(stderr, "  bench: %s  line:  %s", row, out);
        free(row);
        free(line);
    }
    hb_plan_free(&p);
    hb_config_free(&c);
}

int main(void)
{
    /* Plan lines start hb_self_exe(), which is this test unless the
     * variable names heapbench (ctest sets it; a run by hand may not). */
    setenv("HB_HEAPBENCH", HB_TEST_FIXTURES "/../../heapbench", 0);
    /* a fresh folder: one named after the pid may be left from a killed run */
    snprintf(dir, sizeof dir, "/tmp/hb-plan-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    char path[512];
    snprintf(path, sizeof path, "%s/one.trace", dir);
    write_file(path, "a 1 8\nf 1\n");
    snprintf(path, sizeof path, "%s/two words.trace", dir);
    write_file(path, "#! name: two\na 1 8\nf 1\n");
    RUN(test_cells_and_lines);
    RUN(test_filters);
    RUN(test_missing_libraries);
    RUN(test_shell_quoting);
    RUN(test_lines_survive_crash_and_hang);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_summary();
}
