/*
 * Reading a trace file into memory: mapped when it is a regular file, read
 * otherwise, and decompressed from xz or gzip.
 */
#ifndef HB_TRACE_FILEIO_H
#define HB_TRACE_FILEIO_H

#include <stdbool.h>
#include <stddef.h>

#include "trace/trace.h"

typedef struct hb_filebuf {
    const char *data;
    size_t len;
    void *owned_;    /* what to release: a mapping or a heap block */
    size_t owned_len_;
    bool mapped_;
} hb_filebuf;

enum hb_comp { HB_COMP_NONE = 0, HB_COMP_XZ, HB_COMP_GZ };

int hb_file_read(const char *path, hb_filebuf *b, hb_diag *d);
void hb_filebuf_release(hb_filebuf *b);

/* .xz / .gz by the name; when the name has neither, by the magic bytes. */
enum hb_comp hb_comp_of(const char *path, const hb_filebuf *raw);
/* The file name without ".xz" or ".gz": the length of the rest. */
size_t hb_strip_comp_suffix(const char *path);

/* Decompresses raw into out; errors name path. */
int hb_decompress(const char *path, enum hb_comp c, const hb_filebuf *raw, hb_filebuf *out,
                  hb_diag *d);

/* Up to cap bytes from the start of the file, decompressed by its .xz/.gz
 * suffix; 0 when it cannot be read.  For a look at the header only. */
size_t hb_read_head(const char *path, char *buf, size_t cap);

#endif /* HB_TRACE_FILEIO_H */
