#include "report/merge.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report/csvtable.h"
#include "report/result.h"
#include "run/config.h"
#include "run/rundir.h"
#include "util/fsutil.h"

#ifndef HB_VERSION
#define HB_VERSION "unknown"
#endif

typedef struct row {
    char *line;
    char *key;        /* "allocator,trace,repetition" */
    char *where;      /* FILE:LINE                     */
} row;

typedef struct merger {
    row *rows;
    size_t n;
    size_t ncols;     /* of this build's header */
    char *env;        /* env.txt being built    */
    size_t envlen;
    FILE *envf;
    hb_errs errs;
} merger;

static char *cell_key(const char *line)
{
    char *f[4] = { 0 };
    long n = hb_csv_split(line, f, 3);
    char *key = NULL;
    if (n < 0) { /* more than three fields: take them again from a copy */
        char *copy = strdup(line), *p = copy;
        for (int i = 0; i < 3 && p; i++)
            p = strchr(p + 1, ',');
        if (p)
            *p = '\0';
        key = copy;
    }
    for (long i = 0; i < n; i++)
        free(f[i]);
    return key ? key : strdup(line);
}

static long count_fields(const char *line)
{
    char *f[256];
    long n = hb_csv_split(line, f, 256);
    for (long i = 0; i < n; i++)
        free(f[i]);
    return n;
}

static void add_row(merger *m, const char *line, const char *file, unsigned lineno)
{
    long n = count_fields(line);
    if (n != (long)m->ncols) {
        hb_errs_add(&m->errs, "%s:%u: error: expected %zu fields as in this heapbench's header, "
                    "got %ld", file, lineno, m->ncols, n);
        return;
    }
    char *key = cell_key(line), where[PATH_MAX + 32];
    snprintf(where, sizeof where, "%s:%u", file, lineno);
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->rows[i].key, key)) {
            hb_errs_add(&m->errs, "%s: error: cell %s again (first at %s)", where, key,
                        m->rows[i].where);
            free(key);
            return;
        }
    m->rows = realloc(m->rows, (m->n + 1) * sizeof *m->rows);
    m->rows[m->n++] = (row){ strdup(line), key, strdup(where) };
}

/* A header line of a rows file: the columns must be this build's. */
static void check_header(merger *m, const char *line, const char *file, unsigned lineno)
{
    if (strcmp(line, hb_csv_header()))
        hb_errs_add(&m->errs, "%s:%u: error: expected the results header of heapbench %s "
                    "(%zu columns), got a different one (%ld columns): rows of another "
                    "version cannot be merged", file, lineno, HB_VERSION, m->ncols,
                    count_fields(line));
}

static void read_rows(merger *m, const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        hb_errs_add(&m->errs, "%s: error: cannot open: %s", file, strerror(errno));
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        const char *s = line;
        if (!strncmp(s, "# ", 2) && !strncmp(s + 2, "allocator,", 10))
            check_header(m, s + 2, file, lineno);
        else if (!strncmp(s, "allocator,", 10))
            check_header(m, s, file, lineno);
        else if (*s && *s != '#')
            add_row(m, s, file, lineno);
    }
    free(line);
    fclose(f);
}

/* One host's facts: its "heapbench:" line must name this version. */
static void read_env(merger *m, const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        hb_errs_add(&m->errs, "%s: error: cannot open: %s", file, strerror(errno));
        return;
    }
    char line[1024];
    unsigned lineno = 0, seen = 0;
    fprintf(m->envf, "source: %s\n", file);
    while (fgets(line, sizeof line, f)) {
        lineno++;
        fputs(line, m->envf);
        if (strncmp(line, "heapbench: ", 11))
            continue;
        seen = lineno;
        size_t n = strcspn(line + 11, " \n");
        if (n != strlen(HB_VERSION) || strncmp(line + 11, HB_VERSION, n))
            hb_errs_add(&m->errs, "%s:%u: error: expected heapbench %s, got %.*s: rows of "
                        "another version cannot be merged", file, lineno, HB_VERSION, (int)n,
                        line + 11);
    }
    fclose(f);
    if (!seen)
        hb_errs_add(&m->errs, "%s: error: expected a 'heapbench: VERSION' line (the output of "
                    "'heapbench env')", file);
}

static void read_input(merger *m, const char *path)
{
    struct stat st;
    if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
        read_rows(m, path);
        return;
    }
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/results.csv", path);
    read_rows(m, p);
    snprintf(p, sizeof p, "%s/env.txt", path);
    read_env(m, p);
}

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const row *)a)->key, ((const row *)b)->key);
}

static void write_results(FILE *f, void *ctx)
{
    const merger *m = ctx;
    fprintf(f, "%s\n", hb_csv_header());
    for (size_t i = 0; i < m->n; i++)
        fprintf(f, "%s\n", m->rows[i].line);
}

static void write_text(FILE *f, void *ctx)
{
    fputs(ctx, f);
}

static int write_out(merger *m, const hb_merge_opts *o)
{
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/results.csv", o->out);
    struct stat st;
    if (stat(p, &st) == 0) {
        hb_errs_add(&m->errs, "%s: error: already exists; merge into a new folder", p);
        return -1;
    }
    if (hb_mkdirs(o->out)) {
        hb_errs_add(&m->errs, "%s: error: cannot create: %s", o->out, strerror(errno));
        return -1;
    }
    qsort(m->rows, m->n, sizeof *m->rows, cmp_row);
    int rc = hb_write_atomic(p, write_results, m);
    snprintf(p, sizeof p, "%s/env.txt", o->out);
    rc = rc ? rc : hb_write_atomic(p, write_text, m->env);
    snprintf(p, sizeof p, "%s/config.yaml", o->out);
    rc = rc || !o->config ? rc : hb_copy_file(o->config, p);
    if (rc)
        hb_errs_add(&m->errs, "%s: error: cannot write: %s", o->out, strerror(errno));
    return rc;
}

int hb_merge(const hb_merge_opts *o, char *err, size_t errlen)
{
    merger m = { .ncols = (size_t)count_fields(hb_csv_header()) };
    hb_errs_init(&m.errs, err, errlen);
    m.envf = open_memstream(&m.env, &m.envlen);
    for (size_t i = 0; i < o->nenvs; i++)
        read_env(&m, o->envs[i]);
    for (size_t i = 0; i < o->ninputs; i++)
        read_input(&m, o->inputs[i]);
    fclose(m.envf);
    if (!m.envlen)
        hb_errs_add(&m.errs, "error: no env file: give each host's 'heapbench env' output "
                    "with --env (or merge run folders, which have one)");
    if (!m.n && !m.errs.n)
        hb_errs_add(&m.errs, "error: no rows in the inputs");
    int rc = m.errs.n ? -1 : write_out(&m, o);
    hb_errs_end(&m.errs);
    for (size_t i = 0; i < m.n; i++) {
        free(m.rows[i].line);
        free(m.rows[i].key);
        free(m.rows[i].where);
    }
    free(m.rows);
    free(m.env);
    return rc || m.errs.n ? -1 : 0;
}
