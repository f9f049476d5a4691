/*
 * The replay loops.  One op runner serves all three passes; it is inlined
 * into each loop with the pass mode as a constant, so the throughput loop
 * carries no timing or measuring code and the timed loop no measuring code.
 * A system allocator is called directly through its functions (`direct`),
 * not through the adapter table, so its calls cost what a program's do.
 *
 * Per op: store the op index for the fault handler, (latency) read the
 * clock, call the allocator -- or emulate a method it lacks --, (latency)
 * read the clock again, then update the slot and write the block.  Only the
 * allocator's work (and an emulation's copying) lies inside the timed
 * window; the block writes are the program's, outside it.  The measuring
 * pass then reads the footprint (meter.c).
 */
#include "replay/fault.h"
#include "replay/meter.h"
#include "replay/pass.h"

#include <string.h>

/* M_LEAN: a throughput pass in which nothing can be emulated (the
 * allocator has its own realloc and aligned allocation), so no slot's size
 * word is read or written. */
enum { M_MEASURE, M_THROUGHPUT, M_LATENCY, M_LEAN };

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
        hb_hist_add(&P->hist[kind], hb_clock_delta(t0, hb_clock_ticks(P->clk)));
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

/* Whether the pass keeps the slots' size words. */
INLINE bool sized(const int mode) { return mode != M_LEAN; }

/* ---- the allocator's methods, direct or through the table ---------------- */

INLINE void *call_malloc(hb_pass *P, const int direct, size_t n)
{
    return direct ? P->libc->malloc(n) : P->a->malloc(P->heap, n);
}

INLINE int call_free(hb_pass *P, const int direct, void *p)
{
    if (direct) {
        P->libc->free(p);
        return HB_FREE_OK;
    }
    return P->a->free(P->heap, p);
}

INLINE void *call_realloc(hb_pass *P, const int direct, void *p, size_t n)
{
    return direct ? P->libc->realloc(p, n) : P->a->realloc(P->heap, p, n);
}

INLINE void *call_calloc(hb_pass *P, const int direct, size_t nmemb, size_t el)
{
    return direct ? P->libc->calloc(nmemb, el) : P->a->calloc(P->heap, nmemb, el);
}

/* ---- emulation of missing methods ------------------------------------------ */

/* Over-allocates by align + one pointer and keeps the base pointer just
 * before the aligned block, where free finds it. */
INLINE void *emulate_aligned(hb_pass *P, const int direct, size_t align, size_t size)
{
    unsigned char *raw = call_malloc(P, direct, size + align + sizeof(void *));
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

INLINE void *emulate_calloc(hb_pass *P, const int direct, size_t n)
{
    void *p = call_malloc(P, direct, n);
    if (p)
        memset(p, 0, n);
    return p;
}

/* malloc + copy of what the trace knows the block holds + free. */
INLINE void *emulate_realloc(hb_pass *P, const int direct, void *p, uint64_t word, size_t n)
{
    void *q = call_malloc(P, direct, n);
    if (q && p) {
        uint64_t old = word & ~HB_SLOT_EMULATED_ALIGN;
        memcpy(q, p, old < n ? old : n);
        call_free(P, direct, base_of(p, word));
    }
    return q;
}

/* ---- bookkeeping ---------------------------------------------------------- */

INLINE void track_alloc(hb_pass *P, const int mode, void *p, uint64_t n)
{
    if (mode == M_MEASURE && p) {
        P->live_bytes += n;
        P->live_blocks++;
        if (P->live_bytes > P->peak_bytes) {
            P->peak_bytes = P->live_bytes;
            P->new_peak = true;
        }
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
    if (sized(mode))
        P->size[op->slot] = p ? word : 0;
    if (mode == M_MEASURE && p)
        hb_meter_usable(P, base_of(p, word), +1);
    track_alloc(P, mode, p, p ? n : 0);
    if (p)
        touch(p, n, tag_of(op->slot));
}

/* ---- the five operations --------------------------------------------------- */

INLINE void op_malloc(hb_pass *P, const int mode, const int direct, const hb_op *op, size_t i)
{
    uint64_t t0 = t_begin(P, mode);
    void *p = call_malloc(P, direct, op->size);
    t_end(P, mode, HB_OP_MALLOC, t0);
    born(P, mode, op, i, p, op->size);
}

INLINE void op_calloc(hb_pass *P, const int mode, const int direct, const hb_op *op, size_t i)
{
    size_t nmemb = op->aux, el = op->size;
    if (nmemb && op->size % nmemb == 0)
        el = op->size / nmemb;
    else
        nmemb = 1; /* a product the trace could not split: one element */
    bool native = P->a->calloc != NULL;
    uint64_t t0 = t_begin(P, mode);
    void *p = native ? call_calloc(P, direct, nmemb, el) : emulate_calloc(P, direct, op->size);
    t_end(P, mode, HB_OP_CALLOC, t0);
    if (mode == M_MEASURE && p && !reads_zero(p, op->size))
        note_corrupt(P, HB_CORRUPT_CALLOC, i);
    born(P, mode, op, i, p, op->size);
}

/* Aligned allocations are rare in traces: always through the table. */
INLINE void op_aligned(hb_pass *P, const int mode, const int direct, const hb_op *op, size_t i)
{
    size_t align = op->aux < sizeof(void *) ? sizeof(void *) : op->aux;
    bool native = mode == M_LEAN || P->a->aligned_alloc != NULL;
    uint64_t t0 = t_begin(P, mode);
    void *p = native ? P->a->aligned_alloc(P->heap, align, op->size)
                     : emulate_aligned(P, direct, align, op->size);
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

/* The measuring pass's view of a realloc: contents kept, live bytes moved. */
INLINE void judge_realloc(hb_pass *P, const hb_op *op, size_t i, void *p, uint64_t old,
                          unsigned char tag, void *q)
{
    /* The old first byte is kept always, the old last byte when the block
     * did not shrink; both hold the tag. */
    const unsigned char *c = q;
    if (p && old && (c[0] != tag || (op->size >= old && c[old - 1] != tag)))
        note_corrupt(P, HB_CORRUPT_REALLOC, i);
    if (p) {
        P->live_bytes -= old;
        P->live_blocks--;
    }
    hb_meter_usable(P, q, +1);
    track_alloc(P, M_MEASURE, q, op->size);
}

INLINE void op_realloc(hb_pass *P, const int mode, const int direct, const hb_op *op, size_t i)
{
    void *p = P->ptr[op->slot];
    uint64_t word = sized(mode) ? P->size[op->slot] : 0, old = word & ~HB_SLOT_EMULATED_ALIGN;
    unsigned char tag = tag_of(op->slot);
    if (mode == M_MEASURE && p && !intact(p, old, tag))
        note_corrupt(P, HB_CORRUPT_CONTENT, i);
    if (mode == M_MEASURE && p)
        hb_meter_usable(P, base_of(p, word), -1);
    bool native = mode == M_LEAN || (P->a->realloc && !(word & HB_SLOT_EMULATED_ALIGN));
    uint64_t t0 = t_begin(P, mode);
    void *q = native ? call_realloc(P, direct, p, op->size)
                     : emulate_realloc(P, direct, p, word, op->size);
    t_end(P, mode, HB_OP_REALLOC, t0);
    if (!q) { /* the old block stays, as realloc promises */
        if (mode == M_MEASURE && p)
            hb_meter_usable(P, base_of(p, word), +1);
        note_failed(P, i);
        return;
    }
    if (mode == M_MEASURE)
        judge_realloc(P, op, i, p, old, tag, q);
    P->ptr[op->slot] = q;
    if (sized(mode))
        P->size[op->slot] = op->size;
    touch(q, op->size, tag);
}

INLINE void op_free(hb_pass *P, const int mode, const int direct, const hb_op *op, size_t i)
{
    void *p = NULL;
    uint64_t word = 0;
    if (op->slot != HB_SLOT_NONE) {
        p = P->ptr[op->slot];
        P->ptr[op->slot] = NULL;
        if (sized(mode)) {
            word = P->size[op->slot];
            P->size[op->slot] = 0;
        }
    }
    uint64_t n = word & ~HB_SLOT_EMULATED_ALIGN;
    void *base = p ? base_of(p, word) : NULL;
    if (mode == M_MEASURE && p) {
        if (!intact(p, n, tag_of(op->slot)))
            note_corrupt(P, HB_CORRUPT_CONTENT, i);
        hb_meter_usable(P, base, -1);
        P->live_bytes -= n;
        P->live_blocks--;
    }
    uint64_t t0 = t_begin(P, mode);
    int st = call_free(P, direct, base);
    t_end(P, mode, HB_OP_FREE, t0);
    if (st != HB_FREE_OK && !P->bad_free) {
        P->bad_free = st;
        P->bad_free_op = i;
    }
}

INLINE void run_op(hb_pass *P, const int mode, const int direct, size_t i)
{
    const hb_op *op = &P->ops[i];
    hb_fault_op = i;
    if (mode == M_MEASURE)
        P->count[op->kind]++;
    if (mode == M_THROUGHPUT || mode == M_LEAN) {
        /* Compares, commonest kind first, where the switch below becomes
         * a jump table: its one indirect jump per op, on a kind that
         * follows no pattern, was mispredicted on most ops (callgrind's
         * branch simulation: 0.9 per op), a cost the program being
         * replayed does not have. */
        unsigned k = op->kind;
        if (k == HB_OP_FREE)
            op_free(P, mode, direct, op, i);
        else if (k == HB_OP_MALLOC)
            op_malloc(P, mode, direct, op, i);
        else if (k == HB_OP_CALLOC)
            op_calloc(P, mode, direct, op, i);
        else if (k == HB_OP_REALLOC)
            op_realloc(P, mode, direct, op, i);
        else if (k == HB_OP_ALIGNED)
            op_aligned(P, mode, direct, op, i);
        return;
    }
    switch (op->kind) {
    case HB_OP_MALLOC: op_malloc(P, mode, direct, op, i); break;
    case HB_OP_CALLOC: op_calloc(P, mode, direct, op, i); break;
    case HB_OP_REALLOC: op_realloc(P, mode, direct, op, i); break;
    case HB_OP_FREE: op_free(P, mode, direct, op, i); break;
    case HB_OP_ALIGNED: op_aligned(P, mode, direct, op, i); break;
    default: break; /* the loader admits no other kind */
    }
}

/* The measuring pass goes through the table even for a system allocator:
 * it is not timed, and the table is what the other contracts use. */
void hb_pass_measure(hb_pass *P)
{
    for (size_t i = 0; i < P->nops; i++) {
        P->new_peak = false;
        run_op(P, M_MEASURE, 0, i);
        hb_meter_after_op(P, i);
    }
    hb_meter_finish(P);
}

/* The throughput loop runs on copies of the pass and of the allocator's
 * functions that no allocator call can reach, so the compiler keeps them
 * in registers rather than reloading them after every call. */
INLINE void throughput(hb_pass *P, const int mode, const int direct)
{
    hb_pass L = *P;
    hb_allocator tab = *P->a;
    hb_libc_fns fns;
    L.a = &tab;
    if (direct) {
        fns = *P->libc;
        L.libc = &fns;
    }
    for (size_t i = 0; i < L.nops; i++)
        run_op(&L, mode, direct, i);
    L.a = P->a;
    L.libc = P->libc;
    *P = L;
}

void hb_pass_throughput(hb_pass *P)
{
    bool lean = P->a->realloc && P->a->aligned_alloc;
    if (P->libc && lean)
        throughput(P, M_LEAN, 1);
    else if (P->libc)
        throughput(P, M_THROUGHPUT, 1);
    else if (lean)
        throughput(P, M_LEAN, 0);
    else
        throughput(P, M_THROUGHPUT, 0);
}

void hb_pass_latency(hb_pass *P)
{
    if (P->libc)
        for (size_t i = 0; i < P->nops; i++)
            run_op(P, M_LATENCY, 1, i);
    else
        for (size_t i = 0; i < P->nops; i++)
            run_op(P, M_LATENCY, 0, i);
}

void hb_pass_release(hb_pass *P)
{
    /* A slot's size word is 0 while it is empty, and stays 0 through a
     * lean pass (which writes none): base_of finds the block either way. */
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
