/*
 * hb_refloop: the smallest replay loop that does the harness's work per
 * operation -- one call into the allocator and the same block writes (first
 * byte, one byte per 4 KiB, last byte) -- so the harness's own cost can be
 * measured against it.  Standalone: nothing of the harness is shared.
 */
#ifndef RL_REFLOOP_H
#define RL_REFLOOP_H

#include <stddef.h>
#include <stdint.h>

/* One record of the op file (see opsmap.c for the whole layout). */
typedef struct rl_op {
    uint64_t size;
    uint32_t slot;
    uint32_t aux;
    uint32_t kind;
    uint32_t zero;
} rl_op;

enum { RL_MALLOC, RL_CALLOC, RL_REALLOC, RL_FREE, RL_ALIGNED, RL_KINDS };
#define RL_SLOT_NONE UINT32_MAX

typedef struct rl_ops {
    const rl_op *ops;
    uint64_t nops;
    uint32_t nslots;
    uint64_t peak_live_bytes;     /* as the header says             */
    uint64_t count[RL_KINDS];     /* counted while validating       */
    void *map;
    size_t maplen;
} rl_ops;

/* Maps and validates an op file; on error prints "FILE: ..." to stderr
 * and returns -1. */
int rl_ops_open(const char *path, rl_ops *o);
void rl_ops_close(rl_ops *o);

#endif
