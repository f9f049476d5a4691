/*
 * hb_trace_write: a loaded trace back to the native text format.  Block
 * ids are the slots: a slot is reused only after its block died, which is
 * exactly when the format allows an id to be used again.  Numbers are
 * formatted by hand into a buffer; a million ops take milliseconds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

typedef struct wbuf {
    FILE *out;
    char buf[1 << 16];
    size_t len;
    int err;
} wbuf;

static void flush(wbuf *w)
{
    if (w->len && fwrite(w->buf, 1, w->len, w->out) != w->len)
        w->err = errno ? errno : EIO;
    w->len = 0;
}

static void put(wbuf *w, const char *s, size_t n)
{
    if (w->len + n > sizeof w->buf)
        flush(w);
    if (n > sizeof w->buf) {
        if (fwrite(s, 1, n, w->out) != n)
            w->err = errno ? errno : EIO;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void puts_(wbuf *w, const char *s)
{
    put(w, s, strlen(s));
}

static void num(wbuf *w, char sep, uint64_t v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    do
        tmp[--i] = (char)('0' + v % 10);
    while (v /= 10);
    tmp[--i] = sep;
    put(w, tmp + i, sizeof tmp - (size_t)i);
}

static void meta(wbuf *w, const char *key, const char *val)
{
    if (!val)
        return;
    puts_(w, "#! ");
    puts_(w, key);
    puts_(w, ": ");
    puts_(w, val);
    puts_(w, "\n");
}

/* The "key: value" lines of m whose key is not one of the known three,
 * which are written from their own fields. */
static void other_meta(wbuf *w, const char *m)
{
    while (m && *m) {
        const char *nl = strchr(m, '\n');
        size_t n = nl ? (size_t)(nl - m) : strlen(m);
        bool known = !strncmp(m, "name:", 5) || !strncmp(m, "description:", 12) ||
                     !strncmp(m, "source:", 7);
        if (!known && n) {
            puts_(w, "#! ");
            put(w, m, n);
            puts_(w, "\n");
        }
        m += n + (nl ? 1 : 0);
    }
}

static void op_line(wbuf *w, const hb_op *o)
{
    switch (o->kind) {
    case HB_OP_MALLOC:
        put(w, "a", 1), num(w, ' ', o->slot), num(w, ' ', o->size);
        break;
    case HB_OP_CALLOC:
        put(w, "c", 1), num(w, ' ', o->slot), num(w, ' ', o->aux);
        num(w, ' ', o->aux ? o->size / o->aux : 0);
        break;
    case HB_OP_ALIGNED:
        put(w, "m", 1), num(w, ' ', o->slot), num(w, ' ', o->aux), num(w, ' ', o->size);
        break;
    case HB_OP_REALLOC:
        put(w, "r", 1), num(w, ' ', o->slot), num(w, ' ', o->size);
        break;
    default:
        if (o->slot == HB_SLOT_NONE)
            put(w, "f -", 3);
        else if (o->flags & HB_OPF_FROM_REALLOC0)
            put(w, "r", 1), num(w, ' ', o->slot), put(w, " 0", 2);
        else
            put(w, "f", 1), num(w, ' ', o->slot);
        break;
    }
    put(w, "\n", 1);
}

int hb_trace_write(const hb_trace *t, const char *extra_meta, FILE *out)
{
    wbuf *w = malloc(sizeof *w); /* 64 KiB: not on the stack */
    unsigned thread = 0;
    if (!w)
        return -1;
    w->out = out;
    w->len = 0;
    w->err = 0;
    meta(w, "name", t->name);
    meta(w, "description", t->description);
    meta(w, "source", t->source);
    other_meta(w, t->metadata);
    other_meta(w, extra_meta);
    for (size_t i = 0; i < t->nops; i++) {
        if (t->ops[i].thread != thread) {
            thread = t->ops[i].thread;
            put(w, "t", 1);
            num(w, ' ', thread);
            put(w, "\n", 1);
        }
        op_line(w, &t->ops[i]);
    }
    flush(w);
    if (!w->err && fflush(out) != 0)
        w->err = errno ? errno : EIO;
    int err = w->err;
    free(w);
    errno = err;
    return err ? -1 : 0;
}
