/*
 * heapbench trace: tools over trace files.
 *
 *     stats FILE...                      what a trace asks of an allocator
 *     check FILE...                      every problem as FILE:LINE
 *     convert IN -o OUT [--from FMT]     .rep or mtrace log -> native text
 *     gen ...                            synthetic traces (cmd_trace_gen.c)
 *     cache info|clear                   the binary cache of parsed traces
 *     export-ops TRACE OUT               the flat op file of harness/refloop
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "trace/cache.h"
#include "trace/opsfile.h"
#include "trace/stats.h"
#include "trace/trace.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: heapbench trace stats [--no-cache] FILE...\n"
            "       heapbench trace check [--max-print N] [--cache] FILE...\n"
            "       heapbench trace convert IN -o OUT [--from rep|mtrace|trace]\n"
            "       heapbench trace gen ARGS...   (see 'heapbench trace gen --help')\n"
            "       heapbench trace cache info|clear\n"
            "       heapbench trace export-ops TRACE OUT\n"
            "\n"
            "  stats    operation counts, free(NULL), request sizes by power of two,\n"
            "           peak live bytes and blocks, block lifetimes, threads, metadata\n"
            "  check    validate traces; prints every problem as FILE:LINE and\n"
            "           'FILE: ok, N operations' for a good one; exit 1 if any is bad;\n"
            "           --cache reads (and fills) the binary cache, as run does\n"
            "  convert  rewrite a CS:APP .rep trace or a glibc mtrace() log as a\n"
            "           native .trace (OUT '-' is standard output)\n"
            "  gen      write a synthetic trace from a YAML spec\n"
            "  cache    show or empty the binary cache of parsed traces\n"
            "           ($HB_CACHE_DIR, else next to the heapbench binary)\n"
            "  export-ops  write the validated ops as the flat binary file that\n"
            "           build/hb_refloop replays (layout: trace/opsfile.h)\n"
            "\n"
            "FILE may be .trace, .rep or an mtrace log, each optionally .xz or .gz;\n"
            "it must be a regular file of at most HB_TRACE_MAX_BYTES of text (default\n"
            "1GiB) with lines of at most HB_TRACE_MAX_LINE bytes (default 64KiB).\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "heapbench trace: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n\n");
    va_end(ap);
    usage(stderr);
    return 2;
}

static bool is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help");
}

/* ---- stats ---------------------------------------------------------- */

/* A power of two as "512", "4Ki", "2Mi". */
static void pow2_text(char *buf, size_t cap, unsigned k)
{
    static const char *const unit[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
    snprintf(buf, cap, "%llu%s", 1ull << (k % 10), unit[k / 10]);
}

/* Bucket 0 holds size 0; bucket k + 1 the sizes in [2^k, 2^(k+1)). */
static void size_label(char *buf, size_t cap, unsigned bucket)
{
    char lo[16], hi[16];
    if (bucket == 0) {
        snprintf(buf, cap, "0");
        return;
    }
    pow2_text(lo, sizeof lo, bucket - 1);
    if (bucket < 64)
        pow2_text(hi, sizeof hi, bucket);
    else
        snprintf(hi, sizeof hi, "16Ei");
    snprintf(buf, cap, "%s..<%s", lo, hi);
}

static void print_sizes(const hb_trace_stats *s)
{
    uint64_t most = 0;
    for (unsigned b = 0; b < HB_SIZE_BUCKETS; b++)
        if (s->size_hist[b] > most)
            most = s->size_hist[b];
    printf("  request sizes (bytes; malloc, calloc, aligned, realloc):\n");
    for (unsigned b = 0; b < HB_SIZE_BUCKETS; b++) {
        if (!s->size_hist[b])
            continue;
        char label[48], bar[41];
        size_t w = (size_t)((s->size_hist[b] * 40 + most - 1) / most);
        memset(bar, '#', w);
        bar[w] = '\0';
        size_label(label, sizeof label, b);
        printf("    %-16s %12llu %6.2f%%  %s\n", label, (unsigned long long)s->size_hist[b],
               100.0 * (double)s->size_hist[b] / (double)s->requests, bar);
    }
}

static void print_metadata(const hb_trace *t)
{
    printf("  name         %s\n", t->name);
    if (t->description)
        printf("  description  %s\n", t->description);
    if (t->source)
        printf("  source       %s\n", t->source);
    for (const char *m = t->metadata; m && *m;) {
        const char *nl = strchr(m, '\n');
        int n = nl ? (int)(nl - m) : (int)strlen(m);
        if (strncmp(m, "name:", 5) && strncmp(m, "description:", 12) && strncmp(m, "source:", 7))
            printf("  #! %.*s\n", n, m);
        m += n + (nl ? 1 : 0);
    }
}

static void print_stats(const hb_trace *t, const hb_trace_stats *s)
{
    const hb_trace_summary *u = &t->sum;
    printf("%s\n", t->path);
    print_metadata(t);
    printf("  operations   %zu:", t->nops);
    for (unsigned k = 0; k < HB_OP_KINDS; k++)
        printf(" %s %llu%s", hb_op_kind_name(k), (unsigned long long)u->count[k],
               k + 1 < HB_OP_KINDS ? "," : "\n");
    printf("  free(NULL)   %llu\n", (unsigned long long)u->free_null);
    printf("  realloc(p,0) %llu (counted as frees)\n", (unsigned long long)s->realloc0);
    printf("  threads      %u\n", u->threads);
    printf("  peak live    %llu bytes, %llu blocks\n", (unsigned long long)u->peak_live_bytes,
           (unsigned long long)u->peak_live_blocks);
    printf("  requested    %llu bytes in total, largest request %llu\n",
           (unsigned long long)u->total_alloc_bytes, (unsigned long long)u->max_size);
    printf("  lifetimes    in ops, over %llu freed blocks: mean %.1f, p50 %llu, p90 %llu, "
           "max %llu\n", (unsigned long long)s->freed, s->life_mean,
           (unsigned long long)s->life_p50, (unsigned long long)s->life_p90,
           (unsigned long long)s->life_max);
    printf("  never freed  %llu of %llu blocks\n", (unsigned long long)s->never_freed,
           (unsigned long long)s->births);
    print_sizes(s);
}

static int cmd_stats(int argc, char **argv)
{
    hb_trace_load_opts opts = { .format = HB_FMT_AUTO, .use_cache = true };
    static const struct option longopts[] = { { "no-cache", no_argument, NULL, 'n' },
                                               { 0, 0, 0, 0 } };
    hb_diag d = { .out = stderr };
    int c, rc = 0, files = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c != 'n')
            return usage_error("stats: see the options below");
        opts.use_cache = false;
    }
    for (int i = optind; i < argc; i++, files++) {
        hb_trace t;
        hb_trace_stats s;
        if (hb_trace_load(argv[i], &opts, &t, &d) < 0) {
            rc = 1;
            continue;
        }
        if (hb_trace_stats_of(&t, &s) < 0) {
            fprintf(stderr, "%s: error: out of memory\n", argv[i]);
            rc = 1;
        } else {
            print_stats(&t, &s);
        }
        hb_trace_release(&t);
    }
    return files ? rc : usage_error("stats: expected at least one FILE");
}

/* ---- check ---------------------------------------------------------- */

static int cmd_check(int argc, char **argv)
{
    hb_trace_load_opts opts = { .format = HB_FMT_AUTO, .use_cache = false };
    static const struct option longopts[] = { { "max-print", required_argument, NULL, 'm' },
                                               { "cache", no_argument, NULL, 'c' },
                                               { 0, 0, 0, 0 } };
    unsigned max_print = 0;
    int c, rc = 0, files = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end;
        if (c == 'c') { /* load as run does: selfbench times it */
            opts.use_cache = true;
            continue;
        }
        if (c != 'm')
            return usage_error("check: see the options below");
        unsigned long v = strtoul(optarg, &end, 10);
        if (*end || end == optarg)
            return usage_error("check: --max-print: expected a number, got '%s'", optarg);
        max_print = v == 0 || v > UINT_MAX ? UINT_MAX : (unsigned)v;
    }
    for (int i = optind; i < argc; i++, files++) {
        hb_diag d = { .out = stderr, .max_print = max_print };
        hb_trace t;
        if (hb_trace_load(argv[i], &opts, &t, &d) < 0) {
            fprintf(stderr, "%s: %u error%s\n", argv[i], d.errors, d.errors == 1 ? "" : "s");
            rc = 1;
            continue;
        }
        printf("%s: ok, %zu operations", argv[i], t.nops);
        if (d.warnings)
            printf(" (%u warning%s)", d.warnings, d.warnings == 1 ? "" : "s");
        printf("\n");
        hb_trace_release(&t);
    }
    return files ? rc : usage_error("check: expected at least one FILE");
}

/* ---- convert -------------------------------------------------------- */

static const char *format_label(enum hb_trace_format f)
{
    return f == HB_FMT_REP      ? " (CS:APP malloc lab .rep)"
           : f == HB_FMT_MTRACE ? " (glibc mtrace log)"
           : f == HB_FMT_NATIVE ? " (heapbench trace)"
                                : "";
}

/* What a converted trace says it came from, when its input did not say:
 * the input's file name (its folder is of no use elsewhere); NULL for a
 * native input, which is copied as it is. */
static char *converted_source(const hb_trace *t, const char *in)
{
    const char *what = t->format == HB_FMT_REP      ? "CS:APP .rep"
                       : t->format == HB_FMT_MTRACE ? "glibc mtrace output"
                                                    : NULL;
    if (!what || t->source)
        return NULL;
    const char *base = strrchr(in, '/') ? strrchr(in, '/') + 1 : in;
    size_t n = strlen(what) + strlen(base) + sizeof "converted from  ";
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "converted from %s %s", what, base);
    return s;
}

static int write_converted(const hb_trace *t, const char *in, const char *out)
{
    char extra[4200];
    snprintf(extra, sizeof extra, "converted-from: %s%s\n", in, format_label(t->format));
    /* a view of t with the source filled in; the ops stay t's */
    hb_trace view = *t;
    char *source = converted_source(t, in);
    if (source)
        view.source = source;
    FILE *o = strcmp(out, "-") ? fopen(out, "w") : stdout;
    if (!o) {
        fprintf(stderr, "%s: error: cannot create: %s\n", out, strerror(errno));
        free(source);
        return 1;
    }
    int rc = hb_trace_write(&view, extra, o);
    free(source);
    int e = errno;
    if (o != stdout && fclose(o) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc < 0) {
        fprintf(stderr, "%s: error: cannot write: %s\n", out, strerror(e));
        return 1;
    }
    return 0;
}

static int parse_from(const char *s, enum hb_trace_format *f)
{
    if (!strcmp(s, "rep"))
        *f = HB_FMT_REP;
    else if (!strcmp(s, "mtrace"))
        *f = HB_FMT_MTRACE;
    else if (!strcmp(s, "trace") || !strcmp(s, "native"))
        *f = HB_FMT_NATIVE;
    else
        return -1;
    return 0;
}

static int cmd_convert(int argc, char **argv)
{
    static const struct option longopts[] = { { "from", required_argument, NULL, 'f' },
                                               { "out", required_argument, NULL, 'o' },
                                               { 0, 0, 0, 0 } };
    const char *in = NULL, *out = NULL;
    hb_trace_load_opts opts = { .format = HB_FMT_AUTO };
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c != 'f')
            return usage_error("convert: see the options below");
        else if (parse_from(optarg, &opts.format) < 0)
            return usage_error("convert: --from: expected rep, mtrace or trace, got '%s'",
                               optarg);
    }
    if (argc - optind > 1)
        return usage_error("convert: expected one input file, got also '%s'", argv[optind + 1]);
    in = optind < argc ? argv[optind] : NULL;
    if (!in || !out)
        return usage_error("convert: expected IN -o OUT");
    hb_diag d = { .out = stderr };
    hb_trace t;
    if (hb_trace_load(in, &opts, &t, &d) < 0)
        return 1;
    int rc = write_converted(&t, in, out);
    if (!rc && strcmp(out, "-"))
        fprintf(stderr, "%s: wrote %zu operations to %s\n", in, t.nops, out);
    hb_trace_release(&t);
    return rc;
}

/* ---- cache ---------------------------------------------------------- */

static int cmd_cache(int argc, char **argv)
{
    char dir[4096];
    if (argc != 2 || (strcmp(argv[1], "info") && strcmp(argv[1], "clear")))
        return usage_error("cache: expected 'info' or 'clear'");
    if (hb_cache_dir(NULL, 0, dir, sizeof dir) < 0) {
        fprintf(stderr, "heapbench trace cache: no cache directory is usable\n");
        return 1;
    }
    if (!strcmp(argv[1], "info")) {
        hb_cache_usage u;
        if (hb_cache_usage_of(dir, &u) < 0) {
            fprintf(stderr, "%s: error: cannot list: %s\n", dir, strerror(errno));
            return 1;
        }
        printf("cache directory: %s\nentries: %u, %llu bytes\n", dir, u.entries,
               (unsigned long long)u.bytes);
        return 0;
    }
    unsigned removed;
    if (hb_cache_clear(dir, &removed) < 0) {
        fprintf(stderr, "%s: error: cannot list: %s\n", dir, strerror(errno));
        return 1;
    }
    printf("removed %u entries from %s\n", removed, dir);
    return 0;
}

/* ---- export-ops ---------------------------------------------------- */

static int cmd_export_ops(int argc, char **argv)
{
    if (argc != 3)
        return usage_error("export-ops: expected TRACE OUT");
    const char *in = argv[1], *out = argv[2];
    hb_trace_load_opts opts = { .format = HB_FMT_AUTO, .use_cache = true };
    hb_diag d = { .out = stderr };
    hb_trace t;
    if (hb_trace_load(in, &opts, &t, &d) < 0)
        return 1;
    FILE *o = fopen(out, "wb");
    if (!o) {
        fprintf(stderr, "%s: error: cannot create: %s\n", out, strerror(errno));
        hb_trace_release(&t);
        return 1;
    }
    int rc = hb_opsfile_write(&t, o);
    int e = errno;
    if (fclose(o) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc < 0)
        fprintf(stderr, "%s: error: cannot write: %s\n", out, strerror(e));
    hb_trace_release(&t);
    return rc < 0 ? 1 : 0;
}

int hb_cmd_trace(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (is_help(sub)) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(sub, "gen"))
        return hb_cmd_trace_gen(argc - 1, argv + 1);
    if (argc > 2 && is_help(argv[2])) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(sub, "stats"))
        return cmd_stats(argc - 1, argv + 1);
    if (!strcmp(sub, "check"))
        return cmd_check(argc - 1, argv + 1);
    if (!strcmp(sub, "convert"))
        return cmd_convert(argc - 1, argv + 1);
    if (!strcmp(sub, "cache"))
        return cmd_cache(argc - 1, argv + 1);
    if (!strcmp(sub, "export-ops"))
        return cmd_export_ops(argc - 1, argv + 1);
    return usage_error("unknown subcommand '%s'", sub);
}
