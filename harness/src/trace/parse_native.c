/*
 * Reader of the native text format (docs/trace-format.md): one pass over
 * the buffer, each line tokenized in place, each op handed to the builder.
 * Nothing is allocated per line; only the few metadata strings are copied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/build.h"
#include "trace/internal.h"
#include "trace/lex.h"
#include "trace/name.h"

#define MAX_ALIGN (1ull << 30)

typedef struct native {
    hb_tb b;
    hb_line l;
    bool seen_op; /* metadata is read only before the first op */
    char *name, *description, *source;
    char *meta; /* "key: value\n" lines */
    size_t meta_len;
    uint64_t op_lines;    /* a, c, m, r and f lines, bad ones too */
    uint64_t header_ops;  /* N of "#! ops: N"                     */
    unsigned header_line; /* its line; 0 when there is none       */
    unsigned known_line[4]; /* where name, description, source and
                               ops were given; 0: not yet           */
} native;

static const char *const known_keys[4] = { "name", "description", "source", "ops" };

static bool append_meta(native *n, const char *key, size_t klen, const char *val, size_t vlen)
{
    char *m = realloc(n->meta, n->meta_len + klen + vlen + 4);
    if (!m)
        return false;
    n->meta = m;
    n->meta_len += (size_t)sprintf(m + n->meta_len, "%.*s: %.*s\n", (int)klen, key,
                                   (int)vlen, val);
    return true;
}

/* Index of a key with a meaning in known_keys, or -1. */
static int known_key(const char *key, size_t klen)
{
    for (int i = 0; i < 4; i++)
        if (strlen(known_keys[i]) == klen && !memcmp(key, known_keys[i], klen))
            return i;
    return -1;
}

/* A key with a meaning may be given once: which of two names would a
 * reader believe? */
static bool first_time(native *n, int k)
{
    hb_line *l = &n->l;
    if (k < 0)
        return true;
    if (n->known_line[k]) {
        hb_diag_error(l->d, l->file, l->no, "expected one '#! %s:' line, got a second one "
                      "(the first is at line %u)", known_keys[k], n->known_line[k]);
        return false;
    }
    n->known_line[k] = l->no;
    return true;
}

static void set_known(native *n, int k, const char *val, size_t vlen)
{
    char **dst = k == 0 ? &n->name : k == 1 ? &n->description : k == 2 ? &n->source : NULL;
    if (dst)
        *dst = strndup(val, vlen);
}

/* "#! ops: N": the number of operations the file should hold. */
static void ops_count(native *n, const char *val, size_t vlen)
{
    hb_line *l = &n->l;
    if (hb_parse_dec(val, vlen, &n->header_ops) != HB_NUM_OK) {
        char q[64];
        hb_diag_error(l->d, l->file, l->no,
                      "expected '#! ops: N', N the number of operations, got '%s'",
                      hb_diag_quote(q, sizeof q, l->p, (size_t)(l->end - l->p)));
        n->header_line = 0;
        return;
    }
    n->header_line = l->no;
}

/* A count in the header that differs from the operations present means the
 * file was cut short (a copy or download that stopped) or edited. */
static void check_ops_count(native *n)
{
    if (!n->header_line || n->header_ops == n->op_lines)
        return;
    hb_diag_error(n->l.d, n->l.file, n->header_line,
                  "header says %llu operations, the file holds %llu%s",
                  (unsigned long long)n->header_ops, (unsigned long long)n->op_lines,
                  n->op_lines < n->header_ops ? " (truncated?)" : "");
}

/* "#! key: value" (l->p at the '#'). */
static void metadata(native *n)
{
    hb_line *l = &n->l;
    hb_meta_kv kv;
    if (!hb_meta_split(l->p, l->end, &kv)) {
        char q[64];
        hb_diag_warning(l->d, l->file, l->no, "expected '#! key: value', got '%s'",
                        hb_diag_quote(q, sizeof q, l->p, (size_t)(l->end - l->p)));
        return;
    }
    int k = known_key(kv.key, kv.klen);
    if (!first_time(n, k))
        return;
    set_known(n, k, kv.val, kv.vlen);
    if (k == 3)
        ops_count(n, kv.val, kv.vlen);
    if (!append_meta(n, kv.key, kv.klen, kv.val, kv.vlen))
        hb_diag_error(l->d, l->file, l->no, "out of memory");
}

/* a ID SIZE, and the ID of c and m.  A line with a good ID but a bad later
 * field still makes the id live, so its later uses do not cascade. */
static void op_malloc(native *n)
{
    uint64_t id, size = 0;
    if (!hb_field_u64(&n->l, "ID", &id))
        return;
    if (hb_field_size(&n->l, "SIZE", &size))
        hb_field_end(&n->l);
    hb_tb_alloc(&n->b, HB_OP_MALLOC, id, size, 0, n->l.no);
}

static void op_calloc(native *n)
{
    hb_line *l = &n->l;
    uint64_t id, nmemb = 0, elsize = 0, size = 0;
    if (!hb_field_u64(l, "ID", &id))
        return;
    if (hb_field_u64(l, "NMEMB", &nmemb) && hb_field_u64(l, "SIZE", &elsize) &&
        hb_field_end(l)) {
        if (__builtin_mul_overflow(nmemb, elsize, &size) || size > HB_SIZE_LIMIT) {
            hb_diag_error(l->d, l->file, l->no,
                          "expected NMEMB * SIZE of at most 9223372036854775807, got %llu * %llu",
                          (unsigned long long)nmemb, (unsigned long long)elsize);
            size = 0;
        }
    }
    /* aux keeps nmemb when it fits; otherwise calloc(1, product) asks for
     * the same zeroed bytes */
    uint32_t aux = nmemb <= UINT32_MAX ? (uint32_t)nmemb : 1u;
    hb_tb_alloc(&n->b, HB_OP_CALLOC, id, size, aux, l->no);
}

static void op_aligned(native *n)
{
    hb_line *l = &n->l;
    uint64_t id, align = 1, size = 0;
    if (!hb_field_u64(l, "ID", &id))
        return;
    const char *tok = l->p;
    if (hb_field_u64(l, "ALIGN", &align)) {
        if (align == 0 || (align & (align - 1)) || align > MAX_ALIGN) {
            while (hb_is_blank(*tok))
                tok++;
            hb_field_bad(l, "ALIGN to be a power of two from 1 to 1073741824", tok,
                         (size_t)(l->p - tok));
            align = 1;
        } else if (hb_field_size(l, "SIZE", &size)) {
            hb_field_end(l);
        }
    }
    hb_tb_alloc(&n->b, HB_OP_ALIGNED, id, size, (uint32_t)align, l->no);
}

static void op_realloc(native *n)
{
    uint64_t id, size;
    if (hb_field_u64(&n->l, "ID", &id) && hb_field_size(&n->l, "SIZE", &size) &&
        hb_field_end(&n->l))
        hb_tb_realloc(&n->b, id, id, size, n->l.no);
}

static void op_free(native *n)
{
    hb_line *l = &n->l;
    const char *save = l->p, *tok;
    size_t len;
    uint64_t id;
    if (hb_line_token(l, &tok, &len) && len == 1 && *tok == '-') {
        if (hb_field_end(l))
            hb_tb_free_null(&n->b, l->no);
        return;
    }
    l->p = save;
    if (hb_field_u64(l, "ID or '-'", &id) && hb_field_end(l))
        hb_tb_free(&n->b, id, l->no);
}

static void op_thread(native *n)
{
    uint64_t tid;
    if (hb_field_u64(&n->l, "TID", &tid) && hb_field_end(&n->l))
        hb_tb_thread(&n->b, tid);
}

static void parse_line(native *n)
{
    hb_line *l = &n->l;
    const char *tok = NULL;
    size_t len = 0;
    hb_line_skip_blanks(l);
    if (l->p == l->end)
        return;
    if (*l->p == '#') {
        if (!n->seen_op && l->end - l->p >= 2 && l->p[1] == '!')
            metadata(n);
        return;
    }
    n->seen_op = true;
    hb_line_cut_comment(l);
    hb_line_token(l, &tok, &len);
    n->op_lines += len == 1 && *tok && strchr("acmrf", *tok);
    switch (len == 1 ? *tok : '\0') {
    case 'a': op_malloc(n); break;
    case 'c': op_calloc(n); break;
    case 'm': op_aligned(n); break;
    case 'r': op_realloc(n); break;
    case 'f': op_free(n); break;
    case 't': op_thread(n); break;
    default:
        hb_field_bad(l, "an operation (a, c, m, r, f or t)", tok, len);
        break;
    }
}

int hb_parse_native(const char *file, const char *buf, size_t len, hb_trace *t, hb_diag *d)
{
    native n = { .l = { .file = file, .d = d } };
    memset(t, 0, sizeof *t);
    if (hb_tb_init(&n.b, file, d, 0, len) < 0) {
        hb_diag_error(d, file, 0, "out of memory");
        return -1;
    }
    const char *pos = buf, *end = buf + len;
    while (hb_line_next(&pos, end, &n.l))
        parse_line(&n);
    check_ops_count(&n);
    hb_tb_meta m = { n.name, n.description, n.source, n.meta };
    int rc = hb_tb_finish(&n.b, &m, t);
    free(n.name);
    free(n.description);
    free(n.source);
    free(n.meta);
    return rc;
}
