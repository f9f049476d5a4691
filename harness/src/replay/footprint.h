/*
 * Reading a heap's footprint.
 *
 * The common figure, the same for every allocator, is the process's
 * anonymous resident memory: /proc/self/statm's resident pages less its
 * shared ones (file-backed and shmem), which the kernel keeps exactly, page
 * by page.  File-backed pages -- an allocator's own code faulted in during
 * a pass -- are not heap and are not counted.  The replay reads it after
 * every operation of the measuring pass (about 1.5 us a read), so the peak
 * is the exact peak at operation granularity, not a sample: the kernel's
 * own high-water mark (VmHWM) is kept from per-CPU counters that lag by up
 * to a few hundred KiB, and it counts file pages.
 *
 * Memory the harness itself maps during a pass would be counted too, so
 * everything the loop writes is mapped and faulted in before the pass
 * starts, and the stack below the loop is faulted in as deep as an
 * allocator call may reach (hb_prefault_stack).
 */
#ifndef HB_FOOTPRINT_H
#define HB_FOOTPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hb_anon {
    int fd;            /* /proc/self/statm                          */
    size_t page;
    uint64_t vm_pages; /* the process's mapped size at the last read */
} hb_anon;

int hb_anon_open(hb_anon *a);
void hb_anon_close(hb_anon *a);

/* Anonymous resident bytes of the process now; 0 if it cannot be read.
 * Also notes the mapped size (a->vm_pages). */
uint64_t hb_anon_bytes(hb_anon *a);

/* Faults in bytes of stack below the caller's frame. */
void hb_prefault_stack(size_t bytes);

/* Resident bytes of [base, base+len), by mincore (allocates nothing). */
uint64_t hb_resident_bytes(void *base, size_t len);

/* Resident bytes of the program break's heap ("[heap]" in
 * /proc/self/maps); 0 when there is none. */
uint64_t hb_brk_heap_resident(void);

#endif /* HB_FOOTPRINT_H */
