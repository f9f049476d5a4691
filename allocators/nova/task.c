/*
 * The course task's API (nova.h): my_malloc and my_free over one heap per
 * process.  This file holds nova's only global state, by design of that
 * API: the process-wide heap and the memory source it was created over.
 *
 * By default the source is the real program break: grow() is sbrk().  The
 * heap never assumes it owns the break: if anything else (the C library's
 * malloc, say) moves it in between, nova notices that grow() did not return
 * the end of its own region, gives those bytes straight back and fails
 * that one request, so foreign memory is never handed out.
 */
#include "nova.h"
#include "nova_internal.h"

#include <unistd.h>

_Static_assert((int)NOVA_EINVAL == (int)HB_FREE_INVALID &&
                   (int)NOVA_EDOUBLE == (int)HB_FREE_DOUBLE,
               "my_free passes the table's free status through");

static void *process_heap;

static void *sbrk_grow(void *ctx, intptr_t delta)
{
    (void)ctx;
    void *old = sbrk(delta);
    return old == (void *)-1 ? NULL : old;
}

/* nova never maps pages; these exist because the source has the slots. */
static void *no_map(void *ctx, size_t len)
{
    (void)ctx;
    (void)len;
    return NULL;
}

static int no_unmap(void *ctx, void *addr, size_t len)
{
    (void)ctx;
    (void)addr;
    (void)len;
    return -1;
}

static void *heap_over_sbrk(void)
{
    long page = sysconf(_SC_PAGESIZE);
    hb_memsrc src = { .ctx = NULL, .page_size = page > 0 ? (size_t)page : 4096,
                      .grow = sbrk_grow, .map = no_map, .unmap = no_unmap };
    return nv_table.create(&src, NULL);
}

HB_EXPORT int nova_bind(const hb_memsrc *src)
{
    if (process_heap)
        nv_table.destroy(process_heap);
    process_heap = NULL;
    if (!src)
        return 0;
    process_heap = nv_table.create(src, NULL);
    return process_heap ? 0 : -1;
}

HB_EXPORT void *my_malloc(unsigned long size)
{
    if (!process_heap && !(process_heap = heap_over_sbrk()))
        return NULL;
    return nv_table.malloc(process_heap, size);
}

HB_EXPORT int my_free(void *address)
{
    if (!address)
        return NOVA_OK;
    if (!process_heap)
        return NOVA_EINVAL;
    return nv_table.free(process_heap, address);
}
