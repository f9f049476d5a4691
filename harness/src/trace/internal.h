/*
 * Private to the trace readers: the three text parsers, the content hash,
 * the diagnostics helpers they share, and how a loaded trace is given its
 * path and default name.
 */
#ifndef HB_TRACE_INTERNAL_H
#define HB_TRACE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

/* Bumped whenever a reader's output for the same bytes may change, so that
 * binary-cache entries of an older reader are never used. */
#define HB_TRACE_READER_VERSION 3u

/* Each parser fills t (storage, ops, summary, metadata strings; not path or
 * the default name) and returns 0, or reports through d and returns -1 with
 * t left zeroed. */
int hb_parse_native(const char *file, const char *buf, size_t len, hb_trace *t, hb_diag *d);
int hb_parse_rep(const char *file, const char *buf, size_t len, hb_trace *t, hb_diag *d);
int hb_parse_mtrace(const char *file, const char *buf, size_t len, hb_trace *t, hb_diag *d);

/* The format a buffer's first meaningful line suggests. */
enum hb_trace_format hb_format_by_content(const char *buf, size_t len);
/* NATIVE for .trace, REP for .rep (looking through .xz/.gz), else AUTO
 * (trace/name.c, with the other rules about file names). */
enum hb_trace_format hb_format_by_suffix(const char *path);

/* Sets t->path to a copy of path and, when no metadata name was read,
 * t->name to its stem (hb_trace_stem of trace/name.h). */
int hb_trace_attach_path(hb_trace *t, const char *path);

/* hb_trace_load, also giving the path of the cache entry that holds the
 * trace now (read or just written) in entry, or "" when there is none. */
int hb_trace_load_entry(const char *path, const hb_trace_load_opts *opts, hb_trace *t,
                        hb_diag *d, char *entry, size_t cap);

/* A fast 64-bit hash of a byte string (not cryptographic). */
uint64_t hb_hash64(const void *data, size_t len, uint64_t seed);

/* Problems (errors and warnings) reported through d so far. */
static inline unsigned hb_diag_total(const hb_diag *d)
{
    return d->errors + d->warnings;
}

/* After a file: "FILE: ... and N more problems" for those reported since
 * d held `before` of them but not printed (past max_print). */
void hb_diag_more(hb_diag *d, const char *file, unsigned before);

/* Copies n bytes of s into dst (cap bytes) for a message: non-printing
 * bytes become '?', and a long text is cut with "...". Returns dst. */
char *hb_diag_quote(char *dst, size_t cap, const char *s, size_t n);

#endif /* HB_TRACE_INTERNAL_H */
