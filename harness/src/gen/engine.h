/*
 * The generator's model of a running program: the live blocks, when each is
 * due to die, the blocks of the current phase, and the trace text written so
 * far.  Patterns decide what happens next; this layer writes the line and
 * keeps the books, so that every trace it writes is valid by construction
 * (ids are never reused, only live ids are freed or resized).
 */
#ifndef HB_GEN_ENGINE_H
#define HB_GEN_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen/rng.h"
#include "gen/spec.h"
#include "util/buf.h"

#define HB_GEN_NONE UINT32_MAX

typedef struct hb_gblock {
    uint64_t size;
    uint64_t death;    /* op index it is due at, UINT64_MAX: none      */
    uint32_t live_idx; /* in hb_gen.live                               */
    uint32_t pool_idx; /* in hb_gen.pool, HB_GEN_NONE when not in it   */
    bool alive;
} hb_gblock;

typedef struct hb_death {
    uint64_t when, id;
} hb_death;

typedef struct hb_gen {
    hb_buf out;
    const hb_spec *spec;
    const hb_phase *ph;
    size_t phase_idx;
    hb_rng rng;
    hb_gblock *blocks; /* indexed by id; ids count up from 1           */
    uint64_t nids;
    uint64_t *live;    /* ids of all live blocks, unordered            */
    size_t nlive;
    uint64_t *pool;    /* live blocks the current phase owns           */
    size_t npool;
    uint64_t pool_bytes;
    uint64_t *order;   /* the phase's pool ids in birth order, lazily  */
    size_t ohead, otail; /* pruned of ids that left the pool           */
    hb_death *heap;    /* min-heap of (when, id)                       */
    size_t nheap;
    uint64_t now;      /* operations written                           */
    uint64_t phase_begin, phase_end;
    uint64_t start_bytes; /* live bytes when the phase began           */
    uint64_t live_bytes, peak_bytes, peak_blocks;
    uint64_t nfree_null;
    uint64_t *scratch; /* pattern state, sized by the pattern          */
    uint64_t st[8];    /* small pattern counters                       */
} hb_gen;

int hb_gen_init(hb_gen *g, const hb_spec *s);
void hb_gen_destroy(hb_gen *g);

/* Makes phase i current: a fresh pool and its own random stream. */
void hb_gen_phase_begin(hb_gen *g, size_t i);

/* Allocation of size; pooled blocks join the phase's pool and get the
 * phase's lifetime; with_mix lets the phase's mix make it a calloc or an
 * aligned allocation.  Returns the new id. */
uint64_t hb_gen_alloc(hb_gen *g, uint64_t size, bool pooled, bool with_mix);
void hb_gen_free(hb_gen *g, uint64_t id);
void hb_gen_realloc(hb_gen *g, uint64_t id, uint64_t size);
void hb_gen_free_null(hb_gen *g);

/* Frees the block most overdue, if one is; returns whether it wrote. */
bool hb_gen_free_due(hb_gen *g);

/* A live block to free, chosen per from/release; 0 when there is none. */
uint64_t hb_gen_victim(hb_gen *g, enum hb_victims from, enum hb_release release);

/* The phase's usual allocation: with probability mix.realloc a pooled block
 * is resized to a fresh size draw, otherwise a new pooled block. */
void hb_gen_alloc_or_realloc(hb_gen *g);

uint64_t hb_gen_draw(hb_gen *g, const hb_size_dist *d);

/* One operation of the current phase's pattern (patterns.c). */
int hb_pattern_begin(hb_gen *g);
void hb_pattern_step(hb_gen *g);

#endif /* HB_GEN_ENGINE_H */
