/*
 * hb_refloop [--passes N] [--csv] ALLOCATOR OPFILE
 *
 * Replays the op file N times (default 5) against a libc-contract allocator
 * and prints the best and the median pass.  Per op it does exactly the
 * harness's untimed throughput work and nothing more: one call into the
 * allocator, then the program's use of a new block -- its first byte, one
 * byte in every 4 KiB, its last byte.  Like the harness, calloc splits the
 * product into nmemb and element size when it can, aligned allocation
 * prefers posix_memalign, then aligned_alloc (size rounded up to the
 * alignment), then memalign, a failed realloc keeps the old block, and a
 * realloc of an empty slot is realloc(NULL, n).  Blocks still live after a
 * pass are freed untimed before the next one.
 *
 * ALLOCATOR: glibc (the process's own malloc), jemalloc, mimalloc,
 * tcmalloc, or a library path or soname defining malloc and free.
 */
#define _GNU_SOURCE
#include "refloop.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

typedef struct rl_fns {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
} rl_fns;

static const struct { const char *name, *soname; } known[] = {
    { "glibc", "libc.so.6" },
    { "jemalloc", "libjemalloc.so.2" },
    { "mimalloc", "libmimalloc.so.2" },
    { "tcmalloc", "libtcmalloc_minimal.so.4" },
};

/* System allocators such as jemalloc keep initial-exec TLS, which dlopen
 * can place only in glibc's optional static TLS reserve: when that is what
 * failed, run again with a larger one unless it is set (as heapbench run
 * does, but only on need, so valgrind can run the tool directly). */
static void retry_with_static_tls(char **argv)
{
    static const char tunable[] = "glibc.rtld.optional_static_tls";
    const char *cur = getenv("GLIBC_TUNABLES");
    if (cur && strstr(cur, tunable))
        return;
    char val[4096];
    int n = snprintf(val, sizeof val, "%s%s%s=0x40000", cur ? cur : "", cur && *cur ? ":" : "",
                     tunable);
    if (n < 0 || (size_t)n >= sizeof val || setenv("GLIBC_TUNABLES", val, 1) != 0)
        return;
    fflush(NULL);
    execv("/proc/self/exe", argv); /* on failure: carry on without it */
}

/* A symbol counts only when the library itself defines it: dlsym also
 * searches its dependencies, where every library finds libc's malloc. */
static void *own_sym(void *h, const char *name)
{
    struct link_map *lm = NULL;
    Dl_info info;
    void *p = dlsym(h, name);
    if (!p || dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !dladdr(p, &info))
        return NULL;
    return (uintptr_t)info.dli_fbase == (uintptr_t)lm->l_addr ? p : NULL;
}

static int load_fns(const char *spec, rl_fns *f, char **argv)
{
    const char *lib = spec;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(spec, known[i].name))
            lib = known[i].soname;
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        if (why && strstr(why, "static TLS"))
            retry_with_static_tls(argv);
        fprintf(stderr, "hb_refloop: cannot load allocator '%s': %s\n", spec, why);
        return -1;
    }
    *(void **)&f->malloc = own_sym(h, "malloc");
    *(void **)&f->free = own_sym(h, "free");
    *(void **)&f->calloc = own_sym(h, "calloc");
    *(void **)&f->realloc = own_sym(h, "realloc");
    *(void **)&f->posix_memalign = own_sym(h, "posix_memalign");
    *(void **)&f->aligned_alloc = own_sym(h, "aligned_alloc");
    *(void **)&f->memalign = own_sym(h, "memalign");
    if (f->malloc && f->free && f->calloc && f->realloc &&
        (f->posix_memalign || f->aligned_alloc || f->memalign))
        return 0;
    fprintf(stderr, "hb_refloop: '%s' (%s) does not define malloc, free, calloc, realloc and "
                    "an aligned allocation: not a libc-contract allocator\n", spec, lib);
    return -1;
}

/* ---- the loop ------------------------------------------------------------- */

#define INLINE static inline __attribute__((always_inline))

INLINE unsigned char tag_of(uint32_t slot) { return (unsigned char)((slot * 157u + 91u) | 1u); }

INLINE void touch(unsigned char *p, uint64_t n, unsigned char tag)
{
    if (!n)
        return;
    p[0] = tag;
    for (uint64_t off = 4096; off < n; off += 4096)
        p[off] = tag;
    p[n - 1] = tag;
}

INLINE void *aligned(const rl_fns *f, size_t align, size_t size)
{
    if (f->posix_memalign) {
        void *p = NULL;
        return f->posix_memalign(&p, align, size) == 0 ? p : NULL;
    }
    if (f->aligned_alloc)
        return f->aligned_alloc(align, (size + align - 1) & ~(align - 1));
    return f->memalign(align, size);
}

INLINE void *calloc_op(const rl_fns *f, const rl_op *op)
{
    size_t nmemb = op->aux, el = op->size;
    if (nmemb && op->size % nmemb == 0)
        el = op->size / nmemb;
    else
        nmemb = 1;
    return f->calloc(nmemb, el);
}

/* One pass; returns the failed allocations.  Not inlined, so callgrind can
 * count exactly its instructions (--toggle-collect=rl_pass). */
__attribute__((noinline)) uint64_t rl_pass(const rl_op *ops, uint64_t nops, void **ptr,
                                           const rl_fns *f)
{
    uint64_t failed = 0;
    for (uint64_t i = 0; i < nops; i++) {
        const rl_op *op = &ops[i];
        void *p;
        switch (op->kind) {
        case RL_MALLOC: p = f->malloc(op->size); break;
        case RL_CALLOC: p = calloc_op(f, op); break;
        case RL_ALIGNED:
            p = aligned(f, op->aux < sizeof(void *) ? sizeof(void *) : op->aux, op->size);
            break;
        case RL_REALLOC:
            p = f->realloc(ptr[op->slot], op->size);
            if (!p) { /* the old block stays */
                failed++;
                continue;
            }
            break;
        default: /* RL_FREE */
            p = op->slot == RL_SLOT_NONE ? NULL : ptr[op->slot];
            if (p)
                ptr[op->slot] = NULL;
            f->free(p);
            continue;
        }
        failed += !p && op->size;
        ptr[op->slot] = p;
        if (p)
            touch(p, op->size, tag_of(op->slot));
    }
    return failed;
}

/* ---- passes and figures ----------------------------------------------------- */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void release(void **ptr, uint32_t nslots, const rl_fns *f)
{
    for (uint32_t s = 0; s < nslots; s++) {
        f->free(ptr[s]);
        ptr[s] = NULL;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The slot array, mapped and pre-faulted so no pass takes its page faults. */
static void **slot_array(uint32_t nslots)
{
    size_t len = ((size_t)nslots + 1) * sizeof(void *);
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    memset(m, 0, len);
    return m;
}

typedef struct rl_args {
    unsigned passes;
    int csv;
    const char *alloc, *path;
} rl_args;

static int usage(void)
{
    fprintf(stderr, "usage: hb_refloop [--passes N] [--csv] ALLOCATOR OPFILE\n"
                    "  ALLOCATOR  glibc, jemalloc, mimalloc, tcmalloc, or a library\n"
                    "  OPFILE     written by 'heapbench trace export-ops TRACE OPFILE'\n"
                    "  --passes N untimed passes, N >= 0 (default 5); the best is reported\n");
    return 2;
}

static int parse_args(int argc, char **argv, rl_args *a)
{
    *a = (rl_args){ .passes = 5 };
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        char *end;
        if (!strcmp(argv[i], "--csv"))
            a->csv = 1;
        else if (!strcmp(argv[i], "--passes") && i + 1 < argc) {
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || end == argv[i] || v > 1000000)
                return usage();
            a->passes = (unsigned)v;
        } else
            return usage();
    }
    if (argc - i != 2)
        return usage();
    a->alloc = argv[i];
    a->path = argv[i + 1];
    return 0;
}

static void report(const rl_args *a, const rl_ops *o, double *ns, uint64_t failed)
{
    qsort(ns, a->passes, sizeof *ns, cmp_double);
    double n = o->nops ? (double)o->nops : 1;
    double best = a->passes ? ns[0] / n : 0, median = a->passes ? ns[a->passes / 2] / n : 0;
    double ops_s = best > 0 ? 1e9 / best : 0;
    if (a->csv) {
        printf("allocator,ops,passes,best_ns_op,best_ops_s,median_ns_op,failed,peak_live_bytes,"
               "malloc,calloc,realloc,free,aligned\n");
        printf("%s,%llu,%u,%.3f,%.0f,%.3f,%llu,%llu", a->alloc, (unsigned long long)o->nops,
               a->passes, best, ops_s, median, (unsigned long long)failed,
               (unsigned long long)o->peak_live_bytes);
        for (int k = 0; k < RL_KINDS; k++)
            printf(",%llu", (unsigned long long)o->count[k]);
        printf("\n");
        return;
    }
    printf("%s on %s: %llu ops, %u passes: best %.2f ns/op (%.2f Mops/s), median %.2f ns/op",
           a->alloc, a->path, (unsigned long long)o->nops, a->passes, best, ops_s / 1e6, median);
    printf(failed ? ", %llu failed allocations\n" : "\n", (unsigned long long)failed);
}

int main(int argc, char **argv)
{
    rl_args a;
    rl_fns f = { 0 };
    rl_ops o;
    if (parse_args(argc, argv, &a))
        return 2;
    if (load_fns(a.alloc, &f, argv) < 0 || rl_ops_open(a.path, &o) < 0)
        return 1;
    void **ptr = slot_array(o.nslots);
    double *ns = calloc(a.passes + 1, sizeof *ns);
    if (!ptr || !ns) {
        fprintf(stderr, "hb_refloop: out of memory\n");
        return 1;
    }
    uint64_t failed = 0;
    for (unsigned p = 0; p < a.passes; p++) {
        double t0 = now_ns();
        failed = rl_pass(o.ops, o.nops, ptr, &f);
        ns[p] = now_ns() - t0;
        release(ptr, o.nslots, &f);
    }
    report(&a, &o, ns, failed);
    free(ns);
    rl_ops_close(&o);
    return 0;
}
