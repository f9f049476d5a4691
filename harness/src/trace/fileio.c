/*
 * Trace files into memory (see fileio.h).  A regular file is mapped rather
 * than copied: a large text trace is then read once, by the parser.
 */
#include "trace/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/units.h"

static const unsigned char xz_magic[6] = { 0xFD, '7', 'z', 'X', 'Z', 0x00 };
static const unsigned char gz_magic[2] = { 0x1F, 0x8B };

/* A regular file of size 0 may still hold bytes (those of /proc): read it
 * as a stream, up to the limit. */
static int read_stream(int fd, uint64_t max, hb_filebuf *b)
{
    size_t cap = 1 << 16, len = 0;
    char *p = malloc(cap);
    for (;;) {
        if (!p)
            return -1;
        if (len == cap) {
            char *q = len > max ? NULL : realloc(p, cap *= 2);
            if (!q) {
                free(p);
                errno = len > max ? EFBIG : ENOMEM;
                return -1;
            }
            p = q;
        }
        ssize_t n = read(fd, p + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(p);
            errno = e;
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    b->data = b->owned_ = p;
    b->len = b->owned_len_ = len;
    return 0;
}

/* What a file that is not a regular file is, for the message. */
static const char *kind_of(mode_t m)
{
    return S_ISDIR(m)    ? "a directory"
           : S_ISFIFO(m) ? "a FIFO (named pipe)"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

static bool refuse(const char *path, const struct stat *st, const hb_trace_limits *lim,
                   hb_diag *d)
{
    if (!S_ISREG(st->st_mode)) {
        hb_diag_error(d, path, 0, "expected a trace file, got %s", kind_of(st->st_mode));
        return true;
    }
    if ((uint64_t)st->st_size > lim->max_bytes) {
        hb_diag_error(d, path, 0, "expected at most %llu bytes (HB_TRACE_MAX_BYTES), got a "
                      "file of %llu bytes", (unsigned long long)lim->max_bytes,
                      (unsigned long long)st->st_size);
        return true;
    }
    return false;
}

static int map_file(const char *path, int fd, size_t size, hb_filebuf *b, hb_diag *d)
{
    void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        hb_diag_error(d, path, 0, "cannot map: %s", strerror(errno));
        return -1;
    }
    madvise(m, size, MADV_SEQUENTIAL);
    b->data = b->owned_ = m;
    b->len = b->owned_len_ = size;
    b->mapped_ = true;
    return 0;
}

int hb_file_read(const char *path, const hb_trace_limits *lim, hb_filebuf *b, hb_diag *d)
{
    struct stat st;
    memset(b, 0, sizeof *b);
    /* Judged by name first: opening a FIFO for reading waits for a writer,
     * and a device such as /dev/zero never ends. */
    if (stat(path, &st) < 0) {
        hb_diag_error(d, path, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (refuse(path, &st, lim, d))
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) < 0) {
        hb_diag_error(d, path, 0, "cannot open: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int rc = -1;
    if (refuse(path, &st, lim, d)) /* replaced since the first look */
        rc = -1;
    else if (st.st_size > 0)
        rc = map_file(path, fd, (size_t)st.st_size, b, d);
    else if ((rc = read_stream(fd, lim->max_bytes, b)) < 0)
        hb_diag_error(d, path, 0, "cannot read: %s", strerror(errno));
    close(fd);
    return rc;
}

int hb_trace_limits_get(hb_trace_limits *lim, const char *file, hb_diag *d)
{
    static const struct { const char *var, *what; } env[2] = {
        { "HB_TRACE_MAX_BYTES", "a size such as 4GiB" },
        { "HB_TRACE_MAX_LINE", "a size in bytes such as 65536" },
    };
    uint64_t *dst[2] = { &lim->max_bytes, &lim->max_line };
    lim->max_bytes = HB_TRACE_MAX_BYTES_DEFAULT;
    lim->max_line = HB_TRACE_MAX_LINE_DEFAULT;
    for (unsigned i = 0; i < 2; i++) {
        const char *v = getenv(env[i].var);
        if (!v || !*v)
            continue;
        if (hb_parse_size(v, dst[i]) < 0 || *dst[i] == 0) {
            hb_diag_error(d, file, 0, "%s: expected %s, got '%s'", env[i].var, env[i].what, v);
            return -1;
        }
    }
    return 0;
}

void hb_line_too_long(hb_diag *d, const char *file, uint64_t line, const hb_trace_limits *lim)
{
    hb_diag_error(d, file, line > UINT_MAX ? UINT_MAX : (unsigned)line,
                  "expected lines of at most %llu bytes (HB_TRACE_MAX_LINE), got a longer "
                  "one; is this a trace file?", (unsigned long long)lim->max_line);
}

void hb_filebuf_release(hb_filebuf *b)
{
    if (b->mapped_)
        munmap(b->owned_, b->owned_len_);
    else
        free(b->owned_);
    memset(b, 0, sizeof *b);
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

size_t hb_strip_comp_suffix(const char *path)
{
    size_t n = strlen(path);
    if (ends_with(path, n, ".xz") || ends_with(path, n, ".gz"))
        return n - 3;
    return n;
}

enum hb_comp hb_comp_of(const char *path, const hb_filebuf *raw)
{
    size_t n = strlen(path);
    if (ends_with(path, n, ".xz"))
        return HB_COMP_XZ;
    if (ends_with(path, n, ".gz"))
        return HB_COMP_GZ;
    if (raw->len >= sizeof xz_magic && !memcmp(raw->data, xz_magic, sizeof xz_magic))
        return HB_COMP_XZ;
    if (raw->len >= sizeof gz_magic && !memcmp(raw->data, gz_magic, sizeof gz_magic))
        return HB_COMP_GZ;
    return HB_COMP_NONE;
}
