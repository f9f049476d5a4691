/*
 * Trace files into memory (see fileio.h).  A regular file is mapped rather
 * than copied: a large text trace is then read once, by the parser.
 */
#include "trace/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char xz_magic[6] = { 0xFD, '7', 'z', 'X', 'Z', 0x00 };
static const unsigned char gz_magic[2] = { 0x1F, 0x8B };

static int read_stream(int fd, hb_filebuf *b)
{
    size_t cap = 1 << 16, len = 0;
    char *p = malloc(cap);
    for (;;) {
        if (!p)
            return -1;
        if (len == cap) {
            char *q = realloc(p, cap *= 2);
            if (!q) {
                free(p);
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

int hb_file_read(const char *path, hb_filebuf *b, hb_diag *d)
{
    struct stat st;
    memset(b, 0, sizeof *b);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        hb_diag_error(d, path, 0, "cannot open: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int rc = 0;
    if (S_ISDIR(st.st_mode)) {
        hb_diag_error(d, path, 0, "expected a trace file, got a directory");
        rc = -1;
    } else if (S_ISREG(st.st_mode) && st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            hb_diag_error(d, path, 0, "cannot map: %s", strerror(errno));
            rc = -1;
        } else {
            madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
            b->data = b->owned_ = m;
            b->len = b->owned_len_ = (size_t)st.st_size;
            b->mapped_ = true;
        }
    } else if (read_stream(fd, b) < 0) {
        hb_diag_error(d, path, 0, "cannot read: %s", strerror(errno));
        rc = -1;
    }
    close(fd);
    return rc;
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
