/*
 * The allocators heapbench knows by name, in one table: the suite's own
 * libraries (allocators/NAME.so next to heapbench, with the cost each
 * promises), the system allocators (by soname) and the built-in mmap
 * baseline.  And the check of a native-contract method table, which the
 * loader and the scaling benchmark both apply before calling into one.
 */
#ifndef HB_LOAD_SUITE_H
#define HB_LOAD_SUITE_H

#include <stdbool.h>
#include <stddef.h>

#include <heapbench/allocator.h>

/* The cost of one malloc + free an allocator promises. */
enum hb_cost_class { HB_COST_UNKNOWN = 0, HB_COST_CONST, HB_COST_LOG, HB_COST_LINEAR };

typedef struct hb_suite_alloc {
    const char *name; /* library allocators/NAME.so; its table's name too */
    const char *cost; /* as printed: "O(1)", "O(log n)", "O(free)"       */
    enum hb_cost_class cls;
} hb_suite_alloc;

/* The suite's allocators, in the order they are listed; NULL name last. */
extern const hb_suite_alloc hb_suite[];

/* The suite allocator of that name, or NULL. */
const hb_suite_alloc *hb_suite_find(const char *name);

/* Where the suite library NAME is: allocators/NAME.so in the directory of
 * heapbench (hb_self_exe), else in the build tree it was built with.
 * Returns whether the file is readable; out holds the first place either way. */
bool hb_suite_path(const char *name, char *out, size_t len);

/* The soname of a system allocator's name (glibc, jemalloc, ...), or NULL. */
const char *hb_system_soname(const char *name);

/* Whether name is a suite, system or baseline name. */
bool hb_builtin_known(const char *name);

/* "buddy, pow2, ..., mmap, glibc, ...": the names, for messages. */
const char *hb_builtin_list(void);

/* The heapbench executable: $HB_HEAPBENCH when set (tests run the binary
 * they built), else this process's own. */
const char *hb_self_exe(void);

/* Why a native table cannot be used (into why), or 0 when it can: the
 * harness calls create, destroy, malloc and free unconditionally. */
int hb_native_check(const hb_allocator *a, char *why, size_t len);

#endif /* HB_LOAD_SUITE_H */
