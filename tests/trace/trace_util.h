/*
 * Helpers shared by the trace tests: parse or load with the diagnostics
 * captured in memory, so a test can check the exact messages.
 */
#ifndef HB_TEST_TRACE_UTIL_H
#define HB_TEST_TRACE_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

#define TRACE_DATA HB_TEST_DATA "/traces"
#define HANDMADE HB_TEST_DATA "/../../traces/handmade"

typedef struct captured {
    hb_diag d;
    char *text; /* every message printed, NUL-terminated */
    size_t len;
    FILE *f;
} captured;

static inline void cap_begin(captured *c, unsigned max_print)
{
    memset(c, 0, sizeof *c);
    c->f = open_memstream(&c->text, &c->len);
    c->d.out = c->f;
    c->d.max_print = max_print;
}

/* Ends the capture; c->text stays until cap_free. */
static inline const char *cap_end(captured *c)
{
    if (c->f)
        fclose(c->f);
    c->f = NULL;
    return c->text ? c->text : "";
}

static inline void cap_free(captured *c)
{
    cap_end(c);
    free(c->text);
    c->text = NULL;
}

static inline int parse_str(const char *name, const char *text, enum hb_trace_format fmt,
                            hb_trace *t, captured *c)
{
    cap_begin(c, 1000);
    int rc = hb_trace_parse_buffer(name, text, strlen(text), fmt, t, &c->d);
    cap_end(c);
    return rc;
}

static inline int load_file(const char *path, const hb_trace_load_opts *o, hb_trace *t,
                            captured *c)
{
    cap_begin(c, 1000);
    int rc = hb_trace_load(path, o, t, &c->d);
    cap_end(c);
    return rc;
}

/* Count of lines of s that contain needle. */
static inline unsigned count_lines_with(const char *s, const char *needle)
{
    unsigned n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static inline int same_sum(const hb_trace_summary *a, const hb_trace_summary *b)
{
    for (unsigned k = 0; k < HB_OP_KINDS; k++)
        if (a->count[k] != b->count[k])
            return 0;
    return a->free_null == b->free_null && a->peak_live_bytes == b->peak_live_bytes &&
           a->peak_live_blocks == b->peak_live_blocks &&
           a->total_alloc_bytes == b->total_alloc_bytes && a->max_size == b->max_size &&
           a->threads == b->threads;
}

/* The same ops (every field, hb_op has no padding) and summary. */
static inline int same_ops(const hb_trace *a, const hb_trace *b)
{
    return a->nops == b->nops && a->nslots == b->nslots &&
           !memcmp(a->ops, b->ops, a->nops * sizeof *a->ops) && same_sum(&a->sum, &b->sum);
}

#endif /* HB_TEST_TRACE_UTIL_H */
