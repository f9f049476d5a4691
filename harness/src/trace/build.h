/*
 * The trace builder every text reader feeds: it checks each operation
 * against the life of its id, gives a block a dense slot at birth and takes
 * it back at death, appends the op, and keeps the summary figures.  The
 * readers only tokenize; the meaning of "a", "r" and "f" lives here.
 */
#ifndef HB_TRACE_BUILD_H
#define HB_TRACE_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "trace/idmap.h"
#include "trace/trace.h"

/* Leniency for recorded formats (.rep, mtrace), each use a warning:
 * realloc of a never-seen id is a malloc, free of one is skipped, and an
 * allocation on a live id leaves the old block live (leaked) under a new
 * slot.  With HB_TB_DEAD_AS_UNKNOWN a freed id counts as never seen. */
#define HB_TB_LENIENT 0x1u
#define HB_TB_DEAD_AS_UNKNOWN 0x2u
#define HB_TB_HEX_IDS 0x4u /* ids are addresses: print them in hex */

typedef struct hb_tb {
    const char *file;
    hb_diag *d;
    unsigned flags;
    unsigned errors_before; /* d->errors at init                */
    bool failed; /* out of memory, or too many slots or threads */
    hb_op *ops;
    size_t nops, cap;
    hb_idmap ids;
    uint32_t *free_slots; /* slots of dead blocks, reused LIFO       */
    uint64_t *slot_size;  /* live size of each slot                 */
    uint32_t nfree, nslots, slot_cap;
    hb_idmap tids;           /* file thread id -> dense index (slot) */
    uint64_t cur_tid;        /* file thread id of the next ops       */
    uint32_t cur_thread;     /* its dense index, HB_ID_DEAD: not yet */
    uint64_t live_bytes, live_blocks;
    hb_trace_summary sum;
} hb_tb;

/* Metadata strings handed to hb_tb_finish (any may be NULL). */
typedef struct hb_tb_meta {
    const char *name, *description, *source, *metadata;
} hb_tb_meta;

int hb_tb_init(hb_tb *b, const char *file, hb_diag *d, unsigned flags, size_t len_hint);
void hb_tb_discard(hb_tb *b);

void hb_tb_thread(hb_tb *b, uint64_t tid);
/* a, c, m: a new block under id.  size is the byte count (the product for
 * calloc), aux the nmemb or alignment. */
void hb_tb_alloc(hb_tb *b, unsigned kind, uint64_t id, uint64_t size, uint32_t aux, unsigned line);
/* realloc of id to size; the block is known as newid afterwards (newid ==
 * id except for address-based logs).  size 0 frees the block. */
void hb_tb_realloc(hb_tb *b, uint64_t id, uint64_t newid, uint64_t size, unsigned line);
void hb_tb_free(hb_tb *b, uint64_t id, unsigned line);
void hb_tb_free_null(hb_tb *b, unsigned line);

/* Moves the ops and copies of the strings into t.  Returns -1 (and
 * discards) if any error was reported since hb_tb_init. */
int hb_tb_finish(hb_tb *b, const hb_tb_meta *meta, hb_trace *t);

#endif /* HB_TRACE_BUILD_H */
