/*
 * What every fuzz target asserts about a reader's answer: either a trace
 * the replay can trust, or at least one error.  A violated property aborts,
 * which libFuzzer (and the corpus runner) report as a crash.
 */
#ifndef HB_FUZZ_CHECK_H
#define HB_FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

#define FUZZ_ASSERT(cond)                                                            \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                          \
            abort();                                                                 \
        }                                                                            \
    } while (0)

/* What the replay trusts of a loaded trace, op by op. */
static inline void fuzz_check_trace_ops(const hb_trace *t)
{
    for (size_t i = 0; i < t->nops; i++) {
        const hb_op *o = &t->ops[i];
        FUZZ_ASSERT(o->kind < HB_OP_KINDS);
        FUZZ_ASSERT(o->slot < t->nslots || (o->slot == HB_SLOT_NONE && o->kind == HB_OP_FREE));
        FUZZ_ASSERT(o->size <= INT64_MAX);
        FUZZ_ASSERT(o->thread < t->sum.threads);
        FUZZ_ASSERT(o->kind != HB_OP_ALIGNED || (o->aux && !(o->aux & (o->aux - 1))));
    }
}

/* A freshly parsed trace: the ops, and the summary agrees with them. */
static inline void fuzz_check_trace(const hb_trace *t)
{
    uint64_t count[HB_OP_KINDS] = { 0 };
    FUZZ_ASSERT(t->nops > 0 && t->name);
    fuzz_check_trace_ops(t);
    for (size_t i = 0; i < t->nops; i++)
        count[t->ops[i].kind]++;
    for (unsigned k = 0; k < HB_OP_KINDS; k++)
        FUZZ_ASSERT(count[k] == t->sum.count[k]);
    FUZZ_ASSERT(t->nslots == t->sum.peak_live_blocks);
}

/* The native text of t reads back as the same operations. */
static inline void fuzz_check_roundtrip(const hb_trace *t)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    FUZZ_ASSERT(f && hb_trace_write(t, NULL, f) == 0);
    fclose(f);
    hb_trace u;
    hb_diag d = { 0 };
    FUZZ_ASSERT(hb_trace_parse_buffer("roundtrip.trace", text, len, HB_FMT_NATIVE, &u, &d) == 0);
    FUZZ_ASSERT(u.nops == t->nops && u.nslots == t->nslots);
    for (size_t i = 0; i < t->nops; i++) {
        const hb_op *a = &t->ops[i], *b = &u.ops[i];
        FUZZ_ASSERT(a->kind == b->kind && a->slot == b->slot && a->size == b->size &&
                    a->aux == b->aux && a->thread == b->thread && a->flags == b->flags);
    }
    hb_trace_release(&u);
    free(text);
}

/* One text reader on one input. */
static inline int fuzz_text_reader(const uint8_t *data, size_t size, const char *name,
                                   enum hb_trace_format fmt)
{
    hb_trace t;
    hb_diag d = { 0 };
    if (hb_trace_parse_buffer(name, (const char *)data, size, fmt, &t, &d) == 0) {
        FUZZ_ASSERT(d.errors == 0);
        fuzz_check_trace(&t);
        fuzz_check_roundtrip(&t);
        hb_trace_release(&t);
    } else {
        FUZZ_ASSERT(d.errors > 0 && d.first[0]);
        FUZZ_ASSERT(t.ops == NULL);
    }
    return 0;
}

#endif /* HB_FUZZ_CHECK_H */
