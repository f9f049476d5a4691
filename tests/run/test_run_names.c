/* One naming rule: `heapbench run --csv` and `heapbench bench` give a trace
 * the same name in the trace column (its "#! name:", else its file name
 * without trace suffixes), whatever the suffixes and dots of the file. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "trace/name.h"

static char dir[256];

static const char *exe(void)
{
    const char *e = getenv("HB_HEAPBENCH");
    return e && *e ? e : HB_ALLOCATOR_DIR "/../heapbench";
}

static void put(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The files, and the name each must go by. */
static const struct {
    const char *file, *name;
} cases[] = {
    { "perl.1.rep", "perl.1" },
    { "perl.2.rep", "perl.2" },
    { "glibc-2.36.mtrace", "glibc-2.36" },
    { "v1.2.trace", "v1.2" },
    { "named.trace", "a_b" }, /* "#! name: a,b", the comma cleaned as in CSV */
    { "packed.trace.gz", "packed" },
};
#define NCASES (sizeof cases / sizeof cases[0])

static void make_traces(void)
{
    const char *rep = "20\n2\n2\n1\na 0 16\na 1 24\n";
    put("perl.1.rep", rep);
    put("perl.2.rep", rep);
    put("glibc-2.36.mtrace", "= Start\n@ ./p:[0x1] + 0x10 0x20\n@ ./p:[0x1] - 0x10\n= End\n");
    put("v1.2.trace", "a 1 16\nf 1\n");
    put("named.trace", "# comment\n#! name: a,b\na 1 16\nf 1\n");
    put("packed.trace", "a 1 16\nf 1\n");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "gzip -f %s/packed.trace", dir);
    REQUIRE(system(cmd) == 0);
}

/* The second field of each row of a CSV text, after the header. */
static size_t trace_column(const char *csv, char names[][64], size_t max)
{
    size_t n = 0;
    const char *line = strchr(csv, '\n');
    while (line && line[1] && n < max) {
        line++;
        const char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2)
            break;
        snprintf(names[n++], 64, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
        line = strchr(line, '\n');
    }
    return n;
}

static char *slurp_cmd(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    char buf[4096];
    size_t k;
    while (p && (k = fread(buf, 1, sizeof buf, p)) > 0)
        fwrite(buf, 1, k, out);
    fclose(out);
    if (p)
        pclose(p);
    return text;
}

static bool has_name(char names[][64], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return true;
    return false;
}

static void test_run_and_bench_agree(void)
{
    make_traces();
    char cmd[2048], names[16][64];
    for (size_t i = 0; i < NCASES; i++) {
        snprintf(cmd, sizeof cmd, "'%s' run --csv --csv-header mmap %s/%s", exe(), dir,
                 cases[i].file);
        char *out = slurp_cmd(cmd);
        size_t n = trace_column(out, names, 16);
        if (n != 1 || strcmp(names[0], cases[i].name))
            fprintf(stderr, "run %s: got '%s', expected '%s'\n%s", cases[i].file,
                    n ? names[0] : "(no row)", cases[i].name, out);
        CHECK(n == 1 && !strcmp(names[0], cases[i].name));
        free(out);
    }
    snprintf(cmd, sizeof cmd, "%s/bench.yaml", dir);
    FILE *f = fopen(cmd, "w");
    REQUIRE(f != NULL);
    fprintf(f, "allocators: [mmap]\ntraces: ['%s/*']\n", dir);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd %s && '%s' bench --config bench.yaml --out res >/dev/null 2>&1"
             " && cat res/latest/results.csv", dir, exe());
    char *csv = slurp_cmd(cmd);
    size_t n = trace_column(csv, names, 16);
    CHECK_EQ_U(n, NCASES);
    for (size_t i = 0; i < NCASES; i++) {
        if (!has_name(names, n, cases[i].name))
            fprintf(stderr, "bench: no row named '%s'\n%s", cases[i].name, csv);
        CHECK(has_name(names, n, cases[i].name));
    }
    free(csv);
}

/* A trace that does not load is named by the same rule in its row. */
static void test_load_error_row(void)
{
    put("broken.v2.trace", "a 1 16\nzz\n");
    char cmd[1024], names[2][64];
    snprintf(cmd, sizeof cmd, "'%s' run --csv --csv-header mmap %s/broken.v2.trace 2>/dev/null",
             exe(), dir);
    char *out = slurp_cmd(cmd);
    CHECK_STR_CONTAINS(out, ",load-error,");
    CHECK(trace_column(out, names, 2) == 1 && !strcmp(names[0], "broken.v2"));
    free(out);
}

static void test_stems(void)
{
    char out[64];
    hb_trace_stem("x/glibc-2.36.mtrace", HB_FMT_AUTO, out, sizeof out);
    CHECK(!strcmp(out, "glibc-2.36"));
    hb_trace_stem("perl.1.rep", HB_FMT_REP, out, sizeof out);
    CHECK(!strcmp(out, "perl.1"));
    hb_trace_stem("a/b.trace.xz", HB_FMT_NATIVE, out, sizeof out);
    CHECK(!strcmp(out, "b"));
    hb_trace_stem("mtr.log.gz", HB_FMT_MTRACE, out, sizeof out);
    CHECK(!strcmp(out, "mtr"));
    hb_trace_stem(".trace", HB_FMT_NATIVE, out, sizeof out);
    CHECK(!strcmp(out, ".trace"));
    CHECK(hb_is_trace_file("a/x.mtrace.xz") && hb_is_trace_file("x.rep"));
    CHECK(!hb_is_trace_file("x.log") && !hb_is_trace_file("dir.trace/x"));
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/hb-names-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(test_stems);
    RUN(test_run_and_bench_agree);
    RUN(test_load_error_row);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return check_summary();
}
