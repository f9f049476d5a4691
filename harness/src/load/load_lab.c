/*
 * The lab-report contract seen as an hb_allocator.
 *
 * A lab-report library manages one memory area it is handed:
 *
 *     void *create_memory_manager(void *area, size_t size);
 *     void *allocate_memory(void *mgr, size_t size);   (or malloc_my_realize)
 *     void  release_memory(void *mgr, void *ptr);
 *     void  destroy_memory_manager(void *mgr);
 *
 * The harness maps the area (the "arena") from the memory source, so it is
 * page aligned and zero filled, and measures its footprint as the arena's
 * resident pages.  release_memory cannot report a bad pointer, so free
 * always answers HB_FREE_OK.  The contract has no realloc, calloc or
 * aligned allocation: the replay emulates them.
 */
#include "load/load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lab_heap {
    const hb_lab_fns *fns;
    void *mgr;
    const hb_memsrc *src;
    void *arena;
    size_t len;
} lab_heap;

static void *lab_malloc(void *heap, size_t size)
{
    lab_heap *h = heap;
    return h->fns->allocate(h->mgr, size);
}

static int lab_free(void *heap, void *ptr)
{
    lab_heap *h = heap;
    if (ptr)
        h->fns->release(h->mgr, ptr);
    return HB_FREE_OK;
}

static const hb_allocator lab_table = {
    .struct_size = sizeof(hb_allocator),
    .abi_version = HB_ALLOCATOR_ABI,
    .name = "lab-report",
    .description = "lab-report contract over an arena mapped by the harness",
    .malloc = lab_malloc,
    .free = lab_free,
};

const hb_allocator *hb_lab_adapter(void) { return &lab_table; }

void *hb_lab_open(const hb_lab_fns *fns, const hb_memsrc *src, size_t arena,
                  char *err, size_t errlen)
{
    lab_heap *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->fns = fns;
    h->src = src;
    h->len = arena;
    h->arena = src->map(src->ctx, arena);
    if (!h->arena) {
        snprintf(err, errlen, "cannot map a lab-report arena of %zu bytes "
                 "(memory limit, or --arena too large)", arena);
        free(h);
        return NULL;
    }
    h->mgr = fns->create(h->arena, arena);
    if (!h->mgr) {
        snprintf(err, errlen, "create_memory_manager(area, %zu) returned NULL", arena);
        src->unmap(src->ctx, h->arena, arena);
        free(h);
        return NULL;
    }
    return h;
}

/* destroy_memory_manager may unmap the area itself (the lab report's
 * libraries do); the memory source's unmap of the same range is then a
 * harmless second munmap of an empty range. */
void hb_lab_close(void *heap)
{
    lab_heap *h = heap;
    h->fns->destroy(h->mgr);
    h->src->unmap(h->src->ctx, h->arena, h->len);
    free(h);
}

bool hb_lab_arena(const void *heap, void **base, size_t *len)
{
    const lab_heap *h = heap;
    *base = h->arena;
    *len = h->len;
    return true;
}

/* ---- which symbols play which role --------------------------------------- */

static const char *const role_names[HB_LAB_ROLES] = { "create", "alloc", "free", "destroy" };

static const char *const default_names[HB_LAB_ROLES][3] = {
    { "create_memory_manager", NULL },
    { "allocate_memory", "malloc_my_realize", NULL },
    { "release_memory", NULL },
    { "destroy_memory_manager", NULL },
};

const char *hb_lab_role_name(enum hb_lab_role r)
{
    return (unsigned)r < HB_LAB_ROLES ? role_names[r] : "?";
}

const char *const *hb_lab_default_names(enum hb_lab_role r)
{
    return default_names[(unsigned)r < HB_LAB_ROLES ? r : 0];
}

static int role_of(const char *s, size_t len)
{
    for (int r = 0; r < HB_LAB_ROLES; r++)
        if (strlen(role_names[r]) == len && !strncmp(s, role_names[r], len))
            return r;
    return -1;
}

/* One "ROLE=NAME" pair of len bytes at s. */
static int parse_pair(const char *s, size_t len, hb_lab_names *out, char *err, size_t errlen)
{
    const char *eq = memchr(s, '=', len);
    if (!eq || eq == s || eq == s + len - 1) {
        snprintf(err, errlen, "symbols: expected ROLE=NAME, got '%.*s'", (int)len, s);
        return -1;
    }
    int r = role_of(s, (size_t)(eq - s));
    size_t nlen = len - (size_t)(eq - s) - 1;
    if (r < 0) {
        snprintf(err, errlen, "symbols: unknown role '%.*s': expected create, alloc, free or "
                 "destroy", (int)(eq - s), s);
        return -1;
    }
    if (out->name[r][0]) {
        snprintf(err, errlen, "symbols: role %s given twice", role_names[r]);
        return -1;
    }
    if (nlen >= HB_SYMBOL_MAX) {
        snprintf(err, errlen, "symbols: %s: a name of at most %d characters expected",
                 role_names[r], HB_SYMBOL_MAX - 1);
        return -1;
    }
    memcpy(out->name[r], eq + 1, nlen);
    out->name[r][nlen] = '\0';
    return 0;
}

int hb_lab_parse_symbols(const char *spec, hb_lab_names *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec) {
        snprintf(err, errlen, "symbols: expected ROLE=NAME pairs, got nothing");
        return -1;
    }
    for (const char *s = spec;;) {
        size_t len = strcspn(s, ",");
        if (parse_pair(s, len, out, err, errlen) != 0)
            return -1;
        if (!s[len])
            return 0;
        s += len + 1;
    }
}

void hb_lab_describe(const hb_lab_fns *f, char *out, size_t outlen)
{
    snprintf(out, outlen, "create=%s alloc=%s free=%s destroy=%s", f->bound.name[HB_LAB_CREATE],
             f->bound.name[HB_LAB_ALLOC], f->bound.name[HB_LAB_FREE],
             f->bound.name[HB_LAB_DESTROY]);
}
