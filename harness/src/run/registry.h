/*
 * Where an allocator of the configuration lives, and whether it is there.
 *
 * Names known without a path: the suite's own libraries (found next to the
 * heapbench binary as allocators/NAME.so), the mmap baseline built into the
 * harness, and the system allocators by their sonames: the table of
 * load/suite.h.  Any other allocator is given by its path.
 */
#ifndef HB_RUN_REGISTRY_H
#define HB_RUN_REGISTRY_H

#include <limits.h>
#include <stdbool.h>

#include "load/suite.h" /* hb_self_exe */
#include "run/config.h"

enum hb_alloc_kind {
    HB_AK_SUITE,    /* allocators/NAME.so next to heapbench            */
    HB_AK_BASELINE, /* built into the harness (mmap)                   */
    HB_AK_SYSTEM,   /* a malloc replacement found by its soname         */
    HB_AK_LIBRARY   /* a library given by path                          */
};

typedef struct hb_alloc_where {
    enum hb_alloc_kind kind;
    char target[PATH_MAX];  /* what "heapbench run" receives: a name or an absolute path */
    char library[PATH_MAX]; /* the file or soname that must load            */
    bool available;
    char reason[512];       /* when not available: why, as the dynamic loader
                               puts it for a file                            */
} hb_alloc_where;

/* Absolute path of the heapbench binary: $HB_HEAPBENCH when set (tests run
 * from another executable), else this process's own executable. */

/* True when name can be used without a path. */
bool hb_registry_known(const char *name);

/* The names known without a path, as one comma-separated line. */
const char *hb_registry_names(void);

/* Resolves a and checks that its library is there (system sonames are
 * looked up where the dynamic linker looks); says why when it is not. */
void hb_registry_resolve(const hb_alloc_spec *a, hb_alloc_where *w);

const char *hb_alloc_kind_name(enum hb_alloc_kind k);

#endif /* HB_RUN_REGISTRY_H */
