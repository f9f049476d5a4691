/*
 * nova's own API: the course task's two functions plus a way to choose the
 * memory they use.  (The suite's method table, heapbench_allocator(), is
 * the other way in; both are exported by nova.so.)
 *
 * my_malloc and my_free share one heap per process, created on the first
 * call over the real sbrk() unless nova_bind chose a memory source first.
 * Not thread-safe, like the task's original.
 */
#ifndef NOVA_H
#define NOVA_H

#include <heapbench/allocator.h>

/* my_free's results. */
enum nova_status {
    NOVA_OK = 0,      /* freed (or address was NULL)                         */
    NOVA_EINVAL = 1,  /* address is not a block my_malloc returned            */
    NOVA_EDOUBLE = 2  /* the block at address was already freed               */
};

/* size bytes, 16-aligned, or 0 (NULL) when they cannot be had. */
HB_EXPORT void *my_malloc(unsigned long size);

/* Frees a block from my_malloc; see enum nova_status.  On an error nothing
 * changes. */
HB_EXPORT int my_free(void *address);

/*
 * Makes my_malloc/my_free use src from now on.  The current process-wide
 * heap, if any, is destroyed first: every block it handed out becomes
 * invalid.  src is copied; its ctx must stay valid while bound.  src NULL
 * goes back to the real sbrk() (lazily, on the next my_malloc).  Returns 0,
 * or -1 when a heap cannot be created over src (then nothing is bound).
 */
HB_EXPORT int nova_bind(const hb_memsrc *src);

#endif /* NOVA_H */
