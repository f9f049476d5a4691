/*
 * The recording core: the lock, thread ids, the lines written for births
 * and releases, start-up (finding the real functions) and fork handling.
 * rec_hooks.c calls in here around each real call; see the ordering rules
 * at the top of that file.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"

rec_real rec_next;
bool rec_enabled; /* an output prefix was given */

/* ---- state ---------------------------------------------------------------- */

enum { ST_NONE, ST_INIT, ST_READY };
static atomic_int state;
static REC_TLS bool tls_in_init;

static char prefix[PATH_MAX];
static pthread_mutex_t rec_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

/* Everything below is guarded by rec_lock. */
static uint64_t next_id = 1;
static uint32_t gen = 1;           /* bumped in a fork child: thread ids restart */
static uint32_t next_tid, last_tid;
static pid_t forking_pid, inherited_from;
static bool open_failed;
static REC_TLS uint32_t tls_gen, tls_tid;

static void lock(void)
{
    pthread_mutex_lock(&rec_lock);
}

static void unlock(void)
{
    pthread_mutex_unlock(&rec_lock);
}

/* ---- lines ---------------------------------------------------------------- */

/* The native trace text is also written by trace/write.c and by the
 * generator (gen/engine.c), but the recorder cannot use either: it is
 * preloaded into arbitrary programs, so it links nothing of the harness
 * (whose code calls malloc, stdio and locale functions, the very calls it
 * intercepts) and formats its lines itself into a fixed buffer, with no
 * allocation.  docs/trace-format.md is the agreement all three follow. */

static void line_start(rec_line *l, char op, uint64_t id)
{
    l->len = 0;
    rec_line_char(l, op);
    rec_line_char(l, ' ');
    rec_line_u64(l, id);
}

static void line_num(rec_line *l, uint64_t v)
{
    rec_line_char(l, ' ');
    rec_line_u64(l, v);
}

static void line_end(rec_line *l)
{
    rec_line_char(l, '\n');
    rec_out_line(l);
}

static void emit_comment(const char *text)
{
    rec_line l = { .len = 0 };
    rec_line_str(&l, text);
    line_end(&l);
}

static void emit_inherited_block(const rec_block *b, void *ctx)
{
    (void)ctx;
    rec_line l;
    line_start(&l, b->align ? 'm' : 'a', b->id);
    if (b->align)
        line_num(&l, b->align);
    line_num(&l, b->size);
    line_end(&l);
}

/* A fork child starts with its parent's live blocks: written as births at
 * the top of its own file so that its frees name known ids. */
static void emit_inherited(void)
{
    rec_line l = { .len = 0 };
    rec_line_str(&l, "# inherited ");
    rec_line_u64(&l, rec_table_count());
    rec_line_str(&l, " live blocks from process ");
    rec_line_u64(&l, (uint64_t)inherited_from);
    rec_line_str(&l, " at fork");
    line_end(&l);
    rec_table_each(emit_inherited_block, NULL);
}

/* Under the lock, before any line: opens the file on first use and writes
 * `t TID` when the calling thread differs from the previous line's.  Thread
 * ids are dense from 0 in order of first record. */
static bool start_record(void)
{
    if (!rec_out_is_open()) {
        if (open_failed || rec_out_open(prefix, inherited_from) != 0) {
            open_failed = true;
            return false;
        }
        if (inherited_from)
            emit_inherited();
    }
    if (tls_gen != gen) {
        tls_gen = gen;
        tls_tid = next_tid++;
    }
    if (tls_tid != last_tid) {
        rec_line l;
        line_start(&l, 't', tls_tid);
        line_end(&l);
        last_tid = tls_tid;
    }
    return true;
}

/* ---- recording ------------------------------------------------------------- */

static void write_birth(void *p, const rec_birth *b)
{
    rec_block blk = { .addr = (uintptr_t)p, .id = next_id++, .size = b->size, .align = b->align };
    rec_line l;
    line_start(&l, b->kind, blk.id);
    line_num(&l, b->x);
    if (b->kind != 'a')
        line_num(&l, b->y);
    line_end(&l);
    /* malloc(0) may return NULL: the id is then never freed by name. */
    int rc = p ? rec_table_put(&blk) : 0;
    if (rc == 1)
        emit_comment("# this address was live: its release went unseen");
    else if (rc < 0)
        emit_comment("# block table full: this block is not tracked");
}

static void write_failure(const rec_birth *b)
{
    rec_line l = { .len = 0 };
    rec_line_str(&l, "# failed: ");
    rec_line_str(&l, b->call);
    rec_line_u64(&l, b->x);
    if (b->kind != 'a') {
        rec_line_str(&l, ", ");
        rec_line_u64(&l, b->y);
    }
    rec_line_char(&l, ')');
    line_end(&l);
}

/* After the real call: the block p was born (or the call failed). */
void rec_note_birth(void *p, bool failed, const rec_birth *b)
{
    int saved = errno;
    lock();
    if (start_record()) {
        if (failed)
            write_failure(b);
        else
            write_birth(p, b);
    }
    unlock();
    errno = saved;
}

/* Before the real call: p is released; as_realloc writes `r ID 0`. */
void rec_note_release(void *p, bool as_realloc)
{
    int saved = errno;
    lock();
    if (start_record()) {
        rec_block b;
        rec_line l;
        if (!p) {
            l.len = 0;
            rec_line_str(&l, "f -");
            line_end(&l);
        } else if (rec_table_take((uintptr_t)p, &b)) {
            line_start(&l, as_realloc ? 'r' : 'f', b.id);
            if (as_realloc)
                line_num(&l, 0);
            line_end(&l);
        } else {
            emit_comment("# release of an untracked block");
        }
    }
    unlock();
    errno = saved;
}

bool rec_detach(void *p, rec_block *b)
{
    lock();
    bool known = rec_table_take((uintptr_t)p, b);
    unlock();
    return known;
}

/* After the real realloc(p, n > 0) returned q; known says whether p was
 * detached into *b (else p was never seen: q is written as a birth). */
void rec_note_resize(void *q, size_t n, bool known, rec_block *b)
{
    int saved = errno;
    lock();
    bool on = start_record();
    if (!known) {
        rec_birth nb = { "realloc(?, ", 'a', n, 0, n, 0 };
        if (on && q)
            write_birth(q, &nb);
        if (on && q)
            emit_comment("# (a realloc of an untracked block)");
    } else if (!q) {
        rec_table_put(b); /* p is unchanged and still live */
        if (on) {
            rec_birth fb = { "realloc(block ", 'c', b->id, n, 0, 0 };
            write_failure(&fb);
        }
    } else {
        b->addr = (uintptr_t)q;
        b->size = n;
        b->align = 0; /* realloc keeps only the default alignment */
        rec_table_put(b);
        if (on) {
            rec_line l;
            line_start(&l, 'r', b->id);
            line_num(&l, n);
            line_end(&l);
        }
    }
    unlock();
    errno = saved;
}

/* ---- init and fork ----------------------------------------------------------- */

static void fork_prepare(void)
{
    lock();
    forking_pid = getpid();
}

static void fork_parent(void)
{
    unlock();
}

/* The child: one thread, a copy of the table (its inherited heap), and the
 * parent's file still mapped, which it must not write into. */
static void fork_child(void)
{
    static const pthread_mutex_t fresh = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
    memcpy(&rec_lock, &fresh, sizeof rec_lock);
    rec_out_forget();
    inherited_from = forking_pid;
    open_failed = false;
    gen++;
    next_tid = 0;
    last_tid = 0;
}

static void *must_find(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        rec_say("hbrecord: no definition of ", name);
        abort();
    }
    return f;
}

static void set_prefix(void)
{
    const char *file = getenv("HB_RECORD_FILE"), *dir = getenv("HB_RECORD_DIR");
    const char *base = file && *file ? file : dir && *dir ? dir : NULL;
    const char *tail = base == file ? "" : "/hbrecord";
    if (!base || strlen(base) + strlen(tail) + 32 >= sizeof prefix)
        return;
    strcpy(prefix, base);
    strcat(prefix, tail);
    rec_enabled = true;
}

static void init(void)
{
    rec_next.malloc = must_find("malloc");
    rec_next.calloc = must_find("calloc");
    rec_next.realloc = must_find("realloc");
    rec_next.free = must_find("free");
    rec_next.posix_memalign = must_find("posix_memalign");
    rec_next.aligned_alloc = must_find("aligned_alloc");
    rec_next.memalign = must_find("memalign");
    rec_next.valloc = must_find("valloc");
    rec_next.pvalloc = dlsym(RTLD_NEXT, "pvalloc"); /* gone from newer C libraries */
    set_prefix();
    if (rec_enabled)
        pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* True once the real functions are known.  False only for the thread that is
 * looking them up, whose nested calls then use the bootstrap arena. */
bool rec_ready(void)
{
    if (atomic_load_explicit(&state, memory_order_acquire) == ST_READY)
        return true;
    if (tls_in_init)
        return false;
    int expect = ST_NONE;
    if (atomic_compare_exchange_strong(&state, &expect, ST_INIT)) {
        tls_in_init = true;
        init();
        tls_in_init = false;
        atomic_store_explicit(&state, ST_READY, memory_order_release);
        return true;
    }
    while (atomic_load_explicit(&state, memory_order_acquire) != ST_READY)
        sched_yield();
    return true;
}

__attribute__((constructor)) static void rec_start(void)
{
    rec_ready();
}
