/*
 * Anonymous resident memory and page residency (see footprint.h).  Nothing
 * here allocates: buffers are on the stack or static.
 */
#define _GNU_SOURCE
#include "replay/footprint.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_size(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    return pg > 0 ? (size_t)pg : 4096;
}

int hb_anon_open(hb_anon *a)
{
    a->page = page_size();
    a->fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    return a->fd < 0 ? -1 : 0;
}

void hb_anon_close(hb_anon *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
}

static const char *read_u64(const char *p, const char *end, uint64_t *v)
{
    *v = 0;
    while (p < end && *p == ' ')
        p++;
    for (; p < end && *p >= '0' && *p <= '9'; p++)
        *v = *v * 10 + (uint64_t)(*p - '0');
    return p;
}

/* statm is "size resident shared text lib data dt", in pages; shared is
 * the file-backed and shmem part of resident. */
uint64_t hb_anon_bytes(hb_anon *a)
{
    char buf[160];
    ssize_t n = pread(a->fd, buf, sizeof buf, 0);
    if (n <= 0)
        return 0;
    uint64_t size, resident, shared;
    const char *p = read_u64(buf, buf + n, &size);
    p = read_u64(p, buf + n, &resident);
    read_u64(p, buf + n, &shared);
    a->vm_pages = size;
    return resident > shared ? (resident - shared) * a->page : 0;
}

void hb_prefault_stack(size_t bytes)
{
    volatile unsigned char *probe = __builtin_alloca(bytes);
    for (size_t off = 0; off < bytes; off += 1024)
        probe[off] = 0;
}

uint64_t hb_resident_bytes(void *base, size_t len)
{
    static unsigned char vec[1 << 16];
    size_t page = page_size(), pages = (len + page - 1) / page;
    uint64_t n = 0;
    for (size_t first = 0; first < pages; first += sizeof vec) {
        size_t count = pages - first < sizeof vec ? pages - first : sizeof vec;
        if (mincore((char *)base + first * page, count * page, vec) != 0)
            return 0;
        for (size_t i = 0; i < count; i++)
            n += vec[i] & 1;
    }
    return n * page;
}

static unsigned long parse_hex(const char *p, const char **end)
{
    unsigned long v = 0;
    for (;; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
        if (d < 0)
            break;
        v = v * 16 + (unsigned long)d;
    }
    *end = p;
    return v;
}

/* Looks for the "[heap]" line of /proc/self/maps, read in chunks. */
uint64_t hb_brk_heap_resident(void)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[8192];
    size_t have = 0;
    uint64_t found = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            if (strstr(line, "[heap]")) {
                const char *e;
                unsigned long lo = parse_hex(line, &e), hi = parse_hex(e + 1, &e);
                found = hb_resident_bytes((void *)lo, hi - lo);
            }
            line = nl + 1;
        }
        have = (size_t)(buf + have - line);
        memmove(buf, line, have);
    }
    close(fd);
    return found;
}
