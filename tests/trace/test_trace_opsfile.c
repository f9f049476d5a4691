/*
 * The flat op file of `heapbench trace export-ops` and the reference loop
 * that replays it (hb_refloop): every record is the loaded op it stands
 * for; the CLI writes the same bytes; hb_refloop, run on glibc, counts the
 * operations and peak live bytes the loader and the harness count; and a
 * damaged file is refused with its record named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "report/result.h"
#include "report/csvtable.h"
#include "trace/opsfile.h"
#include "trace/trace.h"

#define EVERY_OP HB_SOURCE_DIR "/traces/handmade/every-op.trace"
#define LAB_REP HB_SOURCE_DIR "/traces/handmade/lab-4header.rep"

static char tmp[64], bin_dir[4096];

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = malloc(1 << 20);
    *len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    return buf;
}

/* Runs a shell command; its stdout and stderr in *out; the exit status. */
static int run(const char *cmd, char **out)
{
    char full[8192];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    size_t cap = 1 << 16, len = 0;
    *out = calloc(cap, 1);
    if (!p || !*out)
        return -1;
    len = fread(*out, 1, cap - 1, p);
    (*out)[len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool load(const char *path, hb_trace *t)
{
    hb_trace_load_opts o = { .format = HB_FMT_AUTO };
    hb_diag d = { 0 };
    return hb_trace_load(path, &o, t, &d) == 0;
}

static void export_to(const hb_trace *t, const char *path)
{
    FILE *f = fopen(path, "wb");
    REQUIRE(f != NULL);
    CHECK(hb_opsfile_write(t, f) == 0);
    fclose(f);
}

/* Header and records hold exactly the loaded ops. */
static void test_layout(void)
{
    hb_trace t;
    REQUIRE(load(EVERY_OP, &t));
    char path[128];
    snprintf(path, sizeof path, "%s/every-op.ops", tmp);
    export_to(&t, path);
    size_t len;
    unsigned char *b = slurp(path, &len);
    REQUIRE(b != NULL);
    CHECK_EQ_U(len, HB_OPSFILE_HEADER + t.nops * HB_OPSFILE_RECORD);
    CHECK(!memcmp(b, "HBOPS01", 8));
    CHECK_EQ_U(le(b + 8, 4), 24);
    CHECK_EQ_U(le(b + 12, 4), t.nslots);
    CHECK_EQ_U(le(b + 16, 8), t.nops);
    CHECK_EQ_U(le(b + 24, 8), 5632); /* the trace's own comment says so */
    for (size_t i = 0; i < t.nops; i++) {
        const unsigned char *r = b + HB_OPSFILE_HEADER + i * HB_OPSFILE_RECORD;
        CHECK_EQ_U(le(r, 8), t.ops[i].size);
        CHECK_EQ_U(le(r + 8, 4), t.ops[i].slot);
        CHECK_EQ_U(le(r + 12, 4), t.ops[i].aux);
        CHECK_EQ_U(le(r + 16, 4), t.ops[i].kind);
        CHECK_EQ_U(le(r + 20, 4), 0);
    }
    free(b);
    hb_trace_release(&t);
}

/* The subcommand writes the same bytes; a bad trace is refused. */
static void test_cli_export(void)
{
    char cmd[8192], *out, a[128], b[128];
    snprintf(a, sizeof a, "%s/every-op.ops", tmp);
    snprintf(b, sizeof b, "%s/cli.ops", tmp);
    snprintf(cmd, sizeof cmd, "%s/heapbench trace export-ops %s %s", bin_dir, EVERY_OP, b);
    CHECK_EQ_U(run(cmd, &out), 0);
    free(out);
    size_t la, lb;
    unsigned char *x = slurp(a, &la), *y = slurp(b, &lb);
    REQUIRE(x && y);
    CHECK(la == lb && !memcmp(x, y, la));
    free(x);
    free(y);
    snprintf(cmd, sizeof cmd, "%s/heapbench trace export-ops %s/no-such.trace %s", bin_dir,
             tmp, b);
    CHECK_EQ_U(run(cmd, &out), 1);
    CHECK_STR_CONTAINS(out, "no-such.trace");
    free(out);
}

static const char *field(const hb_csv_table *t, const char *col)
{
    long c = hb_csv_col(t, col);
    return c >= 0 && t->nrows ? t->fields[0][c] : "(none)";
}

/* Reads the CSV printed by a command into t. */
static bool csv_of(const char *cmd, const char *path, hb_csv_table *t)
{
    char full[8192], err[512];
    snprintf(full, sizeof full, "%s > %s", cmd, path);
    return system(full) == 0 && hb_csv_read(path, t, err, sizeof err) == 0;
}

/* hb_refloop on glibc, the loader and the harness agree on what the
 * trace holds: each kind's count, the ops, the peak of live bytes. */
static void check_agreement(const char *trace_path)
{
    hb_trace t;
    REQUIRE(load(trace_path, &t));
    char ops[128], csv[128], cmd[8192];
    snprintf(ops, sizeof ops, "%s/agree.ops", tmp);
    snprintf(csv, sizeof csv, "%s/agree.csv", tmp);
    export_to(&t, ops);
    hb_csv_table ref, hb;
    snprintf(cmd, sizeof cmd, "%s/hb_refloop --csv --passes 3 --min-time 0 glibc %s", bin_dir, ops);
    REQUIRE(csv_of(cmd, csv, &ref));
    snprintf(cmd, sizeof cmd, "%s/heapbench run --csv --csv-header --timing throughput glibc %s",
             bin_dir, trace_path);
    REQUIRE(csv_of(cmd, csv, &hb));
    static const char *const kinds[][2] = { { "malloc", "mallocs" }, { "calloc", "callocs" },
                                            { "realloc", "reallocs" }, { "free", "frees" },
                                            { "aligned", "aligned" } };
    for (int k = 0; k < HB_OP_KINDS; k++) {
        CHECK_EQ_U(strtoull(field(&ref, kinds[k][0]), NULL, 10), t.sum.count[k]);
        CHECK_EQ_U(strtoull(field(&hb, kinds[k][1]), NULL, 10), t.sum.count[k]);
    }
    CHECK_EQ_U(strtoull(field(&ref, "ops"), NULL, 10), t.nops);
    CHECK_EQ_U(strtoull(field(&ref, "passes"), NULL, 10), 3);
    CHECK_EQ_U(strtoull(field(&ref, "failed"), NULL, 10), 0);
    CHECK(strtod(field(&ref, "best_ns_op"), NULL) > 0);
    CHECK_EQ_U(strtoull(field(&ref, "peak_live_bytes"), NULL, 10), t.sum.peak_live_bytes);
    CHECK_EQ_U(strtoull(field(&hb, "peak_live_bytes"), NULL, 10), t.sum.peak_live_bytes);
    hb_csv_table_free(&ref);
    hb_csv_table_free(&hb);
    hb_trace_release(&t);
}

static void test_refloop_agrees(void)
{
    check_agreement(EVERY_OP);
    check_agreement(LAB_REP);
}

/* Writes a copy of the every-op file with one field changed (or cut). */
static void damaged(const char *out, size_t off, uint32_t value, size_t cut)
{
    char in[128];
    snprintf(in, sizeof in, "%s/every-op.ops", tmp);
    size_t len;
    unsigned char *b = slurp(in, &len);
    REQUIRE(b != NULL);
    if (off < len)
        memcpy(b + off, &value, sizeof value);
    FILE *f = fopen(out, "wb");
    REQUIRE(f != NULL);
    fwrite(b, 1, len - cut, f);
    fclose(f);
    free(b);
}

static void expect_refused(size_t off, uint32_t value, size_t cut, const char *msg)
{
    char path[128], cmd[8192], *out;
    snprintf(path, sizeof path, "%s/bad.ops", tmp);
    damaged(path, off, value, cut);
    snprintf(cmd, sizeof cmd, "%s/hb_refloop glibc %s", bin_dir, path);
    CHECK_EQ_U(run(cmd, &out), 1);
    CHECK_STR_CONTAINS(out, path);
    CHECK_STR_CONTAINS(out, msg);
    free(out);
}

static void test_refloop_refuses_damage(void)
{
    const size_t rec2 = HB_OPSFILE_HEADER + 2 * HB_OPSFILE_RECORD;
    expect_refused(rec2 + 8, 999, 0, "record 2: error: slot out of range");
    expect_refused(rec2 + 16, 7, 0, "record 2: error: unknown kind");
    /* record 12 is "m 2 4096 4096", the peak */
    expect_refused(HB_OPSFILE_HEADER + 12 * HB_OPSFILE_RECORD, 4097, 0,
                   "peak live bytes differ from the header");
    expect_refused(0, 0x58585858, 0, "not an op file");
    expect_refused(1 << 30, 0, 5, "file length does not match");
    char cmd[8192], *out;
    snprintf(cmd, sizeof cmd, "%s/hb_refloop no-such-allocator.so %s/every-op.ops", bin_dir, tmp);
    CHECK_EQ_U(run(cmd, &out), 1);
    CHECK_STR_CONTAINS(out, "cannot load allocator 'no-such-allocator.so'");
    free(out);
}

int main(void)
{
    const char *hb = getenv("HB_HEAPBENCH");
    snprintf(bin_dir, sizeof bin_dir, "%s", hb ? hb : HB_BUILD_DIR "/heapbench");
    char *slash = strrchr(bin_dir, '/');
    if (slash)
        *slash = '\0';
    snprintf(tmp, sizeof tmp, "/tmp/hb-opsfile-%ld", (long)getpid());
    if (mkdir(tmp, 0777) != 0) {
        perror(tmp);
        return 1;
    }
    RUN(test_layout);
    RUN(test_cli_export);
    RUN(test_refloop_agrees);
    RUN(test_refloop_refuses_damage);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return check_summary();
}
