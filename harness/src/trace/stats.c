/*
 * Trace statistics (see stats.h): one pass over the ops with the birth op
 * of each live slot, then a sort of the lifetimes for the percentiles.
 */
#include "trace/stats.h"

#include <stdlib.h>
#include <string.h>

unsigned hb_size_bucket(uint64_t size)
{
    return size ? 64u - (unsigned)__builtin_clzll(size) : 0u;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of n sorted values (n > 0). */
static uint64_t percentile(const uint64_t *v, size_t n, unsigned pct)
{
    size_t rank = (n * pct + 99) / 100;
    return v[rank ? rank - 1 : 0];
}

static void note_size(hb_trace_stats *s, uint64_t size)
{
    s->size_hist[hb_size_bucket(size)]++;
    s->requests++;
}

int hb_trace_stats_of(const hb_trace *t, hb_trace_stats *s)
{
    memset(s, 0, sizeof *s);
    size_t *born = malloc(((size_t)t->nslots + 1) * sizeof *born);
    uint64_t *life = malloc((t->nops + 1) * sizeof *life);
    if (!born || !life) {
        free(born);
        free(life);
        return -1;
    }
    double sum = 0;
    for (size_t i = 0; i < t->nops; i++) {
        const hb_op *o = &t->ops[i];
        if (o->kind == HB_OP_FREE) {
            if (o->slot == HB_SLOT_NONE)
                continue;
            s->realloc0 += (o->flags & HB_OPF_FROM_REALLOC0) != 0;
            life[s->freed] = i - born[o->slot];
            sum += (double)life[s->freed++];
        } else if (o->kind == HB_OP_REALLOC) {
            note_size(s, o->size);
        } else {
            born[o->slot] = i;
            s->births++;
            note_size(s, o->size);
        }
    }
    s->never_freed = s->births - s->freed;
    if (s->freed) {
        qsort(life, s->freed, sizeof *life, cmp_u64);
        s->life_mean = sum / (double)s->freed;
        s->life_p50 = percentile(life, s->freed, 50);
        s->life_p90 = percentile(life, s->freed, 90);
        s->life_max = life[s->freed - 1];
    }
    free(born);
    free(life);
    return 0;
}
