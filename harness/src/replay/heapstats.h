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

typedef struct hb_heapstats {
    int kind;                    /* 0: none                               */
    const char *stats_method;    /* e.g. "jemalloc:stats.resident"        */
    const char *reserved_method; /* e.g. "jemalloc:stats.mapped"          */
    void *fn;                    /* the statistics entry point            */
    bool own_libc;               /* the library is the process's own glibc */
    uint64_t base;               /* mimalloc: its peak RSS at the zero     */
} hb_heapstats;

/* Finds the statistics interface of a libc-contract library; false (kind
 * 0) for other contracts and libraries without one. */
bool hb_heapstats_find(hb_heapstats *s, const hb_loaded *l);

/* Marks the zero of the measuring pass (see heapstats.c). */
void hb_heapstats_zero(hb_heapstats *s);

/* Reads the current figures; false when they cannot be read. */
bool hb_heapstats_read(const hb_heapstats *s, uint64_t *stats, uint64_t *reserved);

#endif /* HB_HEAPSTATS_H */
