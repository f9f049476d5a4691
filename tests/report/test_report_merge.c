/*
 * heapbench merge, report and plotdata end to end: the rows of "plan" lines
 * run through xargs -P2 merge into a run folder whose report has the same
 * tables as the report of a "bench" run of the same matrix (figures aside);
 * rows of another header or version, and a cell given twice, are refused.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char dir[] = "/tmp/hb_merge_test_XXXXXX";

static const char *exe(void)
{
    const char *e = getenv("HB_HEAPBENCH");
    return e && *e ? e : HB_ALLOCATOR_DIR "/../heapbench";
}

/* Runs a shell command with HB standing for the binary and D for the
 * folder; its output in *text (may be NULL); returns the exit status. */
static int sh(const char *fmt, char **text)
{
    char script[4096], cmd[8192];
    snprintf(script, sizeof script, "%s", fmt);
    snprintf(cmd, sizeof cmd, "HB='%s'; D='%s'; %s 2>&1", exe(), dir, script);
    FILE *p = popen(cmd, "r");
    size_t len = 0;
    char *buf = NULL;
    FILE *out = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0)
        fwrite(chunk, 1, n, out);
    fclose(out);
    int status = p ? pclose(p) : -1;
    if (text)
        *text = buf;
    else
        free(buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, out);
    fclose(out);
    fclose(f);
    return buf;
}

/* The report without what differs between two runs of one matrix: the
 * title, the environment, the processor clock's line (which cells it
 * names is a measurement), and every figure (a run of digits, dots, signs
 * and exponents becomes '#', a comma-separated list of them one '#'). */
#define CLOCK_LINE "- **Processor clock**"

static char *shape(const char *md)
{
    char *out = malloc(strlen(md) + 1), *o = out;
    const char *env = strstr(md, "## Environment"), *method = strstr(md, "## Method");
    const char *p = strstr(md, "\n") ? strstr(md, "\n") + 1 : md;
    for (; *p; p++) {
        if (env && p == env && method)
            p = method;
        if (p[-1] == '\n' && !strncmp(p, CLOCK_LINE, strlen(CLOCK_LINE))) {
            o += sprintf(o, "%s#", CLOCK_LINE);
            while (p[1] && p[1] != '\n')
                p++;
            continue;
        }
        if (isdigit((unsigned char)*p)) {
            /* a list of figures counts as one: how many distinct values a
             * column takes is a figure too */
            if (o - out >= 3 && !strncmp(o - 3, "#, ", 3))
                o -= 2;
            else
                *o++ = '#';
            while (isdigit((unsigned char)p[1]) || p[1] == '.' || p[1] == 'e' || p[1] == '-' ||
                   p[1] == '+')
                p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Which allocator wins or ranks where is a figure too: the shape's lines
 * sorted, each winner cell "NAME (#)" as "? (#)". */
static char *sorted_shape(const char *md)
{
    char *s = shape(md), *lines[4096];
    size_t n = 0, len = strlen(s);
    for (char *save, *l = strtok_r(s, "\n", &save); l && n < 4096; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    qsort(lines, n, sizeof *lines, cmp_line);
    char *out = malloc(len + n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        for (const char *c = lines[i]; *c; c++) {
            const char *w = strstr(c, " (#)");
            if (*c == '|' && w && !memchr(c + 1, '|', (size_t)(w - c - 1))) {
                o += sprintf(o, "| ?");
                c = w - 1;
                continue;
            }
            *o++ = *c;
        }
        *o++ = '\n';
    }
    *o = '\0';
    free(s);
    return out;
}

static void write_config(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/bench.yaml", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "allocators: [buddy, segfit]\n"
               "traces:\n  - traces/handmade/*.trace\n  - tests/data/traces/good/metadata.trace\n"
               "repetitions: 2\ntimeout: 60s\n");
    fclose(f);
}

static void test_merge_matches_bench(void)
{
    write_config();
    char *text;
    REQUIRE(sh("\"$HB\" plan --config \"$D/bench.yaml\" --header > \"$D/plan.txt\" && "
               "\"$HB\" env > \"$D/host1.env\" && "
               /* the cells' stderr (a warning of a trace parsed afresh) apart
                * from their rows: sh() sends the command's stderr to stdout */
               "{ grep -v '^#' \"$D/plan.txt\" | xargs -P2 -d '\\n' -I{} sh -c '{}' "
               "> \"$D/rows.csv\" 2> \"$D/rows.err\"; }",
               NULL) == 0);
    char *merged;
    CHECK(sh("\"$HB\" merge --env \"$D/host1.env\" --config \"$D/bench.yaml\" \"$D/merged\" "
             "\"$D/rows.csv\"", &merged) == 0);
    REQUIRE(sh("\"$HB\" bench --config \"$D/bench.yaml\" --out \"$D/bench\" -j 2", NULL) == 0);
    if (sh("\"$HB\" report --baseline buddy \"$D/merged\" && "
           "\"$HB\" report --baseline buddy \"$D/bench/latest\"", &text)) {
        CHECK(!"report failed");
        fprintf(stderr, "merge said:\n%s\nreport said:\n%s\n", merged, text);
        REQUIRE(sh("cat \"$D/rows.csv\" >&2", NULL) == 0);
    }
    free(text);
    free(merged);
    char p1[256], p2[256];
    snprintf(p1, sizeof p1, "%s/merged/report.md", dir);
    snprintf(p2, sizeof p2, "%s/bench/latest/report.md", dir);
    char *a = slurp(p1), *b = slurp(p2), *sa = sorted_shape(a), *sb = sorted_shape(b);
    CHECK_STR_CONTAINS(a, "| buddy |");
    CHECK_STR_CONTAINS(a, "Left out of the rankings and summary chart: `every-op` (fixture)");
    CHECK(strcmp(sa, sb) == 0);
    if (strcmp(sa, sb))
        fprintf(stderr, "--- merged\n%s\n--- bench\n%s\n", sa, sb);
    free(a), free(b), free(sa), free(sb);
}

static void test_merge_refuses(void)
{
    char *text;
    /* A header of other columns. */
    CHECK(sh("printf 'allocator,trace,x\\n' > \"$D/bad.csv\"; \"$HB\" merge --env \"$D/host1.env\" "
             "\"$D/m1\" \"$D/bad.csv\"", &text) == 1);
    CHECK_STR_CONTAINS(text, "bad.csv:1: error: expected the results header of heapbench");
    free(text);
    /* Another version in a host's env. */
    CHECK(sh("sed 's/^heapbench: [^ ]*/heapbench: 0.0.9/' \"$D/host1.env\" > \"$D/old.env\"; "
             "\"$HB\" merge --env \"$D/old.env\" \"$D/m2\" \"$D/rows.csv\"", &text) == 1);
    CHECK_STR_CONTAINS(text, "old.env:");
    CHECK_STR_CONTAINS(text, "got 0.0.9");
    free(text);
    /* The same cell twice, and no env at all. */
    CHECK(sh("\"$HB\" merge --env \"$D/host1.env\" \"$D/m3\" \"$D/rows.csv\" \"$D/rows.csv\"",
             &text) == 1);
    CHECK_STR_CONTAINS(text, "again (first at ");
    free(text);
    CHECK(sh("\"$HB\" merge \"$D/m4\" \"$D/rows.csv\"", &text) == 1);
    CHECK_STR_CONTAINS(text, "no env file");
    free(text);
    CHECK(access("/tmp/hb_merge_never", F_OK) != 0);
}

/* The report names the cells timed at a processor clock far from the
 * run's median, and says so when there are none. */
static void test_clock_caveat(void)
{
    char *text;
    CHECK(sh("cat \"$D/merged/report.md\"", &text) == 0);
    CHECK_STR_CONTAINS(text, CLOCK_LINE " during the timed passes (MHz): ");
    CHECK_STR_CONTAINS(text, "spread of a cell's pass rates (`throughput_cv`): ");
    /* two repetitions: intervals are over them, and no warning */
    CHECK(strstr(text, "With one repetition") == NULL);
    free(text);
    /* one repetition: intervals over a cell's passes do not cover the
     * drift between runs, and the report says so */
    CHECK(sh("rm -rf \"$D/rep1\" && mkdir \"$D/rep1\" && awk -F, 'NR == 1 || $3 == 1' "
             "\"$D/merged/results.csv\" > \"$D/rep1/results.csv\" && "
             "\"$HB\" report --baseline buddy \"$D/rep1\" >/dev/null && cat \"$D/rep1/report.md\"",
             &text) == 0);
    CHECK_STR_CONTAINS(text, "- **Repetitions**: 1 per cell.");
    CHECK_STR_CONTAINS(text, "With one repetition an interval covers what moved during "
                             "the cell's own passes");
    free(text);
    CHECK(sh("rm -rf \"$D/clk\" && mkdir \"$D/clk\" && awk -F, -v OFS=, "
             "'NR == 1 { for (i = 1; i <= NF; i++) if ($i == \"cpu_mhz\") c = i } "
             "NR > 1 && $1 == \"buddy\" && $4 == \"ok\" && !done { $c = 99; done = 1 } { print }' "
             "\"$D/merged/results.csv\" > \"$D/clk/results.csv\" && "
             "\"$HB\" report --baseline buddy \"$D/clk\" >/dev/null && cat \"$D/clk/report.md\"", &text) == 0);
    CHECK_STR_CONTAINS(text, "Cells timed more than 8 % away from the median clock: `buddy` on `");
    CHECK_STR_CONTAINS(text, "(99 MHz)");
    free(text);
}

static void test_plotdata_and_terminal(void)
{
    char *text;
    CHECK(sh("\"$HB\" plotdata --baseline buddy --out-dir \"$D/new/sub\" \"$D/merged\" && "
             "cat \"$D/new/sub/charts.txt\"", &text) == 0);
    CHECK_STR_CONTAINS(text, "bars summary");
    CHECK_STR_CONTAINS(text, "bars utilization-other");
    free(text);
    CHECK(sh("\"$HB\" report --terminal --baseline buddy \"$D/merged\"", &text) == 0);
    CHECK_STR_CONTAINS(text, "relative to buddy");
    CHECK_STR_CONTAINS(text, "segfit");
    free(text);
    CHECK(sh("\"$HB\" report --baseline nosuch \"$D/merged\"", &text) == 1);
    CHECK_STR_CONTAINS(text, "the baseline 'nosuch' has no row");
    free(text);
    CHECK(sh("\"$HB\" report --bogus \"$D/merged\"", NULL) == 2);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(test_merge_matches_bench);
    RUN(test_merge_refuses);
    RUN(test_clock_caveat);
    RUN(test_plotdata_and_terminal);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_summary();
}
