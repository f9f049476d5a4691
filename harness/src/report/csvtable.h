/*
 * Reading a results.csv back: the header, and every row both as its fields
 * (looked up by column name) and as the line it was written as, so a
 * resumed run copies finished rows byte for byte.
 */
#ifndef HB_REPORT_CSVTABLE_H
#define HB_REPORT_CSVTABLE_H

#include <stddef.h>

typedef struct hb_csv_table {
    char *header;      /* the first line, without its newline */
    char **cols;       /* column names                        */
    size_t ncols;
    char **lines;      /* each row's line, without newline    */
    char ***fields;    /* fields[row][col]; ncols per row     */
    size_t nrows;
} hb_csv_table;

/* Splits one CSV line (fields may be "quoted", with "" for a quote) into
 * at most max fields; returns the count, or -1 if there were more.  out
 * receives newly allocated strings. */
long hb_csv_split(const char *line, char **out, size_t max);

/* Reads path.  Rows whose field count differs from the header's are an
 * error "PATH:LINE: error: expected N fields, got M".  Returns 0 or -1. */
int hb_csv_read(const char *path, hb_csv_table *t, char *err, size_t errlen);

/* Index of column name, or -1. */
long hb_csv_col(const hb_csv_table *t, const char *name);

void hb_csv_table_free(hb_csv_table *t);

#endif /* HB_REPORT_CSVTABLE_H */
