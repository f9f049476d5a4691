#include "report/plotdata.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Index of name in list, appended when new. */
static size_t intern(char ***list, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*list)[i], name))
            return i;
    *list = realloc(*list, (*n + 1) * sizeof **list);
    (*list)[*n] = strdup(name);
    return (*n)++;
}

static bool number(const char *s, double *out)
{
    char *end;
    if (!*s)
        return false;
    *out = strtod(s, &end);
    return !*end && isfinite(*out);
}

int hb_matrix_build(const hb_csv_table *t, const char *metric, hb_matrix *m, char *err,
                    size_t errlen)
{
    memset(m, 0, sizeof *m);
    long ca = hb_csv_col(t, "allocator"), ct = hb_csv_col(t, "trace");
    long cs = hb_csv_col(t, "status"), cm = hb_csv_col(t, metric);
    if (ca < 0 || ct < 0 || cs < 0 || cm < 0) {
        snprintf(err, errlen, "error: expected columns allocator, trace, status and %s in the "
                 "results header", metric);
        return -1;
    }
    /* Names first, so the sums can be laid out as a dense matrix. */
    for (size_t r = 0; r < t->nrows; r++) {
        intern(&m->rows, &m->nrows, t->fields[r][ct]);
        intern(&m->cols, &m->ncols, t->fields[r][ca]);
    }
    size_t cells = m->nrows * m->ncols;
    m->v = calloc(cells + 1, sizeof *m->v);
    unsigned *count = calloc(cells + 1, sizeof *count);
    for (size_t r = 0; r < t->nrows; r++) {
        char **f = t->fields[r];
        double x;
        if (strcmp(f[cs], "ok") || !number(f[cm], &x))
            continue;
        size_t i = intern(&m->rows, &m->nrows, f[ct]) * m->ncols +
                   intern(&m->cols, &m->ncols, f[ca]);
        m->v[i] += x;
        count[i]++;
    }
    for (size_t i = 0; i < cells; i++)
        m->v[i] = count[i] ? m->v[i] / count[i] : NAN;
    free(count);
    return 0;
}

/* gnuplot reads "..." as one field; a quote inside a name would end it. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fputc(*s == '"' ? '\'' : *s, f);
    fputc('"', f);
}

void hb_matrix_write(FILE *f, const hb_matrix *m, const char *metric)
{
    fprintf(f, "# %s: mean over the repetitions with status ok; NaN: no such repetition\n",
            metric);
    put_quoted(f, "trace");
    for (size_t c = 0; c < m->ncols; c++) {
        fputc(' ', f);
        put_quoted(f, m->cols[c]);
    }
    fputc('\n', f);
    for (size_t r = 0; r < m->nrows; r++) {
        put_quoted(f, m->rows[r]);
        for (size_t c = 0; c < m->ncols; c++) {
            double v = m->v[r * m->ncols + c];
            if (isnan(v))
                fputs(" NaN", f);
            else
                fprintf(f, " %.6g", v);
        }
        fputc('\n', f);
    }
}

int hb_matrix_has_values(const hb_matrix *m)
{
    for (size_t i = 0; i < m->nrows * m->ncols; i++)
        if (!isnan(m->v[i]))
            return 1;
    return 0;
}

void hb_matrix_free(hb_matrix *m)
{
    for (size_t i = 0; i < m->nrows; i++)
        free(m->rows[i]);
    for (size_t i = 0; i < m->ncols; i++)
        free(m->cols[i]);
    free(m->rows);
    free(m->cols);
    free(m->v);
    memset(m, 0, sizeof *m);
}
