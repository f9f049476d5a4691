/*
 * What each pattern does with its next operation.  A step writes exactly one
 * line; the phase loop (gen.c) has already freed any block that was due and
 * handled the end-of-phase drain.
 */
#include "gen/engine.h"

#include <stdlib.h>

/* ---- curve patterns: follow a target of live bytes ---- */

/* Live bytes the phase aims at after its i-th operation (1-based).
 * Integer arithmetic only: the curve must not depend on rounding. */
static int64_t curve(const hb_gen *g, uint64_t i)
{
    const hb_phase *ph = g->ph;
    __int128 l0 = (__int128)g->start_bytes, n = (__int128)ph->ops, r = (__int128)ph->rise_ops;
    __int128 level = (__int128)ph->level, v;
    switch (ph->pattern) {
    case HB_PAT_RAMP:
        v = l0 + (level - l0) * (__int128)i / n;
        break;
    case HB_PAT_PEAK:
        if ((__int128)i <= r)
            v = l0 + level * (__int128)i / (r ? r : 1);
        else
            v = l0 + level * (n - (__int128)i) / (n - r);
        break;
    case HB_PAT_POW2_PLUS_ONE:
        v = (__int128)i < r ? l0 + (level - l0) * (__int128)i / r : level;
        break;
    default: /* plateau */
        v = ph->level_given ? level : l0;
        break;
    }
    return (int64_t)v;
}

static bool timed(const hb_lifetime *l)
{
    return l->kind != HB_LIFE_FOREVER && l->kind != HB_LIFE_PHASE;
}

/* Below the curve: allocate; above it: free a victim if there is one.  With
 * lifetimes, deaths pull the live bytes down and the curve refills them.  A
 * plateau with lifetimes and no level holds the steady state the lifetimes
 * make on their own (by Little's law, about half the mean lifetime in live
 * blocks, since about every other operation allocates). */
static void step_curve(hb_gen *g)
{
    const hb_phase *ph = g->ph;
    if (ph->pattern == HB_PAT_PLATEAU && !ph->level_given && timed(&ph->life)) {
        hb_gen_alloc_or_realloc(g);
        return;
    }
    int64_t want = curve(g, g->now - g->phase_begin + 1);
    if ((int64_t)g->live_bytes < want) {
        hb_gen_alloc_or_realloc(g);
        return;
    }
    uint64_t id = hb_gen_victim(g, ph->from, ph->release);
    if (id)
        hb_gen_free(g, id);
    else
        hb_gen_alloc_or_realloc(g);
}

/* ---- queue and stack: a random walk of the length around depth ---- */

/* The chance to allocate is 1 - len / (2 depth): certain when empty, even
 * at depth, none at twice the depth; the length reverts to depth. */
static void step_order(hb_gen *g, enum hb_release which)
{
    if (hb_rng_below(&g->rng, 2 * g->ph->depth) >= g->npool) {
        hb_gen_alloc_or_realloc(g);
        return;
    }
    hb_gen_free(g, hb_gen_victim(g, HB_FROM_PHASE, which));
}

/* ---- vector: blocks that grow by realloc until max, then start over ---- */

/* scratch[2v] is vector v's id (0: not started), scratch[2v+1] its size. */
static void step_vector(hb_gen *g)
{
    const hb_phase *ph = g->ph;
    if (ph->noise > 0 && hb_rng_chance(&g->rng, ph->noise)) {
        hb_gen_alloc(g, hb_gen_draw(g, &ph->size), true, true);
        return;
    }
    uint64_t v = hb_rng_below(&g->rng, ph->vectors), *id = &g->scratch[2 * v],
             *size = &g->scratch[2 * v + 1];
    if (!*id) {
        *size = ph->initial;
        *id = hb_gen_alloc(g, *size, false, false);
        return;
    }
    uint64_t next = ph->step ? *size + ph->step : hb_grow_by_factor(*size, ph->factor);
    if (next > ph->vmax) {
        hb_gen_free(g, *id);
        *id = 0;
        return;
    }
    *size = next;
    hb_gen_realloc(g, *id, next);
}

/* ---- fragment-firstfit ---- */

/* Rounds of: count small blocks, then free every other one (never the last,
 * which borders the top of the heap and would merge with it), then larges
 * that no hole fits.  The holes stay apart because their neighbours live,
 * so a first-fit free list only grows and each large request walks it all.
 * scratch holds the round's small ids; st[0] stage, st[1] position. */
static void step_fragment(hb_gen *g)
{
    const hb_phase *ph = g->ph;
    uint64_t *stage = &g->st[0], *k = &g->st[1];
    switch (*stage) {
    case 0:
        g->scratch[(*k)++] = hb_gen_alloc(g, hb_gen_draw(g, &ph->size), false, false);
        if (*k == ph->count) {
            *stage = 1;
            *k = 1;
        }
        return;
    case 1:
        hb_gen_free(g, g->scratch[*k]);
        *k += 2;
        if (*k >= ph->count - 1) {
            *stage = 2;
            *k = 0;
        }
        return;
    default:
        hb_gen_alloc(g, hb_gen_draw(g, &ph->large), false, false);
        if (++*k == ph->larges) {
            *stage = 0;
            *k = 0;
        }
        return;
    }
}

/* ---- free-then-large ---- */

/* Fill small blocks to level; then cycles of: a burst of random frees that
 * leaves scattered holes, the oldest large freed once keep are live, one
 * large request, and a refill.  scratch is a ring of the live larges;
 * st[0] stage, st[1] burst position, st[2] ring head, st[3] ring count. */
enum { FTL_FILL, FTL_BURST, FTL_DROP, FTL_LARGE };

static void step_free_then_large(hb_gen *g)
{
    const hb_phase *ph = g->ph;
    uint64_t *stage = &g->st[0], *k = &g->st[1], *head = &g->st[2], *nl = &g->st[3];
    for (;;) {
        switch (*stage) {
        case FTL_FILL:
            if (g->pool_bytes < ph->level) {
                hb_gen_alloc_or_realloc(g);
                return;
            }
            *stage = FTL_BURST;
            *k = 0;
            continue;
        case FTL_BURST:
            if (*k < ph->burst && g->npool) {
                (*k)++;
                hb_gen_free(g, hb_gen_victim(g, HB_FROM_PHASE, HB_RELEASE_RANDOM));
                return;
            }
            *stage = FTL_DROP;
            continue;
        case FTL_DROP:
            *stage = FTL_LARGE;
            if (*nl == ph->keep) {
                hb_gen_free(g, g->scratch[*head]);
                *head = (*head + 1) % ph->keep;
                (*nl)--;
                return;
            }
            continue;
        default:
            g->scratch[(*head + *nl) % ph->keep] = hb_gen_alloc(g, hb_gen_draw(g, &ph->large),
                                                                false, false);
            (*nl)++;
            *stage = FTL_FILL;
            return;
        }
    }
}

int hb_pattern_begin(hb_gen *g)
{
    const hb_phase *ph = g->ph;
    size_t n = 0;
    if (ph->pattern == HB_PAT_VECTOR)
        n = 2 * ph->vectors;
    else if (ph->pattern == HB_PAT_FRAGMENT_FIRSTFIT)
        n = ph->count;
    else if (ph->pattern == HB_PAT_FREE_THEN_LARGE)
        n = ph->keep;
    if (n && !(g->scratch = calloc(n, sizeof *g->scratch)))
        return -1;
    return 0;
}

void hb_pattern_step(hb_gen *g)
{
    switch (g->ph->pattern) {
    case HB_PAT_QUEUE:
        step_order(g, HB_RELEASE_OLDEST);
        break;
    case HB_PAT_STACK:
        step_order(g, HB_RELEASE_NEWEST);
        break;
    case HB_PAT_VECTOR:
        step_vector(g);
        break;
    case HB_PAT_FRAGMENT_FIRSTFIT:
        step_fragment(g);
        break;
    case HB_PAT_FREE_THEN_LARGE:
        step_free_then_large(g);
        break;
    default:
        step_curve(g);
        break;
    }
}
