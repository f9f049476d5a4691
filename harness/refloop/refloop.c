/*
 * hb_refloop [--passes N] [--min-time S] [--max-time S] [--csv] ALLOCATOR OPFILE
 *
 * Replays the op file against a libc-contract allocator and prints the best
 * and the median timed pass.  Per op it does exactly the
 * harness's untimed throughput work and nothing more: one call into the
 * allocator, then the program's use of a new block -- its first byte, one
 * byte in every 4 KiB, its last byte.  Like the harness, calloc splits the
 * product into nmemb and element size when it can, aligned allocation
 * prefers posix_memalign, then aligned_alloc (size rounded up to the
 * alignment), then memalign, a failed realloc keeps the old block, and a
 * realloc of an empty slot is realloc(NULL, n).  Blocks still live after a
 * pass are freed untimed before the next one.
 *
 * What is matched with `heapbench run --timing throughput`, so the two can
 * be compared pass for pass (and only what is not the harness's own work):
 *   - the protocol: one untimed pass on the fresh heap first (the harness's
 *     measuring pass), then timed passes on the heap each previous pass
 *     left, at least N of them and at least --min-time seconds of them,
 *     none begun after --max-time seconds once there are two (defaults
 *     5, 0.3 s, 1 s: the harness's); best and median over the timed passes;
 *   - the process: addresses not randomised and glibc's static TLS reserve
 *     set, by re-executing itself once, as the harness's replaying child
 *     is started (an allocator's layout, and so its speed, can depend on
 *     where its mappings land);
 *   - the loading: dlopen with RTLD_DEEPBIND, so the library's calls to its
 *     own malloc and free reach itself, as in the harness;
 *   - the slot array: mapped and faulted in with MAP_POPULATE before any
 *     pass.  It holds one pointer per slot: the harness's size word beside
 *     it is the harness's cost, not the reference's.
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
#include <sys/personality.h>
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

/* The replaying process as the harness starts its own: addresses not
 * randomised (the setting passes through exec) and the static TLS reserve
 * that initial-exec TLS of a dlopened allocator such as jemalloc needs.
 * When either is missing, both are set and the program runs again; when
 * that cannot be done it carries on as it is. */
#define TLS_TUNABLE "glibc.rtld.optional_static_tls"
static void clean_start(char **argv)
{
    const char *cur = getenv("GLIBC_TUNABLES");
    int persona = personality(0xffffffff);
    int tls = cur && strstr(cur, TLS_TUNABLE);
    if (persona == -1 || ((persona & ADDR_NO_RANDOMIZE) && tls))
        return;
    if (!tls) {
        char val[4096];
        int n = snprintf(val, sizeof val, "%s%s" TLS_TUNABLE "=0x40000", cur ? cur : "",
                         cur && *cur ? ":" : "");
        if (n < 0 || (size_t)n >= sizeof val || setenv("GLIBC_TUNABLES", val, 1) != 0)
            return;
    }
    /* The path /proc/self/exe names, not the link itself: under valgrind
     * only the path names this program. */
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || (size_t)n >= sizeof exe - 1)
        return;
    exe[n] = '\0';
    if (personality((unsigned long)persona | ADDR_NO_RANDOMIZE) == -1)
        return;
    fflush(NULL);
    execv(exe, argv); /* on failure: carry on without it */
}

/* As the harness loads: deep binding, except in a sanitized build (whose
 * runtime refuses it). */
#if defined(__SANITIZE_ADDRESS__)
#define DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL)
#endif
#endif
#ifndef DLOPEN_FLAGS
#define DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)
#endif

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

static int load_fns(const char *spec, rl_fns *f)
{
    const char *lib = spec;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(spec, known[i].name))
            lib = known[i].soname;
    void *h = dlopen(lib, DLOPEN_FLAGS);
    if (!h) {
        fprintf(stderr, "hb_refloop: cannot load allocator '%s': %s\n", spec, dlerror());
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

/* The slot array, mapped and faulted in at once (as the harness maps its
 * own) so no pass takes its page faults. */
static void **slot_array(uint32_t nslots)
{
    size_t len = ((size_t)nslots + 1) * sizeof(void *);
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

#define MAX_PASSES 10000 /* as the harness keeps at most */

typedef struct rl_args {
    unsigned passes;           /* least timed passes              */
    double min_time, max_time; /* least seconds of them; no new one after */
    int csv;
    const char *alloc, *path;
} rl_args;

static int usage(void)
{
    fprintf(stderr, "usage: hb_refloop [--passes N] [--min-time S] [--max-time S] [--csv] "
                    "ALLOCATOR OPFILE\n"
                    "  ALLOCATOR     glibc, jemalloc, mimalloc, tcmalloc, or a library\n"
                    "  OPFILE        written by 'heapbench trace export-ops TRACE OPFILE'\n"
                    "  --passes N    least timed passes after the untimed first one, N >= 0\n"
                    "                (default 5; 0: the first pass only)\n"
                    "  --min-time S  least seconds of timed passes (default 0.3)\n"
                    "  --max-time S  no timed pass begun after S seconds of them, once there\n"
                    "                are two (default 1)\n"
                    "  the best and the median timed pass are reported\n");
    return 2;
}

static int parse_args(int argc, char **argv, rl_args *a)
{
    *a = (rl_args){ .passes = 5, .min_time = 0.3, .max_time = 1.0 };
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        char *end;
        if (!strcmp(argv[i], "--csv"))
            a->csv = 1;
        else if (!strcmp(argv[i], "--passes") && i + 1 < argc) {
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || end == argv[i] || v > MAX_PASSES)
                return usage();
            a->passes = (unsigned)v;
        } else if ((!strcmp(argv[i], "--min-time") || !strcmp(argv[i], "--max-time")) &&
                   i + 1 < argc) {
            double v = strtod(argv[i + 1], &end);
            if (*end || end == argv[i + 1] || !(v >= 0 && v < 1e6))
                return usage();
            *(argv[i][3] == 'i' ? &a->min_time : &a->max_time) = v;
            i++;
        } else
            return usage();
    }
    if (argc - i != 2)
        return usage();
    a->alloc = argv[i];
    a->path = argv[i + 1];
    return 0;
}

static void report(const rl_args *a, const rl_ops *o, double *ns, unsigned passes,
                   uint64_t failed)
{
    qsort(ns, passes, sizeof *ns, cmp_double);
    double n = o->nops ? (double)o->nops : 1;
    double best = passes ? ns[0] / n : 0, median = passes ? ns[passes / 2] / n : 0;
    double ops_s = best > 0 ? 1e9 / best : 0;
    if (a->csv) {
        printf("allocator,ops,passes,best_ns_op,best_ops_s,median_ns_op,failed,peak_live_bytes,"
               "malloc,calloc,realloc,free,aligned\n");
        printf("%s,%llu,%u,%.3f,%.0f,%.3f,%llu,%llu", a->alloc, (unsigned long long)o->nops,
               passes, best, ops_s, median, (unsigned long long)failed,
               (unsigned long long)o->peak_live_bytes);
        for (int k = 0; k < RL_KINDS; k++)
            printf(",%llu", (unsigned long long)o->count[k]);
        printf("\n");
        return;
    }
    printf("%s on %s: %llu ops, %u passes: best %.2f ns/op (%.2f Mops/s), median %.2f ns/op",
           a->alloc, a->path, (unsigned long long)o->nops, passes, best, ops_s / 1e6, median);
    printf(failed ? ", %llu failed allocations\n" : "\n", (unsigned long long)failed);
}

int main(int argc, char **argv)
{
    rl_args a;
    rl_fns f = { 0 };
    rl_ops o;
    if (parse_args(argc, argv, &a))
        return 2;
    clean_start(argv);
    if (load_fns(a.alloc, &f) < 0 || rl_ops_open(a.path, &o) < 0)
        return 1;
    void **ptr = slot_array(o.nslots);
    /* Like the slots, outside the heap: the replayed allocator's state is
     * what the passes made it. */
    double *ns = mmap(NULL, MAX_PASSES * sizeof *ns, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (!ptr || ns == MAP_FAILED) {
        fprintf(stderr, "hb_refloop: out of memory\n");
        return 1;
    }
    /* The first pass, on the fresh heap, untimed; then timed passes until
     * there are enough of them, as the harness decides it. */
    uint64_t failed = rl_pass(o.ops, o.nops, ptr, &f);
    release(ptr, o.nslots, &f);
    unsigned n = 0, uncut = a.passes < 2 ? a.passes : 2; /* max_time never cuts below two */
    double total = 0;
    while (a.passes > 0 && n < MAX_PASSES && !(n >= uncut && total >= a.max_time * 1e9) &&
           !(n >= a.passes && total >= a.min_time * 1e9)) {
        double t0 = now_ns();
        failed = rl_pass(o.ops, o.nops, ptr, &f);
        ns[n] = now_ns() - t0;
        release(ptr, o.nslots, &f);
        total += ns[n++];
    }
    report(&a, &o, ns, n, failed);
    munmap(ns, MAX_PASSES * sizeof *ns);
    rl_ops_close(&o);
    return 0;
}
