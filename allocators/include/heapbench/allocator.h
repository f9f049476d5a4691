/*
 * heapbench allocator contract.
 *
 * This header is the whole agreement between the heapbench harness and an
 * allocator library.  A library exports exactly one symbol,
 *
 *     const hb_allocator *heapbench_allocator(void);
 *
 * which returns a pointer to a constant table of methods.  Everything else in
 * the library should be static.  The library keeps no global state: every
 * method receives the heap instance that create() returned, so two instances
 * of one library never share anything.
 *
 * Memory.  An allocator never calls mmap, sbrk or malloc itself.  create()
 * receives an hb_memsrc, the harness's stand-in for the operating system, and
 * takes every byte it uses from it -- the instance's own state included.  The
 * harness counts each byte that passes through the memory source, so the
 * footprint of a heap (current and peak bytes obtained) is measured by the
 * harness and never reported by the allocator.
 *
 * Alignment.  Unless the allocator's README says otherwise, every pointer
 * returned by malloc, calloc and realloc is aligned to HB_ALIGNMENT (16) bytes.
 */
#ifndef HEAPBENCH_ALLOCATOR_H
#define HEAPBENCH_ALLOCATOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HB_ALLOCATOR_ABI 1
#define HB_ALLOCATOR_SYMBOL "heapbench_allocator"
#define HB_ALIGNMENT 16

/* Libraries are built with -fvisibility=hidden; the entry point (and, for a
 * library that offers one, its own public API) is marked HB_EXPORT. */
#define HB_EXPORT __attribute__((visibility("default")))

/*
 * The memory source: an sbrk-like contiguous region plus page mappings.
 *
 * grow(ctx, delta) moves the break of one contiguous region by delta bytes
 * and returns the previous break, exactly like sbrk().  delta may be
 * negative to give memory back, and 0 to ask where the break is.  The region
 * starts page aligned.  On failure (the reservation is exhausted, or the
 * break would move below the start) it returns NULL and nothing changes.
 * Bytes newly placed below the break read as zero.
 *
 * map(ctx, len) returns len bytes rounded up to page_size, page aligned and
 * zero filled, or NULL.  unmap(ctx, addr, len) returns exactly one earlier
 * mapping (same addr, same len as passed to map) and answers 0, or -1 for
 * anything that is not a live mapping.
 */
typedef struct hb_memsrc {
    void *ctx;
    size_t page_size;
    void *(*grow)(void *ctx, intptr_t delta);
    void *(*map)(void *ctx, size_t len);
    int (*unmap)(void *ctx, void *addr, size_t len);
} hb_memsrc;

/* Status codes of free(). */
enum hb_free_status {
    HB_FREE_OK = 0,      /* the block was freed (or the pointer was NULL)   */
    HB_FREE_INVALID = 1, /* the pointer is not a block this heap handed out */
    HB_FREE_DOUBLE = 2   /* the block was already free                      */
};

/*
 * The method table.  Methods marked optional may be NULL; the harness then
 * emulates them (realloc by malloc+copy+free, calloc by malloc+memset,
 * aligned_alloc by over-allocation) and says so in its output.
 */
typedef struct hb_allocator {
    /* sizeof(hb_allocator) as the library was compiled: later versions of
     * this header only append fields, and the harness reads a field only if
     * it lies within struct_size. */
    size_t struct_size;
    int abi_version;        /* HB_ALLOCATOR_ABI */
    const char *name;        /* short identifier, [a-z0-9_-]+ */
    const char *description; /* one line */

    /* Creates a heap.  options is NULL or a comma separated list of
     * key=value pairs documented in the allocator's README (unknown keys
     * make create fail).  Returns NULL if the heap cannot be set up.
     * src need not outlive the call: a heap keeps a copy of the struct. */
    void *(*create)(const hb_memsrc *src, const char *options);

    /* Gives every byte the heap obtained back to the memory source. */
    void (*destroy)(void *heap);

    /* Returns a block of at least size bytes, or NULL when the request
     * cannot be served.  malloc(0) returns a unique pointer that free
     * accepts (a minimum-size block), or NULL; both are correct. */
    void *(*malloc)(void *heap, size_t size);

    /* Frees a block.  free(NULL) does nothing and returns HB_FREE_OK.  An
     * allocator that can recognise a pointer it never returned, or a block
     * already free, returns HB_FREE_INVALID or HB_FREE_DOUBLE and changes
     * nothing; one that cannot documents it in its README. */
    int (*free)(void *heap, void *ptr);

    /* Optional.  realloc(NULL, n) is malloc(n).  realloc(p, 0) frees p and
     * returns NULL.  On failure returns NULL and leaves p intact.  The
     * first min(old, new) bytes are preserved. */
    void *(*realloc)(void *heap, void *ptr, size_t size);

    /* Optional.  Zero-filled nmemb*size bytes; NULL if the product
     * overflows. */
    void *(*calloc)(void *heap, size_t nmemb, size_t size);

    /* Optional.  align is a power of two >= sizeof(void *).  The block is
     * freed with free(). */
    void *(*aligned_alloc)(void *heap, size_t align, size_t size);

    /* Optional.  Bytes usable at ptr (>= the size requested). */
    size_t (*usable_size)(void *heap, void *ptr);

    /* Optional but expected: walks the whole heap and verifies the
     * allocator's own invariants.  Returns 0 when they hold; otherwise
     * non-zero, with a one-line reason written to msg (NUL terminated,
     * at most msglen bytes) when msg is not NULL. */
    int (*check)(void *heap, char *msg, size_t msglen);
} hb_allocator;

typedef const hb_allocator *(*hb_allocator_entry)(void);

/* The one symbol a native library exports. */
HB_EXPORT const hb_allocator *heapbench_allocator(void);

#ifdef __cplusplus
}
#endif

#endif /* HEAPBENCH_ALLOCATOR_H */
