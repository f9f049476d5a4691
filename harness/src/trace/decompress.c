/*
 * xz (liblzma stream decoder, concatenated streams allowed) and gzip (zlib
 * with the gzip wrapper, concatenated members allowed) into one heap block
 * that grows by doubling.  The magic bytes are checked first, so a plain
 * file misnamed .gz is reported as such rather than as "data error".
 */
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "trace/fileio.h"

static const unsigned char xz_magic[6] = { 0xFD, '7', 'z', 'X', 'Z', 0x00 };
static const unsigned char gz_magic[2] = { 0x1F, 0x8B };

typedef struct outbuf {
    char *p;
    size_t len, cap;
} outbuf;

/* Makes room for more output; false when out of memory. */
static bool out_room(outbuf *o)
{
    if (o->len < o->cap)
        return true;
    size_t cap = o->cap ? o->cap * 2 : 1 << 20;
    if (cap < o->cap)
        return false;
    char *p = realloc(o->p, cap);
    if (!p)
        return false;
    o->p = p;
    o->cap = cap;
    return true;
}

static const char *lzma_why(lzma_ret r)
{
    switch (r) {
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_FORMAT_ERROR: return "not in the xz format";
    case LZMA_OPTIONS_ERROR: return "unsupported xz options";
    case LZMA_DATA_ERROR: return "corrupt xz data";
    case LZMA_BUF_ERROR: return "truncated xz data";
    default: return "xz decoder error";
    }
}

static int unxz(const char *path, const hb_filebuf *raw, outbuf *o, hb_diag *d)
{
    lzma_stream s = LZMA_STREAM_INIT;
    lzma_ret r = lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED);
    s.next_in = (const uint8_t *)raw->data;
    s.avail_in = raw->len;
    while (r == LZMA_OK) {
        if (!out_room(o)) {
            r = LZMA_MEM_ERROR;
            break;
        }
        s.next_out = (uint8_t *)o->p + o->len;
        s.avail_out = o->cap - o->len;
        r = lzma_code(&s, LZMA_FINISH);
        o->len = o->cap - s.avail_out;
    }
    lzma_end(&s);
    if (r == LZMA_STREAM_END)
        return 0;
    hb_diag_error(d, path, 0, "cannot decompress: %s", lzma_why(r));
    return -1;
}

static int gunzip(const char *path, const hb_filebuf *raw, outbuf *o, hb_diag *d)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    int r = inflateInit2(&z, 16 + MAX_WBITS);
    const unsigned char *in = (const unsigned char *)raw->data;
    size_t left = raw->len;
    while (r == Z_OK) {
        if (!out_room(o)) {
            r = Z_MEM_ERROR;
            break;
        }
        uInt chunk_in = left > UINT32_MAX ? UINT32_MAX : (uInt)left;
        size_t room = o->cap - o->len;
        uInt chunk_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
        z.next_in = (unsigned char *)in;
        z.avail_in = chunk_in;
        z.next_out = (unsigned char *)o->p + o->len;
        z.avail_out = chunk_out;
        r = inflate(&z, Z_NO_FLUSH);
        in += chunk_in - z.avail_in;
        left -= chunk_in - z.avail_in;
        o->len += chunk_out - z.avail_out;
        if (r == Z_STREAM_END && left >= 2 && !memcmp(in, gz_magic, 2))
            r = inflateReset(&z); /* another gzip member follows */
        else if (r == Z_BUF_ERROR && left && z.avail_out == 0)
            r = Z_OK; /* only the output was full */
        else if (r == Z_OK && !left && z.avail_out)
            r = Z_BUF_ERROR; /* input ended inside the stream */
    }
    const char *why = r == Z_MEM_ERROR ? "out of memory"
                      : r == Z_BUF_ERROR ? "truncated gzip data"
                      : z.msg             ? z.msg
                                          : "corrupt gzip data";
    inflateEnd(&z);
    if (r == Z_STREAM_END)
        return 0;
    hb_diag_error(d, path, 0, "cannot decompress: %s", why);
    return -1;
}

static bool magic_ok(const char *path, enum hb_comp c, const hb_filebuf *raw, hb_diag *d)
{
    const unsigned char *m = c == HB_COMP_XZ ? xz_magic : gz_magic;
    size_t n = c == HB_COMP_XZ ? sizeof xz_magic : sizeof gz_magic;
    if (raw->len >= n && !memcmp(raw->data, m, n))
        return true;
    hb_diag_error(d, path, 0, "expected %s data (magic bytes %s), got something else",
                  c == HB_COMP_XZ ? "xz" : "gzip", c == HB_COMP_XZ ? "FD 37 7A 58 5A 00" : "1F 8B");
    return false;
}

int hb_decompress(const char *path, enum hb_comp c, const hb_filebuf *raw, hb_filebuf *out,
                  hb_diag *d)
{
    outbuf o = { 0 };
    memset(out, 0, sizeof *out);
    if (!magic_ok(path, c, raw, d))
        return -1;
    int rc = c == HB_COMP_XZ ? unxz(path, raw, &o, d) : gunzip(path, raw, &o, d);
    if (rc < 0) {
        free(o.p);
        return -1;
    }
    out->data = out->owned_ = o.p;
    out->len = o.len;
    out->owned_len_ = o.cap;
    return 0;
}

/* The first cap bytes of an xz file, decompressed. */
static size_t head_xz(FILE *f, char *buf, size_t cap)
{
    lzma_stream s = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
        return 0;
    uint8_t in[8192];
    lzma_action action = LZMA_RUN;
    s.next_out = (uint8_t *)buf;
    s.avail_out = cap;
    while (s.avail_out > 0) {
        if (s.avail_in == 0 && action == LZMA_RUN) {
            s.next_in = in;
            s.avail_in = fread(in, 1, sizeof in, f);
            if (s.avail_in == 0)
                action = LZMA_FINISH;
        }
        if (lzma_code(&s, action) != LZMA_OK)
            break;
    }
    size_t got = cap - s.avail_out;
    lzma_end(&s);
    return got;
}

/* gzread reads plain files as they are, so it serves both. */
size_t hb_read_head(const char *path, char *buf, size_t cap)
{
    size_t n = strlen(path);
    if (n > 3 && !strcmp(path + n - 3, ".xz")) {
        FILE *f = fopen(path, "rb");
        size_t got = f ? head_xz(f, buf, cap) : 0;
        if (f)
            fclose(f);
        return got;
    }
    gzFile g = gzopen(path, "rb");
    if (!g)
        return 0;
    int got = gzread(g, buf, (unsigned)cap);
    gzclose(g);
    return got > 0 ? (size_t)got : 0;
}
