/*
 * heapbench record end to end: a small program (progs/rec_prog.c, compiled
 * here with cc) runs under $HB_HEAPBENCH record, and the traces it leaves are
 * checked line by line with tracecheck.h.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "recorder/tracecheck.h"

static char dir[] = "/tmp/hbrectest.XXXXXX";
static char prog[512];
static char last_msg[8192];

/* Runs "heapbench record ARGS" with stderr captured in last_msg; returns its
 * exit status. */
static int record(const char *fmt, ...)
{
    char args[2048], cmd[8192], msg_path[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(msg_path, sizeof msg_path, "%s/msg", dir);
    /* absolute, since the command runs in dir */
    char hb[4096];
    if (!realpath(getenv("HB_HEAPBENCH") ? getenv("HB_HEAPBENCH") : "build/heapbench", hb))
        snprintf(hb, sizeof hb, "heapbench-not-found");
    snprintf(cmd, sizeof cmd, "cd %s && '%s' record %s >/dev/null 2>%s", dir, hb, args,
             msg_path);
    int st = system(cmd);
    size_t n = 0;
    FILE *f = fopen(msg_path, "r");
    if (f) {
        n = fread(last_msg, 1, sizeof last_msg - 1, f);
        fclose(f);
    }
    last_msg[n] = '\0';
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Reads DIR/name and checks it; the text stays intact for the caller. */
static char *load(const char *name, tc_result *r)
{
    char path[600];
    size_t len;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = tc_read(path, &len);
    if (!text)
        return NULL;
    char *copy = strdup(text);
    tc_check(copy, r);
    free(copy);
    if (r->errors)
        fprintf(stderr, "%s: %s\n", name, r->first_error);
    return text;
}

static void test_threads_all_records_present(void)
{
    REQUIRE(record("-o t.trace --program-version test -- %s threads 4 20000", prog) == 0);
    tc_result r;
    char *t = load("t.trace", &r);
    REQUIRE(t);
    CHECK_EQ_U(r.errors, 0);             /* no torn or interleaved line */
    CHECK_EQ_U(r.threads, 5);            /* main + 4 workers            */
    CHECK_EQ_U(tc_count(t, "c ", " 3 40"), 4 * 20000);
    CHECK_EQ_U(r.reallocs, 4 * 20000);
    CHECK(tc_count(t, "t ", "") >= 4);
    char ops[64];
    REQUIRE(tc_meta(t, "ops", ops, sizeof ops));
    CHECK_EQ_U(strtoull(ops, NULL, 10), r.ops);
    CHECK(r.ops >= 4 * 20000 * 5);
    /* Both appear only when a release was written after another thread got
     * the same address back: the ordering the recorder must prevent. */
    CHECK(!strstr(t, "# release of an untracked block"));
    CHECK(!strstr(t, "# this address was live"));
    free(t);
}

/* One thread allocates, the other frees: addresses come back to the
 * allocating thread while the freeing one is still in free, so a release
 * written after the real free would name the wrong block. */
static void test_handoff_free_is_written_before_reuse(void)
{
    REQUIRE(record("-o ho.trace --program-version test -- %s handoff 200000", prog) == 0);
    tc_result r;
    char *t = load("ho.trace", &r);
    REQUIRE(t);
    CHECK_EQ_U(r.errors, 0);
    CHECK(!strstr(t, "# release of an untracked block"));
    CHECK(!strstr(t, "# this address was live"));
    CHECK(r.births >= 200000);
    CHECK(r.live_at_end <= 4); /* every handed-off block died by name */
    CHECK_EQ_U(r.threads, 2);
    free(t);
}

static void test_fork_child_gets_own_complete_trace(void)
{
    REQUIRE(record("-o f.trace --program-version test -- %s fork", prog) == 0);
    tc_result p, c;
    char *parent = load("f.trace", &p), *child = load("f.1.trace", &c);
    REQUIRE(parent && child);
    CHECK_EQ_U(p.errors, 0);
    CHECK_EQ_U(c.errors, 0);
    CHECK_EQ_U(tc_count(parent, "a ", " 4444"), 10);
    CHECK_EQ_U(tc_count(parent, "a ", " 12345"), 0);
    CHECK_EQ_U(tc_count(child, "a ", " 12345"), 20);
    /* the inherited block is re-created at the top, then freed by name */
    CHECK_EQ_U(tc_count(child, "a ", " 54321"), 1);
    CHECK_STR_CONTAINS(child, "# inherited ");
    CHECK_STR_CONTAINS(child, "#! name: f.1\n");
    free(parent);
    free(child);
}

static void test_exec_keeps_records_before_exec(void)
{
    REQUIRE(record("-o x.trace --program-version test -- %s exec", prog) == 0);
    tc_result after, before;
    char *a = load("x.trace", &after), *b = load("x.1.trace", &before);
    REQUIRE(a && b);
    CHECK_EQ_U(after.errors + before.errors, 0);
    CHECK_EQ_U(tc_count(a, "a ", " 22222"), 50);   /* OUT: the program run last */
    CHECK_EQ_U(tc_count(b, "a ", " 11111"), 100);  /* the image before exec     */
    free(a);
    free(b);
}

static void test_underscore_exit_loses_nothing(void)
{
    CHECK_EQ_U(record("-o e.trace --program-version test -- %s exit", prog), 1);
    CHECK_STR_CONTAINS(last_msg, "exited with status 3");
    tc_result r;
    char *t = load("e.trace", &r);
    REQUIRE(t);
    CHECK_EQ_U(r.errors, 0);
    CHECK_EQ_U(tc_count(t, "a ", " 33333"), 50);
    free(t);
}

static void test_program_closing_all_descriptors(void)
{
    REQUIRE(record("-o cf.trace --program-version test -- %s closefds own.txt", prog) == 0);
    tc_result r;
    char *t = load("cf.trace", &r);
    REQUIRE(t);
    CHECK_EQ_U(r.errors, 0);
    CHECK_EQ_U(tc_count(t, "a ", " 4321"), 100000); /* beyond the first growth step */
    free(t);
}

static void test_edge_cases_as_the_format_says(void)
{
    REQUIRE(record("-o g.trace --program-version test -- %s edges", prog) == 0);
    tc_result r;
    char *t = load("g.trace", &r);
    REQUIRE(t);
    CHECK_EQ_U(r.errors, 0);
    CHECK(tc_count(t, "f -", "") >= 1);
    CHECK_EQ_U(r.realloc0, 1);                       /* realloc(p, 0) -> r ID 0 */
    CHECK_EQ_U(tc_count(t, "a ", " 888"), 1);        /* realloc(NULL, 888)      */
    CHECK_EQ_U(tc_count(t, "m ", " 64 1000"), 1);
    CHECK_EQ_U(tc_count(t, "m ", " 256 512"), 1);
    CHECK_EQ_U(tc_count(t, "m ", " 128 100"), 1);
    CHECK_EQ_U(tc_count(t, "m ", " 4096 5000"), 1);  /* valloc                  */
    CHECK_EQ_U(tc_count(t, "c ", " 7 9"), 1);
    CHECK_EQ_U(tc_count(t, "a ", " 66"), 1);         /* reallocarray(NULL, 6, 11) */
    CHECK_EQ_U(tc_count(t, "# failed: malloc(", ")"), 1);
    free(t);
}

static void test_destructor_after_main_is_recorded(void)
{
    REQUIRE(record("-o d.trace --program-version test -- %s atexit", prog) == 0);
    tc_result r;
    char *t = load("d.trace", &r);
    REQUIRE(t);
    CHECK_EQ_U(r.errors, 0);
    CHECK_EQ_U(tc_count(t, "a ", " 66666"), 1);
    CHECK_EQ_U(r.live_at_end, 0);
    free(t);
}

static void test_metadata_header(void)
{
    REQUIRE(record("-o h.trace --name my-name --description 'one line' --program-version 9.9 "
                   "-- %s mark", prog) == 0);
    tc_result r;
    char *t = load("h.trace", &r);
    REQUIRE(t);
    char v[1024];
    CHECK(!strncmp(t, "#! name: my-name\n", 17));
    CHECK(tc_meta(t, "description", v, sizeof v) && !strcmp(v, "one line"));
    REQUIRE(tc_meta(t, "source", v, sizeof v));
    CHECK_STR_CONTAINS(v, "recorded: rec_prog 9.9, command \"");
    CHECK_STR_CONTAINS(v, "rec_prog mark\", 2");     /* then the date */
    CHECK(tc_meta(t, "ops", v, sizeof v) && strtoull(v, NULL, 10) == r.ops);
    CHECK(tc_meta(t, "threads", v, sizeof v) && !strcmp(v, "1"));
    free(t);
}

static void test_xz_output(void)
{
    REQUIRE(record("-o z.trace.xz --main-only --program-version test -- %s fork", prog) == 0);
    tc_result r;
    char *t = load("z.trace.xz", &r);
    REQUIRE(t);
    CHECK_EQ_U(r.errors, 0);
    CHECK_STR_CONTAINS(t, "#! name: z\n");
    CHECK_EQ_U(tc_count(t, "a ", " 4444"), 10);
    char other[600];
    snprintf(other, sizeof other, "%s/z.1.trace.xz", dir);
    CHECK(access(other, F_OK) != 0);                 /* --main-only */
    free(t);
}

/* Lines in a file; 0 if it does not exist. */
static unsigned lines_in(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned n = 0;
    for (int c; f && (c = fgetc(f)) != EOF;)
        n += c == '\n';
    if (f)
        fclose(f);
    return n;
}

/* The recorded program may have side effects, so by default it runs once:
 * its version comes from dpkg, which knows nothing of a program built here. */
static void test_program_runs_once(void)
{
    char marker[600], v[1024];
    snprintf(marker, sizeof marker, "%s/runs.txt", dir);
    setenv("REC_PROG_MARKER", marker, 1);
    REQUIRE(record("-o once.trace -- %s mark", prog) == 0);
    CHECK_EQ_U(lines_in(marker), 1);
    tc_result r;
    char *t = load("once.trace", &r);
    REQUIRE(t);
    CHECK(tc_meta(t, "source", v, sizeof v));
    CHECK_STR_CONTAINS(v, "recorded: rec_prog unknown, command \"");
    free(t);

    /* asked for, `PROGRAM --version` is a second run */
    remove(marker);
    REQUIRE(record("-o probed.trace --probe-version -- %s mark", prog) == 0);
    CHECK_EQ_U(lines_in(marker), 2);
    t = load("probed.trace", &r);
    REQUIRE(t);
    CHECK(tc_meta(t, "source", v, sizeof v));
    CHECK_STR_CONTAINS(v, "recorded: rec_prog rec_prog 1.2.3, command \"");
    free(t);
    unsetenv("REC_PROG_MARKER");
}

/* The first line of a shell command's output, or "" (trailing newline cut). */
static void first_output_line(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    out[0] = '\0';
    if (p && fgets(out, (int)cap, p))
        out[strcspn(out, "\n")] = '\0';
    if (p)
        pclose(p);
}

/* A program dpkg installed is named by its package and version.  /bin/ls is
 * /usr/bin/ls where /usr is merged, while dpkg may know either name. */
static void test_version_from_dpkg(void)
{
    char owner[512], pkg[256], version[256], want[600], v[1024];
    first_output_line("dpkg-query -S /bin/ls /usr/bin/ls 2>/dev/null", owner, sizeof owner);
    if (sscanf(owner, "%255[^:,]", pkg) != 1) {
        fprintf(stderr, "dpkg does not know /bin/ls here: nothing to check\n");
        return;
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "dpkg-query -W -f='${Version}' %s", pkg);
    first_output_line(cmd, version, sizeof version);
    REQUIRE(record("-o ls.trace --main-only -- /bin/ls -l /") == 0);
    tc_result r;
    char *t = load("ls.trace", &r);
    REQUIRE(t);
    CHECK_EQ_U(r.errors, 0);
    CHECK(tc_meta(t, "source", v, sizeof v));
    snprintf(want, sizeof want, "recorded: ls (Debian package %s %s), command \"/bin/ls -l /\"",
             pkg, version);
    CHECK_STR_CONTAINS(v, want);
    free(t);
}

static void test_usage_errors(void)
{
    CHECK_EQ_U(record("-- %s mark", prog), 2);
    CHECK_STR_CONTAINS(last_msg, "expected -o");
    CHECK_EQ_U(record("-o u.trace"), 2);
    CHECK_STR_CONTAINS(last_msg, "expected a command");
    CHECK_EQ_U(record("-o u.trace -- ./no-such-program"), 1);
    CHECK_STR_CONTAINS(last_msg, "cannot run './no-such-program'");
    CHECK_EQ_U(record("-o u.trace --process nothing-like-this -- %s mark", prog), 1);
    CHECK_STR_CONTAINS(last_msg, "processes recorded: rec_prog(");
}

static int build_prog(void)
{
    char src[512], cmd[2048], here[512];
    snprintf(here, sizeof here, "%s", __FILE__);
    snprintf(src, sizeof src, "%s/progs/rec_prog.c", dirname(here));
    snprintf(prog, sizeof prog, "%s/rec_prog", dir);
    snprintf(cmd, sizeof cmd, "cc -O0 -pthread -o %s %s", prog, src);
    return system(cmd);
}

int main(void)
{
    if (!mkdtemp(dir) || build_prog() != 0) {
        fprintf(stderr, "cannot build the test program in %s\n", dir);
        return 1;
    }
    RUN(test_threads_all_records_present);
    RUN(test_handoff_free_is_written_before_reuse);
    RUN(test_fork_child_gets_own_complete_trace);
    RUN(test_exec_keeps_records_before_exec);
    RUN(test_underscore_exit_loses_nothing);
    RUN(test_program_closing_all_descriptors);
    RUN(test_edge_cases_as_the_format_says);
    RUN(test_destructor_after_main_is_recorded);
    RUN(test_metadata_header);
    RUN(test_xz_output);
    RUN(test_program_runs_once);
    RUN(test_version_from_dpkg);
    RUN(test_usage_errors);
    int rc = check_summary();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (rc == 0 && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return rc;
}
