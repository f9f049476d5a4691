/*
 * heapbench trace gen: synthetic traces from YAML specs.
 *
 *     heapbench trace gen SPEC.yaml -o OUT.trace [--seed N]
 *     heapbench trace gen --out-dir DIR [--force] [--sync] SPEC.yaml...
 *
 * With --out-dir each spec becomes DIR/<spec name without .yaml>.trace, and
 * is written again only when the "#! spec-hash:" of the file there differs
 * from the spec's (its bytes, the generator version and the seed), so an
 * edited spec never leaves a stale trace and an unchanged one costs nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/fsutil.h"
#include "gen/gen.h"

typedef struct gen_opts {
    const char *out;
    const char *out_dir;
    bool force, sync, quiet, seed_given;
    uint64_t seed;
    char **specs;
    int nspecs;
} gen_opts;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: heapbench trace gen SPEC.yaml -o OUT.trace [--seed N]\n"
            "       heapbench trace gen --out-dir DIR [--force] [--sync] [--seed N] SPEC.yaml...\n"
            "\n"
            "Generates a synthetic trace from each YAML spec (docs/synthetic.md).\n"
            "  -o FILE        write the trace to FILE ('-': standard output)\n"
            "  --out-dir DIR  write DIR/<spec name>.trace, skipping traces whose\n"
            "                 '#! spec-hash:' already matches the spec\n"
            "  --force        write even when up to date\n"
            "  --sync         also remove generated DIR/*.trace whose spec is not given\n"
            "  --seed N       use seed N instead of the spec's\n"
            "  -q, --quiet    print nothing but errors\n");
}

static int parse_seed(const char *v, gen_opts *o)
{
    char *end;
    errno = 0;
    o->seed = strtoull(v, &end, 10);
    if (errno || *end || !v[0] || v[0] == '-') {
        fprintf(stderr, "heapbench trace gen: --seed: expected a non-negative integer, "
                "got '%s'\n", v);
        return 2;
    }
    o->seed_given = true;
    return 0;
}

/* Returns -1 to go on, else the exit status (0 after --help). */
static int parse_args(int argc, char **argv, gen_opts *o)
{
    static const struct option longopts[] = {
        { "out", required_argument, NULL, 'o' },  { "out-dir", required_argument, NULL, 'D' },
        { "seed", required_argument, NULL, 's' }, { "force", no_argument, NULL, 'f' },
        { "sync", no_argument, NULL, 'S' },       { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },       { 0, 0, 0, 0 },
    };
    memset(o, 0, sizeof *o);
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'D': o->out_dir = optarg; break;
        case 's':
            if (parse_seed(optarg, o))
                return 2;
            break;
        case 'f': o->force = true; break;
        case 'S': o->sync = true; break;
        case 'q': o->quiet = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    o->specs = argv + optind;
    o->nspecs = argc - optind;
    if (!o->out == !o->out_dir || o->nspecs == 0 || (o->out && o->nspecs != 1) ||
        (o->out && (o->sync || o->force))) {
        usage(stderr);
        return 2;
    }
    return -1;
}

/* "dir/x.yaml" -> "x" */
static void spec_basename(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    snprintf(out, len, "%s", slash ? slash + 1 : path);
    size_t n = strlen(out);
    if (n > 5 && !strcmp(out + n - 5, ".yaml"))
        out[n - 5] = 0;
    else if (n > 4 && !strcmp(out + n - 4, ".yml"))
        out[n - 4] = 0;
}

static int load(const char *path, const gen_opts *o, hb_spec *s)
{
    char err[1024];
    if (hb_spec_load(path, s, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (o->seed_given)
        hb_spec_set_seed(s, o->seed);
    return 0;
}

static int generate_to(const hb_spec *s, const char *out, const gen_opts *o)
{
    char err[1024];
    hb_gen_text t;
    if (hb_gen_trace(s, &t, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    int rc = 0;
    if (!strcmp(out, "-")) {
        rc = fwrite(t.text, 1, t.len, stdout) == t.len && fflush(stdout) == 0 ? 0 : -1;
        if (rc)
            fprintf(stderr, "heapbench trace gen: error writing standard output\n");
    } else if (hb_gen_write_atomic(out, t.text, t.len, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        rc = -1;
    } else if (!o->quiet) {
        printf("generated %s (%" PRIu64 " ops, peak live %.1f MiB)\n", out, t.ops,
               (double)t.peak_live_bytes / 1048576.0);
    }
    free(t.text);
    return rc;
}

static int gen_one_into_dir(const char *spec_path, const gen_opts *o)
{
    char base[512], out[4096];
    spec_basename(spec_path, base, sizeof base);
    snprintf(out, sizeof out, "%s/%s.trace", o->out_dir, base);
    hb_spec s;
    if (load(spec_path, o, &s))
        return -1;
    uint64_t have;
    int rc = 0;
    if (!o->force && hb_gen_header_hash(out, &have) == 0 && have == s.hash) {
        if (!o->quiet)
            printf("up to date %s\n", out);
    } else {
        rc = generate_to(&s, out, o);
    }
    hb_spec_free(&s);
    return rc;
}

static bool is_generated_trace(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char line[1024];
    bool gen = false;
    while (!gen && fgets(line, sizeof line, f) && line[0] == '#')
        gen = !strncmp(line, "#! source: generated:", 21);
    fclose(f);
    return gen;
}

static bool given(const gen_opts *o, const char *name)
{
    char base[512];
    for (int i = 0; i < o->nspecs; i++) {
        spec_basename(o->specs[i], base, sizeof base);
        if (!strcmp(base, name))
            return true;
    }
    return false;
}

/* Removes DIR/NAME.trace files the generator wrote whose spec is gone;
 * traces from anywhere else (no "generated" source) are left alone. */
static int sync_dir(const gen_opts *o)
{
    DIR *d = opendir(o->out_dir);
    if (!d) {
        fprintf(stderr, "%s: error: cannot open directory: %s\n", o->out_dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    char path[4096], name[512];
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n <= 6 || strcmp(e->d_name + n - 6, ".trace") || e->d_name[0] == '.')
            continue;
        snprintf(name, sizeof name, "%.*s", (int)(n - 6), e->d_name);
        snprintf(path, sizeof path, "%s/%s", o->out_dir, e->d_name);
        if (given(o, name) || !is_generated_trace(path))
            continue;
        if (unlink(path)) {
            fprintf(stderr, "%s: error: cannot remove: %s\n", path, strerror(errno));
            rc = -1;
        } else if (!o->quiet) {
            printf("removed %s\n", path);
        }
    }
    closedir(d);
    return rc;
}

static int check_unique(const gen_opts *o)
{
    char a[512], b[512];
    for (int i = 0; i < o->nspecs; i++)
        for (int j = 0; j < i; j++) {
            spec_basename(o->specs[i], a, sizeof a);
            spec_basename(o->specs[j], b, sizeof b);
            if (!strcmp(a, b)) {
                fprintf(stderr, "heapbench trace gen: %s and %s would both write %s.trace\n",
                        o->specs[j], o->specs[i], a);
                return -1;
            }
        }
    return 0;
}

static int run_out_dir(const gen_opts *o)
{
    struct stat st;
    if (stat(o->out_dir, &st) != 0 && hb_mkdirs(o->out_dir) != 0) {
        fprintf(stderr, "%s: error: cannot create directory: %s\n", o->out_dir, strerror(errno));
        return 1;
    }
    if (check_unique(o))
        return 1;
    int failed = 0;
    for (int i = 0; i < o->nspecs; i++)
        failed |= gen_one_into_dir(o->specs[i], o) != 0;
    if (o->sync)
        failed |= sync_dir(o) != 0;
    return failed ? 1 : 0;
}

int hb_cmd_trace_gen(int argc, char **argv)
{
    gen_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc < 0) {
        if (o.out_dir) {
            rc = run_out_dir(&o);
        } else {
            hb_spec s;
            rc = 1;
            if (load(o.specs[0], &o, &s) == 0) {
                rc = generate_to(&s, o.out, &o) ? 1 : 0;
                hb_spec_free(&s);
            }
        }
    }
    return rc;
}
