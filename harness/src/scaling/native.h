/*
 * An allocator library opened by path with dlopen, its method table
 * checked before the benchmarks call into it.
 */
#ifndef HB_SCALING_NATIVE_H
#define HB_SCALING_NATIVE_H

#include <stdbool.h>
#include <stddef.h>

#include <heapbench/allocator.h>

typedef struct hb_native_lib {
    void *dl;
    const hb_allocator *api;
    char name[64];
    char path[1024];
} hb_native_lib;

/* Opens path and checks the table it exports; on failure returns false
 * with the reason in err. */
bool hb_native_open(hb_native_lib *lib, const char *path, char *err, size_t errlen);
void hb_native_close(hb_native_lib *lib);

#endif /* HB_SCALING_NATIVE_H */
