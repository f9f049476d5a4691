/*
 * The operations of a verifying replay, applied as replay/loop.c applies
 * them -- the same slots, the same split of a calloc's size, the same
 * emulation of a method the allocator lacks -- with the checks of
 * verify.c around every call.
 */
#include <string.h>

#include "replay/fault.h"
#include "verify/state.h"

/* Over-allocates by align + one pointer and keeps the base pointer just
 * before the aligned block, where free finds it. */
static void *emulate_aligned(vstate *v, size_t align, size_t size)
{
    unsigned char *raw = v->a->malloc(v->heap, size + align + sizeof(void *));
    if (!raw)
        return NULL;
    uintptr_t p = ((uintptr_t)raw + sizeof(void *) + align - 1) & ~(uintptr_t)(align - 1);
    ((void **)p)[-1] = raw;
    return (void *)p;
}

static void *base_of(void *p, uint64_t word)
{
    return word & V_EMULATED_ALIGN ? ((void **)p)[-1] : p;
}

static bool op_malloc(vstate *v, const hb_op *op, size_t i)
{
    void *p = v->a->malloc(v->heap, op->size);
    return hb_v_new_block(v, i, op->slot, p, op->size, 0, false);
}

static bool reads_zero(const unsigned char *p, uint64_t n, uint64_t *at)
{
    for (uint64_t k = 0; k < n; k++)
        if (p[k]) {
            *at = k;
            return false;
        }
    return true;
}

static bool op_calloc(vstate *v, const hb_op *op, size_t i)
{
    size_t nmemb = op->aux, el = op->size;
    if (nmemb && op->size % nmemb == 0)
        el = op->size / nmemb;
    else
        nmemb = 1;
    void *p;
    if (v->a->calloc) {
        p = v->a->calloc(v->heap, nmemb, el);
    } else if ((p = v->a->malloc(v->heap, op->size))) {
        memset(p, 0, op->size);
    }
    uint64_t at;
    if (p && !reads_zero(p, op->size, &at)) {
        hb_v_fail(v, i, HB_ST_CORRUPT, "calloc memory is not zero at offset %llu (0x%02x)",
                  (unsigned long long)at, ((unsigned char *)p)[at]);
        return false;
    }
    return hb_v_new_block(v, i, op->slot, p, op->size, 0, false);
}

static bool op_aligned(vstate *v, const hb_op *op, size_t i)
{
    size_t align = op->aux < sizeof(void *) ? sizeof(void *) : op->aux;
    bool native = v->a->aligned_alloc != NULL;
    void *p = native ? v->a->aligned_alloc(v->heap, align, op->size)
                     : emulate_aligned(v, align, op->size);
    return hb_v_new_block(v, i, op->slot, p, native ? op->size : op->size | V_EMULATED_ALIGN,
                          align, false);
}

/* The new block q must begin with the old block's bytes, which hold the
 * old pattern: the pattern is a function of the slot's seed and the
 * offset, so the kept bytes read as if the new block had been filled. */
static bool op_realloc(vstate *v, const hb_op *op, size_t i)
{
    uint32_t s = op->slot;
    void *p = v->ptr[s];
    uint64_t word = v->size[s], old = V_SIZE(word);
    if (p && !hb_v_intact(v, i, s, "before realloc"))
        return false;
    void *q;
    if (v->a->realloc && !(word & V_EMULATED_ALIGN)) {
        q = v->a->realloc(v->heap, p, op->size);
    } else if ((q = v->a->malloc(v->heap, op->size)) && p) {
        memcpy(q, p, old < op->size ? old : op->size);
        v->a->free(v->heap, base_of(p, word));
    }
    if (!q) { /* the old block stays, as realloc promises */
        hb_v_null(v, i, op->size);
        return v->status == HB_ST_OK;
    }
    uint64_t kept = p ? (old < op->size ? old : op->size) : 0;
    uint32_t line = v->line[s];
    hb_v_forget(v, s);
    if (p) {
        v->ptr[s] = q; /* the kept bytes are checked against the old seed */
        v->size[s] = kept;
        v->line[s] = line;
        if (!hb_v_intact(v, i, s, "after realloc (the old contents were not kept)"))
            return false;
    }
    /* The new block keeps the old pattern, continued over its new bytes. */
    return hb_v_new_block(v, i, s, q, op->size, 0, p != NULL);
}

static bool op_free(vstate *v, const hb_op *op, size_t i)
{
    void *p = NULL;
    uint64_t word = 0;
    if (op->slot != HB_SLOT_NONE) {
        p = v->ptr[op->slot];
        word = v->size[op->slot];
        if (p && !hb_v_intact(v, i, op->slot, "at free"))
            return false;
        if (p)
            hb_v_forget(v, op->slot);
    }
    int st = v->a->free(v->heap, p ? base_of(p, word) : NULL);
    if (st != HB_FREE_OK) {
        hb_v_fail(v, i, HB_ST_BAD_FREE, "free answered %s",
                  st == HB_FREE_DOUBLE ? "double free" : "invalid pointer");
        return false;
    }
    return true;
}

bool hb_v_apply(vstate *v, size_t i)
{
    const hb_op *op = &v->t->ops[i];
    hb_fault_op = i;
    v->count[op->kind]++;
    switch (op->kind) {
    case HB_OP_MALLOC: return op_malloc(v, op, i);
    case HB_OP_CALLOC: return op_calloc(v, op, i);
    case HB_OP_REALLOC: return op_realloc(v, op, i);
    case HB_OP_FREE: return op_free(v, op, i);
    case HB_OP_ALIGNED: return op_aligned(v, op, i);
    default: return true; /* the loader admits no other kind */
    }
}
