/* Traces handed to another process (see handoff.h). */
#define _GNU_SOURCE /* memfd_create */
#include "trace/handoff.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace/cache.h"
#include "trace/internal.h"

/* The entry of t in a memfd, rewound for the reader. */
static int entry_memfd(const hb_trace *t)
{
    int fd = memfd_create("heapbench-trace", 0);
    if (fd < 0)
        return -1;
    if (hb_cache_write_fd(fd, t->content_hash, t) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int hb_trace_handoff(const char *path, const hb_trace_load_opts *opts, hb_diag *d)
{
    hb_trace t;
    char entry[4096];
    if (hb_trace_load_entry(path, opts, &t, d, entry, sizeof entry) < 0)
        return -1;
    int fd = entry[0] ? open(entry, O_RDONLY) : -1; /* inherited: no O_CLOEXEC */
    if (fd < 0)
        fd = entry_memfd(&t);
    if (fd < 0)
        hb_diag_error(d, path, 0, "cannot hand the parsed trace over: %s", strerror(errno));
    hb_trace_release(&t);
    return fd;
}

int hb_trace_from_fd(int fd, const char *path, hb_trace *t)
{
    int rc = hb_cache_read_fd(fd, t);
    close(fd);
    if (rc == 0 && hb_trace_attach_path(t, path) < 0) {
        hb_trace_release(t);
        rc = -1;
    }
    return rc;
}
