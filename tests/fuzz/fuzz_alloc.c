/*
 * libFuzzer target of one suite allocator (built once per allocator as
 * fuzz_alloc_<name>, with that allocator's sources compiled in): the input
 * is a sequence of operations on 64 slots, each checked against the shadow
 * model of tests/allocators/shadow.h -- every block aligned, inside the
 * memory source, covered by usable_size and disjoint from every live
 * block; its fill pattern intact at free and realloc; realloc keeping the
 * prefix; calloc memory zero; huge requests refused; check() passing every
 * 16 operations; destroy() giving every byte back.  The first failed check
 * aborts, which libFuzzer reports with the input.
 *
 * One operation is 4 bytes: op, slot, size low, size high.
 *   op % 5       malloc, free, realloc, calloc, aligned_alloc
 *   (op >> 3) & 3  the size's scale: bytes, x16, x256, or SIZE_MAX - size
 *   (op >> 5)    aligned_alloc: alignment 8 << (op >> 5) (8 .. 1024),
 *                doubled up to three times more by the size's top two bits
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "allocators/shadow.h"

#define SLOTS 64
#define RESERVE ((size_t)4 << 30)
#define CHECK_EVERY 16

/* The entry of the allocator compiled in. */
HB_EXPORT const hb_allocator *heapbench_allocator(void);

/* Beyond any heap: such a request must be refused, never half-served. */
#define HUGE_FLOOR ((size_t)1 << 48)

typedef struct fuzz_op {
    unsigned kind, slot;
    size_t size, align;
} fuzz_op;

static fuzz_op decode(const uint8_t *b)
{
    unsigned v = b[2] | (unsigned)b[3] << 8;
    fuzz_op o = { .kind = b[0] % 5u, .slot = b[1] % SLOTS };
    switch ((b[0] >> 3) & 3u) {
    case 0: o.size = v; break;
    case 1: o.size = (size_t)v << 4; break;
    case 2: o.size = (size_t)v << 8; break;
    default: o.size = SIZE_MAX - v; break;
    }
    o.align = (size_t)8 << (b[0] >> 5);
    o.align <<= (b[3] >> 6);
    return o;
}

static void must(bool ok, const char *what, const fuzz_op *o)
{
    if (ok && !check_failures_)
        return;
    fprintf(stderr, "fuzz_alloc %s: %s (op %u slot %u size %zu align %zu)\n",
            lib->name, what, o->kind, o->slot, o->size, o->align);
    abort();
}

/* A new block in slot i: NULL only for a huge request, refused always, or
 * for an alignment beyond the page, which the suite documents as refused. */
static void adopt(fixture *f, shadow *set, const fuzz_op *o, unsigned char *p, size_t align)
{
    if (o->size >= HUGE_FLOOR) {
        must(p == NULL, "a huge request was served", o);
        return;
    }
    if (!p && align > hb_osmem_source(f->mem)->page_size)
        return;
    must(p != NULL, "a request of ordinary size returned NULL", o);
    check_new_block(f, p, o->size, align);
    must(true, "the new block is misaligned, outside the memory source or not covered by "
               "usable_size", o);
    set[o->slot] = (shadow){ p, o->size, (unsigned char)(o->slot * 37 + o->size) };
    must(disjoint_from_all(set, SLOTS, o->slot), "the new block overlaps a live one", o);
    fill(&set[o->slot]);
}

static void release(fixture *f, shadow *s, const fuzz_op *o)
{
    must(intact(s, s->size), "a live block's contents changed", o);
    must(f->a->free(f->heap, s->p) == HB_FREE_OK, "free refused a live block", o);
    s->p = NULL;
}

static void resize(fixture *f, shadow *set, const fuzz_op *o)
{
    shadow *s = &set[o->slot];
    must(intact(s, s->size), "a live block's contents changed", o);
    unsigned char *q = f->a->realloc(f->heap, s->p, o->size);
    if (o->size == 0) {
        must(q == NULL, "realloc to 0 returned a block", o);
        s->p = NULL;
        return;
    }
    if (!q) { /* refused: the old block stays as it was */
        must(o->size >= HUGE_FLOOR, "realloc of ordinary size returned NULL", o);
        return;
    }
    s->p = q;
    must(intact(s, o->size < s->size ? o->size : s->size), "realloc lost the contents", o);
    adopt(f, set, o, q, HB_ALIGNMENT);
}

static void allocate(fixture *f, shadow *set, const fuzz_op *o)
{
    const hb_allocator *a = f->a;
    if (o->kind == 3 && a->calloc) {
        unsigned char *p = a->calloc(f->heap, 1, o->size);
        must(!p || all_zero(p, o->size), "calloc memory is not zero", o);
        adopt(f, set, o, p, HB_ALIGNMENT);
    } else if (o->kind == 4 && a->aligned_alloc) {
        adopt(f, set, o, a->aligned_alloc(f->heap, o->align, o->size), o->align);
    } else {
        adopt(f, set, o, a->malloc(f->heap, o->size), HB_ALIGNMENT);
    }
}

static void step(fixture *f, shadow *set, const fuzz_op *o)
{
    shadow *s = &set[o->slot];
    if (o->kind == 1 || (o->kind == 2 && !f->a->realloc)) {
        if (s->p)
            release(f, s, o);
        return;
    }
    if (o->kind == 2 && s->p) {
        resize(f, set, o);
        return;
    }
    if (s->p)
        release(f, s, o);
    allocate(f, set, o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static shadow set[SLOTS];
    fixture f = { 0 };
    lib = heapbench_allocator();
    memset(set, 0, sizeof set);
    fuzz_op none = { 0 };
    /* A smaller reservation than the default keeps a run cheap; sizes the
     * input can ask for (16 MiB at most) fit many times over. */
    f.a = lib;
    f.mem = hb_osmem_new(RESERVE, 0);
    f.heap = f.mem ? f.a->create(hb_osmem_source(f.mem), NULL) : NULL;
    must(f.heap != NULL, "create() failed", &none);
    for (size_t i = 0; i + 4 <= size; i += 4) {
        fuzz_op o = decode(data + i);
        step(&f, set, &o);
        if ((i / 4 + 1) % CHECK_EVERY == 0) {
            must(heap_ok(&f), "check() failed", &o);
            must(disjoint(&f, set, SLOTS), "live blocks overlap", &o);
        }
    }
    for (unsigned s = 0; s < SLOTS; s++)
        if (set[s].p)
            release(&f, &set[s], &none);
    must(heap_ok(&f), "check() failed after freeing every block", &none);
    close_heap(&f); /* destroy() gives every byte back, or a CHECK fails */
    must(true, "destroy() kept memory", &none);
    return 0;
}
