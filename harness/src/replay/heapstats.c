/*
 * The statistics interfaces of the system allocators (see heapstats.h).
 */
#define _GNU_SOURCE
#include "replay/heapstats.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>
#include <malloc.h>
#include <stddef.h>

enum { HS_NONE, HS_JEMALLOC, HS_MIMALLOC, HS_TCMALLOC, HS_GLIBC };

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);
typedef void (*mi_process_info_fn)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *,
                                   size_t *, size_t *);
typedef int (*tc_property_fn)(const char *, size_t *);
typedef struct mallinfo2 (*mallinfo2_fn)(void);

static bool found(hb_heapstats *s, int kind, void *fn, const char *stats, const char *reserved)
{
    if (!fn)
        return false;
    *s = (hb_heapstats){ .kind = kind, .fn = fn, .stats_method = stats,
                         .reserved_method = reserved };
    return true;
}

bool hb_heapstats_find(hb_heapstats *s, const hb_loaded *l)
{
    *s = (hb_heapstats){ 0 };
    if (l->contract != HB_CONTRACT_LIBC || !l->dl)
        return false;
    /* dlsym on a library also searches its dependencies, libc among them:
     * the allocator-specific interfaces are looked for first, and glibc's
     * mallinfo2 only counts when malloc itself is glibc's. */
    if (found(s, HS_JEMALLOC, dlsym(l->dl, "mallctl"), "jemalloc:stats.resident",
              "jemalloc:stats.mapped") ||
        found(s, HS_MIMALLOC, dlsym(l->dl, "mi_process_info"), "mimalloc:peak_rss-growth",
              "mimalloc:peak_commit") ||
        found(s, HS_TCMALLOC, dlsym(l->dl, "MallocExtension_GetNumericProperty"),
              "tcmalloc:heap_size-unmapped", "tcmalloc:heap_size"))
        return true;
    void *libc_malloc = dlsym(l->dl, "__libc_malloc");
    if (!libc_malloc || (void *)l->libc.malloc != libc_malloc)
        return false;
    found(s, HS_GLIBC, dlsym(l->dl, "mallinfo2"), "mallinfo2:arena+hblkhd",
          "mallinfo2:arena+hblkhd");
    s->own_libc = true;
    return s->kind != HS_NONE;
}

static bool read_jemalloc(mallctl_fn ctl, uint64_t *stats, uint64_t *reserved)
{
    uint64_t epoch = 1;
    size_t resident = 0, mapped = 0, len = sizeof(size_t);
    if (ctl("epoch", NULL, NULL, &epoch, sizeof epoch) != 0 ||
        ctl("stats.resident", &resident, &len, NULL, 0) != 0)
        return false;
    len = sizeof(size_t);
    if (ctl("stats.mapped", &mapped, &len, NULL, 0) != 0)
        return false;
    *stats = resident;
    *reserved = mapped;
    return true;
}

static bool read_tcmalloc(tc_property_fn get, uint64_t *stats, uint64_t *reserved)
{
    size_t heap = 0, unmapped = 0;
    if (!get("generic.heap_size", &heap) ||
        !get("tcmalloc.pageheap_unmapped_bytes", &unmapped))
        return false;
    *stats = heap - (unmapped < heap ? unmapped : heap);
    *reserved = heap;
    return true;
}

/* mimalloc's resident figure is the process's peak RSS as it reports it:
 * its growth from the zero, after the kernel's high-water mark has been
 * reset there (clear_refs 5), so the harness's earlier peaks do not hide
 * it. */
void hb_heapstats_zero(hb_heapstats *s)
{
    if (s->kind != HS_MIMALLOC)
        return;
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, "5", 1) != 1)
            s->base = 0;
        close(fd);
    }
    uint64_t reserved;
    s->base = 0;
    hb_heapstats_read(s, &s->base, &reserved);
}

bool hb_heapstats_read(const hb_heapstats *s, uint64_t *stats, uint64_t *reserved)
{
    switch (s->kind) {
    case HS_JEMALLOC:
        return read_jemalloc((mallctl_fn)s->fn, stats, reserved);
    case HS_MIMALLOC: {
        size_t t0, t1, t2, rss, peak_rss = 0, commit = 0, peak_commit = 0, faults;
        ((mi_process_info_fn)s->fn)(&t0, &t1, &t2, &rss, &peak_rss, &commit, &peak_commit,
                                    &faults);
        *stats = peak_rss > s->base ? peak_rss - s->base : 0;
        *reserved = peak_commit;
        return true;
    }
    case HS_TCMALLOC:
        return read_tcmalloc((tc_property_fn)s->fn, stats, reserved);
    case HS_GLIBC: {
        struct mallinfo2 mi = ((mallinfo2_fn)s->fn)();
        *stats = *reserved = (uint64_t)mi.arena + (uint64_t)mi.hblkhd;
        return true;
    }
    default:
        return false;
    }
}
