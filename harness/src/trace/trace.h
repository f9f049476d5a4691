/*
 * The in-memory trace: what every reader (native text, CS:APP .rep, the
 * binary cache) produces and what replay consumes.
 *
 * Block ids of the file are mapped to dense slots before any timing: a slot
 * is taken when a block is born and given back when it dies, so nslots is the
 * peak number of live blocks and the replay keeps one pointer per slot.  All
 * validation (unknown id, double free, realloc of a freed id, overflowing
 * sizes) happens while loading; replay trusts the ops.
 */
#ifndef HB_TRACE_H
#define HB_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace/opkind.h"


#define HB_SLOT_NONE UINT32_MAX

/* One operation, 24 bytes.  line is the 1-based line of the source file
 * (0 when the reader has no lines), kept so a crash names where it was. */
typedef struct hb_op {
    uint64_t size;
    uint32_t slot;
    uint32_t aux;
    uint8_t kind;
    uint8_t flags;   /* HB_OPF_* */
    uint16_t thread; /* recording thread, dense from 0 */
    uint32_t line;
} hb_op;

/* The op was realloc(p, 0) in the source: replayed as free(p). */
#define HB_OPF_FROM_REALLOC0 0x01

/* Figures computed by the loader from the ops alone (requested bytes). */
typedef struct hb_trace_summary {
    uint64_t count[HB_OP_KINDS];
    uint64_t free_null;        /* frees of NULL, included in count[FREE] */
    uint64_t peak_live_bytes;  /* max over time of sum of live sizes     */
    uint64_t peak_live_blocks;
    uint64_t total_alloc_bytes; /* sum of sizes of all births and reallocs */
    uint64_t max_size;
    uint32_t threads;
} hb_trace_summary;

enum hb_trace_format {
    HB_FMT_AUTO = 0,
    HB_FMT_NATIVE,
    HB_FMT_REP,
    HB_FMT_MTRACE /* glibc mtrace() log; AUTO picks it by content only */
};

typedef struct hb_trace {
    char *path;         /* as given                                       */
    char *name;         /* metadata name, else file name without suffixes */
    char *description;  /* metadata, may be NULL                          */
    char *source;       /* metadata, may be NULL                          */
    char *metadata;     /* every "#! key: value" of the header, one
                           "key: value\n" line each; may be NULL.  These
                           strings may live in a read-only mapping.      */
    const hb_op *ops;
    size_t nops;
    uint32_t nslots;
    hb_trace_summary sum;
    uint64_t content_hash; /* of the file's bytes after decompression */
    enum hb_trace_format format; /* what the text was read as; AUTO for a
                                    trace built in memory                 */
    /* owner of ops and strings: private to the loader */
    void *storage_;
    size_t storage_len_;
    bool storage_mapped_;
} hb_trace;

/*
 * Diagnostics.  Loading never stops at the first problem: every error gets
 * one line "FILE:LINE: error: MESSAGE" (up to max_print printed to out), and
 * the count of all of them is kept.  out may be NULL to stay silent.
 */
typedef struct hb_diag {
    void *out;          /* FILE *, where messages go (NULL: nowhere)  */
    unsigned max_print; /* 0 means 20                                 */
    unsigned errors;
    unsigned warnings;
    char first[512];    /* the first error message, for callers/tests */
} hb_diag;

void hb_diag_error(hb_diag *d, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void hb_diag_warning(hb_diag *d, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

typedef struct hb_trace_load_opts {
    enum hb_trace_format format; /* AUTO: by suffix and content          */
    bool use_cache;              /* read/write the binary cache          */
    const char *cache_dir;       /* NULL: $HB_CACHE_DIR, else default    */
} hb_trace_load_opts;

/* Loads and validates a trace (.xz and .gz are decompressed).  Returns 0,
 * or -1 with every problem reported through d (and t left empty). */
int hb_trace_load(const char *path, const hb_trace_load_opts *opts, hb_trace *t, hb_diag *d);

/* Parses a trace held in memory (already decompressed); name is used in
 * messages.  Used by hb_trace_load and by tests. */
int hb_trace_parse_buffer(const char *name, const char *buf, size_t len,
                          enum hb_trace_format fmt, hb_trace *t, hb_diag *d);

void hb_trace_release(hb_trace *t);

const char *hb_op_kind_name(unsigned kind); /* "malloc", "calloc", ... */

/* Writes t in the native text format: metadata header, then one line per
 * op with the slot as the block id.  extra_meta ("key: value\n" lines, may
 * be NULL) is added to the header.  Returns 0, or -1 with errno set. */
int hb_trace_write(const hb_trace *t, const char *extra_meta, FILE *out);

#endif /* HB_TRACE_H */
