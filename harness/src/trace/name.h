/*
 * The name a trace goes by in results: its "#! name:" metadata, else its
 * file name without directory and trace suffixes.  One rule, used by the
 * reader (hb_trace_load), by `heapbench run` for a trace that did not load
 * and by bench's trace list, so a trace's rows are named alike everywhere.
 */
#ifndef HB_TRACE_NAME_H
#define HB_TRACE_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "trace/trace.h"

/* Whether the file name ends like a trace: .trace, .rep or .mtrace, each
 * possibly followed by .xz or .gz. */
bool hb_is_trace_file(const char *path);

/* The file name of path without directory, .xz/.gz and .trace/.rep/.mtrace;
 * a file in the mtrace format with another extension loses that too
 * ("mtr.log" -> "mtr"; a dot in a version number stays: "glibc-2.36"). */
void hb_trace_stem(const char *path, enum hb_trace_format fmt, char *out, size_t len);

/* One "#! key: value" line, p at the '#' and end before the line break,
 * blanks around key and value trimmed.  False when there is no key. */
typedef struct hb_meta_kv {
    const char *key, *val;
    size_t klen, vlen;
} hb_meta_kv;
bool hb_meta_split(const char *p, const char *end, hb_meta_kv *kv);

/* The last "#! name:" before the first operation of a native trace's text;
 * false when there is none (or it is empty). */
bool hb_trace_header_name(const char *text, size_t n, char *out, size_t len);

/* The name of the trace file at path, reading at most its first 64 KiB
 * (decompressed); a file that cannot be read gets its stem. */
void hb_trace_display_name(const char *path, char *out, size_t len);

#endif /* HB_TRACE_NAME_H */
