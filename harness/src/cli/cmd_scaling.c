/*
 * heapbench scaling [--libs a,b,...] [--sizes 1000,1000000] [--ops N]
 *
 * Per-operation cost of each allocator against the number of live blocks
 * (bench/scaling.h).  Prints one row per allocator: mean ns per
 * replacement at each N, the ratio largest N / smallest N, the growth in
 * cache-miss equivalents, and a verdict against the cost the allocator's
 * README promises (bench/judge.h says why the raw ratio alone cannot
 * judge).  Exit status 1 when an allocator promising O(1) or O(log n) is
 * out of class, or a cell fails; 2 on bad arguments.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/judge.h"
#include "bench/scaling.h"
#include "cli/cli.h"

#define HB_STR_(x) #x
#define HB_STR(x) HB_STR_(x)
#define MAX_SIZES 16
#define MAX_LIBS 32
#define CELL_BUDGET_S 10.0 /* no cell is started that is predicted to take longer */

static const char *const default_libs[] = { "buddy", "pow2",     "firstfit", "bestfit",
                                            "segfit", "pagemeta", "nova" };

typedef struct opts {
    const char *libs;
    size_t sizes[MAX_SIZES];
    size_t nsizes;
    uint64_t ops;
} opts;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: heapbench scaling [--libs a,b,...] [--sizes N,N,...] [--ops K]\n"
            "  --libs   allocator names (looked up in <dir of heapbench>/allocators/) or\n"
            "           paths to .so files; default: every suite allocator that is built\n"
            "  --sizes  live-block counts, ascending (default 1000,10000,100000,1000000)\n"
            "  --ops    timed replacements per cell (default 200000)\n");
}

/* ---- arguments ------------------------------------------------------------- */

static bool is_key(const char *arg, size_t klen, const char *key)
{
    return klen == strlen(key) && !strncmp(arg, key, klen);
}

static bool parse_count(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno || !v || s[0] == '-')
        return false;
    *out = v;
    return true;
}

static bool parse_sizes(const char *s, opts *o)
{
    char buf[256];
    if (strlen(s) >= sizeof buf)
        return false;
    strcpy(buf, s);
    o->nsizes = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        uint64_t v;
        if (o->nsizes == MAX_SIZES || !parse_count(tok, &v) || v > (1u << 30) ||
            (o->nsizes && v <= o->sizes[o->nsizes - 1]))
            return false;
        o->sizes[o->nsizes++] = (size_t)v;
    }
    return o->nsizes > 0;
}

/* Returns 0, or 2 after printing what was expected. */
static int parse_args(int argc, char **argv, opts *o)
{
    *o = (opts){ .sizes = { 1000, 10000, 100000, 1000000 }, .nsizes = 4, .ops = 200000 };
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *eq = strchr(arg, '=');
        size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
        const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
        bool known = is_key(arg, klen, "--libs") || is_key(arg, klen, "--sizes") ||
                     is_key(arg, klen, "--ops");
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return -1;
        }
        if (!known) {
            fprintf(stderr, "heapbench scaling: unknown argument '%s'\n", arg);
            usage(stderr);
            return 2;
        }
        if (!val) {
            fprintf(stderr, "heapbench scaling: %.*s expects a value\n", (int)klen, arg);
            return 2;
        }
        if (!eq)
            i++;
        if (is_key(arg, klen, "--libs")) {
            o->libs = val;
        } else if (is_key(arg, klen, "--sizes") ? !parse_sizes(val, o)
                                                : !parse_count(val, &o->ops) ||
                                                      o->ops < HB_SCALING_SEGMENTS) {
            fprintf(stderr, "heapbench scaling: %.*s: expected %s, got '%s'\n", (int)klen, arg,
                    arg[2] == 's' ? "ascending positive counts up to 2^30 separated by commas"
                                  : "a count of at least " HB_STR(HB_SCALING_SEGMENTS), val);
            return 2;
        }
    }
    return 0;
}

/* ---- libraries --------------------------------------------------------------- */

/* <directory of this executable>/allocators */
static bool allocator_dir(char *dir, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    return snprintf(dir, len, "%s/allocators", exe) < (int)len;
}

/* A name becomes <dir>/<name>.so; anything with a '/' is a path. */
static void lib_path(const char *dir, const char *spec, char *path, size_t len)
{
    if (strchr(spec, '/'))
        snprintf(path, len, "%s", spec);
    else
        snprintf(path, len, "%s/%s.so", dir, spec);
}

/* Fills paths from --libs, or with the default allocators that exist.
 * Returns how many, or SIZE_MAX when --libs names more than max. */
static size_t collect_libs(const opts *o, char paths[][PATH_MAX + 64], size_t max)
{
    char dir[PATH_MAX];
    size_t n = 0;
    if (!allocator_dir(dir, sizeof dir))
        snprintf(dir, sizeof dir, "allocators");
    if (!o->libs) {
        for (size_t i = 0; i < sizeof default_libs / sizeof *default_libs; i++) {
            lib_path(dir, default_libs[i], paths[n], sizeof paths[n]);
            if (access(paths[n], R_OK) == 0)
                n++;
        }
        return n;
    }
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", o->libs);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (n == max)
            return SIZE_MAX; /* more than the table holds */
        lib_path(dir, tok, paths[n++], sizeof paths[0]);
    }
    return n;
}

/* ---- running and printing ---------------------------------------------------- */

static void print_header(const opts *o)
{
    printf("heapbench scaling: mean ns per replacement (free a random live block + malloc\n"
           "16..256 B in its place), %llu timed replacements per cell, ratio = N=%zu / N=%zu\n\n",
           (unsigned long long)o->ops, o->sizes[o->nsizes - 1], o->sizes[0]);
    printf("%-10s %-9s", "allocator", "promise");
    for (size_t i = 0; i < o->nsizes; i++) {
        char col[32];
        snprintf(col, sizeof col, "N=%zu", o->sizes[i]);
        printf(" %10s", col);
    }
    printf(" %7s %7s  %s\n", "ratio", "misses", "verdict");
}

/* A cell is not started when its predicted wall time exceeds the budget:
 * the last cell's time, scaled by the growth of N (the fill is linear in
 * N, and for an O(free blocks) allocator so is each operation). */
static bool over_budget(const hb_scaling_cell *last, size_t next_n)
{
    double r = (double)next_n / (double)last->n;
    return (last->setup_s + last->loop_s) * r > CELL_BUDGET_S;
}

/* Measures one row (baseline when lib is NULL).  Returns the number of
 * cells measured; a failure message goes into err. */
static size_t run_row(const opts *o, const hb_allocator *a, hb_scaling_cell *cells, char *err,
                      size_t errlen, size_t *capped_at)
{
    size_t done = 0;
    *capped_at = 0;
    err[0] = '\0';
    for (size_t i = 0; i < o->nsizes; i++) {
        if (done && over_budget(&cells[done - 1], o->sizes[i])) {
            *capped_at = o->sizes[i];
            break;
        }
        bool ok = a ? hb_scaling_measure(a, o->sizes[i], o->ops, &cells[i], err, errlen)
                    : hb_scaling_baseline(o->sizes[i], o->ops, &cells[i], err, errlen);
        if (!ok)
            break;
        done++;
    }
    return done;
}

static void print_cells(const opts *o, const hb_scaling_cell *cells, size_t done, size_t capped_at)
{
    for (size_t i = 0; i < o->nsizes; i++) {
        if (i < done)
            printf(" %10.1f", cells[i].ns_per_op);
        else
            printf(" %10s", capped_at ? "capped" : "failed");
    }
}

static const char *verdict_text(const hb_scaling_claim *c, const hb_scaling_verdict *v)
{
    if (!c)
        return "no promise known";
    if (c->cls == HB_COST_LINEAR)
        return "O(free blocks), growth expected";
    if (!v->judged)
        return "not judged: fewer than two sizes measured";
    if (v->out_of_class)
        return "OUT OF CLASS";
    return v->ratio > HB_SCALING_RATIO_LIMIT ? "in class (growth within cache misses)" : "in class";
}

/* Prints one allocator's row; returns true when it failed or broke its
 * promise. */
static bool print_row(const char *name, const opts *o, const hb_scaling_cell *cells, size_t done,
                      size_t capped_at, const char *err, const hb_scaling_cell *loop,
                      size_t loop_done)
{
    const hb_scaling_claim *c = hb_scaling_claim_of(name);
    hb_scaling_verdict v = hb_scaling_judge(c, cells, done, loop, loop_done);
    printf("%-10s %-9s", name, c ? c->cost : "-");
    print_cells(o, cells, done, capped_at);
    if (v.judged)
        printf(" %7.2f %7.1f  ", v.ratio, v.misses);
    else
        printf(" %7s %7s  ", "-", "-");
    printf("%s", err[0] ? "FAILED: " : verdict_text(c, &v));
    printf("%s", err);
    if (capped_at)
        printf(" [N>=%zu skipped: predicted over %.0f s]", capped_at, CELL_BUDGET_S);
    printf("\n");
    fflush(stdout);
    return v.out_of_class || err[0];
}

static void print_loop_row(const opts *o, const hb_scaling_cell *loop, size_t done, const char *err)
{
    printf("%-10s %-9s", "(loop)", "-");
    print_cells(o, loop, done, 0);
    printf(" %7s %7s  %s%s\n", "-", "-", err[0] ? "FAILED: " : "the loop without allocator calls",
           err);
}

static void print_legend(void)
{
    printf("\nratio: ns at the largest N / ns at the smallest.  misses: the allocator's own\n"
           "growth (its ns minus the loop's) in units of the loop's growth, i.e. of one\n"
           "extra random memory access.  OUT OF CLASS: ratio > %.1f and more growth than\n"
           "16 misses (O(1)) or 2*log2(N) misses (O(log n)) explain.\n",
           HB_SCALING_RATIO_LIMIT);
}

int hb_cmd_scaling(int argc, char **argv)
{
    opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    static char paths[MAX_LIBS][PATH_MAX + 64];
    size_t nlibs = collect_libs(&o, paths, MAX_LIBS);
    if (nlibs == SIZE_MAX) {
        fprintf(stderr, "heapbench scaling: --libs: expected at most %d libraries\n", MAX_LIBS);
        return 2;
    }
    if (!nlibs) {
        fprintf(stderr, "heapbench scaling: no allocator library found (give --libs)\n");
        return 1;
    }
    hb_scaling_cell loop[MAX_SIZES], cells[MAX_SIZES];
    char err[256];
    size_t capped;
    bool bad = false;
    print_header(&o);
    size_t loop_done = run_row(&o, NULL, loop, err, sizeof err, &capped);
    print_loop_row(&o, loop, loop_done, err);
    for (size_t i = 0; i < nlibs; i++) {
        hb_native_lib lib;
        if (!hb_native_open(&lib, paths[i], err, sizeof err)) {
            const char *base = strrchr(paths[i], '/');
            printf("%-10s FAILED: %s\n", base ? base + 1 : paths[i], err);
            bad = true;
            continue;
        }
        size_t done = run_row(&o, lib.api, cells, err, sizeof err, &capped);
        bad |= print_row(lib.name, &o, cells, done, capped, err, loop, loop_done);
        hb_native_close(&lib);
    }
    print_legend();
    return bad ? 1 : 0;
}
