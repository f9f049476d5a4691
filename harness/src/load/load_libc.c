/*
 * The libc contract seen as an hb_allocator.
 *
 * A system allocator has one heap per process, so the "heap" pointer the
 * methods receive is the table of the library's functions (hb_libc_fns)
 * and create/destroy are no-ops done by the loader.  Optional methods are
 * present only when the library defines the matching function; aligned
 * allocation prefers posix_memalign (any size), then aligned_alloc, then
 * memalign.  free cannot report a bad pointer, so it answers HB_FREE_OK.
 */
#include "load/load.h"

static void *libc_malloc(void *heap, size_t size)
{
    const hb_libc_fns *f = heap;
    return f->malloc(size);
}

static int libc_free(void *heap, void *ptr)
{
    const hb_libc_fns *f = heap;
    f->free(ptr);
    return HB_FREE_OK;
}

static void *libc_realloc(void *heap, void *ptr, size_t size)
{
    const hb_libc_fns *f = heap;
    return f->realloc(ptr, size);
}

static void *libc_calloc(void *heap, size_t nmemb, size_t size)
{
    const hb_libc_fns *f = heap;
    return f->calloc(nmemb, size);
}

static void *libc_aligned(void *heap, size_t align, size_t size)
{
    const hb_libc_fns *f = heap;
    if (f->posix_memalign) {
        void *p = NULL;
        return f->posix_memalign(&p, align, size) == 0 ? p : NULL;
    }
    if (f->aligned_alloc) /* C17 asks size to be a multiple of align */
        return f->aligned_alloc(align, (size + align - 1) & ~(align - 1));
    return f->memalign(align, size);
}

static size_t libc_usable(void *heap, void *ptr)
{
    const hb_libc_fns *f = heap;
    return f->usable_size(ptr);
}

const hb_allocator *hb_libc_adapter(const hb_libc_fns *f, hb_allocator *out)
{
    *out = (hb_allocator){
        .struct_size = sizeof(hb_allocator),
        .abi_version = HB_ALLOCATOR_ABI,
        .name = "libc",
        .description = "libc contract: the process heap of a system allocator",
        .malloc = libc_malloc,
        .free = libc_free,
        .realloc = f->realloc ? libc_realloc : NULL,
        .calloc = f->calloc ? libc_calloc : NULL,
        .aligned_alloc = f->posix_memalign || f->aligned_alloc || f->memalign ? libc_aligned
                                                                               : NULL,
        .usable_size = f->usable_size ? libc_usable : NULL,
    };
    return out;
}
