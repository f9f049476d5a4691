/*
 * xz (liblzma stream decoder, concatenated streams allowed) and gzip (zlib
 * with the gzip wrapper, concatenated members allowed) into one heap block
 * that grows by doubling.  The magic bytes are checked first, so a plain
 * file misnamed .gz is reported as such rather than as "data error".
 *
 * A small file can decompress to gigabytes, so the output is watched as it
 * grows: the buffer never grows past the size limit, and a line that runs
 * past the line limit (a stream of NUL bytes, a binary file) stops the
 * decoder at once rather than at the size limit.
 */
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "trace/fileio.h"

static const unsigned char xz_magic[6] = { 0xFD, '7', 'z', 'X', 'Z', 0x00 };
static const unsigned char gz_magic[2] = { 0x1F, 0x8B };

typedef struct outbuf {
    char *p;
    size_t len, cap;
    const hb_trace_limits *lim;
    size_t scanned;    /* bytes looked at for line ends            */
    size_t line_start; /* offset of the line being written         */
    uint64_t lines;    /* line ends seen                           */
    int over;          /* OVER_SIZE or OVER_LINE once past a limit */
} outbuf;

enum { OVER_NONE = 0, OVER_SIZE, OVER_LINE };

/* Makes room for more output; false when out of memory or at the size
 * limit (one byte past it is allowed, to tell "exactly at" from "over"). */
static bool out_room(outbuf *o)
{
    if (o->len < o->cap)
        return true;
    uint64_t most = o->lim->max_bytes + 1;
    if (o->cap >= most) {
        o->over = OVER_SIZE;
        return false;
    }
    size_t cap = o->cap ? o->cap * 2 : 1 << 20;
    if (cap < o->cap || cap > most)
        cap = (size_t)most;
    char *p = realloc(o->p, cap);
    if (!p)
        return false;
    o->p = p;
    o->cap = cap;
    return true;
}

/* Looks at the output added since the last call; false past a limit. */
static bool out_within(outbuf *o)
{
    const char *p = o->p + o->scanned, *end = o->p + o->len, *nl;
    while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
        if ((uint64_t)(nl - (o->p + o->line_start)) > o->lim->max_line)
            break;
        o->lines++;
        o->line_start = (size_t)(nl + 1 - o->p);
        p = nl + 1;
    }
    o->scanned = o->len;
    if ((uint64_t)(o->len - o->line_start) > o->lim->max_line)
        o->over = OVER_LINE;
    else if (o->len > o->lim->max_bytes)
        o->over = OVER_SIZE;
    return o->over == OVER_NONE;
}

static void report_over(const char *path, const outbuf *o, hb_diag *d)
{
    if (o->over == OVER_LINE)
        hb_line_too_long(d, path, o->lines + 1, o->lim);
    else
        hb_diag_error(d, path, 0, "expected at most %llu bytes of text (HB_TRACE_MAX_BYTES), "
                      "got more once decompressed", (unsigned long long)o->lim->max_bytes);
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

/* After a stream: skips stream padding (zero bytes, four at a time) and
 * says whether another stream starts; *left counts what else remains. */
static bool next_xz_stream(const uint8_t **in, size_t *left)
{
    while (*left >= 4 && !memcmp(*in, "\0\0\0\0", 4))
        *in += 4, *left -= 4;
    return *left >= sizeof xz_magic && !memcmp(*in, xz_magic, sizeof xz_magic);
}

/* One xz stream from *in; LZMA_STREAM_END when it ended cleanly. */
static lzma_ret unxz_stream(const uint8_t **in, size_t *left, outbuf *o)
{
    lzma_stream s = LZMA_STREAM_INIT;
    lzma_ret r = lzma_stream_decoder(&s, UINT64_MAX, 0);
    s.next_in = *in;
    s.avail_in = *left;
    while (r == LZMA_OK) {
        if (!out_room(o)) {
            r = LZMA_MEM_ERROR;
            break;
        }
        s.next_out = (uint8_t *)o->p + o->len;
        s.avail_out = o->cap - o->len;
        r = lzma_code(&s, LZMA_FINISH);
        o->len = o->cap - s.avail_out;
        if (!out_within(o))
            break;
    }
    *in = s.next_in;
    *left = s.avail_in;
    lzma_end(&s);
    return r;
}

/* Streams one after another, as xz writes them concatenated; anything
 * after the last that starts no other stream is an error, as gzip's. */
static int unxz(const char *path, const hb_filebuf *raw, outbuf *o, hb_diag *d)
{
    const uint8_t *in = (const uint8_t *)raw->data;
    size_t left = raw->len;
    lzma_ret r;
    do
        r = unxz_stream(&in, &left, o);
    while (r == LZMA_STREAM_END && !o->over && next_xz_stream(&in, &left));
    if (o->over)
        report_over(path, o, d);
    else if (r != LZMA_STREAM_END)
        hb_diag_error(d, path, 0, "cannot decompress: %s", lzma_why(r));
    else if (left)
        hb_diag_error(d, path, 0, "cannot decompress: %zu bytes of trailing data after the "
                      "xz stream, which start no other xz stream", left);
    else
        return 0;
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
        if (!out_within(o))
            break;
        if (r == Z_STREAM_END && left >= 2 && !memcmp(in, gz_magic, 2))
            r = inflateReset(&z); /* another gzip member follows */
        else if (r == Z_STREAM_END && left)
            break; /* trailing data that starts no member */
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
    if (o->over) {
        report_over(path, o, d);
        return -1;
    }
    if (r == Z_STREAM_END && left)
        hb_diag_error(d, path, 0, "cannot decompress: %zu bytes of trailing data after the "
                      "gzip stream, which start no other gzip member", left);
    else if (r == Z_STREAM_END)
        return 0;
    else
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

int hb_decompress(const char *path, enum hb_comp c, const hb_filebuf *raw, const hb_trace_limits *lim,
                  hb_filebuf *out, hb_diag *d)
{
    outbuf o = { .lim = lim };
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

/* gzread reads plain files as they are, so it serves both.  Only a
 * regular file is opened: a FIFO would wait for a writer (the reader then
 * refuses it by name). */
size_t hb_read_head(const char *path, char *buf, size_t cap)
{
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
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
