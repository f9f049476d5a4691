/* The allocators known by name (see suite.h). */
#include "load/suite.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const hb_suite_alloc hb_suite[] = {
    { "buddy", "O(log n)", HB_COST_LOG },   { "pow2", "O(1)", HB_COST_CONST },
    { "firstfit", "O(free)", HB_COST_LINEAR }, { "bestfit", "O(log n)", HB_COST_LOG },
    { "segfit", "O(1)", HB_COST_CONST },    { "pagemeta", "O(1)", HB_COST_CONST },
    { "nova", "O(1)", HB_COST_CONST },
    /* the harness's yardstick: a bump pointer that never frees */
    { "null", "-", HB_COST_UNKNOWN },      { NULL, NULL, HB_COST_UNKNOWN },
};

static const struct { const char *name, *soname; } system_libs[] = {
    { "glibc", "libc.so.6" },
    { "jemalloc", "libjemalloc.so.2" },
    { "mimalloc", "libmimalloc.so.2" },
    { "tcmalloc", "libtcmalloc_minimal.so.4" },
};
#define NSYSTEM (sizeof system_libs / sizeof system_libs[0])

const hb_suite_alloc *hb_suite_find(const char *name)
{
    for (const hb_suite_alloc *s = hb_suite; s->name; s++)
        if (!strcmp(s->name, name))
            return s;
    return NULL;
}

const char *hb_system_soname(const char *name)
{
    for (size_t i = 0; i < NSYSTEM; i++)
        if (!strcmp(name, system_libs[i].name))
            return system_libs[i].soname;
    return NULL;
}

bool hb_builtin_known(const char *name)
{
    return hb_suite_find(name) || hb_system_soname(name) || !strcmp(name, "mmap");
}

const char *hb_builtin_list(void)
{
    static char line[256];
    if (line[0])
        return line;
    size_t len = 0;
    for (const hb_suite_alloc *s = hb_suite; s->name; s++)
        len += (size_t)snprintf(line + len, sizeof line - len, "%s, ", s->name);
    len += (size_t)snprintf(line + len, sizeof line - len, "mmap");
    for (size_t i = 0; i < NSYSTEM; i++)
        len += (size_t)snprintf(line + len, sizeof line - len, ", %s", system_libs[i].name);
    return line;
}

const char *hb_self_exe(void)
{
    static char self[PATH_MAX];
    if (self[0])
        return self;
    const char *env = getenv("HB_HEAPBENCH");
    if (!(env && *env && realpath(env, self))) {
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 0] = '\0';
    }
    return self;
}

/* A test executable is not next to heapbench: the build tree's own
 * allocators/ is the fallback. */
bool hb_suite_path(const char *name, char *out, size_t len)
{
    const char *self = hb_self_exe(), *slash = strrchr(self, '/');
    int dirlen = slash ? (int)(slash - self) : 1;
    snprintf(out, len, "%.*s/allocators/%s.so", dirlen, slash ? self : ".", name);
    if (access(out, R_OK) == 0)
        return true;
    char build[PATH_MAX];
    snprintf(build, sizeof build, "%s/allocators/%s.so", HB_BUILD_DIR, name);
    if (access(build, R_OK) != 0)
        return false;
    snprintf(out, len, "%s", build);
    return true;
}

int hb_native_check(const hb_allocator *a, char *why, size_t len)
{
    const size_t need = offsetof(hb_allocator, free) + sizeof a->free;
    if (!a)
        snprintf(why, len, HB_ALLOCATOR_SYMBOL "() returned NULL");
    else if (a->abi_version != HB_ALLOCATOR_ABI)
        snprintf(why, len, "allocator ABI version %d, this harness speaks version %d",
                 a->abi_version, HB_ALLOCATOR_ABI);
    else if (a->struct_size < need)
        snprintf(why, len, "hb_allocator struct_size %zu is smaller than the %zu bytes that "
                 "hold the required methods", a->struct_size, need);
    else if (!a->create || !a->destroy || !a->malloc || !a->free)
        snprintf(why, len, "hb_allocator lacks a required method (create, destroy, malloc "
                 "and free must not be NULL)");
    else
        return 0;
    return -1;
}
