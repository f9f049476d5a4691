/*
 * The loader: spec -> library path -> dlopen -> which contract -> one
 * hb_allocator view.  The contracts are tried in a fixed order (native,
 * lab report, libc), and a symbol only counts when the library itself
 * defines it: dlsym on a handle also searches the library's dependencies,
 * so without that check every library linked with libc would "export"
 * malloc and free.
 */
#define _GNU_SOURCE
#include "load/load.h"

#include "load/suite.h"

#include <dlfcn.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A libc-contract library's calls to its own malloc and free by name (a
 * calloc written as malloc + memset, a realloc as malloc + memcpy + free)
 * must reach the library itself, as they do when it is preloaded:
 * RTLD_DEEPBIND puts a library's own definitions ahead of the process's for
 * the references it makes.  For the other contracts it changes nothing they
 * rely on, so one rule serves all.  The address
 * sanitizer's runtime refuses deep binding (it must see every malloc), so
 * a sanitized harness loads without it. */
#if defined(__SANITIZE_ADDRESS__)
#define HB_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HB_SANITIZED 1
#endif
#endif
#ifdef HB_SANITIZED
#define DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL)
#else
#define DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)
#endif

bool hb_load_binds_to_self(void)
{
    return (DLOPEN_FLAGS & RTLD_DEEPBIND) != 0;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* "libfoo.so", or a versioned soname "libfoo.so.2", "libfoo.so.6.0.1". */
static bool has_library_suffix(const char *spec)
{
    const char *so = NULL;
    for (const char *p = strstr(spec, ".so"); p; p = strstr(p + 1, ".so"))
        so = p;
    if (!so || so == spec)
        return false;
    const char *p = so + 3;
    while (*p == '.' && p[1] >= '0' && p[1] <= '9') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The lookup order of a spec (docs/allocator-contract.md):
 *   1. containing '/': a path, as written;
 *   2. a built-in name: the built-in, even if a file of that name exists;
 *   3. an existing file in the working directory: that file;
 *   4. ending in .so or .so.N[.M...]: a library name dlopen looks up in the
 *      dynamic linker's search path (LD_LIBRARY_PATH, ld.so.cache, /lib);
 *   5. anything else is an unknown name. */
static bool spec_is_path(const char *spec)
{
    if (strchr(spec, '/'))
        return true;
    return !hb_builtin_known(spec) &&
           (is_file(spec) || has_library_suffix(spec));
}

/* Default label for a path: file name up to ".so" ("libjemalloc.so.2" ->
 * "libjemalloc"). */
static void label_of_path(const char *path, char *out, size_t outlen)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *so = strstr(base, ".so");
    size_t len = so ? (size_t)(so - base) : strlen(base);
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, base, len);
    out[len] = '\0';
}

void hb_spec_label(const char *spec, char *out, size_t outlen)
{
    if (spec_is_path(spec))
        label_of_path(spec, out, outlen);
    else
        snprintf(out, outlen, "%s", spec);
}

/* The address of symbol name if the library behind handle defines it
 * itself, else NULL. */
static void *own_sym(void *handle, const char *name)
{
    void *p = dlsym(handle, name);
    struct link_map *lm = NULL;
    Dl_info info;
    if (!p || dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !dladdr(p, &info))
        return NULL;
    return info.dli_fbase == (void *)lm->l_addr ||
                   (info.dli_fname && lm->l_name && !strcmp(info.dli_fname, lm->l_name))
               ? p
               : NULL;
}

static bool valid_name(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return false;
    return true;
}

/* ---- the three contracts ------------------------------------------------ */

static int try_native(hb_loaded *l, hb_allocator_entry entry, char *err, size_t errlen)
{
    const hb_allocator *a = entry();
    char why[256];
    if (hb_native_check(a, why, sizeof why) != 0) {
        seterr(err, errlen, "%s: %s", l->path, why);
        return -1;
    }
    memset(&l->table, 0, sizeof l->table);
    memcpy(&l->table, a, a->struct_size < sizeof l->table ? a->struct_size : sizeof l->table);
    l->table.struct_size = sizeof l->table;
    l->contract = HB_CONTRACT_NATIVE;
    l->footprint = HB_FOOTPRINT_MEMSRC;
    l->api = &l->table;
    if (!l->builtin && valid_name(l->table.name) && strlen(l->table.name) < sizeof l->name)
        strcpy(l->name, l->table.name);
    return 0;
}

/* The symbol of role r: the name chosen for it, else the first of the
 * role's default names the library defines; its name goes to l->lab.bound. */
static void *bind_role(hb_loaded *l, const hb_lab_names *want, enum hb_lab_role r)
{
    const char *chosen[2] = { want->name[r], NULL };
    const char *const *names = want->name[r][0] ? chosen : hb_lab_default_names(r);
    for (; *names; names++) {
        void *p = own_sym(l->dl, *names);
        if (p) {
            snprintf(l->lab.bound.name[r], HB_SYMBOL_MAX, "%s", *names);
            return p;
        }
    }
    return NULL;
}

/* A default allocation name the library defines besides the one bound
 * (allocate_memory is at times an internal helper of malloc_my_realize). */
static const char *unused_alloc(const hb_loaded *l)
{
    for (const char *const *n = hb_lab_default_names(HB_LAB_ALLOC); *n; n++)
        if (strcmp(*n, l->lab.bound.name[HB_LAB_ALLOC]) && own_sym(l->dl, *n))
            return *n;
    return NULL;
}

/* 1 when the lab-report contract is bound, 0 when the library does not
 * have it, -1 (err set) when a chosen symbol is missing. */
static int try_lab(hb_loaded *l, const hb_lab_names *want, char *err, size_t errlen)
{
    void *fn[HB_LAB_ROLES];
    for (int r = 0; r < HB_LAB_ROLES; r++) {
        fn[r] = bind_role(l, want, (enum hb_lab_role)r);
        if (!fn[r] && want->name[r][0]) {
            seterr(err, errlen, "%s: symbols %s=%s: the library does not define %s", l->path,
                   hb_lab_role_name((enum hb_lab_role)r), want->name[r], want->name[r]);
            return -1;
        }
    }
    for (int r = 0; r < HB_LAB_ROLES; r++)
        if (!fn[r])
            return 0;
    l->lab.create = (void *(*)(void *, size_t))fn[HB_LAB_CREATE];
    l->lab.allocate = (void *(*)(void *, size_t))fn[HB_LAB_ALLOC];
    l->lab.release = (void (*)(void *, void *))fn[HB_LAB_FREE];
    l->lab.destroy = (void (*)(void *))fn[HB_LAB_DESTROY];
    l->lab.allocate_name = l->lab.bound.name[HB_LAB_ALLOC];
    l->lab.unused_alloc = want->name[HB_LAB_ALLOC][0] ? NULL : unused_alloc(l);
    l->contract = HB_CONTRACT_LAB;
    l->footprint = HB_FOOTPRINT_ARENA;
    l->api = hb_lab_adapter();
    return 1;
}

static bool try_libc(hb_loaded *l)
{
    void *h = l->dl;
    hb_libc_fns *f = &l->libc;
    f->malloc = (void *(*)(size_t))own_sym(h, "malloc");
    f->free = (void (*)(void *))own_sym(h, "free");
    if (!f->malloc || !f->free)
        return false;
    f->realloc = (void *(*)(void *, size_t))own_sym(h, "realloc");
    f->calloc = (void *(*)(size_t, size_t))own_sym(h, "calloc");
    f->usable_size = (size_t(*)(void *))own_sym(h, "malloc_usable_size");
    f->posix_memalign = (int (*)(void **, size_t, size_t))own_sym(h, "posix_memalign");
    f->aligned_alloc = (void *(*)(size_t, size_t))own_sym(h, "aligned_alloc");
    f->memalign = (void *(*)(size_t, size_t))own_sym(h, "memalign");
    l->contract = HB_CONTRACT_LIBC;
    l->footprint = HB_FOOTPRINT_RSS;
    l->api = hb_libc_adapter(f, &l->table);
    return true;
}

/* What dlerror() says of the last symbol of the contracts that dlsym does
 * not find, without the library's name it starts with.  The lookups are
 * made again here, on the way out, because dlerror() is reset by every
 * successful call and reading it after each lookup would free and allocate
 * in the process heap that a libc-contract allocator is measured in. */
static void last_dlsym_error(const hb_loaded *l, char *out, size_t len)
{
    static const char *const wanted[] = { HB_ALLOCATOR_SYMBOL, "create_memory_manager",
                                          "allocate_memory", "malloc_my_realize",
                                          "release_memory", "destroy_memory_manager", "malloc",
                                          "free", NULL };
    struct link_map *lm = NULL;
    const char *names[2] = { l->path, NULL };
    if (dlinfo(l->dl, RTLD_DI_LINKMAP, &lm) == 0 && lm)
        names[1] = lm->l_name;
    out[0] = '\0';
    for (const char *const *s = wanted; *s; s++) {
        dlerror();
        const char *e = dlsym(l->dl, *s) ? NULL : dlerror();
        if (!e)
            continue;
        snprintf(out, len, "%s", e);
        for (int i = 0; i < 2; i++) {
            size_t n = names[i] ? strlen(names[i]) : 0;
            if (n && !strncmp(e, names[i], n) && !strncmp(e + n, ": ", 2)) {
                snprintf(out, len, "%s", e + n + 2);
                break;
            }
        }
    }
}

/* Names the symbols of each contract that the library does not define, so
 * a user sees how close it came. */
static void no_contract_error(hb_loaded *l, char *err, size_t errlen)
{
    char why[512];
    last_dlsym_error(l, why, sizeof why);
    static const char *const lab[] = { "create_memory_manager", "release_memory",
                                       "destroy_memory_manager", NULL };
    char found[256] = "";
    for (const char *const *s = lab; *s; s++)
        if (own_sym(l->dl, *s)) {
            strncat(found, found[0] ? ", " : "", sizeof found - strlen(found) - 1);
            strncat(found, *s, sizeof found - strlen(found) - 1);
        }
    seterr(err, errlen, "%s: no allocator contract%s%s%s: looked for heapbench_allocator "
           "(native); create_memory_manager allocate_memory|malloc_my_realize release_memory "
           "destroy_memory_manager (lab report); malloc free (libc)%s%s",
           l->path, why[0] ? " (dlsym: " : "", why, why[0] ? ")" : "",
           found[0] ? "; the library defines only " : "", found);
}

static bool any_chosen(const hb_lab_names *want)
{
    for (int r = 0; r < HB_LAB_ROLES; r++)
        if (want->name[r][0])
            return true;
    return false;
}

/* Chosen symbols name the lab-report contract: the library must have it. */
static int detect_contract(hb_loaded *l, const hb_lab_names *want, char *err, size_t errlen)
{
    bool chosen = any_chosen(want);
    void *entry = own_sym(l->dl, HB_ALLOCATOR_SYMBOL);
    if (entry && chosen) {
        seterr(err, errlen, "%s: symbols are chosen for the lab-report contract, but the library "
               "has the native one (%s)", l->path, HB_ALLOCATOR_SYMBOL);
        return -1;
    }
    if (entry) {
        hb_allocator_entry fn;
        memcpy(&fn, &entry, sizeof fn); /* object to function pointer, as dlsym intends */
        return try_native(l, fn, err, errlen);
    }
    int lab = try_lab(l, want, err, errlen);
    if (lab < 0)
        return -1;
    if (lab == 0 && chosen) {
        int r = 0;
        while (r < HB_LAB_ROLES - 1 && l->lab.bound.name[r][0])
            r++;
        const char *role = hb_lab_role_name((enum hb_lab_role)r);
        seterr(err, errlen, "%s: no lab-report contract: no symbol for role %s (looked for %s; "
               "choose one with symbols %s=NAME)", l->path, role,
               hb_lab_default_names((enum hb_lab_role)r)[0], role);
        return -1;
    }
    if (lab || try_libc(l))
        return 0;
    no_contract_error(l, err, errlen);
    return -1;
}

/* ---- resolving the spec ------------------------------------------------- */

static int resolve(const char *spec, hb_loaded *l, char *err, size_t errlen)
{
    if (spec_is_path(spec)) {
        /* dlopen searches the system's directories for a name without '/',
         * so a file of the working directory is named as one. */
        bool here = !strchr(spec, '/') && is_file(spec);
        if (snprintf(l->path, sizeof l->path, "%s%s", here ? "./" : "", spec) >=
            (int)sizeof l->path) {
            seterr(err, errlen, "allocator path too long: %s", spec);
            return -1;
        }
        label_of_path(spec, l->name, sizeof l->name);
        return 0;
    }
    l->builtin = true;
    snprintf(l->name, sizeof l->name, "%s", spec);
    if (hb_suite_find(spec)) {
        hb_suite_path(spec, l->path, sizeof l->path);
        return 0;
    }
    const char *soname = hb_system_soname(spec);
    if (soname) {
        snprintf(l->path, sizeof l->path, "%s", soname);
        return 0;
    }
    if (!strcmp(spec, "mmap"))
        return 0;
    seterr(err, errlen, "unknown allocator '%s': expected a library path (containing '/', "
           "ending in .so or .so.N, or an existing file) or one of %s", spec, hb_builtin_list());
    return -1;
}

hb_loaded *hb_load(const char *spec, const hb_load_opts *opts, char *err, size_t errlen)
{
    hb_loaded *l = calloc(1, sizeof *l);
    if (!l) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    l->arena_size = opts && opts->arena_size ? opts->arena_size : HB_DEFAULT_ARENA;
    hb_lab_names want;
    memset(&want, 0, sizeof want);
    if (opts && opts->symbols && hb_lab_parse_symbols(opts->symbols, &want, err, errlen) != 0) {
        free(l);
        return NULL;
    }
    if (!spec || !*spec || resolve(spec, l, err, errlen) != 0) {
        if (!spec || !*spec)
            seterr(err, errlen, "empty allocator spec");
        free(l);
        return NULL;
    }
    if (!l->path[0] && any_chosen(&want)) {
        seterr(err, errlen, "mmap: symbols are chosen for the lab-report contract, but the "
               "built-in baseline has the native one");
        free(l);
        return NULL;
    }
    if (!l->path[0]) { /* the mmap baseline */
        l->table = *hb_mmap_baseline();
        l->api = &l->table;
        l->contract = HB_CONTRACT_BASELINE;
        l->footprint = HB_FOOTPRINT_MEMSRC;
        return l;
    }
    l->dl = dlopen(l->path, DLOPEN_FLAGS);
    if (!l->dl) {
        const char *why = dlerror();
        bool tls = why && strstr(why, "static TLS");
        seterr(err, errlen, "cannot load allocator library %s: %s%s", l->path,
               why ? why : "unknown dlopen error",
               tls ? " (the library needs a larger static TLS reserve: GLIBC_TUNABLES="
                     "glibc.rtld.optional_static_tls=0x40000)" : "");
        free(l);
        return NULL;
    }
    if (detect_contract(l, &want, err, errlen) != 0) {
        hb_unload(l);
        return NULL;
    }
    return l;
}

/* A system allocator's library stays mapped: some of them register
 * thread and exit hooks that must outlive the handle. */
void hb_unload(hb_loaded *l)
{
    if (!l)
        return;
    if (l->dl && l->contract != HB_CONTRACT_LIBC)
        dlclose(l->dl);
    free(l);
}

/* ---- heaps -------------------------------------------------------------- */

void *hb_loaded_create(const hb_loaded *l, const hb_memsrc *src, const char *options,
                       char *err, size_t errlen)
{
    bool has_opts = options && *options;
    void *heap = NULL;
    switch (l->contract) {
    case HB_CONTRACT_NATIVE:
    case HB_CONTRACT_BASELINE:
        heap = l->api->create(src, has_opts ? options : NULL);
        if (!heap)
            seterr(err, errlen, "%s: create() failed%s%s%s", l->name,
                   has_opts ? " with options '" : "", has_opts ? options : "",
                   has_opts ? "'" : "");
        return heap;
    case HB_CONTRACT_LAB:
    case HB_CONTRACT_LIBC:
        if (has_opts) {
            seterr(err, errlen, "%s: the %s contract takes no options (got '%s')", l->name,
                   hb_contract_name(l->contract), options);
            return NULL;
        }
        if (l->contract == HB_CONTRACT_LAB)
            return hb_lab_open(&l->lab, src, l->arena_size, err, errlen);
        return (void *)&l->libc;
    }
    return NULL;
}

void hb_loaded_destroy(const hb_loaded *l, void *heap)
{
    if (!heap)
        return;
    if (l->contract == HB_CONTRACT_LAB)
        hb_lab_close(heap);
    else if (l->contract != HB_CONTRACT_LIBC)
        l->api->destroy(heap);
}

bool hb_loaded_fresh_heaps(const hb_loaded *l) { return l->contract != HB_CONTRACT_LIBC; }

bool hb_loaded_arena(const hb_loaded *l, const void *heap, void **base, size_t *len)
{
    return l->contract == HB_CONTRACT_LAB && hb_lab_arena(heap, base, len);
}

const char *hb_contract_name(enum hb_contract c)
{
    static const char *const names[] = { "native", "lab-report", "libc", "baseline" };
    return (unsigned)c < 4 ? names[c] : "?";
}

const char *hb_footprint_name(enum hb_footprint f)
{
    static const char *const names[] = { "memsrc", "arena", "rss" };
    return (unsigned)f < 3 ? names[f] : "?";
}
