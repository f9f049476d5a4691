#include "gen/engine.h"

#include <stdlib.h>
#include <string.h>

/* One line "X a b c\n"; nfields of the three numbers are written. */
static void line(hb_gen *g, char op, int nfields, uint64_t a, uint64_t b, uint64_t c)
{
    const uint64_t v[3] = { a, b, c };
    hb_buf_put(&g->out, &op, 1);
    for (int i = 0; i < nfields; i++) {
        hb_buf_put(&g->out, " ", 1);
        hb_buf_u64(&g->out, v[i]);
    }
    hb_buf_put(&g->out, "\n", 1);
    g->now++;
}

/* ---- death schedule: a binary min-heap on (when, id) ---- */

static bool death_before(hb_death a, hb_death b)
{
    return a.when < b.when || (a.when == b.when && a.id < b.id);
}

static void heap_push(hb_gen *g, hb_death d)
{
    size_t i = g->nheap++;
    while (i > 0 && death_before(d, g->heap[(i - 1) / 2])) {
        g->heap[i] = g->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    g->heap[i] = d;
}

static void heap_pop(hb_gen *g)
{
    hb_death last = g->heap[--g->nheap];
    size_t i = 0, n = g->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && death_before(g->heap[c + 1], g->heap[c]))
            c++;
        if (!death_before(g->heap[c], last))
            break;
        g->heap[i] = g->heap[c];
        i = c;
    }
    if (n)
        g->heap[i] = last;
}

/* ---- the live set and the phase's pool ---- */

static void set_remove(uint64_t *set, size_t *n, hb_gblock *blocks, uint32_t idx, bool pool)
{
    uint64_t moved = set[--*n];
    set[idx] = moved;
    if (pool)
        blocks[moved].pool_idx = idx;
    else
        blocks[moved].live_idx = idx;
}

static void pool_leave(hb_gen *g, uint64_t id)
{
    hb_gblock *b = &g->blocks[id];
    if (b->pool_idx == HB_GEN_NONE)
        return;
    set_remove(g->pool, &g->npool, g->blocks, b->pool_idx, true);
    g->pool_bytes -= b->size;
    b->pool_idx = HB_GEN_NONE;
}

static void note_peak(hb_gen *g)
{
    if (g->live_bytes > g->peak_bytes)
        g->peak_bytes = g->live_bytes;
    if (g->nlive > g->peak_blocks)
        g->peak_blocks = g->nlive;
}

static uint64_t born(hb_gen *g, uint64_t size, bool pooled)
{
    uint64_t id = ++g->nids;
    hb_gblock *b = &g->blocks[id];
    *b = (hb_gblock){ size, UINT64_MAX, (uint32_t)g->nlive, HB_GEN_NONE, true };
    g->live[g->nlive++] = id;
    g->live_bytes += size;
    if (pooled) {
        b->pool_idx = (uint32_t)g->npool;
        g->pool[g->npool++] = id;
        g->pool_bytes += size;
        g->order[g->otail++] = id;
        const hb_lifetime *l = &g->ph->life;
        if (l->kind != HB_LIFE_FOREVER && l->kind != HB_LIFE_PHASE) {
            b->death = g->now + hb_life_draw(l, &g->rng);
            heap_push(g, (hb_death){ b->death, id });
        }
    }
    note_peak(g);
    return id;
}

uint64_t hb_gen_draw(hb_gen *g, const hb_size_dist *d)
{
    uint64_t s = hb_size_draw(d, &g->rng);
    return s > g->spec->max_size ? g->spec->max_size : s;
}

/* calloc(n, el) with el the largest power of two up to 16 that divides the
 * size, so the product is exactly the size drawn. */
static void write_calloc(hb_gen *g, uint64_t id, uint64_t size)
{
    uint64_t el = size ? size & (0 - size) : 1;
    if (el > 16)
        el = 16;
    line(g, 'c', 3, id, size / el, el);
}

uint64_t hb_gen_alloc(hb_gen *g, uint64_t size, bool pooled, bool with_mix)
{
    const hb_op_mix *m = &g->ph->mix;
    double u = with_mix && (m->calloc > 0 || m->aligned > 0) ? hb_rng_unit(&g->rng) : 1.0;
    uint64_t id = born(g, size, pooled);
    if (u < m->calloc)
        write_calloc(g, id, size);
    else if (u < m->calloc + m->aligned)
        line(g, 'm', 3, id, m->aligns[hb_rng_below(&g->rng, m->naligns)], size);
    else
        line(g, 'a', 2, id, size, 0);
    return id;
}

void hb_gen_free(hb_gen *g, uint64_t id)
{
    hb_gblock *b = &g->blocks[id];
    pool_leave(g, id);
    set_remove(g->live, &g->nlive, g->blocks, b->live_idx, false);
    g->live_bytes -= b->size;
    b->alive = false;
    line(g, 'f', 1, id, 0, 0);
}

void hb_gen_realloc(hb_gen *g, uint64_t id, uint64_t size)
{
    hb_gblock *b = &g->blocks[id];
    if (size == 0) /* "r ID 0" would be a free; a resize keeps the block */
        size = 1;
    g->live_bytes = g->live_bytes - b->size + size;
    if (b->pool_idx != HB_GEN_NONE)
        g->pool_bytes = g->pool_bytes - b->size + size;
    b->size = size;
    note_peak(g);
    line(g, 'r', 2, id, size, 0);
}

void hb_gen_free_null(hb_gen *g)
{
    hb_buf_puts(&g->out, "f -\n");
    g->now++;
    g->nfree_null++;
}

bool hb_gen_free_due(hb_gen *g)
{
    while (g->nheap) {
        hb_death d = g->heap[0];
        hb_gblock *b = &g->blocks[d.id];
        if (b->alive && b->death == d.when) {
            if (d.when > g->now)
                return false;
            heap_pop(g);
            hb_gen_free(g, d.id);
            return true;
        }
        heap_pop(g); /* freed early by a pattern: a stale entry */
    }
    return false;
}

static bool in_pool(const hb_gen *g, uint64_t id)
{
    return g->blocks[id].alive && g->blocks[id].pool_idx != HB_GEN_NONE;
}

uint64_t hb_gen_victim(hb_gen *g, enum hb_victims from, enum hb_release release)
{
    if (from == HB_FROM_ALL)
        return g->nlive ? g->live[hb_rng_below(&g->rng, g->nlive)] : 0;
    if (!g->npool)
        return 0;
    switch (release) {
    case HB_RELEASE_OLDEST:
        while (!in_pool(g, g->order[g->ohead]))
            g->ohead++;
        return g->order[g->ohead];
    case HB_RELEASE_NEWEST:
        while (!in_pool(g, g->order[g->otail - 1]))
            g->otail--;
        return g->order[g->otail - 1];
    default:
        return g->pool[hb_rng_below(&g->rng, g->npool)];
    }
}

void hb_gen_alloc_or_realloc(hb_gen *g)
{
    const hb_phase *ph = g->ph;
    if (g->npool && hb_rng_chance(&g->rng, ph->mix.realloc)) {
        uint64_t id = g->pool[hb_rng_below(&g->rng, g->npool)];
        hb_gen_realloc(g, id, hb_gen_draw(g, &ph->size));
        return;
    }
    hb_gen_alloc(g, hb_gen_draw(g, &ph->size), true, true);
}

/* ---- lifetime of the generator ---- */

int hb_gen_init(hb_gen *g, const hb_spec *s)
{
    memset(g, 0, sizeof *g);
    g->spec = s;
    size_t n = (size_t)s->total_ops + 2;
    g->blocks = malloc(n * sizeof *g->blocks);
    g->live = malloc(n * sizeof *g->live);
    g->pool = malloc(n * sizeof *g->pool);
    g->order = malloc(n * sizeof *g->order);
    g->heap = malloc(n * sizeof *g->heap);
    if (!g->blocks || !g->live || !g->pool || !g->order || !g->heap) {
        hb_gen_destroy(g);
        return -1;
    }
    return 0;
}

void hb_gen_destroy(hb_gen *g)
{
    free(g->blocks);
    free(g->live);
    free(g->pool);
    free(g->order);
    free(g->heap);
    free(g->scratch);
    hb_buf_free(&g->out);
    memset(g, 0, sizeof *g);
}

void hb_gen_phase_begin(hb_gen *g, size_t i)
{
    for (size_t k = 0; k < g->npool; k++)
        g->blocks[g->pool[k]].pool_idx = HB_GEN_NONE;
    g->npool = 0;
    g->pool_bytes = 0;
    g->ohead = g->otail = 0;
    g->phase_idx = i;
    g->ph = &g->spec->phases[i];
    g->phase_begin = g->now;
    g->phase_end = g->now + g->ph->ops;
    g->start_bytes = g->live_bytes;
    free(g->scratch);
    g->scratch = NULL;
    memset(g->st, 0, sizeof g->st);
    /* Each phase draws from its own stream, so editing one phase leaves the
     * random choices of the others as they were. */
    uint64_t x = g->spec->seed;
    uint64_t mixed = hb_splitmix64(&x) ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1));
    hb_rng_seed(&g->rng, mixed);
}
