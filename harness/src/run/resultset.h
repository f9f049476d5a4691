/*
 * The rows of one run's results.csv while it is being written: rows kept
 * from an earlier, interrupted attempt (resume) followed by one row per
 * cell of this attempt in plan order, the whole file rewritten atomically
 * after each cell.
 */
#ifndef HB_RUN_RESULTSET_H
#define HB_RUN_RESULTSET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hb_resultset {
    char *path;         /* DIR/results.csv                         */
    char **prior;       /* rows found there when the run started   */
    char **prior_keys;  /* their cells, see hb_cell_key            */
    size_t nprior;
    char **rows;        /* per cell of the plan, NULL until run    */
    size_t ncells;
} hb_resultset;

/* Opens DIR/results.csv for a plan of ncells cells.  With resume, rows
 * already in the file are kept; its header must be this build's.  Returns
 * 0, or -1 with err set. */
int hb_resultset_open(hb_resultset *s, const char *dir, size_t ncells, bool resume, char *err,
                      size_t errlen);

/* Whether a kept row is for this cell. */
bool hb_resultset_has(const hb_resultset *s, const char *allocator, const char *trace,
                      unsigned rep);

/* Stores the row of cell i (takes ownership) and rewrites the file.
 * Returns 0 or -1 (errno set). */
int hb_resultset_put(hb_resultset *s, size_t i, char *row);

/* Rewrites the file.  Returns 0 or -1 (errno set). */
int hb_resultset_save(hb_resultset *s);

void hb_resultset_free(hb_resultset *s);

#endif /* HB_RUN_RESULTSET_H */
