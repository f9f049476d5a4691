/*
 * heapbench scaling [--libs a,b,...] [--sizes 1000,1000000] [--ops N]
 *                   [--pattern fifo|random|both] [--trials T]
 *
 * Per-operation cost of each allocator against the number of live blocks
 * (bench/scaling.h), under two access patterns, one table each:
 *   fifo    the oldest live block is replaced; the verdict applies the
 *           requirement literally (ratio of the largest N to the smallest
 *           at most 2.0 for O(1) and O(log n) promises);
 *   random  a random live block is replaced; the verdict counts growth in
 *           cache-miss equivalents (bench/judge.h says why).
 * Every row is measured in T trials (default 3), the trials interleaved
 * across the allocators, and each cell reports its fastest trial: a burst
 * of load from elsewhere on the machine then has to hit the same cell in
 * every trial to move a verdict.
 * Exit status 1 when an allocator promising O(1) or O(log n) is out of
 * class in either table, or a cell fails; 2 on bad arguments.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scaling/judge.h"
#include "scaling/native.h"
#include "scaling/scaling.h"
#include "scaling/sweep.h"
#include "cli/cli.h"
#include "load/suite.h"

#define HB_STR_(x) #x
#define HB_STR(x) HB_STR_(x)
#define MAX_SIZES HB_SWEEP_MAX_SIZES
#define MAX_LIBS 32
#define MAX_TRIALS 20

typedef struct opts {
    const char *libs;
    size_t sizes[MAX_SIZES];
    size_t nsizes;
    uint64_t ops;
    uint64_t trials;
    bool fifo, random; /* the tables to print */
} opts;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: heapbench scaling [--libs a,b,...] [--sizes N,N,...] [--ops K]\n"
            "                         [--pattern fifo|random|both] [--trials T]\n"
            "  --libs     allocator names (looked up in <dir of heapbench>/allocators/) or\n"
            "             paths to .so files; default: every suite allocator that is built\n"
            "  --sizes    live-block counts, ascending (default 1000,10000,100000,1000000)\n"
            "  --ops      timed replacements per cell (default 200000)\n"
            "  --pattern  which live block each replacement frees: the oldest (fifo),\n"
            "             a random one (random), or one table of each (both, default)\n"
            "  --trials   measure every row T times, interleaved, and keep each cell's\n"
            "             fastest trial (default 3, at most " HB_STR(MAX_TRIALS) ")\n");
}

/* ---- arguments ------------------------------------------------------------- */

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

static bool parse_pattern(const char *s, opts *o)
{
    bool both = !strcmp(s, "both");
    o->fifo = both || !strcmp(s, "fifo");
    o->random = both || !strcmp(s, "random");
    return o->fifo || o->random;
}

/* Applies one option's value; false with what was expected in *want. */
static bool apply(opts *o, int key, const char *val, const char **want)
{
    switch (key) {
    case 'l': o->libs = val; return true;
    case 's':
        *want = "ascending positive counts up to 2^30 separated by commas";
        return parse_sizes(val, o);
    case 'p':
        *want = "fifo, random or both";
        return parse_pattern(val, o);
    case 't':
        *want = "a count from 1 to " HB_STR(MAX_TRIALS);
        return parse_count(val, &o->trials) && o->trials <= MAX_TRIALS;
    default: /* 'o' */
        *want = "a count of at least " HB_STR(HB_SCALING_SEGMENTS);
        return parse_count(val, &o->ops) && o->ops >= HB_SCALING_SEGMENTS;
    }
}

static const struct option longopts[] = {
    { "libs", required_argument, NULL, 'l' },   { "sizes", required_argument, NULL, 's' },
    { "ops", required_argument, NULL, 'o' },    { "pattern", required_argument, NULL, 'p' },
    { "trials", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
    { 0, 0, 0, 0 },
};

/* Returns 0, -1 after --help, or 2 after printing what was expected. */
static int parse_args(int argc, char **argv, opts *o)
{
    *o = (opts){ .sizes = { 1000, 10000, 100000, 1000000 }, .nsizes = 4, .ops = 200000,
                 .trials = 3, .fifo = true, .random = true };
    int c, li = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+h", longopts, &li)) != -1) {
        const char *want = "";
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == '?') {
            usage(stderr);
            return 2;
        }
        if (!apply(o, c, optarg, &want)) {
            fprintf(stderr, "heapbench scaling: --%s: expected %s, got '%s'\n",
                    longopts[li].name, want, optarg);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "heapbench scaling: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return 0;
}

/* ---- libraries --------------------------------------------------------------- */

/* Anything with a '/' is a path; a name is allocators/NAME.so, found where
 * the loader finds the suite's libraries. */
static void lib_path(const char *spec, char *path, size_t len)
{
    if (strchr(spec, '/'))
        snprintf(path, len, "%s", spec);
    else
        hb_suite_path(spec, path, len);
}

/* Fills paths from --libs, or with the suite allocators that are built.
 * Returns how many, or SIZE_MAX when --libs names more than max. */
static size_t collect_libs(const opts *o, char paths[][PATH_MAX + 64], size_t max)
{
    size_t n = 0;
    if (!o->libs) {
        for (const hb_suite_alloc *s = hb_suite; s->name && n < max; s++)
            if (s->cls != HB_COST_UNKNOWN) /* null promises nothing to judge */
                n += hb_suite_path(s->name, paths[n], sizeof paths[n]);
        return n;
    }
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", o->libs);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (n == max)
            return SIZE_MAX; /* more than the table holds */
        lib_path(tok, paths[n++], sizeof paths[0]);
    }
    return n;
}

/* ---- printing ------------------------------------------------------------------ */

static const char *const fifo_intro =
    "Each replacement frees the OLDEST live block (the N blocks form a ring in\n"
    "allocation order) and mallocs 16..256 B in its place.  As a program does,\n"
    "the loop reads the object before freeing it and writes the new one; the\n"
    "figure is the time inside the free and malloc calls alone (TSC ticks less\n"
    "the clock's own cost).  Rule (the requirement, literally): an allocator\n"
    "promising O(1) or O(log n) is OUT OF CLASS when\n"
    "ratio = ns(largest N) / ns(smallest N) > %.1f.\n";

static const char *const random_intro =
    "Each replacement frees a RANDOM live block: the same question under\n"
    "cache-hostile access, timed the same way.  At large N the allocator's own\n"
    "metadata misses the caches on every step (as the program's objects do: the\n"
    "loop row, wall time without allocator calls, grows by an order of\n"
    "magnitude), so the ratio grows for any allocator.  Rule: OUT OF CLASS when\n"
    "ratio > %.1f AND the allocator's\n"
    "own growth (its ns minus the loop's) exceeds 16 misses for O(1) or\n"
    "2*log2(N) misses for O(log n), one miss being the loop's growth.\n";

static void print_header(const opts *o, hb_scaling_pattern pat)
{
    bool fifo = pat == HB_PATTERN_FIFO;
    printf("== %s pattern: mean ns per replacement (one free + one malloc), %llu timed\n"
           "   per cell, median of %d segments, fastest of %llu trials ==\n",
           hb_scaling_pattern_name(pat), (unsigned long long)o->ops, HB_SCALING_SEGMENTS,
           (unsigned long long)o->trials);
    printf(fifo ? fifo_intro : random_intro, HB_SCALING_RATIO_LIMIT);
    printf("\n%-10s %-9s", "allocator", "promise");
    for (size_t i = 0; i < o->nsizes; i++) {
        char col[32];
        snprintf(col, sizeof col, "N=%zu", o->sizes[i]);
        printf(" %10s", col);
    }
    printf(" %7s %6s", "ratio", "N^k");
    if (!fifo)
        printf(" %7s", "misses");
    printf("  verdict\n");
}

static void print_cells(const opts *o, const hb_sweep_row *r)
{
    for (size_t i = 0; i < o->nsizes; i++) {
        if (i < r->done && r->cells[i].ops < o->ops)
            printf(" %9.1f*", r->cells[i].ns_per_op);
        else if (i < r->done)
            printf(" %10.1f", r->cells[i].ns_per_op);
        else
            printf(" %10s", r->capped_at ? "capped" : "failed");
    }
}

static void print_growth(hb_scaling_pattern pat, const hb_scaling_verdict *v)
{
    if (v->judged)
        printf(" %7.2f %6.2f", v->ratio, v->exponent);
    else
        printf(" %7s %6s", "-", "-");
    if (pat == HB_PATTERN_RANDOM && v->judged)
        printf(" %7.1f", v->misses);
    else if (pat == HB_PATTERN_RANDOM)
        printf(" %7s", "-");
}

/* Prints one allocator's row; returns true when it failed or broke its
 * promise. */
static bool print_row(const opts *o, hb_scaling_pattern pat, const char *name,
                      const hb_sweep_row *r, const hb_sweep_row *loop)
{
    const hb_scaling_claim *c = hb_scaling_claim_of(name);
    hb_scaling_verdict v = pat == HB_PATTERN_FIFO
                               ? hb_scaling_judge_ratio(c, r->cells, r->done)
                               : hb_scaling_judge_misses(c, r->cells, r->done, loop->cells,
                                                         loop->done);
    printf("%-10s %-9s", name, c ? c->cost : "-");
    print_cells(o, r);
    print_growth(pat, &v);
    printf("  %s%s", r->err[0] ? "FAILED: " : hb_scaling_verdict_text(c, &v), r->err);
    if (v.judged && v.n_max != o->sizes[o->nsizes - 1])
        printf(" [ratio over N=%zu..%zu]", v.n_min, v.n_max);
    if (r->capped_at)
        printf(" [N>=%zu skipped: predicted over %.0f s]", r->capped_at, HB_SWEEP_CELL_S);
    printf("\n");
    fflush(stdout);
    return v.out_of_class || r->err[0];
}

static void print_loop_row(const opts *o, hb_scaling_pattern pat, const hb_sweep_row *loop)
{
    printf("%-10s %-9s", "(loop)", "-");
    print_cells(o, loop);
    printf(" %7s %6s%s  %s%s\n", "-", "-", pat == HB_PATTERN_RANDOM ? "       -" : "",
           loop->err[0] ? "FAILED: " : "wall time of the loop without allocator calls", loop->err);
}

/* The library behind each row of a table, opened once for all trials. */
typedef struct table_lib {
    hb_native_lib lib;
    bool open;
    hb_sweep_row best;
} table_lib;

/* Measures and prints one table; returns true when a row failed or an
 * allocator is out of class.  Trials run the loop row and every library
 * in turn, so a slow spell of the machine falls on different cells in
 * different trials. */
static bool run_table(const opts *o, hb_scaling_pattern pat, char paths[][PATH_MAX + 64],
                      size_t nlibs)
{
    static hb_sweep_row loop, r;
    static table_lib libs[MAX_LIBS];
    bool bad = false;
    for (size_t i = 0; i < nlibs; i++)
        libs[i].open = hb_native_open(&libs[i].lib, paths[i], libs[i].best.err,
                                      sizeof libs[i].best.err);
    for (uint64_t t = 0; t < o->trials; t++) {
        fprintf(stderr, "scaling: %s pattern, trial %llu of %llu\n",
                hb_scaling_pattern_name(pat), (unsigned long long)t + 1,
                (unsigned long long)o->trials);
        hb_sweep_run(&r, NULL, pat, o->sizes, o->nsizes, o->ops);
        hb_sweep_keep_best(&loop, &r, t == 0);
        for (size_t i = 0; i < nlibs; i++) {
            if (!libs[i].open)
                continue;
            hb_sweep_run_isolated(&r, libs[i].lib.api, pat, o->sizes, o->nsizes, o->ops);
            hb_sweep_keep_best(&libs[i].best, &r, t == 0);
        }
    }
    print_header(o, pat);
    print_loop_row(o, pat, &loop);
    for (size_t i = 0; i < nlibs; i++) {
        if (!libs[i].open) {
            const char *base = strrchr(paths[i], '/');
            printf("%-10s FAILED: %s\n", base ? base + 1 : paths[i], libs[i].best.err);
            bad = true;
            continue;
        }
        bad |= print_row(o, pat, libs[i].lib.name, &libs[i].best, &loop);
        hb_native_close(&libs[i].lib);
    }
    printf("\nratio: ns at the largest N / ns at the smallest.  N^k: the exponent k of\n"
           "ns ~ N^k through those two points (0 flat, 1 linear in N).  *: fewer\n"
           "replacements timed (at least %d), to keep the loop near %.0f s.\n\n",
           HB_SWEEP_MIN_OPS, HB_SWEEP_LOOP_S);
    return bad;
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
    bool bad = false;
    if (o.fifo)
        bad |= run_table(&o, HB_PATTERN_FIFO, paths, nlibs);
    if (o.random)
        bad |= run_table(&o, HB_PATTERN_RANDOM, paths, nlibs);
    return bad ? 1 : 0;
}
