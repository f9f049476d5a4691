/*
 * Reader of CS:APP malloc-lab traces (.rep), lenient the way those files
 * need (docs/trace-format.md, "CS:APP malloc lab traces"):
 *
 *   - the header is 3 or 4 integers (an optional suggested heap size, then
 *     ids, ops, weight), one or more per line; its counts are advisory, and
 *     a mismatch with the ops present is a warning, except fewer ops than
 *     the header says: the file was cut short, an error;
 *   - "f -1" (any negative id on f) is free(NULL), as programs recorded
 *     into this format write it; a negative id on a or r is an error;
 *   - blank lines and '#' comments are skipped; CRLF is accepted;
 *   - "r" of a never-allocated id is realloc(NULL, n), a malloc (warning);
 *     "f" of a never-allocated id is skipped (warning); "a" of a live id
 *     leaves the old block live, as the lab driver does (warning);
 *   - "r ID 0" frees the block, like realloc(p, 0) in the native format;
 *   - a double free or a realloc of a freed id is still an error.
 */
#include <string.h>

#include "trace/build.h"
#include "trace/internal.h"
#include "trace/lex.h"

#define MAX_HEADER 4

typedef struct rep {
    hb_tb b;
    hb_line l;
    uint64_t hdr[MAX_HEADER];
    unsigned hdr_line[MAX_HEADER];
    unsigned nhdr;
    bool in_ops;       /* the header is over                        */
    uint64_t op_lines; /* lines after the header, bad ones included */
} rep;

static void header_line(rep *r)
{
    hb_line *l = &r->l;
    const char *tok = NULL;
    size_t n = 0;
    while (hb_line_token(l, &tok, &n) && !l->bad) {
        l->p = tok;
        if (r->nhdr == MAX_HEADER) {
            hb_field_bad(l, "a header of at most 4 integers", tok, n);
            return;
        }
        r->hdr_line[r->nhdr] = l->no;
        if (hb_field_u64(l, "the header", &r->hdr[r->nhdr]))
            r->nhdr++;
    }
}

static void end_header(rep *r)
{
    r->in_ops = true;
    if (r->nhdr == 0)
        hb_diag_warning(r->l.d, r->l.file, r->l.no,
                        "expected a header of 3 or 4 integers (heap size, ids, operations, "
                        "weight), got none; reading the operations anyway");
    else if (r->nhdr < 3)
        hb_diag_error(r->l.d, r->l.file, r->hdr_line[0],
                      "expected a header of 3 or 4 integers (heap size, ids, operations, "
                      "weight), got %u", r->nhdr);
}

/* The header's advisory counts against what the trace holds. */
static void check_counts(rep *r)
{
    if (r->nhdr < 3)
        return;
    unsigned i = r->nhdr - 3; /* index of num_ids */
    uint64_t ids = r->b.ids.used;
    if (r->hdr[i] != ids)
        hb_diag_warning(r->l.d, r->l.file, r->hdr_line[i],
                        "header says %llu ids, the trace uses %llu",
                        (unsigned long long)r->hdr[i], (unsigned long long)ids);
    /* Headers in the wild are sometimes one below the real count; fewer
     * operations than the header says means the file was cut short. */
    if (r->hdr[i + 1] > r->op_lines)
        hb_diag_error(r->l.d, r->l.file, r->hdr_line[i + 1],
                      "header says %llu operations, the trace has %llu (truncated?)",
                      (unsigned long long)r->hdr[i + 1], (unsigned long long)r->op_lines);
    else if (r->hdr[i + 1] != r->op_lines)
        hb_diag_warning(r->l.d, r->l.file, r->hdr_line[i + 1],
                        "header says %llu operations, the trace has %llu",
                        (unsigned long long)r->hdr[i + 1], (unsigned long long)r->op_lines);
}

/* The next field starts with '-': a negative id. */
static bool negative_next(hb_line *l)
{
    hb_line_skip_blanks(l);
    return l->p < l->end && *l->p == '-';
}

/* ID of a or r: a negative one gets its own message. */
static bool alloc_id(hb_line *l, uint64_t *id)
{
    if (negative_next(l)) {
        const char *tok = l->p;
        size_t n = 0;
        hb_line_token(l, &tok, &n);
        hb_field_bad(l, "a non-negative ID (a negative id is free(NULL), allowed on f only)",
                     tok, n);
        return false;
    }
    return hb_field_u64(l, "ID", id);
}

/* "f -N": free(NULL).  False when the field is not a negative id. */
static bool free_null(rep *r)
{
    hb_line *l = &r->l;
    const char *tok = l->p;
    size_t n = 1;
    uint64_t v;
    if (!negative_next(l))
        return false;
    hb_line_token(l, &tok, &n);
    if (hb_parse_dec(tok + 1, n - 1, &v) == HB_NUM_BAD) {
        hb_field_bad(l, "a decimal integer for ID", tok, n);
        return true;
    }
    if (hb_field_end(l))
        hb_tb_free_null(&r->b, l->no);
    return true;
}

static void op_line(rep *r, const char *tok, size_t n)
{
    hb_line *l = &r->l;
    uint64_t id, size;
    r->op_lines++;
    switch (n == 1 ? *tok : '\0') {
    case 'a':
        if (alloc_id(l, &id) && hb_field_size(l, "SIZE", &size) && hb_field_end(l))
            hb_tb_alloc(&r->b, HB_OP_MALLOC, id, size, 0, l->no);
        break;
    case 'r':
        if (alloc_id(l, &id) && hb_field_size(l, "SIZE", &size) && hb_field_end(l))
            hb_tb_realloc(&r->b, id, id, size, l->no);
        break;
    case 'f':
        if (!free_null(r) && hb_field_u64(l, "ID", &id) && hb_field_end(l))
            hb_tb_free(&r->b, id, l->no);
        break;
    default: /* a line that is there but unreadable is not missing */
        hb_field_bad(l, r->in_ops || r->nhdr ? "an operation (a, r or f)"
                                             : "a header integer or an operation (a, r or f)",
                     tok, n);
        break;
    }
}

static void parse_line(rep *r)
{
    hb_line *l = &r->l;
    const char *tok = NULL;
    size_t n = 0;
    hb_line_skip_blanks(l);
    hb_line_cut_comment(l);
    if (l->p == l->end)
        return;
    if (!r->in_ops && *l->p >= '0' && *l->p <= '9') {
        header_line(r);
        return;
    }
    if (!r->in_ops)
        end_header(r);
    hb_line_token(l, &tok, &n);
    op_line(r, tok, n);
}

int hb_parse_rep(const char *file, const char *buf, size_t len, hb_trace *t, hb_diag *d)
{
    rep r = { .l = { .file = file, .d = d } };
    memset(t, 0, sizeof *t);
    if (hb_tb_init(&r.b, file, d, HB_TB_LENIENT, len) < 0) {
        hb_diag_error(d, file, 0, "out of memory");
        return -1;
    }
    const char *pos = buf, *end = buf + len;
    while (hb_line_next(&pos, end, &r.l))
        parse_line(&r);
    if (!r.in_ops)
        end_header(&r);
    check_counts(&r);
    hb_tb_meta m = { 0 };
    return hb_tb_finish(&r.b, &m, t);
}
