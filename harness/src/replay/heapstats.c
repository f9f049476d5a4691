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
#include <stdio.h>
#include <sys/types.h>

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
    bool any = found(s, HS_JEMALLOC, dlsym(l->dl, "mallctl"), "jemalloc:stats.resident",
              "jemalloc:stats.mapped") ||
        found(s, HS_MIMALLOC, dlsym(l->dl, "mi_process_info"), "mimalloc:peak_rss-growth",
              "mimalloc:peak_commit") ||
        found(s, HS_TCMALLOC, dlsym(l->dl, "MallocExtension_GetNumericProperty"),
              "tcmalloc:heap_size-unmapped", "tcmalloc:heap_size");
    s->dl = l->dl;
    if (any)
        return true;
    void *libc_malloc = dlsym(l->dl, "__libc_malloc");
    if (!libc_malloc || (void *)l->libc.malloc != libc_malloc)
        return false;
    found(s, HS_GLIBC, dlsym(l->dl, "mallinfo2"), "mallinfo2:arena+hblkhd",
          "mallinfo2:arena+hblkhd");
    s->own_libc = true;
    s->follows_vm = true;
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

/* ---- purge timers ------------------------------------------------------------
 *
 * jemalloc and mimalloc give freed pages back to the system on wall-clock
 * timers: jemalloc's decay (dirty and muzzy pages, 10 s and 0 s by default
 * in 5.3), mimalloc's decommit delays (25 ms and 500 ms in 2.0).  The
 * measuring pass reads the footprint after every operation, which makes it
 * many times slower than the program it replays: timers fire after
 * operations they would never reach at full speed, and at different ones
 * from run to run, so the footprint would be neither the program's nor
 * repeatable.  Holding the timers back gives the footprint of a program
 * that runs faster than its allocator's timers, to the page in every run.
 * Purges an allocator makes at once, at the operation that frees (jemalloc's
 * huge arena, with a decay of 0), are not timers and stay.  The timed
 * passes run with the timers as they were. */

#define MI_DECOMMIT_DELAY 15         /* mimalloc 2.0's mi_option_t values */
#define MI_SEGMENT_DECOMMIT_DELAY 23
#define MI_FROZEN_MS 1000000000L     /* 11 days: no pass lasts that long */

/* The caller has checked there is room. */
static void remember(hb_heapstats *s, int id, int which, long value)
{
    s->frozen[s->nfrozen++] = (struct hb_frozen_timer){ id, which, value };
}

/* The decay timers of every arena jemalloc has initialized; arenas it makes
 * later (the huge arena) take its defaults. */
static enum hb_timers jemalloc_freeze(hb_heapstats *s, bool hold)
{
    static const char *const decay[2] = { "dirty_decay_ms", "muzzy_decay_ms" };
    mallctl_fn ctl = (mallctl_fn)s->fn;
    unsigned narenas = 0;
    size_t len = sizeof narenas;
    if (ctl("arenas.narenas", &narenas, &len, NULL, 0) != 0)
        return HB_TIMERS_NONE;
    bool timers = false, held = hold;
    for (unsigned i = 0; i < narenas; i++)
        for (int w = 0; w < 2; w++) {
            char name[64];
            ssize_t ms = 0, never = -1;
            len = sizeof ms;
            snprintf(name, sizeof name, "arena.%u.%s", i, decay[w]);
            if (ctl(name, &ms, &len, NULL, 0) != 0 || ms <= 0)
                continue; /* not initialized, never purges, or purges at once */
            timers = true;
            if (!hold)
                continue;
            /* A timer that cannot be held (or remembered) is left running,
             * and the row says the timers were live. */
            if (s->nfrozen < HB_FROZEN_MAX && ctl(name, NULL, NULL, &never, sizeof never) == 0)
                remember(s, (int)i, w, (long)ms);
            else
                held = false;
        }
    return !timers ? HB_TIMERS_NONE : held ? HB_TIMERS_FROZEN : HB_TIMERS_LIVE;
}

/* mimalloc's option numbers changed between versions: only the 2.0 series,
 * whose numbering is known here, is held back; any other mimalloc purges
 * on timers too, left running. */
static enum hb_timers mimalloc_freeze(hb_heapstats *s, bool hold)
{
    static const int delays[] = { MI_DECOMMIT_DELAY, MI_SEGMENT_DECOMMIT_DELAY };
    int (*version)(void) = (int (*)(void))dlsym(s->dl, "mi_version");
    long (*get)(int) = (long (*)(int))dlsym(s->dl, "mi_option_get");
    void (*set)(int, long) = (void (*)(int, long))dlsym(s->dl, "mi_option_set");
    if (!version || !get || !set)
        return HB_TIMERS_LIVE;
    int v = version();
    if (v < 200 || v >= 210)
        return HB_TIMERS_LIVE;
    bool timers = false;
    for (size_t k = 0; k < sizeof delays / sizeof delays[0]; k++) {
        long ms = get(delays[k]);
        if (ms <= 0)
            continue;
        timers = true;
        if (hold) {
            set(delays[k], MI_FROZEN_MS);
            remember(s, delays[k], 0, ms);
        }
    }
    return !timers ? HB_TIMERS_NONE : hold ? HB_TIMERS_FROZEN : HB_TIMERS_LIVE;
}

enum hb_timers hb_heapstats_freeze(hb_heapstats *s, bool hold)
{
    s->nfrozen = 0;
    switch (s->kind) {
    case HS_JEMALLOC: return jemalloc_freeze(s, hold);
    case HS_MIMALLOC: return mimalloc_freeze(s, hold);
    default: return HB_TIMERS_NONE; /* glibc and tcmalloc purge as they free */
    }
}

void hb_heapstats_thaw(hb_heapstats *s)
{
    if (!s->nfrozen)
        return;
    if (s->kind == HS_JEMALLOC) {
        static const char *const decay[2] = { "dirty_decay_ms", "muzzy_decay_ms" };
        for (unsigned k = 0; k < s->nfrozen; k++) {
            char name[64];
            ssize_t ms = (ssize_t)s->frozen[k].value;
            snprintf(name, sizeof name, "arena.%d.%s", s->frozen[k].id,
                     decay[s->frozen[k].which]);
            ((mallctl_fn)s->fn)(name, NULL, NULL, &ms, sizeof ms);
        }
    } else if (s->kind == HS_MIMALLOC) {
        void (*set)(int, long) = (void (*)(int, long))dlsym(s->dl, "mi_option_set");
        void (*collect)(bool) = (void (*)(bool))dlsym(s->dl, "mi_collect");
        for (unsigned k = 0; k < s->nfrozen && set; k++)
            set(s->frozen[k].id, s->frozen[k].value);
        /* A segment keeps the expiry it was given while frozen, days ahead;
         * a forced collection carries out what is pending and clears it, so
         * the timed passes see mimalloc's own timers. */
        if (collect)
            collect(true);
    }
    s->nfrozen = 0;
}
