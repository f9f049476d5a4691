#define _GNU_SOURCE /* asprintf */
#include "run/resultset.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/result.h"
#include "report/csvtable.h"
#include "run/rundir.h"

/* allocator, trace and repetition joined by a separator no name holds. */
static char *cell_key(const char *allocator, const char *trace, unsigned rep)
{
    char *k = NULL;
    if (asprintf(&k, "%s\x1f%s\x1f%u", allocator, trace, rep) < 0)
        return NULL;
    return k;
}

static long rep_column(const hb_csv_table *t)
{
    long c = hb_csv_col(t, "repetition");
    return c >= 0 ? c : hb_csv_col(t, "rep");
}

static int keep_prior(hb_resultset *s, const hb_csv_table *t, char *err, size_t errlen)
{
    if (strcmp(t->header, hb_csv_header())) {
        snprintf(err, errlen, "%s:1: error: expected the header of this heapbench's results "
                 "(%s); the file was written by another version", s->path, hb_csv_header());
        return -1;
    }
    long ca = hb_csv_col(t, "allocator"), ct = hb_csv_col(t, "trace"), cr = rep_column(t);
    if (ca < 0 || ct < 0 || cr < 0) {
        snprintf(err, errlen, "%s:1: error: expected columns allocator, trace and repetition",
                 s->path);
        return -1;
    }
    s->prior = calloc(t->nrows + 1, sizeof *s->prior);
    s->prior_keys = calloc(t->nrows + 1, sizeof *s->prior_keys);
    for (size_t r = 0; r < t->nrows; r++) {
        char **f = t->fields[r];
        s->prior[r] = strdup(t->lines[r]);
        s->prior_keys[r] = cell_key(f[ca], f[ct], (unsigned)strtoul(f[cr], NULL, 10));
    }
    s->nprior = t->nrows;
    return 0;
}

int hb_resultset_open(hb_resultset *s, const char *dir, size_t ncells, bool resume, char *err,
                      size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (asprintf(&s->path, "%s/results.csv", dir) < 0)
        return -1;
    s->ncells = ncells;
    s->rows = calloc(ncells + 1, sizeof *s->rows);
    if (resume && access(s->path, F_OK) == 0) {
        hb_csv_table t;
        if (hb_csv_read(s->path, &t, err, errlen))
            return -1;
        int rc = keep_prior(s, &t, err, errlen);
        hb_csv_table_free(&t);
        if (rc)
            return -1;
    }
    return 0;
}

bool hb_resultset_has(const hb_resultset *s, const char *allocator, const char *trace,
                      unsigned rep)
{
    char *k = cell_key(allocator, trace, rep);
    bool found = false;
    for (size_t i = 0; k && i < s->nprior && !found; i++)
        found = s->prior_keys[i] && !strcmp(s->prior_keys[i], k);
    free(k);
    return found;
}

static void write_rows(FILE *f, void *ctx)
{
    const hb_resultset *s = ctx;
    fprintf(f, "%s\n", hb_csv_header());
    for (size_t i = 0; i < s->nprior; i++)
        fprintf(f, "%s\n", s->prior[i]);
    for (size_t i = 0; i < s->ncells; i++)
        if (s->rows[i])
            fputs(s->rows[i], f);
}

int hb_resultset_save(hb_resultset *s)
{
    return hb_write_atomic(s->path, write_rows, s);
}

int hb_resultset_put(hb_resultset *s, size_t i, char *row)
{
    free(s->rows[i]);
    s->rows[i] = row;
    return hb_resultset_save(s);
}

void hb_resultset_free(hb_resultset *s)
{
    for (size_t i = 0; i < s->nprior; i++) {
        free(s->prior[i]);
        free(s->prior_keys[i]);
    }
    for (size_t i = 0; i < s->ncells; i++)
        free(s->rows[i]);
    free(s->prior);
    free(s->prior_keys);
    free(s->rows);
    free(s->path);
    memset(s, 0, sizeof *s);
}
