/*
 * From results.csv to what gnuplot draws: one metric as a matrix with a
 * row per trace and a column per allocator, each value the mean over the
 * repetitions whose status is ok; NaN where no repetition was (a crash, a
 * timeout, a failed or unsupported cell), so the chart shows a gap rather
 * than a misleading zero.
 */
#ifndef HB_REPORT_PLOTDATA_H
#define HB_REPORT_PLOTDATA_H

#include <stddef.h>
#include <stdio.h>

#include "report/csvtable.h"

typedef struct hb_matrix {
    char **rows;   /* trace names, in order of first appearance     */
    size_t nrows;
    char **cols;   /* allocator names, in order of first appearance */
    size_t ncols;
    double *v;     /* v[r * ncols + c]                               */
} hb_matrix;

/* Builds the matrix of column metric.  Returns 0, or -1 with err set when
 * the table lacks a needed column. */
int hb_matrix_build(const hb_csv_table *t, const char *metric, hb_matrix *m, char *err,
                    size_t errlen);

/* Writes the matrix for gnuplot: a header line of quoted names, then one
 * line per trace, "NaN" for missing values. */
void hb_matrix_write(FILE *f, const hb_matrix *m, const char *metric);

/* Whether any value of the matrix is a number. */
int hb_matrix_has_values(const hb_matrix *m);

void hb_matrix_free(hb_matrix *m);

#endif /* HB_REPORT_PLOTDATA_H */
