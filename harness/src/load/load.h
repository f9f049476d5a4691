/*
 * The allocator loader: turns an allocator spec (a built-in name or a path
 * to a shared library) into one interface the replay drives.
 *
 * Four kinds of allocator load, each seen through an hb_allocator table:
 *
 *   native    the library exports heapbench_allocator (allocator.h); the
 *             table is the library's own, copied up to its struct_size.
 *   lab       the lab-report contract: create_memory_manager(area, size),
 *             allocate_memory(mgr, size) (or malloc_my_realize), and
 *             release_memory(mgr, ptr), destroy_memory_manager(mgr).  The
 *             harness maps an arena from the memory source and hands it in.
 *   libc      the library exports malloc and free (and maybe realloc,
 *             calloc, malloc_usable_size, posix_memalign, aligned_alloc,
 *             memalign): the process-wide heap of a system allocator.
 *   baseline  "mmap": built into the harness, every block its own mapping.
 *
 * A heap of any kind is opened with hb_loaded_create and closed with
 * hb_loaded_destroy; in between, the methods of l->api are called with the
 * heap pointer it returned.  (l->api->create and ->destroy are the native
 * ones and are NULL for the adapters: use the hb_loaded_* pair.)
 */
#ifndef HB_LOAD_H
#define HB_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <heapbench/allocator.h>

enum hb_contract {
    HB_CONTRACT_NATIVE = 0,
    HB_CONTRACT_LAB,
    HB_CONTRACT_LIBC,
    HB_CONTRACT_BASELINE
};

/* How the footprint of a heap is measured (the CSV's footprint_source). */
enum hb_footprint {
    HB_FOOTPRINT_MEMSRC = 0, /* peak bytes through the memory source        */
    HB_FOOTPRINT_ARENA,      /* resident pages of the lab arena (mincore)    */
    HB_FOOTPRINT_RSS         /* peak growth of the process RSS               */
};

#define HB_DEFAULT_ARENA ((size_t)256 << 20)

typedef struct hb_load_opts {
    size_t arena_size;   /* lab contract: bytes of the arena (0: 256 MiB)  */
    const char *symbols; /* lab contract: "alloc=NAME,free=NAME,..." or NULL */
} hb_load_opts;

/* The four roles of the lab-report contract, in the order of its calls. */
enum hb_lab_role { HB_LAB_CREATE, HB_LAB_ALLOC, HB_LAB_FREE, HB_LAB_DESTROY, HB_LAB_ROLES };

#define HB_SYMBOL_MAX 64

/* A symbol name per role; "" where the default names are looked up. */
typedef struct hb_lab_names {
    char name[HB_LAB_ROLES][HB_SYMBOL_MAX];
} hb_lab_names;

/* The functions of the two foreign contracts, as found by dlsym. */
typedef struct hb_lab_fns {
    void *(*create)(void *area, size_t size);
    void *(*allocate)(void *mgr, size_t size);
    void (*release)(void *mgr, void *ptr);
    void (*destroy)(void *mgr);
    hb_lab_names bound;        /* the symbol bound to each role           */
    const char *allocate_name; /* bound.name[HB_LAB_ALLOC]                */
    const char *unused_alloc;  /* a default allocation name the library
                                  also defines, not bound; NULL if none    */
} hb_lab_fns;

typedef struct hb_libc_fns {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*realloc)(void *, size_t);
    void *(*calloc)(size_t, size_t);
    size_t (*usable_size)(void *);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
} hb_libc_fns;

typedef struct hb_loaded {
    const hb_allocator *api;    /* the one interface: points at table      */
    enum hb_contract contract;
    enum hb_footprint footprint;
    char name[64];              /* default label of results                */
    char path[1024];            /* what was dlopen'd; "" for the baseline  */
    size_t arena_size;          /* lab contract                            */
    bool builtin;               /* spec was a built-in name                */
    /* private to the loader */
    hb_allocator table;
    void *dl;
    hb_lab_fns lab;
    hb_libc_fns libc;
} hb_loaded;

/*
 * Loads spec, looked up in this order: a spec containing '/' is a path; a
 * built-in name (hb_builtin_known, load/suite.h) is the built-in; a file of the working
 * directory is that file; a name ending in .so or .so.N[.M...] is a library
 * the dynamic linker finds in its search path; anything else is unknown.
 * Returns the loaded allocator, or NULL with a message naming the path, the
 * dlerror() text and the symbols looked for written to err.
 */
hb_loaded *hb_load(const char *spec, const hb_load_opts *opts, char *err, size_t errlen);

void hb_unload(hb_loaded *l);

/* True when a library's references to the symbols it defines bind to its
 * own definitions (RTLD_DEEPBIND); false in a sanitized build, whose
 * runtime does not allow it. */
bool hb_load_binds_to_self(void);

/* Opens a heap: native and baseline call create(src, options); lab maps the
 * arena from src and calls create_memory_manager; libc returns the process
 * heap (src unused).  NULL with a reason in err on failure. */
void *hb_loaded_create(const hb_loaded *l, const hb_memsrc *src, const char *options,
                       char *err, size_t errlen);
void hb_loaded_destroy(const hb_loaded *l, void *heap);

/* True when every hb_loaded_create gives a new, empty heap (not libc). */
bool hb_loaded_fresh_heaps(const hb_loaded *l);

/* The arena of a lab-contract heap; false for other contracts. */
bool hb_loaded_arena(const hb_loaded *l, const void *heap, void **base, size_t *len);

const char *hb_contract_name(enum hb_contract c);   /* "native", "lab", ... */
const char *hb_footprint_name(enum hb_footprint f); /* "memsrc", "arena", "rss" */

/* The default label of a spec: a built-in name as it is, a path's file
 * name up to ".so" ("/usr/lib/libjemalloc.so.2" -> "libjemalloc").  A
 * native library loaded from a path is labelled by its table's name. */
void hb_spec_label(const char *spec, char *out, size_t outlen);

/* The native-contract table of the built-in mmap baseline. */
const hb_allocator *hb_mmap_baseline(void);

/* Adapter tables (load_lab.c, load_libc.c); heaps come from the
 * hb_loaded_* functions above. */
const hb_allocator *hb_lab_adapter(void);
const hb_allocator *hb_libc_adapter(const hb_libc_fns *fns, hb_allocator *out);
void *hb_lab_open(const hb_lab_fns *fns, const hb_memsrc *src, size_t arena,
                  char *err, size_t errlen);
void hb_lab_close(void *heap);
bool hb_lab_arena(const void *heap, void **base, size_t *len);

/* "create", "alloc", "free", "destroy": the role names of --symbols. */
const char *hb_lab_role_name(enum hb_lab_role r);

/* The names a role is looked up by when no symbol is chosen for it, NULL
 * terminated, the preferred first. */
const char *const *hb_lab_default_names(enum hb_lab_role r);

/* Parses "ROLE=NAME,ROLE=NAME" (roles as hb_lab_role_name says) into out.
 * Returns 0, or -1 naming the unknown role, the empty or repeated one, or
 * the malformed pair in err. */
int hb_lab_parse_symbols(const char *spec, hb_lab_names *out, char *err, size_t errlen);

/* "create=NAME alloc=NAME free=NAME destroy=NAME" of the bound symbols. */
void hb_lab_describe(const hb_lab_fns *f, char *out, size_t outlen);

#endif /* HB_LOAD_H */
