/*
 * Validation mode (see verify.h): setting up the heap, the checks on every
 * block, the words of a finding, and the replay's result.  The operations
 * themselves are in ops.c.
 */
#include "verify/verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/fault.h"
#include "verify/state.h"

#define IMPOSSIBLE_SIZE ((uint64_t)1 << 40)

/* ---- findings ----------------------------------------------------------- */

static const char *trace_file(const hb_trace *t)
{
    const char *s = t->path ? strrchr(t->path, '/') : NULL;
    return s ? s + 1 : t->path ? t->path : t->name;
}

/* "TRACE:LINE: OP slot S size N ptr P: what", the first finding only. */
void hb_v_fail(vstate *v, size_t i, enum hb_status st, const char *fmt, ...)
{
    if (v->status != HB_ST_OK && v->status != HB_ST_FAILED)
        return;
    const hb_op *op = i < v->t->nops ? &v->t->ops[i] : NULL;
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    v->status = st;
    if (!op) {
        snprintf(v->detail, sizeof v->detail, "%s: releasing the blocks live at the end: %s",
                 trace_file(v->t), what);
        return;
    }
    bool has_slot = op->slot != HB_SLOT_NONE;
    snprintf(v->detail, sizeof v->detail, "%s:%u: %s slot %u size %llu ptr %p: %s",
             trace_file(v->t), op->line, hb_op_kind_name(op->kind),
             has_slot ? op->slot : 0, (unsigned long long)op->size,
             has_slot ? v->ptr[op->slot] : NULL, what);
}

/* A NULL block: a finding unless the request was impossible. */
void hb_v_null(vstate *v, size_t i, uint64_t n)
{
    if (!n)
        return;
    if (!v->failed++)
        v->first_failed = i;
    bool impossible = n >= IMPOSSIBLE_SIZE || (v->cfg->limit && n > v->cfg->limit) ||
                      (v->arena && n > v->arena_len);
    if (!impossible && v->status == HB_ST_OK) {
        v->status = HB_ST_FAILED;
        snprintf(v->detail, sizeof v->detail, "%s:%u: %s of %llu bytes returned NULL",
                 trace_file(v->t), v->t->ops[i].line, hb_op_kind_name(v->t->ops[i].kind),
                 (unsigned long long)n);
    }
}

/* ---- the fill pattern ----------------------------------------------------- */

/* Byte k of a block with this seed: it changes with the offset, so a block
 * copied to the wrong place or shifted reads wrong, and never repeats
 * within 64 KiB. */
static inline uint8_t pattern(uint8_t seed, uint64_t k)
{
    return (uint8_t)(seed ^ (uint8_t)k ^ (uint8_t)(k >> 8) * 0x1Du);
}

void hb_v_fill(const vstate *v, uint32_t slot, uint64_t from, uint64_t to)
{
    uint8_t *p = v->ptr[slot], seed = v->seed[slot];
    for (uint64_t k = from; k < to; k++)
        p[k] = pattern(seed, k);
}

bool hb_v_intact(vstate *v, size_t i, uint32_t slot, const char *when)
{
    const uint8_t *p = v->ptr[slot];
    uint8_t seed = v->seed[slot];
    uint64_t n = V_SIZE(v->size[slot]);
    for (uint64_t k = 0; k < n; k++)
        if (p[k] != pattern(seed, k)) {
            hb_v_fail(v, i, HB_ST_CORRUPT, "the block allocated at line %u changed %s: byte "
                      "%llu of %llu is 0x%02x, written 0x%02x", v->line[slot], when,
                      (unsigned long long)k, (unsigned long long)n, p[k], pattern(seed, k));
            return false;
        }
    return true;
}

/* ---- a new block ------------------------------------------------------------ */

/* What any block of n bytes must be aligned to: the largest power of two
 * up to 16 (x86-64's max_align_t) that n allows. */
static size_t fundamental_align(uint64_t n)
{
    size_t a = 1;
    while (a < 16 && a * 2 <= n)
        a *= 2;
    return a;
}

static bool owned(const vstate *v, const void *p, uint64_t n)
{
    if (v->arena)
        return (uintptr_t)p >= (uintptr_t)v->arena &&
               n <= v->arena_len - ((uintptr_t)p - (uintptr_t)v->arena) &&
               (uintptr_t)p - (uintptr_t)v->arena <= v->arena_len;
    return !v->by_memsrc || hb_osmem_contains(v->mem, p, n);
}

static bool placed_well(vstate *v, size_t i, const void *p, uint64_t n, size_t align)
{
    size_t need = align ? align : fundamental_align(n);
    if ((uintptr_t)p & (need - 1)) {
        hb_v_fail(v, i, HB_ST_CORRUPT, "misaligned: %p is not a multiple of %zu", p, need);
        return false;
    }
    if (!owned(v, p, n)) {
        hb_v_fail(v, i, HB_ST_CORRUPT, "[%p, +%llu) lies outside the memory the allocator "
                  "got (%s)", p, (unsigned long long)n,
                  v->arena ? "its lab arena" : "the memory source's break and mappings");
        return false;
    }
    int64_t other = hb_ival_overlap(&v->live, (uintptr_t)p, n ? n : 1);
    if (other >= 0) {
        const hb_ival_node *o = &v->live.node[other];
        hb_v_fail(v, i, HB_ST_CORRUPT, "overlaps the live block allocated at line %u (slot "
                  "%lld, [%p, +%llu))", v->line[other], (long long)other, (void *)o->start,
                  (unsigned long long)o->len);
        return false;
    }
    return true;
}

bool hb_v_new_block(vstate *v, size_t i, uint32_t slot, void *p, uint64_t word, size_t align,
                    bool keep_seed)
{
    uint64_t n = V_SIZE(word);
    if (!p) {
        hb_v_null(v, i, n);
        return v->status == HB_ST_OK;
    }
    v->ptr[slot] = p; /* named by a finding */
    v->size[slot] = 0;
    if (!placed_well(v, i, p, n, align)) {
        v->ptr[slot] = NULL;
        return false;
    }
    v->size[slot] = word;
    v->line[slot] = v->t->ops[i].line;
    if (!keep_seed)
        v->seed[slot] = v->next_seed += 0x35;
    hb_v_fill(v, slot, 0, n);
    hb_ival_insert(&v->live, slot, (uintptr_t)p, n ? n : 1);
    v->live_bytes += n;
    v->live_blocks++;
    if (v->live_bytes > v->peak_bytes)
        v->peak_bytes = v->live_bytes;
    if (v->live_blocks > v->peak_blocks)
        v->peak_blocks = v->live_blocks;
    return true;
}

void hb_v_forget(vstate *v, uint32_t slot)
{
    if (!v->ptr[slot])
        return;
    hb_ival_remove(&v->live, slot);
    v->live_bytes -= V_SIZE(v->size[slot]);
    v->live_blocks--;
    v->ptr[slot] = NULL;
    v->size[slot] = 0;
}

/* ---- the replay ------------------------------------------------------------- */

static bool run_check(vstate *v, size_t i, const char *when)
{
    char msg[160] = "";
    if (!v->a->check || v->a->check(v->heap, msg, sizeof msg) == 0)
        return true;
    hb_v_fail(v, i, HB_ST_CORRUPT, "check() failed %s: %s", when, msg[0] ? msg : "no reason");
    return false;
}

/* Frees every block still live, each checked first. */
static void release_all(vstate *v)
{
    size_t end = v->t->nops;
    for (uint32_t s = 0; s < v->t->nslots && v->status == HB_ST_OK; s++) {
        void *p = v->ptr[s];
        if (!p || !hb_v_intact(v, end, s, "at the end"))
            continue;
        uint64_t word = v->size[s];
        hb_v_forget(v, s);
        int st = v->a->free(v->heap, word & V_EMULATED_ALIGN ? ((void **)p)[-1] : p);
        if (st != HB_FREE_OK)
            hb_v_fail(v, end, HB_ST_BAD_FREE, "free answered %s",
                      st == HB_FREE_DOUBLE ? "double free" : "invalid pointer");
    }
}

static void replay(vstate *v)
{
    uint64_t every = v->cfg->check_every ? v->cfg->check_every : HB_VERIFY_CHECK_EVERY;
    uint64_t countdown = every;
    hb_fault_enter(HB_PASS_MEASURE, v->t->ops, v->t->nops);
    for (size_t i = 0; i < v->t->nops; i++) {
        v->applied++;
        if (!hb_v_apply(v, i))
            break;
        if (--countdown == 0) {
            countdown = every;
            if (!run_check(v, i, "after this op"))
                break;
        }
    }
    hb_fault_enter(HB_PASS_CLEANUP, NULL, 0);
    if (v->status != HB_ST_OK && v->status != HB_ST_FAILED)
        return; /* a damaged heap is not freed into */
    if (!run_check(v, v->t->nops, "at the end of the trace"))
        return;
    release_all(v);
    if (v->status == HB_ST_OK || v->status == HB_ST_FAILED)
        run_check(v, v->t->nops, "after freeing the blocks left live");
}

static int open_heap(vstate *v, char *err, size_t errlen)
{
    v->mem = hb_osmem_new(0, v->cfg->limit);
    if (!v->mem) {
        snprintf(err, errlen, "cannot reserve the memory source");
        return -1;
    }
    v->heap = hb_loaded_create(v->l, hb_osmem_source(v->mem), v->cfg->options, err, errlen);
    if (!v->heap)
        return -1;
    /* A lab block is judged by its arena; a libc block by nothing, its
     * heap being the process's. */
    hb_loaded_arena(v->l, v->heap, &v->arena, &v->arena_len);
    v->by_memsrc = v->l->contract == HB_CONTRACT_NATIVE ||
                   v->l->contract == HB_CONTRACT_BASELINE;
    return 0;
}

static int alloc_slots(vstate *v)
{
    size_t n = v->t->nslots ? v->t->nslots : 1;
    v->ptr = calloc(n, sizeof *v->ptr);
    v->size = calloc(n, sizeof *v->size);
    v->line = calloc(n, sizeof *v->line);
    v->seed = calloc(n, sizeof *v->seed);
    if (!v->ptr || !v->size || !v->line || !v->seed || hb_ival_init(&v->live, (uint32_t)n))
        return -1;
    return 0;
}

static void free_state(vstate *v)
{
    if (v->heap)
        hb_loaded_destroy(v->l, v->heap);
    hb_osmem_free(v->mem);
    hb_ival_free(&v->live);
    free(v->ptr);
    free(v->size);
    free(v->line);
    free(v->seed);
}

static void fill_result(const vstate *v, hb_result *r)
{
    r->ops = v->applied;
    memcpy(r->count, v->count, sizeof r->count);
    r->failed_allocs = v->failed;
    r->peak_live_bytes = v->peak_bytes;
    r->peak_live_blocks = v->peak_blocks;
    r->measured |= HB_MEAS_COUNTS;
    r->status = v->status;
    snprintf(r->detail, sizeof r->detail, "%s", v->detail);
}

int hb_verify(const hb_loaded *l, const hb_trace *t, const hb_verify_cfg *cfg, hb_result *r)
{
    vstate v = { .l = l, .a = l->api, .t = t, .cfg = cfg, .next_seed = 0x5B };
    char err[256] = "";
    hb_fault_install();
    hb_fault_enter(HB_PASS_SETUP, NULL, 0);
    int rc = alloc_slots(&v);
    if (rc != 0)
        snprintf(err, sizeof err, "out of memory for the slots of %u blocks", t->nslots);
    if (rc == 0)
        rc = open_heap(&v, err, sizeof err);
    if (rc == 0) {
        replay(&v);
        fill_result(&v, r);
    }
    free_state(&v);
    if (rc != 0) {
        r->status = HB_ST_LOAD_ERROR;
        snprintf(r->detail, sizeof r->detail, "%s", err);
    }
    return rc;
}
