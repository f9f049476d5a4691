#include "report/csvtable.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 256

/* One field starting at *pp; leaves *pp after its separator and says
 * whether there was one (so another field follows). */
static char *next_field(const char **pp, bool *sep)
{
    const char *p = *pp;
    size_t cap = strlen(p) + 1, n = 0;
    char *out = malloc(cap);
    bool quoted = *p == '"';
    if (quoted)
        p++;
    for (; *p; p++) {
        if (quoted && *p == '"' && p[1] == '"')
            out[n++] = *p++;
        else if (quoted && *p == '"')
            quoted = false;
        else if (!quoted && *p == ',')
            break;
        else
            out[n++] = *p;
    }
    out[n] = '\0';
    *sep = *p == ',';
    *pp = *sep ? p + 1 : p;
    return out;
}

long hb_csv_split(const char *line, char **out, size_t max)
{
    const char *p = line;
    size_t n = 0;
    for (;;) {
        if (n == max) {
            for (size_t i = 0; i < n; i++)
                free(out[i]);
            return -1;
        }
        bool sep;
        out[n++] = next_field(&p, &sep);
        if (!sep)
            return (long)n;
    }
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static int add_row(hb_csv_table *t, const char *line, unsigned lineno, const char *path,
                   char *err, size_t errlen)
{
    char *f[MAX_COLS];
    long n = hb_csv_split(line, f, MAX_COLS);
    if (n != (long)t->ncols) {
        for (long i = 0; i < n; i++)
            free(f[i]);
        snprintf(err, errlen, "%s:%u: error: expected %zu fields as in the header, got %s%ld",
                 path, lineno, t->ncols, n < 0 ? "more than " : "", n < 0 ? MAX_COLS : n);
        return -1;
    }
    t->lines = realloc(t->lines, (t->nrows + 1) * sizeof *t->lines);
    t->fields = realloc(t->fields, (t->nrows + 1) * sizeof *t->fields);
    t->lines[t->nrows] = strdup(line);
    t->fields[t->nrows] = malloc((size_t)n * sizeof(char *));
    memcpy(t->fields[t->nrows], f, (size_t)n * sizeof(char *));
    t->nrows++;
    return 0;
}

static int read_header(hb_csv_table *t, const char *line)
{
    char *f[MAX_COLS];
    long n = hb_csv_split(line, f, MAX_COLS);
    if (n <= 0)
        return -1;
    t->header = strdup(line);
    t->ncols = (size_t)n;
    t->cols = malloc((size_t)n * sizeof(char *));
    memcpy(t->cols, f, (size_t)n * sizeof(char *));
    return 0;
}

int hb_csv_read(const char *path, hb_csv_table *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: error: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        chomp(line);
        if (!*line)
            continue;
        if (t->header) {
            rc = add_row(t, line, lineno, path, err, errlen);
        } else if (read_header(t, line)) {
            snprintf(err, errlen, "%s:%u: error: expected a CSV header line", path, lineno);
            rc = -1;
        }
    }
    free(line);
    fclose(f);
    if (rc == 0 && !t->header) {
        snprintf(err, errlen, "%s: error: the file is empty; expected a CSV header line", path);
        rc = -1;
    }
    if (rc)
        hb_csv_table_free(t);
    return rc;
}

long hb_csv_col(const hb_csv_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (!strcmp(t->cols[i], name))
            return (long)i;
    return -1;
}

void hb_csv_table_free(hb_csv_table *t)
{
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t i = 0; i < t->ncols; i++)
            free(t->fields[r][i]);
        free(t->fields[r]);
        free(t->lines[r]);
    }
    for (size_t i = 0; i < t->ncols; i++)
        free(t->cols[i]);
    free(t->cols);
    free(t->fields);
    free(t->lines);
    free(t->header);
    memset(t, 0, sizeof *t);
}
