/*
 * libhbrecord: an LD_PRELOAD library that writes every heap call of an
 * unmodified program as a heapbench trace.  Internal interfaces between its
 * three files:
 *
 *   rec_hooks.c   the interposed malloc family and the bootstrap arena
 *   rec_record.c  the lock, thread ids, the lines of each call, init, fork
 *   rec_table.c   address -> block id table, in mmap'd memory
 *   rec_out.c     the per-process output file and the line writer
 *
 * Nothing here may call the program's malloc: the recorder's own memory is
 * mmap'd or static.  Everything but the interposed functions is hidden so
 * no name of the recorder can clash with a name of the program.
 */
#ifndef HB_REC_H
#define HB_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define REC_HIDDEN __attribute__((visibility("hidden")))

#define REC_TLS __thread __attribute__((tls_model("initial-exec")))

/* ---- block table (rec_table.c); every call is made under the record lock */

/* A live block: what a fork child needs to re-create the heap it inherits. */
typedef struct rec_block {
    uintptr_t addr;  /* 0 marks an empty slot                      */
    uint64_t id;
    uint64_t size;   /* requested bytes                            */
    uint32_t align;  /* 0 for malloc/calloc/realloc, else alignment */
    uint32_t unused_;
} rec_block;

/* Adds a block: 0; 1 if its address was still live (its free went unseen,
 * the old entry is dropped); -1 if the table could not grow. */
REC_HIDDEN int rec_table_put(const rec_block *b);
/* Removes the block at addr into *out; false if addr is not tracked. */
REC_HIDDEN bool rec_table_take(uintptr_t addr, rec_block *out);
REC_HIDDEN size_t rec_table_count(void);
/* Calls fn on every live block, in table order. */
REC_HIDDEN void rec_table_each(void (*fn)(const rec_block *, void *), void *ctx);

/* ---- recording core (rec_record.c) --------------------------------------- */

/* The next definitions in lookup order: what the program would have called. */
typedef struct rec_real {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t); /* NULL where the C library dropped it */
} rec_real;

REC_HIDDEN extern rec_real rec_next;
REC_HIDDEN extern bool rec_enabled; /* HB_RECORD_FILE or HB_RECORD_DIR was set */

/* True once rec_next is filled in.  False only for the thread doing that,
 * whose nested calls (dlsym may allocate) must use the bootstrap arena. */
REC_HIDDEN bool rec_ready(void);

/* What a birth writes: `a ID x`, `c ID x y` or `m ID x y`; when the call
 * failed, "# failed: CALL x[, y])" where call holds "name(". */
typedef struct rec_birth {
    const char *call;
    char kind;
    uint64_t x, y;
    uint64_t size;    /* requested bytes, kept for fork children */
    uint32_t align;
} rec_birth;

/* After the real call: block p was born, or the call failed. */
REC_HIDDEN void rec_note_birth(void *p, bool failed, const rec_birth *b);
/* Before the real call: p is released; as_realloc writes `r ID 0`. */
REC_HIDDEN void rec_note_release(void *p, bool as_realloc);
/* Before a real realloc(p, n > 0): takes p out of the table into *b. */
REC_HIDDEN bool rec_detach(void *p, rec_block *b);
/* After it returned q: writes `r ID n` (or the failure) and enters q. */
REC_HIDDEN void rec_note_resize(void *q, size_t n, bool known, rec_block *b);

/* ---- output (rec_out.c); every call is made under the record lock ------ */

/* A line under construction, on the caller's stack. */
typedef struct rec_line {
    char buf[192];
    size_t len;
} rec_line;

REC_HIDDEN void rec_line_char(rec_line *l, char c);
REC_HIDDEN void rec_line_str(rec_line *l, const char *s);
REC_HIDDEN void rec_line_u64(rec_line *l, uint64_t v);

/* Opens this process image's file PREFIX.PID (or PREFIX.PID.K for the K-th
 * image after exec) and writes the raw header.  fork_parent is the pid the
 * process was forked from, 0 if it was not.  Returns 0 or -1. */
REC_HIDDEN int rec_out_open(const char *prefix, pid_t fork_parent);
/* Appends one line (ending in '\n') to the file. */
REC_HIDDEN void rec_out_line(const rec_line *l);
/* In a fork child: forgets the parent's file without touching it. */
REC_HIDDEN void rec_out_forget(void);
REC_HIDDEN bool rec_out_is_open(void);
/* Writes a message to stderr with write(2) (no stdio, no malloc). */
REC_HIDDEN void rec_say(const char *a, const char *b);

#endif /* HB_REC_H */
