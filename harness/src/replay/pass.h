/*
 * One replay pass over a heap: the state the loop works on (private to
 * replay/).  The caller maps the slot arrays, opens the heap, and reads the
 * figures afterwards; the loop itself only calls the allocator and writes
 * the blocks.
 */
#ifndef HB_PASS_H
#define HB_PASS_H

#include <stdint.h>

#include <heapbench/allocator.h>

#include "replay/clock.h"
#include "replay/footprint.h"
#include "replay/histogram.h"
#include "trace/trace.h"

/* A slot's size word: requested bytes, plus this bit when the block was an
 * emulated aligned allocation whose base pointer sits just before it. */
#define HB_SLOT_EMULATED_ALIGN (UINT64_C(1) << 63)

enum hb_corruption {
    HB_CORRUPT_NONE = 0,
    HB_CORRUPT_CONTENT,  /* a live block's first or last byte changed */
    HB_CORRUPT_REALLOC,  /* realloc did not preserve the old contents */
    HB_CORRUPT_CALLOC,   /* calloc memory did not read zero           */
    HB_CORRUPT_ALIGN     /* an aligned allocation was misaligned      */
};

typedef struct hb_pass {
    const hb_allocator *a;
    void *heap;
    const hb_op *ops;
    size_t nops;
    void **ptr;          /* one per slot                              */
    uint64_t *size;      /* one per slot                              */
    uint32_t nslots;
    const hb_clock *clk; /* latency pass                              */
    hb_hist *hist;       /* [HB_OP_KINDS], latency pass               */
    hb_rss *rss;         /* measuring pass, libc contract             */
    size_t rss_every;    /* ops between RSS samples                   */

    uint64_t count[HB_OP_KINDS];
    uint64_t failed;
    size_t first_failed;
    uint64_t live_bytes, live_blocks, peak_bytes, peak_blocks;
    int bad_free;        /* first non-OK free status, 0 if none       */
    size_t bad_free_op;  /* its op index (nops: leftover release)     */
    enum hb_corruption corrupt;
    size_t corrupt_op;
} hb_pass;

/* The three loops; each runs ops [0, nops) once. */
void hb_pass_measure(hb_pass *p);
void hb_pass_throughput(hb_pass *p);
void hb_pass_latency(hb_pass *p);

/* Frees every block still live (untimed); bad statuses are recorded with
 * op index nops. */
void hb_pass_release(hb_pass *p);

#endif /* HB_PASS_H */
