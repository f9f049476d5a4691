/*
 * The interposed malloc family.  Each call goes to the next definition in
 * the lookup order (normally glibc's), and is written as one trace line.
 *
 * Ordering across threads.  The trace speaks of ids, but ids are found from
 * addresses, and an address is reused as soon as the real free returns.  So:
 *   - a release (free, realloc(p, 0)) takes the block out of the table and
 *     writes its line under the lock BEFORE the real call;
 *   - a birth is written under the lock AFTER the real call returns.
 * Any allocation that gets the same address back therefore finds the table
 * without it and its line comes after the free's line.
 *
 * realloc(p, n > 0) detaches p from the table under the lock, calls the real
 * realloc unlocked, then writes `r ID n` and enters the new address under the
 * lock.  Detaching first matters: if the block moves, the old address is free
 * the moment the real realloc returns, and another thread's malloc may get it
 * and enter it before we re-lock; with p still in the table that entry would
 * collide with ours.  Writing the `r` line before the real call instead
 * would be wrong when realloc fails (the block is then unchanged, and a line
 * cannot be taken back).  The price is that another thread's birth at the
 * old address may be written before the `r` line: harmless, since lines name
 * ids, and the block id stays owned by the calling thread throughout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"

#define REC_MAX_ALIGN ((uint64_t)1 << 30) /* the trace format's limit */

/* ---- bootstrap: memory for calls made while the real functions are looked
 * up (dlsym may call calloc).  Never recorded, never passed to a real free. */

#define BOOT_SIZE (64 * 1024)
#define BOOT_HDR 16

static _Alignas(4096) char boot_arena[BOOT_SIZE];
static atomic_size_t boot_used;

static bool is_boot(const void *p)
{
    return (const char *)p >= boot_arena && (const char *)p < boot_arena + BOOT_SIZE;
}

/* Bump allocation; the arena starts zeroed and is never reused, so it also
 * serves calloc.  The block's size sits in the 8 bytes before it. */
static void *boot_alloc(size_t size, size_t align)
{
    if (align < BOOT_HDR)
        align = BOOT_HDR;
    if (align > 4096 || size > BOOT_SIZE) {
        errno = ENOMEM;
        return NULL;
    }
    size_t old = atomic_load(&boot_used), start, end;
    do {
        start = (old + BOOT_HDR + align - 1) & ~(align - 1);
        end = start + size;
        if (end > BOOT_SIZE) {
            errno = ENOMEM;
            return NULL;
        }
    } while (!atomic_compare_exchange_weak(&boot_used, &old, end));
    memcpy(boot_arena + start - sizeof(size_t), &size, sizeof size);
    return boot_arena + start;
}

static size_t boot_size(const void *p)
{
    size_t n;
    memcpy(&n, (const char *)p - sizeof n, sizeof n);
    return n;
}

/* ---- the interposed functions -------------------------------------------------- */

static uint32_t align_of(size_t align)
{
    uint64_t a = 1;
    while (a < align && a < REC_MAX_ALIGN)
        a <<= 1;
    return (uint32_t)a;
}

void *malloc(size_t size)
{
    if (!rec_ready())
        return boot_alloc(size, 0);
    void *p = rec_next.malloc(size);
    if (rec_enabled)
        rec_note_birth(p, !p && size, &(rec_birth){ "malloc(", 'a', size, 0, size, 0 });
    return p;
}

void *calloc(size_t nmemb, size_t size)
{
    size_t total;
    bool over = __builtin_mul_overflow(nmemb, size, &total);
    if (!rec_ready())
        return over ? NULL : boot_alloc(total, 0);
    void *p = rec_next.calloc(nmemb, size);
    if (rec_enabled)
        rec_note_birth(p, !p && (over || total), &(rec_birth){ "calloc(", 'c', nmemb, size, total, 0 });
    return p;
}

/* A block from the bootstrap arena moves to the real heap on realloc. */
static void *move_from_boot(void *p, size_t size)
{
    if (size == 0)
        return NULL;
    void *q = rec_ready() ? malloc(size) : boot_alloc(size, 0);
    if (q)
        memcpy(q, p, boot_size(p) < size ? boot_size(p) : size);
    return q;
}

static void *recorded_realloc(void *p, size_t size)
{
    if (!p) {
        void *q = rec_next.realloc(NULL, size);
        rec_note_birth(q, !q && size, &(rec_birth){ "realloc(NULL, ", 'a', size, 0, size, 0 });
        return q;
    }
    if (size == 0) {
        rec_note_release(p, true);
        void *q = rec_next.realloc(p, 0);
        if (q) /* an allocator that returns a minimum block for size 0 */
            rec_note_birth(q, false, &(rec_birth){ "realloc", 'a', 0, 0, 0, 0 });
        return q;
    }
    rec_block b;
    bool known = rec_detach(p, &b);
    void *q = rec_next.realloc(p, size);
    rec_note_resize(q, size, known, &b);
    return q;
}

void *realloc(void *p, size_t size)
{
    if (is_boot(p) || !rec_ready())
        return p ? move_from_boot(p, size) : boot_alloc(size, 0);
    return rec_enabled ? recorded_realloc(p, size) : rec_next.realloc(p, size);
}

void *reallocarray(void *p, size_t nmemb, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(nmemb, size, &total)) {
        if (rec_ready() && rec_enabled)
            rec_note_birth(NULL, true, &(rec_birth){ "reallocarray(", 'c', nmemb, size, 0, 0 });
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, total);
}

void free(void *p)
{
    if (is_boot(p) || !rec_ready())
        return;
    if (rec_enabled)
        rec_note_release(p, false);
    rec_next.free(p);
}

static void note_aligned(void *p, bool failed, const char *call, size_t align, size_t size)
{
    uint32_t a = align_of(align);
    rec_note_birth(p, failed, &(rec_birth){ call, 'm', failed ? align : a, size, size, a });
}

int posix_memalign(void **out, size_t align, size_t size)
{
    if (!rec_ready()) {
        *out = boot_alloc(size, align);
        return *out ? 0 : ENOMEM;
    }
    int rc = rec_next.posix_memalign(out, align, size);
    if (rec_enabled)
        note_aligned(rc ? NULL : *out, rc != 0, "posix_memalign(", align, size);
    return rc;
}

void *aligned_alloc(size_t align, size_t size)
{
    if (!rec_ready())
        return boot_alloc(size, align);
    void *p = rec_next.aligned_alloc(align, size);
    if (rec_enabled)
        note_aligned(p, !p, "aligned_alloc(", align, size);
    return p;
}

void *memalign(size_t align, size_t size)
{
    if (!rec_ready())
        return boot_alloc(size, align);
    void *p = rec_next.memalign(align, size);
    if (rec_enabled)
        note_aligned(p, !p, "memalign(", align, size);
    return p;
}

void *valloc(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (!rec_ready())
        return boot_alloc(size, page);
    void *p = rec_next.valloc(size);
    if (rec_enabled)
        note_aligned(p, !p, "valloc(", page, size);
    return p;
}

void *pvalloc(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t rounded = (size + page - 1) & ~(page - 1);
    if (!rec_ready())
        return rounded < size ? NULL : boot_alloc(rounded, page);
    void *p = rec_next.pvalloc ? rec_next.pvalloc(size)
                           : rounded < size ? NULL : rec_next.memalign(page, rounded);
    if (rec_enabled)
        note_aligned(p, !p, "pvalloc(", page, rounded < size ? size : rounded);
    return p;
}
