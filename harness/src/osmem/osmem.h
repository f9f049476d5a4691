/*
 * osmem: the harness's stand-in for the operating system.
 *
 * Each heap of a native allocator gets its memory only through an hb_memsrc
 * (allocator.h).  osmem implements that memory source over real mmap, and
 * counts every byte that passes through it: the break of the contiguous
 * region (exact bytes, as sbrk would move it) plus every page mapping.  The
 * footprint of a suite allocator is these counts, measured here and never
 * reported by the allocator.
 */
#ifndef HB_OSMEM_H
#define HB_OSMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <heapbench/allocator.h>

typedef struct hb_osmem_stats {
    size_t brk_bytes;     /* current break minus start of the region      */
    size_t map_bytes;     /* bytes in live mappings (page multiples)       */
    size_t cur_bytes;     /* brk_bytes + map_bytes                         */
    size_t peak_bytes;    /* maximum of cur_bytes since creation           */
    size_t live_maps;     /* number of live mappings                       */
    uint64_t grow_calls;  /* grow() calls with delta != 0                  */
    uint64_t map_calls;
    uint64_t unmap_calls;
    uint64_t remap_calls; /* hb_osmem_remap calls that succeeded         */
    uint64_t refused;     /* calls refused: limit, bad unmap, exhausted     */
    size_t table_bytes;   /* resident bytes of the table of mappings       */
} hb_osmem_stats;

typedef struct hb_osmem hb_osmem;

/* reserve: virtual bytes reserved for the contiguous region (0: 64 GiB).
 * limit: most bytes (brk + maps) handed out at once (0: no limit).
 * Returns NULL if the reservation cannot be made. */
hb_osmem *hb_osmem_new(size_t reserve, size_t limit);

/* Unmaps the region and every mapping still live. */
void hb_osmem_free(hb_osmem *m);

/* The hb_memsrc to pass to an allocator's create(); valid until free. */
const hb_memsrc *hb_osmem_source(hb_osmem *m);

const hb_osmem_stats *hb_osmem_stats_of(const hb_osmem *m);

/* Resizes the live mapping at addr (of old_len bytes) to new_len with
 * mremap(MREMAP_MAYMOVE): the kernel moves page tables, so no byte is
 * copied or faulted in again, and old and new never count at once.  For
 * the harness's own mmap baseline: not part of the hb_memsrc contract.
 * Returns the mapping's address (it may move), or NULL -- also when src
 * is not an osmem's -- leaving the mapping as it was. */
void *hb_osmem_remap(const hb_memsrc *src, void *addr, size_t old_len, size_t new_len);

/* True when [p, p+len) lies wholly below the break or inside one live
 * mapping.  Constant time for a block in the first pages of its mapping,
 * else linear in the number of mappings: for tests and validation. */
bool hb_osmem_contains(const hb_osmem *m, const void *p, size_t len);

#endif /* HB_OSMEM_H */
