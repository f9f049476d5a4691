/*
 * A small, independent reader of generated traces for the generator's tests:
 * it applies the trace format's id rules (no allocation on a live id, no
 * free or realloc of a dead one) and records every operation with the live
 * bytes after it and the phase it belongs to, so tests can check shapes.
 */
#ifndef HB_TEST_GEN_CHECK_H
#define HB_TEST_GEN_CHECK_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen.h"

typedef struct gc_op {
    char kind;      /* a c m r f; 'n' for free(NULL) */
    uint64_t id, size, align;
    uint64_t live;  /* live bytes after the op */
    int phase;      /* 0-based; -1 for the final frees */
} gc_op;

typedef struct gc_trace {
    gc_op *ops;
    size_t nops;
    uint64_t phase_ops[64];
    int nphases;
    uint64_t peak;
    uint64_t left_live; /* blocks live at the end */
    char error[256];    /* first rule broken, empty when valid */
} gc_trace;

#define GC_MAX_ID (1u << 24)

static inline bool gc_read(const char *text, size_t len, gc_trace *t)
{
    memset(t, 0, sizeof *t);
    size_t cap = 1024;
    t->ops = malloc(cap * sizeof *t->ops);
    uint64_t *sizes = calloc(GC_MAX_ID, sizeof *sizes);
    bool *alive = calloc(GC_MAX_ID, sizeof *alive);
    uint64_t live = 0, nalive = 0;
    int phase = -1;
    size_t lineno = 0;
    const char *p = text, *end = text + len;
    while (p < end && !t->error[0]) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            nl = end;
        char line[256];
        size_t n = (size_t)(nl - p) < sizeof line - 1 ? (size_t)(nl - p) : sizeof line - 1;
        memcpy(line, p, n);
        line[n] = 0;
        p = nl + 1;
        lineno++;
        if (!strncmp(line, "# phase ", 8)) {
            phase = atoi(line + 8) - 1;
            t->nphases = phase + 1;
            continue;
        }
        if (!strncmp(line, "# end", 5)) {
            phase = -1;
            continue;
        }
        if (line[0] == '#' || !line[0])
            continue;
        gc_op op = { .kind = line[0], .phase = phase };
        unsigned long long a = 0, b = 0, c = 0;
        int got = sscanf(line + 1, "%llu %llu %llu", &a, &b, &c);
        if (op.kind == 'f' && !strcmp(line, "f -")) {
            op.kind = 'n';
        } else if (got < 1 || a == 0 || a >= GC_MAX_ID) {
            snprintf(t->error, sizeof t->error, "line %zu: bad line '%.64s'", lineno, line);
            break;
        }
        op.id = a;
        switch (op.kind) {
        case 'a': case 'c': case 'm':
            if (alive[a])
                snprintf(t->error, sizeof t->error, "line %zu: allocation on live id", lineno);
            op.size = op.kind == 'a' ? b : op.kind == 'c' ? b * c : c;
            op.align = op.kind == 'm' ? b : 0;
            if ((op.kind == 'a' && got != 2) || (op.kind != 'a' && got != 3))
                snprintf(t->error, sizeof t->error, "line %zu: wrong field count", lineno);
            alive[a] = true;
            sizes[a] = op.size;
            live += op.size;
            nalive++;
            break;
        case 'r':
            if (!alive[a] || got != 2 || b == 0)
                snprintf(t->error, sizeof t->error, "line %zu: bad realloc", lineno);
            live = live - sizes[a] + b;
            op.size = sizes[a] = b;
            break;
        case 'f':
            if (!alive[a] || got != 1)
                snprintf(t->error, sizeof t->error, "line %zu: free of a dead id", lineno);
            alive[a] = false;
            live -= sizes[a];
            op.size = sizes[a];
            nalive--;
            break;
        case 'n':
            break;
        default:
            snprintf(t->error, sizeof t->error, "line %zu: unknown op", lineno);
        }
        op.live = live;
        if (live > t->peak)
            t->peak = live;
        if (t->nops == cap)
            t->ops = realloc(t->ops, (cap *= 2) * sizeof *t->ops);
        t->ops[t->nops++] = op;
        if (phase >= 0 && phase < 64)
            t->phase_ops[phase]++;
    }
    t->left_live = nalive;
    free(sizes);
    free(alive);
    return !t->error[0];
}

static inline void gc_free(gc_trace *t) { free(t->ops); }

/* FNV-1a 64, as the spec-hash uses it: one byte at a time, so a pinned value
 * does not depend on the machine's byte order or word size. */
#define GC_FNV_BASIS 0xcbf29ce484222325ULL

static inline uint64_t gc_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* What to do when pinned generator output no longer matches. */
static inline void gc_output_changed(const char *what, uint64_t got, uint64_t pinned)
{
    fprintf(stderr,
            "%s: the generator's output changed (hash %016" PRIx64 ", pinned %016" PRIx64 ").\n"
            "  If the change is intended, bump HB_GEN_VERSION in harness/src/gen/spec.h, so that\n"
            "  traces generated before it count as stale and are regenerated, and update the\n"
            "  pinned hashes in tests/gen/.\n",
            what, got, pinned);
}

/* Loads a spec from text and generates it; the text of the trace in *out. */
static inline int gc_generate(const char *yaml, uint64_t seed_override, hb_gen_text *out)
{
    char err[1024];
    hb_spec s;
    if (hb_spec_load_string("inline.yaml", yaml, strlen(yaml), &s, err, sizeof err)) {
        fprintf(stderr, "spec: %s\n", err);
        return -1;
    }
    if (seed_override)
        hb_spec_set_seed(&s, seed_override);
    int rc = hb_gen_trace(&s, out, err, sizeof err);
    if (rc)
        fprintf(stderr, "gen: %s\n", err);
    hb_spec_free(&s);
    return rc;
}

/* Index of the first op of phase ph, and one past its last. */
static inline void gc_phase_range(const gc_trace *t, int ph, size_t *from, size_t *to)
{
    size_t i = 0;
    while (i < t->nops && t->ops[i].phase != ph)
        i++;
    *from = i;
    while (i < t->nops && t->ops[i].phase == ph)
        i++;
    *to = i;
}

#endif /* HB_TEST_GEN_CHECK_H */
