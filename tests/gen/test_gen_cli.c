/* heapbench trace gen: -o, --out-dir up-to-date detection, --force, --sync,
 * exit codes; and every shipped spec in traces/synthetic generates a valid
 * trace of the promised size. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cli/cli.h"
#include "gen_check.h"
#include "trace/trace.h"

static char dir[64];
static char captured[8192];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Runs heapbench trace gen with args, its standard output kept in captured. */
static int gen(int argc, const char **args)
{
    char *argv[16] = { "gen" };
    for (int i = 0; i < argc; i++)
        argv[i + 1] = (char *)args[i];
    char path[300];
    snprintf(path, sizeof path, "%s/stdout.txt", dir);
    fflush(stdout);
    int saved = dup(1), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    close(fd);
    int rc = hb_cmd_trace_gen(argc + 1, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(captured, 1, sizeof captured - 1, f) : 0;
    captured[n] = 0;
    if (f)
        fclose(f);
    return rc;
}

static ino_t inode(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

static const char spec_a[] = "name: a\nseed: 3\nphases:\n"
                             "  - {pattern: queue, ops: 2000, depth: 50, size: 32}\n";

static void test_out_file(void)
{
    char spec[300], out[300];
    snprintf(spec, sizeof spec, "%s/a.yaml", dir);
    snprintf(out, sizeof out, "%s/one.trace", dir);
    write_file(spec, spec_a);
    REQUIRE(gen(3, (const char *[]){ spec, "-o", out }) == 0);
    CHECK_STR_CONTAINS(captured, "generated ");
    CHECK_STR_CONTAINS(captured, "(2000 ops,");
    hb_trace t;
    hb_diag d = { .out = stderr };
    REQUIRE(hb_trace_load(out, &(hb_trace_load_opts){ 0 }, &t, &d) == 0);
    CHECK(!strcmp(t.name, "a"));
    CHECK_STR_CONTAINS(t.source, "generated: ");
    CHECK_STR_CONTAINS(t.source, "a.yaml, seed 3");
    CHECK_EQ_U(t.nops, 2000);
    hb_trace_release(&t);
    char tmpname[300];
    snprintf(tmpname, sizeof tmpname, "%s/.one.trace.tmp.%ld", dir, (long)getpid());
    CHECK(access(tmpname, F_OK) != 0); /* the temporary was renamed */
}

static void test_out_dir_up_to_date_and_regenerate(void)
{
    char spec[300], out[300], outdir[128];
    snprintf(spec, sizeof spec, "%s/a.yaml", dir);
    snprintf(outdir, sizeof outdir, "%s/traces", dir);
    snprintf(out, sizeof out, "%s/a.trace", outdir);
    write_file(spec, spec_a);
    REQUIRE(gen(3, (const char *[]){ "--out-dir", outdir, spec }) == 0);
    CHECK_STR_CONTAINS(captured, "generated ");
    ino_t first = inode(out);
    CHECK(first != 0);

    REQUIRE(gen(3, (const char *[]){ "--out-dir", outdir, spec }) == 0);
    CHECK_STR_CONTAINS(captured, "up to date ");
    CHECK(inode(out) == first); /* not rewritten */

    write_file(spec, "name: a\nseed: 4\nphases:\n"
                     "  - {pattern: queue, ops: 2000, depth: 50, size: 32}\n");
    REQUIRE(gen(3, (const char *[]){ "--out-dir", outdir, spec }) == 0);
    CHECK_STR_CONTAINS(captured, "generated ");
    ino_t second = inode(out);
    CHECK(second != first);

    REQUIRE(gen(4, (const char *[]){ "--out-dir", outdir, "--force", spec }) == 0);
    CHECK_STR_CONTAINS(captured, "generated ");

    REQUIRE(gen(5, (const char *[]){ "--out-dir", outdir, "--seed", "9", spec }) == 0);
    CHECK_STR_CONTAINS(captured, "generated "); /* another seed: another trace */
    REQUIRE(gen(5, (const char *[]){ "--out-dir", outdir, "--seed", "9", spec }) == 0);
    CHECK_STR_CONTAINS(captured, "up to date ");
}

static void test_sync_removes_only_orphaned_generated_traces(void)
{
    char spec[300], outdir[128], orphan[300], hand[300], kept[300];
    snprintf(spec, sizeof spec, "%s/a.yaml", dir);
    snprintf(outdir, sizeof outdir, "%s/traces", dir);
    snprintf(orphan, sizeof orphan, "%s/gone.trace", outdir);
    snprintf(hand, sizeof hand, "%s/hand.trace", outdir);
    snprintf(kept, sizeof kept, "%s/a.trace", outdir);
    mkdir(outdir, 0777);
    write_file(orphan, "#! name: gone\n#! source: generated: gone.yaml, seed 1\na 1 8\n");
    write_file(hand, "#! name: hand\na 1 8\n");
    REQUIRE(gen(4, (const char *[]){ "--out-dir", outdir, "--sync", spec }) == 0);
    CHECK_STR_CONTAINS(captured, "removed ");
    CHECK(access(orphan, F_OK) != 0);
    CHECK(access(hand, F_OK) == 0);
    CHECK(access(kept, F_OK) == 0);
}

static void test_errors_and_usage(void)
{
    char bad[300], outdir[128];
    snprintf(bad, sizeof bad, "%s/bad.yaml", dir);
    snprintf(outdir, sizeof outdir, "%s/traces", dir);
    write_file(bad, "name: b\nseed: 1\nphases:\n  - {pattern: ramp, ops: 10, target: x}\n");
    CHECK(gen(3, (const char *[]){ "--out-dir", outdir, bad }) == 1);
    CHECK(gen(0, (const char *[]){ NULL }) == 2);
    CHECK(gen(1, (const char *[]){ bad }) == 2);                       /* no -o */
    CHECK(gen(3, (const char *[]){ bad, bad, "-o" }) == 2);            /* -o without file */
    CHECK(gen(2, (const char *[]){ "--bogus", bad }) == 2);
    CHECK(gen(4, (const char *[]){ "--seed", "x", bad, "-o" }) == 2);
    CHECK(gen(1, (const char *[]){ "--help" }) == 0);
    CHECK_STR_CONTAINS(captured, "usage: heapbench trace gen");
}

/* The suite's specs: valid traces, 100k to 300k operations, under 256 MiB
 * of peak live memory. */
static void test_shipped_specs(void)
{
    DIR *d = opendir("traces/synthetic");
    REQUIRE(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml"))
            continue;
        char path[512], err[1024];
        snprintf(path, sizeof path, "traces/synthetic/%s", e->d_name);
        hb_spec s;
        hb_gen_text out;
        if (hb_spec_load(path, &s, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            CHECK(0);
            continue;
        }
        REQUIRE(hb_gen_trace(&s, &out, err, sizeof err) == 0);
        gc_trace t;
        bool ok = gc_read(out.text, out.len, &t);
        if (!ok)
            fprintf(stderr, "%s: %s\n", path, t.error);
        CHECK(ok);
        CHECK(out.ops >= 100000 && out.ops <= 300000);
        CHECK(out.peak_live_bytes < (256ULL << 20));
        char want[300];
        snprintf(want, sizeof want, "#! name: %.*s\n", (int)(len - 5), e->d_name);
        CHECK_STR_CONTAINS(out.text, want); /* the file is named after the trace */
        gc_free(&t);
        free(out.text);
        hb_spec_free(&s);
        n++;
    }
    closedir(d);
    CHECK(n >= 10);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/hb-gen-cli-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(test_out_file);
    RUN(test_out_dir_up_to_date_and_regenerate);
    RUN(test_sync_removes_only_orphaned_generated_traces);
    RUN(test_errors_and_usage);
    RUN(test_shipped_specs);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_summary();
}
