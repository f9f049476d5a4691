/*
 * Reading a trace file into memory: only a regular file is read (a FIFO or a
 * device is refused by name, before it is opened), mapped when it has a
 * size, and decompressed from xz or gzip, within the limits below.
 */
#ifndef HB_TRACE_FILEIO_H
#define HB_TRACE_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

typedef struct hb_filebuf {
    const char *data;
    size_t len;
    void *owned_;    /* what to release: a mapping or a heap block */
    size_t owned_len_;
    bool mapped_;
} hb_filebuf;

enum hb_comp { HB_COMP_NONE = 0, HB_COMP_XZ, HB_COMP_GZ };

/*
 * How much a trace may hold, so that a hostile or mistaken file (a
 * decompression bomb, a binary file) is refused with a message rather than
 * exhausting memory.  Defaults below; the environment variables
 * HB_TRACE_MAX_BYTES (a size: "4GiB") and HB_TRACE_MAX_LINE (bytes) raise
 * or lower them (docs/trace-format.md, "Limits").
 */
typedef struct hb_trace_limits {
    uint64_t max_bytes; /* of text, after decompression */
    uint64_t max_line;  /* of one line, without its end */
} hb_trace_limits;

#define HB_TRACE_MAX_BYTES_DEFAULT (1ull << 30)
#define HB_TRACE_MAX_LINE_DEFAULT (64ull << 10)

/* The limits in force; a malformed variable is an error naming file. */
int hb_trace_limits_get(hb_trace_limits *lim, const char *file, hb_diag *d);

/* Reports a line longer than the limit (line is 1-based). */
void hb_line_too_long(hb_diag *d, const char *file, uint64_t line, const hb_trace_limits *lim);

/* A UTF-8 byte order mark, skipped at the start of a file. */
#define HB_BOM "\xEF\xBB\xBF"

/* Reads path, which must be a regular file of at most lim->max_bytes. */
int hb_file_read(const char *path, const hb_trace_limits *lim, hb_filebuf *b, hb_diag *d);
void hb_filebuf_release(hb_filebuf *b);

/* .xz / .gz by the name; when the name has neither, by the magic bytes. */
enum hb_comp hb_comp_of(const char *path, const hb_filebuf *raw);
/* The file name without ".xz" or ".gz": the length of the rest. */
size_t hb_strip_comp_suffix(const char *path);

/* Decompresses raw into out, stopping as soon as the text passes a limit
 * (a line with no end in sight stops it early); errors name path.  Data
 * after the last stream that is not another stream is an error. */
int hb_decompress(const char *path, enum hb_comp c, const hb_filebuf *raw, const hb_trace_limits *lim,
                  hb_filebuf *out, hb_diag *d);

/* Up to cap bytes from the start of the file, decompressed by its .xz/.gz
 * suffix; 0 when it cannot be read or is not a regular file.  For a look
 * at the header only. */
size_t hb_read_head(const char *path, char *buf, size_t cap);

#endif /* HB_TRACE_FILEIO_H */
