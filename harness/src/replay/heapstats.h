/*
 * A system allocator's own account of its footprint, read through the
 * statistics interface it exports (found with dlsym on its library):
 *
 *   jemalloc   mallctl: stats.resident (stats), stats.mapped (reserved),
 *              after advancing "epoch" so the figures are current
 *   mimalloc   mi_process_info: growth of the peak RSS it reports since the
 *              zero (stats; its commit counts whole segments, written or
 *              not), peak commit (reserved)
 *   tcmalloc   MallocExtension_GetNumericProperty: generic.heap_size less
 *              tcmalloc.pageheap_unmapped_bytes (stats), generic.heap_size
 *              (reserved)
 *   glibc      mallinfo2: arena + hblkhd, the bytes taken by sbrk and by
 *              mmap'd chunks (both); only when the library is the
 *              process's own glibc
 *
 * These are the allocators' figures, not the harness's: they are printed
 * beside the common resident figure as a cross-check, never in its place.
 */
#ifndef HB_HEAPSTATS_H
#define HB_HEAPSTATS_H

#include <stdbool.h>
#include <stdint.h>

#include "load/load.h"

#define HB_FROZEN_MAX 64

typedef struct hb_heapstats {
    int kind;                    /* 0: none                               */
    const char *stats_method;    /* e.g. "jemalloc:stats.resident"        */
    const char *reserved_method; /* e.g. "jemalloc:stats.mapped"          */
    void *fn;                    /* the statistics entry point            */
    void *dl;                    /* the library's handle                  */
    bool own_libc;               /* the library is the process's own glibc */
    bool follows_vm;             /* its figures move exactly as the process's
                                    mapped size does (glibc)                */
    uint64_t base;               /* mimalloc: its peak RSS at the zero     */
    /* Purge timers held back for the measuring pass, with what they were. */
    unsigned nfrozen;
    struct hb_frozen_timer {
        int id;                  /* jemalloc: arena index; mimalloc: option */
        int which;               /* jemalloc: 0 dirty, 1 muzzy              */
        long value;
    } frozen[HB_FROZEN_MAX];
} hb_heapstats;

/* What happened to an allocator's purge timers in the measuring pass. */
enum hb_timers { HB_TIMERS_NONE, HB_TIMERS_FROZEN, HB_TIMERS_LIVE };

/* Finds the statistics interface of a libc-contract library; false (kind
 * 0) for other contracts and libraries without one. */
bool hb_heapstats_find(hb_heapstats *s, const hb_loaded *l);

/* Marks the zero of the measuring pass (see heapstats.c). */
void hb_heapstats_zero(hb_heapstats *s);

/* Holds back the purges an allocator schedules by wall-clock time, for
 * the measuring pass (see heapstats.c); with hold false only looks.
 * Returns HB_TIMERS_FROZEN (held back), HB_TIMERS_LIVE (there are such
 * timers, left running) or HB_TIMERS_NONE (an allocator without them, or
 * whose timers the harness cannot reach).  hb_heapstats_thaw puts every
 * held timer back as it was. */
enum hb_timers hb_heapstats_freeze(hb_heapstats *s, bool hold);
void hb_heapstats_thaw(hb_heapstats *s);

/* Reads the current figures; false when they cannot be read. */
bool hb_heapstats_read(const hb_heapstats *s, uint64_t *stats, uint64_t *reserved);

#endif /* HB_HEAPSTATS_H */
