/*
 * The report of a run: results/RUN/report.md (markdown that reads well on a
 * code host and converts with pandoc), and its compact form for a terminal.
 */
#ifndef HB_REPORT_MDREPORT_H
#define HB_REPORT_MDREPORT_H

#include <stdio.h>

#include "report/charts.h"
#include "report/runset.h"

typedef struct hb_report_opts {
    const char *charts;  /* folder of the drawn charts (its data/charts.txt
                            lists them), NULL: RUN/plots               */
    const char *format;  /* png, svg or pdf                            */
    const char *scaling; /* the scaling output charted, or NULL        */
} hb_report_opts;

void hb_report_write(FILE *f, const hb_run *r, const hb_report_opts *o);

/* One line per allocator, then every cell that is not ok with its detail. */
void hb_report_terminal(FILE *f, const hb_run *r);

#endif /* HB_REPORT_MDREPORT_H */
