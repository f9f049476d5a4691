/*
 * The benchmark configuration (bench.yaml): which allocators, which traces,
 * how many repetitions, and the limits of one cell.  docs/config.md
 * describes every key.
 *
 * Parsing checks everything a person can get wrong before any cell runs:
 * unknown keys, wrong types, sizes and durations that do not parse, an empty
 * allocator list, an allocator name that is neither built in nor a path.
 * Each problem is reported as "FILE:LINE:COL: error: KEY: expected WHAT",
 * and reading goes on after one, so a file with three mistakes gets three
 * lines (only a YAML syntax error stops it: nothing after it can be read).
 */
#ifndef HB_RUN_CONFIG_H
#define HB_RUN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where something is written in the file, 1-based, for messages. */
typedef struct hb_srcpos {
    unsigned line, col;
} hb_srcpos;

/* One allocator of the matrix. */
typedef struct hb_alloc_spec {
    char *name;      /* its name in results and charts                    */
    char *path;      /* library given by path:, or NULL for a known name  */
    char *options;   /* "K=V,K=V" passed to the library, or NULL          */
    char *symbols;   /* lab contract: "ROLE=NAME,..." to bind, or NULL      */
    uint64_t arena;  /* arena of a lab-contract library, 0: config-wide    */
    uint64_t max_ops; /* 0: none; cells of longer traces are not run       */
    unsigned line;   /* where it is written, for messages                 */
    unsigned col;
} hb_alloc_spec;

typedef struct hb_config {
    char *path;
    hb_alloc_spec *allocs;
    size_t nallocs;
    char **traces;          /* globs, as written                          */
    hb_srcpos *trace_pos;   /* where each glob is written                 */
    size_t ntraces;
    hb_srcpos traces_pos;   /* where the traces: list is written          */
    char **optional;        /* allocator names skipped when missing       */
    size_t noptional;
    unsigned repetitions;   /* >= 1                                        */
    uint64_t arena;         /* 0: not set (the run default, 256 MiB)      */
    char timing[16];        /* "", "per-op", "throughput" or "both"       */
    double timeout_s;       /* wall-clock limit of one cell               */
    bool check;             /* cells replay with full verification (--check) */
    unsigned passes;        /* least throughput passes; 0: not set        */
    unsigned latency_passes;/* 0: not set                                 */
    double min_time_s;      /* least seconds of throughput; < 0: not set  */
    double max_time_s;      /* no new pass after; < 0: not set            */
    char purge_timers[8];   /* "", "frozen" or "live"                     */
} hb_config;

#define HB_CONFIG_DEFAULT_FILE "bench.yaml"
#define HB_CONFIG_DEFAULT_TIMEOUT_S 120.0

/* Loads and checks path.  Returns 0, or -1 with every problem in err, one
 * line each (as many as fit, then a count of the rest). */
int hb_config_load(const char *path, hb_config *c, char *err, size_t errlen);

/* The same from text; name stands for the file in messages. */
int hb_config_parse(const char *name, const char *text, size_t len, hb_config *c, char *err,
                    size_t errlen);

void hb_config_free(hb_config *c);

bool hb_config_is_optional(const hb_config *c, const char *alloc_name);

/*
 * Error lines gathered into a caller's buffer, so that checking can go on
 * after a problem and report all of them at once.  Lines are joined by
 * newlines (no newline after the last); a line that no longer fits is
 * counted, and hb_errs_end says how many were left out.
 */
typedef struct hb_errs {
    char *buf;
    size_t cap, len;
    unsigned n, shown;
} hb_errs;

/* Starts with an empty buffer; hb_errs_resume keeps what buf holds. */
void hb_errs_init(hb_errs *e, char *buf, size_t cap);
void hb_errs_resume(hb_errs *e, char *buf, size_t cap);
void hb_errs_add(hb_errs *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hb_errs_end(hb_errs *e);

#endif /* HB_RUN_CONFIG_H */
