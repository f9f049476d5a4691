/*
 * Trace output with optional compression.  Errors are sticky: the first one
 * is kept and reported by close, so callers can write without checking
 * every call.
 */
#include <errno.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "record/sink.h"

enum sink_kind { SINK_PLAIN, SINK_XZ, SINK_GZ };

struct hb_rec_sink {
    enum sink_kind kind;
    char *path, *tmp;
    FILE *f;        /* plain and xz */
    gzFile gz;
    lzma_stream xz;
    char error[256];
    unsigned char out[1 << 16];
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void fail(hb_rec_sink *s, const char *what)
{
    if (!s->error[0])
        snprintf(s->error, sizeof s->error, "%s: error: %s: %s", s->path, what, strerror(errno));
}

static int open_kind(hb_rec_sink *s)
{
    if (s->kind == SINK_GZ) {
        s->gz = gzopen(s->tmp, "wb9");
        return s->gz ? 0 : -1;
    }
    s->f = fopen(s->tmp, "wb");
    if (!s->f)
        return -1;
    if (s->kind == SINK_XZ) {
        lzma_stream init = LZMA_STREAM_INIT;
        s->xz = init;
        if (lzma_easy_encoder(&s->xz, 6, LZMA_CHECK_CRC64) != LZMA_OK) {
            errno = ENOMEM;
            return -1;
        }
    }
    return 0;
}

hb_rec_sink *hb_rec_sink_open(const char *path, char *err, size_t errlen)
{
    hb_rec_sink *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "%s: error: out of memory", path);
        return NULL;
    }
    s->kind = ends_with(path, ".xz") ? SINK_XZ : ends_with(path, ".gz") ? SINK_GZ : SINK_PLAIN;
    s->path = strdup(path);
    s->tmp = malloc(strlen(path) + 5);
    if (s->path && s->tmp) {
        sprintf(s->tmp, "%s.tmp", path);
        if (open_kind(s) == 0)
            return s;
    }
    snprintf(err, errlen, "%s: error: cannot create: %s", path, strerror(errno));
    if (s->f)
        fclose(s->f);
    if (s->tmp)
        remove(s->tmp);
    free(s->path);
    free(s->tmp);
    free(s);
    return NULL;
}

/* Runs the encoder until it wants more input (or, finishing, until the end). */
static void xz_pump(hb_rec_sink *s, lzma_action action)
{
    for (;;) {
        s->xz.next_out = s->out;
        s->xz.avail_out = sizeof s->out;
        lzma_ret r = lzma_code(&s->xz, action);
        size_t n = sizeof s->out - s->xz.avail_out;
        if (n && fwrite(s->out, 1, n, s->f) != n)
            fail(s, "cannot write");
        if (r == LZMA_STREAM_END || (r == LZMA_OK && s->xz.avail_in == 0 && action == LZMA_RUN))
            return;
        if (r != LZMA_OK) {
            errno = EIO;
            fail(s, "xz compression failed");
            return;
        }
    }
}

int hb_rec_sink_write(hb_rec_sink *s, const void *data, size_t len)
{
    if (s->error[0] || len == 0)
        return s->error[0] ? -1 : 0;
    if (s->kind == SINK_PLAIN) {
        if (fwrite(data, 1, len, s->f) != len)
            fail(s, "cannot write");
    } else if (s->kind == SINK_GZ) {
        for (size_t done = 0; done < len && !s->error[0];) {
            unsigned chunk = len - done > (1u << 30) ? 1u << 30 : (unsigned)(len - done);
            if (gzwrite(s->gz, (const char *)data + done, chunk) != (int)chunk)
                fail(s, "cannot write");
            done += chunk;
        }
    } else {
        s->xz.next_in = data;
        s->xz.avail_in = len;
        xz_pump(s, LZMA_RUN);
    }
    return s->error[0] ? -1 : 0;
}

int hb_rec_sink_printf(hb_rec_sink *s, const char *fmt, ...)
{
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    return hb_rec_sink_write(s, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void finish(hb_rec_sink *s)
{
    if (s->kind == SINK_GZ) {
        if (gzclose(s->gz) != Z_OK)
            fail(s, "cannot write");
        return;
    }
    if (s->kind == SINK_XZ) {
        s->xz.avail_in = 0;
        xz_pump(s, LZMA_FINISH);
        lzma_end(&s->xz);
    }
    if (fclose(s->f) != 0)
        fail(s, "cannot write");
}

int hb_rec_sink_close(hb_rec_sink *s, char *err, size_t errlen)
{
    finish(s);
    if (!s->error[0] && rename(s->tmp, s->path) != 0)
        fail(s, "cannot rename the finished file into place");
    int rc = s->error[0] ? -1 : 0;
    if (rc) {
        snprintf(err, errlen, "%s", s->error);
        remove(s->tmp);
    }
    free(s->path);
    free(s->tmp);
    free(s);
    return rc;
}
