/* Shared by the chart writers (report/charts*.c); not an interface. */
#ifndef HB_REPORT_CHARTS_INT_H
#define HB_REPORT_CHARTS_INT_H

#include <stdio.h>

#include "report/charts.h"

/* Canvas: the widest chart stays within a page's 1600 px. */
#define HB_CHART_MAX_W 1600
#define HB_CHART_MIN_W 1000

/* dir/name.ext opened for writing, or NULL with err set. */
FILE *hb_chart_open(const char *dir, const char *name, const char *ext, char *err,
                    size_t errlen);

/* Closes f; -1 with err set when a write failed. */
int hb_chart_close(FILE *f, const char *dir, const char *name, char *err, size_t errlen);

/* Writes a gnuplot string literal (double quotes, escaped). */
void hb_gp_string(FILE *f, const char *s);

/* Log-scale y axis settings over [lo, hi]: ticks at powers of ten, written
 * 10^n, when the range spans a decade or more, else at 1-2-5 steps. */
void hb_gp_log_axis(FILE *f, double lo, double hi);

/* A file name made of a trace name: letters, digits, '-', '_', '.'. */
void hb_chart_slug(const char *name, char *out, size_t len);

int hb_charts_detail(const hb_run *r, const hb_chart_opts *o, const char *dir, FILE *list,
                     char *err, size_t errlen);
int hb_charts_scaling(const hb_run *r, const char *path, const char *dir, FILE *list, char *err,
                      size_t errlen);

#endif /* HB_REPORT_CHARTS_INT_H */
