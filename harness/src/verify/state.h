/*
 * The state of a verifying replay, shared by its two files (private to
 * verify/): verify.c sets it up, checks blocks and words the findings;
 * ops.c applies the trace's operations.
 */
#ifndef HB_VERIFY_STATE_H
#define HB_VERIFY_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "osmem/osmem.h"
#include "verify/intervals.h"
#include "verify/verify.h"

/* A slot's size word: requested bytes, and this bit for an emulated
 * aligned block whose base pointer sits just before it (as replay does). */
#define V_EMULATED_ALIGN (UINT64_C(1) << 63)
#define V_SIZE(word) ((word) & ~V_EMULATED_ALIGN)

typedef struct vstate {
    const hb_loaded *l;
    const hb_allocator *a;
    void *heap;
    const hb_trace *t;
    const hb_verify_cfg *cfg;
    hb_osmem *mem;              /* the heap's memory source               */
    bool by_memsrc;             /* blocks must lie in mem (native, mmap)   */
    void *arena;                /* lab contract                           */
    size_t arena_len;
    void **ptr;                 /* per slot                               */
    uint64_t *size;             /* per slot: size word                    */
    uint32_t *line;             /* per slot: trace line of its allocation */
    uint8_t *seed;              /* per slot: its fill pattern             */
    uint8_t next_seed;
    hb_intervals live;
    uint64_t applied;           /* ops replayed: all, or up to a finding   */
    uint64_t count[HB_OP_KINDS];
    uint64_t live_bytes, live_blocks, peak_bytes, peak_blocks;
    uint64_t failed;
    size_t first_failed;
    enum hb_status status;      /* the first finding; HB_ST_OK: none       */
    char detail[256];
} vstate;

/* ops.c: applies op i; false once a finding ends the replay. */
bool hb_v_apply(vstate *v, size_t i);

/* verify.c */
void hb_v_fill(const vstate *v, uint32_t slot, uint64_t from, uint64_t to);
bool hb_v_intact(vstate *v, size_t i, uint32_t slot, const char *when);
bool hb_v_new_block(vstate *v, size_t i, uint32_t slot, void *p, uint64_t word, size_t align,
                    bool keep_seed);
void hb_v_forget(vstate *v, uint32_t slot);
void hb_v_null(vstate *v, size_t i, uint64_t n);
void hb_v_fail(vstate *v, size_t i, enum hb_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* HB_VERIFY_STATE_H */
