#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

/* Room for extra more bytes and the NUL, growing by doubling. */
static bool reserve(hb_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra < b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap <= b->len + extra) {
        if (cap > SIZE_MAX / 2)
            return b->oom = true, false;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p)
        return b->oom = true, false;
    b->data = p;
    b->cap = cap;
    return true;
}

void hb_buf_put(hb_buf *b, const char *s, size_t n)
{
    if (b->limit && b->len + n > b->limit)
        n = b->limit > b->len ? b->limit - b->len : 0;
    if (!reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void hb_buf_puts(hb_buf *b, const char *s) { hb_buf_put(b, s, strlen(s)); }

void hb_buf_u64(hb_buf *b, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[sizeof tmp - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    hb_buf_put(b, tmp + sizeof tmp - n, n);
}

void hb_buf_free(hb_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}
