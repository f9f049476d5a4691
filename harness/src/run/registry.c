#define _GNU_SOURCE /* dladdr */
#include "run/registry.h"

#include "load/suite.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A suite library that was added after these lists were written is still a
 * known name once it is built next to heapbench. */
static bool built_suite_library(const char *name)
{
    if (!*name || strchr(name, '/'))
        return false;
    char path[PATH_MAX];
    return hb_suite_path(name, path, sizeof path);
}

bool hb_registry_known(const char *name)
{
    return hb_builtin_known(name) || built_suite_library(name);
}

const char *hb_registry_names(void)
{
    return hb_builtin_list();
}

/* Whether dir/name exists; its path goes to out. */
static bool in_dir(const char *dir, size_t dirlen, const char *name, char *out, size_t len)
{
    if (!dirlen)
        return false;
    snprintf(out, len, "%.*s/%s", (int)dirlen, dir, name);
    return access(out, R_OK) == 0;
}

/* Finds a soname where the dynamic linker looks: LD_LIBRARY_PATH, the
 * directory of the C library (the multiarch one on Debian) and its /usr
 * twin, then the classic directories.  Loading the library to find out is
 * no test: a library with initial-exec TLS (jemalloc) can fail to dlopen
 * into a running process yet load fine for the cell, which preloads it. */
static bool find_soname(const char *soname, char *out, size_t len)
{
    const char *lp = getenv("LD_LIBRARY_PATH");
    for (const char *p = lp; p && *p; p += strcspn(p, ":"), p += *p == ':')
        if (in_dir(p, strcspn(p, ":"), soname, out, len))
            return true;
    Dl_info info;
    if (dladdr((void *)gnu_get_libc_version, &info) && info.dli_fname) {
        const char *slash = strrchr(info.dli_fname, '/');
        size_t n = slash ? (size_t)(slash - info.dli_fname) : 0;
        char usr[PATH_MAX];
        snprintf(usr, sizeof usr, "/usr%.*s", (int)n, info.dli_fname);
        if (in_dir(info.dli_fname, n, soname, out, len) ||
            (strncmp(info.dli_fname, "/usr/", 5) && in_dir(usr, strlen(usr), soname, out, len)))
            return true;
    }
    static const char *const classic[] = { "/usr/local/lib", "/usr/lib64", "/lib64", "/usr/lib",
                                           "/lib", NULL };
    for (size_t i = 0; classic[i]; i++)
        if (in_dir(classic[i], strlen(classic[i]), soname, out, len))
            return true;
    snprintf(out, len, "%s", soname);
    return false;
}

/* Why a library that is not there cannot be loaded.  A file is asked of the
 * dynamic loader itself: it is missing or unreadable, so the attempt loads
 * nothing, and its message names the cause.  A soname is not tried that way
 * (a malloc replacement does not belong in this process); it was looked for
 * where the dynamic linker looks. */
static void explain_missing(hb_alloc_where *w)
{
    if (w->kind == HB_AK_SYSTEM) {
        snprintf(w->reason, sizeof w->reason, "not in LD_LIBRARY_PATH, the C library's "
                 "directory or the standard library directories");
        return;
    }
    void *h = dlopen(w->library, RTLD_LAZY | RTLD_LOCAL);
    const char *msg = h ? NULL : dlerror();
    if (h)
        dlclose(h);
    if (!msg) {
        snprintf(w->reason, sizeof w->reason, "not readable");
        return;
    }
    /* "PATH: cannot open shared object file: ..." without the path again */
    size_t n = strlen(w->library);
    if (!strncmp(msg, w->library, n) && !strncmp(msg + n, ": ", 2))
        msg += n + 2;
    snprintf(w->reason, sizeof w->reason, "%s", msg);
}

static void resolve_path(const char *path, hb_alloc_where *w)
{
    w->kind = HB_AK_LIBRARY;
    if (!realpath(path, w->target)) {
        char cwd[PATH_MAX] = ".";
        if (path[0] != '/' && getcwd(cwd, sizeof cwd))
            snprintf(w->target, sizeof w->target, "%.2000s/%.2000s", cwd, path);
        else
            snprintf(w->target, sizeof w->target, "%s", path);
    }
    snprintf(w->library, sizeof w->library, "%s", w->target);
    w->available = access(w->target, R_OK) == 0;
}

void hb_registry_resolve(const hb_alloc_spec *a, hb_alloc_where *w)
{
    memset(w, 0, sizeof *w);
    const char *soname = hb_system_soname(a->name);
    if (a->path) {
        resolve_path(a->path, w);
    } else if (!strcmp(a->name, "mmap")) {
        w->kind = HB_AK_BASELINE;
        snprintf(w->target, sizeof w->target, "mmap");
        snprintf(w->library, sizeof w->library, "(built into heapbench)");
        w->available = true;
    } else if (soname) {
        w->kind = HB_AK_SYSTEM;
        snprintf(w->target, sizeof w->target, "%s", a->name);
        w->available = find_soname(soname, w->library, sizeof w->library);
    } else {
        w->kind = HB_AK_SUITE;
        w->available = hb_suite_path(a->name, w->library, sizeof w->library);
        /* heapbench run knows the suite's names; a later addition is
         * passed by its path. */
        snprintf(w->target, sizeof w->target, "%s",
                 hb_suite_find(a->name) ? a->name : w->library);
    }
    if (!w->available)
        explain_missing(w);
}

const char *hb_alloc_kind_name(enum hb_alloc_kind k)
{
    switch (k) {
    case HB_AK_SUITE: return "suite";
    case HB_AK_BASELINE: return "baseline";
    case HB_AK_SYSTEM: return "system";
    case HB_AK_LIBRARY: return "library";
    }
    return "?";
}
