/*
 * A growable byte buffer: text being generated, a child's output being
 * collected.  The bytes are always followed by a NUL, so a buffer of text
 * is a C string too.  A limit, when set, keeps the first limit bytes and
 * drops the rest (a child that floods its output is still drained).  A
 * failed growth sets oom and drops the bytes; the caller checks it once
 * at the end.
 */
#ifndef HB_UTIL_BUF_H
#define HB_UTIL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hb_buf {
    char *data;   /* NULL until the first byte                   */
    size_t len, cap;
    size_t limit; /* 0: no limit                                 */
    bool oom;     /* a growth failed: the contents are incomplete */
} hb_buf;

void hb_buf_put(hb_buf *b, const char *s, size_t n);
void hb_buf_puts(hb_buf *b, const char *s);
/* v in decimal. */
void hb_buf_u64(hb_buf *b, uint64_t v);
void hb_buf_free(hb_buf *b);

#endif /* HB_UTIL_BUF_H */
