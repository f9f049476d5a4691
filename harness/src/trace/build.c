/*
 * The trace builder (see build.h).
 *
 * Slots: a block takes the most recently freed slot, else a new one, so
 * nslots ends as the peak number of live blocks and the replay's pointer
 * table stays as small and as warm as the trace allows.  The id map keeps
 * every id ever seen, so a late free can say where its block died.
 */
#include "trace/build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 65536u

static void fail(hb_tb *b, unsigned line, const char *what)
{
    if (!b->failed)
        hb_diag_error(b->d, b->file, line, "%s", what);
    b->failed = true;
}

int hb_tb_init(hb_tb *b, const char *file, hb_diag *d, unsigned flags, size_t len_hint)
{
    memset(b, 0, sizeof *b);
    b->file = file;
    b->d = d;
    b->flags = flags;
    b->errors_before = d->errors;
    b->cur_thread = HB_ID_DEAD;
    /* about one op per 10 bytes of text; the arrays grow if not */
    b->cap = len_hint / 10 + 16;
    b->ops = malloc(b->cap * sizeof *b->ops);
    if (!b->ops || hb_idmap_init(&b->ids, b->cap / 2) < 0 || hb_idmap_init(&b->tids, 4) < 0) {
        hb_tb_discard(b);
        return -1;
    }
    return 0;
}

void hb_tb_discard(hb_tb *b)
{
    free(b->ops);
    free(b->free_slots);
    free(b->slot_size);
    hb_idmap_free(&b->ids);
    hb_idmap_free(&b->tids);
    b->ops = NULL;
    b->free_slots = NULL;
    b->slot_size = NULL;
}

void hb_tb_thread(hb_tb *b, uint64_t tid)
{
    b->cur_tid = tid;
    b->cur_thread = HB_ID_DEAD;
}

/* The dense index of the current thread, given at its first op. */
static uint16_t current_thread(hb_tb *b, unsigned line)
{
    if (b->cur_thread != HB_ID_DEAD)
        return (uint16_t)b->cur_thread;
    hb_id_entry *e = hb_idmap_get(&b->tids, b->cur_tid);
    if (!e) {
        fail(b, line, "out of memory");
        return 0;
    }
    if (e->line == 0) { /* first op of this thread */
        if (b->sum.threads >= MAX_THREADS) {
            fail(b, line, "expected at most 65536 distinct threads, got more");
            return 0;
        }
        e->slot = b->sum.threads++;
        e->line = line ? line : 1;
    }
    b->cur_thread = e->slot;
    return (uint16_t)e->slot;
}

/* An id as messages show it. */
static const char *idtxt(const hb_tb *b, uint64_t id, char buf[24])
{
    snprintf(buf, 24, (b->flags & HB_TB_HEX_IDS) ? "%#llx" : "%llu", (unsigned long long)id);
    return buf;
}

static void emit(hb_tb *b, unsigned kind, uint32_t slot, uint64_t size, uint32_t aux,
                 unsigned flags, unsigned line)
{
    if (b->failed)
        return;
    if (b->nops == b->cap) {
        size_t cap = b->cap * 2;
        hb_op *ops = realloc(b->ops, cap * sizeof *ops);
        if (!ops) {
            fail(b, line, "out of memory");
            return;
        }
        b->ops = ops;
        b->cap = cap;
    }
    b->ops[b->nops++] = (hb_op){ .size = size, .slot = slot, .aux = aux, .kind = (uint8_t)kind,
                                 .flags = (uint8_t)flags, .thread = current_thread(b, line),
                                 .line = line };
    b->sum.count[kind]++;
}

static void note_live(hb_tb *b)
{
    if (b->live_bytes > b->sum.peak_live_bytes)
        b->sum.peak_live_bytes = b->live_bytes;
    if (b->live_blocks > b->sum.peak_live_blocks)
        b->sum.peak_live_blocks = b->live_blocks;
}

static void note_request(hb_tb *b, uint64_t size)
{
    b->sum.total_alloc_bytes += size;
    if (size > b->sum.max_size)
        b->sum.max_size = size;
}

static bool grow_slots(hb_tb *b, unsigned line)
{
    uint32_t cap = b->slot_cap ? b->slot_cap * 2 : 1024;
    if (b->slot_cap >= HB_ID_MAX_SLOT / 2) {
        fail(b, line, "expected fewer than 2^31 blocks live at once, got more");
        return false;
    }
    uint64_t *sz = realloc(b->slot_size, cap * sizeof *sz);
    if (sz)
        b->slot_size = sz;
    uint32_t *fr = realloc(b->free_slots, cap * sizeof *fr);
    if (fr)
        b->free_slots = fr;
    if (!sz || !fr) {
        fail(b, line, "out of memory");
        return false;
    }
    b->slot_cap = cap;
    return true;
}

static uint32_t take_slot(hb_tb *b, uint64_t size, unsigned line)
{
    uint32_t s;
    if (b->nfree)
        s = b->free_slots[--b->nfree];
    else if (b->nslots < b->slot_cap || grow_slots(b, line))
        s = b->nslots++;
    else
        return 0;
    b->slot_size[s] = size;
    b->live_bytes += size;
    b->live_blocks++;
    note_live(b);
    return s;
}

static void give_slot(hb_tb *b, uint32_t s)
{
    b->live_bytes -= b->slot_size[s];
    b->live_blocks--;
    b->free_slots[b->nfree++] = s; /* nfree < nslots <= slot_cap */
}

/* Makes id live in a fresh slot; returns the slot (0 after a failure). */
static uint32_t bear(hb_tb *b, uint64_t id, uint64_t size, unsigned line)
{
    hb_id_entry *e = hb_idmap_get(&b->ids, id);
    if (!e) {
        fail(b, line, "out of memory");
        return 0;
    }
    uint32_t s = take_slot(b, size, line);
    e->slot = b->failed ? HB_ID_DEAD : s;
    e->line = line;
    return s;
}

void hb_tb_alloc(hb_tb *b, unsigned kind, uint64_t id, uint64_t size, uint32_t aux, unsigned line)
{
    char t[24];
    if (b->failed)
        return; /* past a resource failure only syntax is still checked */
    hb_id_entry *e = hb_idmap_find(&b->ids, id);
    if (e && e->slot != HB_ID_DEAD) {
        if (!(b->flags & HB_TB_LENIENT)) {
            hb_diag_error(b->d, b->file, line,
                          "expected a new or freed id, got %s, which is still live "
                          "(allocated at line %u)", idtxt(b, id, t), e->line);
            return;
        }
        hb_diag_warning(b->d, b->file, line,
                        "id %s is still live (allocated at line %u); that block is "
                        "kept as a leak", idtxt(b, id, t), e->line);
    }
    uint32_t s = bear(b, id, size, line);
    note_request(b, size);
    emit(b, kind, s, size, aux, 0, line);
}

/* The live entry of id for f or r, or NULL after reporting why not; sets
 * *lenient_unknown when a lenient reader should treat id as never seen. */
static hb_id_entry *live_entry(hb_tb *b, uint64_t id, const char *what, unsigned line,
                               bool *lenient_unknown)
{
    hb_id_entry *e = hb_idmap_find(&b->ids, id);
    bool unknown = !e || (e->slot == HB_ID_DEAD && (b->flags & HB_TB_DEAD_AS_UNKNOWN));
    char t[24];
    *lenient_unknown = false;
    if (e && !unknown && e->slot != HB_ID_DEAD)
        return e;
    if (unknown && (b->flags & HB_TB_LENIENT)) {
        *lenient_unknown = true;
        return NULL;
    }
    if (unknown)
        hb_diag_error(b->d, b->file, line, "expected a live id, got %s: unknown id "
                      "(never allocated)", idtxt(b, id, t));
    else
        hb_diag_error(b->d, b->file, line, "expected a live id, got %s: %s (freed at line %u)",
                      idtxt(b, id, t), what, e->line);
    return NULL;
}

static void bury(hb_tb *b, hb_id_entry *e, unsigned flags, unsigned line)
{
    uint32_t s = e->slot;
    e->slot = HB_ID_DEAD;
    e->line = line;
    give_slot(b, s);
    emit(b, HB_OP_FREE, s, 0, 0, flags, line);
}

void hb_tb_free(hb_tb *b, uint64_t id, unsigned line)
{
    bool unknown;
    char t[24];
    if (b->failed)
        return;
    hb_id_entry *e = live_entry(b, id, "double free", line, &unknown);
    if (unknown)
        hb_diag_warning(b->d, b->file, line, "free of unknown id %s skipped", idtxt(b, id, t));
    if (e)
        bury(b, e, 0, line);
}

void hb_tb_free_null(hb_tb *b, unsigned line)
{
    b->sum.free_null++;
    emit(b, HB_OP_FREE, HB_SLOT_NONE, 0, 0, 0, line);
}

/* After realloc moved the block: the old name is dead, newid is live. */
static void rename_block(hb_tb *b, uint64_t id, uint64_t newid, unsigned line)
{
    hb_id_entry *e = hb_idmap_find(&b->ids, id);
    uint32_t s = e->slot, born = e->line;
    char t[24];
    e->slot = HB_ID_DEAD;
    e->line = line;
    hb_id_entry *n = hb_idmap_get(&b->ids, newid);
    if (!n) {
        fail(b, line, "out of memory");
        return;
    }
    if (n->slot != HB_ID_DEAD)
        hb_diag_warning(b->d, b->file, line, "id %s is still live (allocated at line %u); "
                        "that block is kept as a leak", idtxt(b, newid, t), n->line);
    n->slot = s;
    n->line = born;
}

void hb_tb_realloc(hb_tb *b, uint64_t id, uint64_t newid, uint64_t size, unsigned line)
{
    bool unknown;
    char t[24];
    if (b->failed)
        return;
    hb_id_entry *e = live_entry(b, id, "realloc of a freed block", line, &unknown);
    if (unknown) {
        hb_diag_warning(b->d, b->file, line, "realloc of unknown id %s replayed as malloc",
                        idtxt(b, id, t));
        hb_tb_alloc(b, HB_OP_MALLOC, newid, size, 0, line);
        return;
    }
    if (!e)
        return;
    if (size == 0) {
        bury(b, e, HB_OPF_FROM_REALLOC0, line);
        return;
    }
    uint32_t s = e->slot;
    b->live_bytes = b->live_bytes - b->slot_size[s] + size;
    b->slot_size[s] = size;
    note_live(b);
    note_request(b, size);
    emit(b, HB_OP_REALLOC, s, size, 0, 0, line);
    if (newid != id)
        rename_block(b, id, newid, line);
}

static size_t str_bytes(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static char *put_str(char **at, const char *s)
{
    if (!s)
        return NULL;
    char *dst = *at;
    size_t n = strlen(s) + 1;
    memcpy(dst, s, n);
    *at += n;
    return dst;
}

int hb_tb_finish(hb_tb *b, const hb_tb_meta *meta, hb_trace *t)
{
    memset(t, 0, sizeof *t);
    if (!b->failed && b->d->errors == b->errors_before && b->nops == 0)
        hb_diag_error(b->d, b->file, 0, "expected at least one operation, got none");
    if (b->failed || b->d->errors != b->errors_before) {
        hb_tb_discard(b);
        return -1;
    }
    size_t ops_len = b->nops * sizeof(hb_op);
    size_t str_len = str_bytes(meta->name) + str_bytes(meta->description) +
                     str_bytes(meta->source) + str_bytes(meta->metadata);
    char *st = realloc(b->ops, ops_len + str_len);
    if (!st) {
        hb_diag_error(b->d, b->file, 0, "out of memory");
        hb_tb_discard(b);
        return -1;
    }
    b->ops = NULL;
    char *at = st + ops_len;
    t->name = put_str(&at, meta->name);
    t->description = put_str(&at, meta->description);
    t->source = put_str(&at, meta->source);
    t->metadata = put_str(&at, meta->metadata);
    t->ops = (const hb_op *)st;
    t->nops = b->nops;
    t->nslots = b->nslots;
    t->sum = b->sum;
    t->storage_ = st;
    t->storage_len_ = ops_len + str_len;
    t->storage_mapped_ = false;
    hb_tb_discard(b);
    return 0;
}
