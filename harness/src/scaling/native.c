/* Allocator libraries opened with dlopen (see native.h). */
#include "scaling/native.h"

#include "load/suite.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

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
    char why[256] = "does not export " HB_ALLOCATOR_SYMBOL;
    if (!entry || hb_native_check(lib->api, why, sizeof why) != 0) {
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
