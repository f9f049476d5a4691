/* Allocator libraries opened with dlopen (see native.h). */
#include "bench/native.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* Why the table a library exported cannot be used, or NULL when it can:
 * the benchmarks call create, destroy, malloc and free unconditionally. */
static const char *table_problem(const hb_allocator_entry entry, const hb_allocator *a)
{
    if (!entry)
        return "does not export " HB_ALLOCATOR_SYMBOL;
    if (!a)
        return HB_ALLOCATOR_SYMBOL "() returned NULL";
    if (a->abi_version != HB_ALLOCATOR_ABI)
        return "has another allocator ABI version";
    if (a->struct_size < offsetof(hb_allocator, free) + sizeof a->free)
        return "has a method table too short for create/destroy/malloc/free";
    if (!a->create || !a->destroy || !a->malloc || !a->free)
        return "lacks create, destroy, malloc or free";
    return NULL;
}

bool hb_native_open(hb_native_lib *lib, const char *path, char *err, size_t errlen)
{
    memset(lib, 0, sizeof *lib);
    snprintf(lib->path, sizeof lib->path, "%s", path);
    lib->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib->dl) {
        snprintf(err, errlen, "%s", dlerror());
        return false;
    }
    hb_allocator_entry entry = (hb_allocator_entry)dlsym(lib->dl, HB_ALLOCATOR_SYMBOL);
    lib->api = entry ? entry() : NULL;
    const char *why = table_problem(entry, lib->api);
    if (why) {
        snprintf(err, errlen, "%s: %s", path, why);
        hb_native_close(lib);
        return false;
    }
    snprintf(lib->name, sizeof lib->name, "%s", lib->api->name ? lib->api->name : "?");
    return true;
}

void hb_native_close(hb_native_lib *lib)
{
    if (lib->dl)
        dlclose(lib->dl);
    lib->dl = NULL;
    lib->api = NULL;
}
