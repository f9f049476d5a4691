/*
 * The data of the report's charts, written for the gnuplot scripts of
 * plots/: per chart NAME a data file NAME.dat and a settings file NAME.gp
 * (title, axes, sizes: everything that depends on the run), one styles.gp
 * with the look of every allocator (report/palette.h), and charts.txt
 * listing "SCRIPT NAME" per chart to draw.  Nothing is measured again.
 *
 *   summary               bars.gp     geomean per criterion, vs the baseline
 *   CRITERION-KIND        bars.gp     per trace of a kind, vs the baseline
 *   latency-TRACE         latency.gp  malloc and free percentiles
 *   memory-TRACE          memory.gp   live bytes and footprint over time
 *   scaling               scaling.gp  ns per operation against live blocks
 */
#ifndef HB_REPORT_CHARTS_H
#define HB_REPORT_CHARTS_H

#include <stdio.h>

#include "report/runset.h"

typedef struct hb_chart_opts {
    const char *detail_traces; /* globs of the latency and memory charts'
                                  traces; NULL: the largest trace of each
                                  summarized kind                         */
    const char *scaling;       /* a "heapbench scaling" output, or NULL    */
} hb_chart_opts;

/* Writes every chart's files into dir (created when missing).  Returns 0,
 * or -1 with err set. */
int hb_charts_write(const hb_run *r, const hb_chart_opts *o, const char *dir, char *err,
                    size_t errlen);

/* Whether trace t gets latency and memory charts. */
int hb_chart_detail(const hb_run *r, const hb_chart_opts *o, size_t t);

#endif /* HB_REPORT_CHARTS_H */
