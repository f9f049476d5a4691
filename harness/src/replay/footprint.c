/*
 * RSS sampling and arena residency (see footprint.h).
 */
#define _GNU_SOURCE
#include "replay/footprint.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

/* statm is "size resident shared text lib data dt" in pages. */
static uint64_t read_resident(const hb_rss *s)
{
    char buf[128];
    ssize_t n = pread(s->fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    ssize_t i = 0;
    while (i < n && buf[i] != ' ')
        i++;
    uint64_t pages = 0;
    for (i++; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
        pages = pages * 10 + (uint64_t)(buf[i] - '0');
    return pages * s->page;
}

int hb_rss_open(hb_rss *s)
{
    long pg = sysconf(_SC_PAGESIZE);
    s->page = pg > 0 ? (size_t)pg : 4096;
    s->fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (s->fd < 0)
        return -1;
    s->base = s->peak = read_resident(s);
    return 0;
}

void hb_rss_sample(hb_rss *s)
{
    uint64_t r = read_resident(s);
    if (r > s->peak)
        s->peak = r;
}

uint64_t hb_rss_growth(const hb_rss *s) { return s->peak > s->base ? s->peak - s->base : 0; }

void hb_rss_close(hb_rss *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

uint64_t hb_resident_bytes(void *base, size_t len, unsigned char *vec)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t page = pg > 0 ? (size_t)pg : 4096;
    if (mincore(base, len, vec) != 0)
        return 0;
    uint64_t n = 0;
    for (size_t i = 0; i < (len + page - 1) / page; i++)
        n += vec[i] & 1;
    return n * page;
}
