/*
 * The replay loops.  One op runner serves all three passes; it is inlined
 * into each loop with the pass mode as a constant, so the throughput loop
 * carries no timing code and the timed loops carry no measuring code.
 *
 * Per op: store the op index for the fault handler, (latency) read the
 * clock, call the allocator -- or emulate a method it lacks --, (latency)
 * read the clock again, then update the slot and write the block.  Only the
 * allocator's work (and an emulation's copying) lies inside the timed
 * window; the block writes are the program's, outside it.
 */
#include "replay/fault.h"
#include "replay/pass.h"

#include <string.h>

enum { M_MEASURE, M_THROUGHPUT, M_LATENCY };

#define PAGE_STRIDE 4096u

#define INLINE static inline __attribute__((always_inline))

/* A byte that differs from slot to slot and is never zero, so a block
 * overwritten by its neighbour or by a zeroing allocator is noticed. */
INLINE unsigned char tag_of(uint32_t slot) { return (unsigned char)((slot * 157u + 91u) | 1u); }

/* The program's use of a new block: first byte, one per 4 KiB, last byte. */
INLINE void touch(unsigned char *p, uint64_t n, unsigned char tag)
{
    if (!n)
        return;
    p[0] = tag;
    for (uint64_t off = PAGE_STRIDE; off < n; off += PAGE_STRIDE)
        p[off] = tag;
    p[n - 1] = tag;
}

INLINE bool reads_zero(const unsigned char *p, uint64_t n)
{
    if (!n)
        return true;
    unsigned char acc = p[0] | p[n - 1];
    for (uint64_t off = PAGE_STRIDE; off < n; off += PAGE_STRIDE)
        acc |= p[off];
    return acc == 0;
}

INLINE uint64_t t_begin(const hb_pass *P, const int mode)
{
    return mode == M_LATENCY ? hb_clock_ticks(P->clk) : 0;
}

INLINE void t_end(hb_pass *P, const int mode, unsigned kind, uint64_t t0)
{
    if (mode == M_LATENCY)
        hb_hist_add(&P->hist[kind], hb_clock_sample(P->clk, t0, hb_clock_ticks(P->clk)));
}

INLINE void note_corrupt(hb_pass *P, enum hb_corruption c, size_t i)
{
    if (!P->corrupt) {
        P->corrupt = c;
        P->corrupt_op = i;
    }
}

INLINE void note_failed(hb_pass *P, size_t i)
{
    if (!P->failed++)
        P->first_failed = i;
}

/* ---- allocation, with emulation of missing methods ---------------------- */

/* Over-allocates by align + one pointer and keeps the base pointer just
 * before the aligned block, where free finds it. */
INLINE void *emulate_aligned(hb_pass *P, size_t align, size_t size)
{
    unsigned char *raw = P->a->malloc(P->heap, size + align + sizeof(void *));
    if (!raw)
        return NULL;
    uintptr_t p = ((uintptr_t)raw + sizeof(void *) + align - 1) & ~(uintptr_t)(align - 1);
    ((void **)p)[-1] = raw;
    return (void *)p;
}

INLINE void *base_of(void *p, uint64_t size_word)
{
    return size_word & HB_SLOT_EMULATED_ALIGN ? ((void **)p)[-1] : p;
}

INLINE void *emulate_calloc(hb_pass *P, size_t n)
{
    void *p = P->a->malloc(P->heap, n);
    if (p)
        memset(p, 0, n);
    return p;
}

/* malloc + copy of what the trace knows the block holds + free. */
INLINE void *emulate_realloc(hb_pass *P, void *p, uint64_t word, size_t n)
{
    void *q = P->a->malloc(P->heap, n);
    if (q && p) {
        uint64_t old = word & ~HB_SLOT_EMULATED_ALIGN;
        memcpy(q, p, old < n ? old : n);
        P->a->free(P->heap, base_of(p, word));
    }
    return q;
}

/* ---- bookkeeping ---------------------------------------------------------- */

INLINE void track_alloc(hb_pass *P, const int mode, void *p, uint64_t n)
{
    if (mode == M_MEASURE && p) {
        P->live_bytes += n;
        P->live_blocks++;
        if (P->live_bytes > P->peak_bytes)
            P->peak_bytes = P->live_bytes;
        if (P->live_blocks > P->peak_blocks)
            P->peak_blocks = P->live_blocks;
    }
}

INLINE void born(hb_pass *P, const int mode, const hb_op *op, size_t i, void *p, uint64_t word)
{
    uint64_t n = word & ~HB_SLOT_EMULATED_ALIGN;
    if (!p && n)
        note_failed(P, i);
    P->ptr[op->slot] = p;
    P->size[op->slot] = p ? word : 0;
    track_alloc(P, mode, p, p ? n : 0);
    if (p)
        touch(p, n, tag_of(op->slot));
}

/* ---- the five operations --------------------------------------------------- */

INLINE void op_malloc(hb_pass *P, const int mode, const hb_op *op, size_t i)
{
    uint64_t t0 = t_begin(P, mode);
    void *p = P->a->malloc(P->heap, op->size);
    t_end(P, mode, HB_OP_MALLOC, t0);
    born(P, mode, op, i, p, op->size);
}

INLINE void op_calloc(hb_pass *P, const int mode, const hb_op *op, size_t i)
{
    size_t nmemb = op->aux, el = op->size;
    if (nmemb && op->size % nmemb == 0)
        el = op->size / nmemb;
    else
        nmemb = 1; /* a product the trace could not split: one element */
    uint64_t t0 = t_begin(P, mode);
    void *p = P->a->calloc ? P->a->calloc(P->heap, nmemb, el) : emulate_calloc(P, op->size);
    t_end(P, mode, HB_OP_CALLOC, t0);
    if (mode == M_MEASURE && p && !reads_zero(p, op->size))
        note_corrupt(P, HB_CORRUPT_CALLOC, i);
    born(P, mode, op, i, p, op->size);
}

INLINE void op_aligned(hb_pass *P, const int mode, const hb_op *op, size_t i)
{
    size_t align = op->aux < sizeof(void *) ? sizeof(void *) : op->aux;
    bool native = P->a->aligned_alloc != NULL;
    uint64_t t0 = t_begin(P, mode);
    void *p = native ? P->a->aligned_alloc(P->heap, align, op->size)
                     : emulate_aligned(P, align, op->size);
    t_end(P, mode, HB_OP_ALIGNED, t0);
    if (mode == M_MEASURE && p && ((uintptr_t)p & (align - 1)))
        note_corrupt(P, HB_CORRUPT_ALIGN, i);
    born(P, mode, op, i, p, native ? op->size : op->size | HB_SLOT_EMULATED_ALIGN);
}

/* The block's first and last byte still hold its tag. */
INLINE bool intact(const unsigned char *p, uint64_t n, unsigned char tag)
{
    return !n || (p[0] == tag && p[n - 1] == tag);
}

INLINE void op_realloc(hb_pass *P, const int mode, const hb_op *op, size_t i)
{
    void *p = P->ptr[op->slot];
    uint64_t word = P->size[op->slot], old = word & ~HB_SLOT_EMULATED_ALIGN;
    unsigned char tag = tag_of(op->slot);
    if (mode == M_MEASURE && p && !intact(p, old, tag))
        note_corrupt(P, HB_CORRUPT_CONTENT, i);
    bool native = P->a->realloc && !(word & HB_SLOT_EMULATED_ALIGN);
    uint64_t t0 = t_begin(P, mode);
    void *q = native ? P->a->realloc(P->heap, p, op->size) : emulate_realloc(P, p, word, op->size);
    t_end(P, mode, HB_OP_REALLOC, t0);
    if (!q) { /* the old block stays, as realloc promises */
        note_failed(P, i);
        return;
    }
    if (mode == M_MEASURE) {
        /* The old first byte is kept always, the old last byte when the
         * block did not shrink; both hold the tag. */
        const unsigned char *c = q;
        if (p && old && (c[0] != tag || (op->size >= old && c[old - 1] != tag)))
            note_corrupt(P, HB_CORRUPT_REALLOC, i);
        if (p) {
            P->live_bytes -= old;
            P->live_blocks--;
        }
        track_alloc(P, mode, q, op->size);
    }
    P->ptr[op->slot] = q;
    P->size[op->slot] = op->size;
    touch(q, op->size, tag);
}

INLINE void op_free(hb_pass *P, const int mode, const hb_op *op, size_t i)
{
    void *p = NULL;
    uint64_t word = 0;
    if (op->slot != HB_SLOT_NONE) {
        p = P->ptr[op->slot];
        word = P->size[op->slot];
        P->ptr[op->slot] = NULL;
        P->size[op->slot] = 0;
    }
    uint64_t n = word & ~HB_SLOT_EMULATED_ALIGN;
    if (mode == M_MEASURE && p) {
        if (!intact(p, n, tag_of(op->slot)))
            note_corrupt(P, HB_CORRUPT_CONTENT, i);
        P->live_bytes -= n;
        P->live_blocks--;
    }
    void *base = p ? base_of(p, word) : NULL;
    uint64_t t0 = t_begin(P, mode);
    int st = P->a->free(P->heap, base);
    t_end(P, mode, HB_OP_FREE, t0);
    if (st != HB_FREE_OK && !P->bad_free) {
        P->bad_free = st;
        P->bad_free_op = i;
    }
}

INLINE void run_op(hb_pass *P, const int mode, size_t i)
{
    const hb_op *op = &P->ops[i];
    hb_fault_op = i;
    P->count[op->kind]++;
    switch (op->kind) {
    case HB_OP_MALLOC: op_malloc(P, mode, op, i); break;
    case HB_OP_CALLOC: op_calloc(P, mode, op, i); break;
    case HB_OP_REALLOC: op_realloc(P, mode, op, i); break;
    case HB_OP_FREE: op_free(P, mode, op, i); break;
    case HB_OP_ALIGNED: op_aligned(P, mode, op, i); break;
    default: break; /* the loader admits no other kind */
    }
}

void hb_pass_measure(hb_pass *P)
{
    size_t countdown = P->rss_every;
    for (size_t i = 0; i < P->nops; i++) {
        run_op(P, M_MEASURE, i);
        if (P->rss && --countdown == 0) {
            hb_rss_sample(P->rss);
            countdown = P->rss_every;
        }
    }
    if (P->rss)
        hb_rss_sample(P->rss);
}

void hb_pass_throughput(hb_pass *P)
{
    for (size_t i = 0; i < P->nops; i++)
        run_op(P, M_THROUGHPUT, i);
}

void hb_pass_latency(hb_pass *P)
{
    for (size_t i = 0; i < P->nops; i++)
        run_op(P, M_LATENCY, i);
}

void hb_pass_release(hb_pass *P)
{
    for (uint32_t s = 0; s < P->nslots; s++) {
        void *p = P->ptr[s];
        if (!p)
            continue;
        int st = P->a->free(P->heap, base_of(p, P->size[s]));
        if (st != HB_FREE_OK && !P->bad_free) {
            P->bad_free = st;
            P->bad_free_op = P->nops;
        }
        P->ptr[s] = NULL;
        P->size[s] = 0;
    }
    P->live_bytes = P->live_blocks = 0;
}
