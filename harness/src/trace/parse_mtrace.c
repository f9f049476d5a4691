/*
 * Reader of glibc mtrace() logs (MALLOC_TRACE=FILE with
 * libc_malloc_debug.so preloaded).  Lines look like
 *
 *     = Start
 *     @ ./prog:[0x11de] + 0x55a99db504a0 0x64     malloc, calloc, memalign,
 *                                                 realloc(NULL, n)
 *     @ ./prog:[0x1283] - 0x55a99db50510          free, realloc(p, 0)
 *     @ ./prog:[0x1206] < 0x55a99db504a0          realloc(p, n): the old
 *     @ ./prog:[0x1206] > 0x55a99db505a0 0x190    block, then the new one
 *     @ ./prog:[0x12e2] + (nil) 0x7fffffffffffffff  a failed allocation
 *     = End
 *
 * The caller part ("@ FILE:(SYM+OFF)[ADDR]" or "@ [ADDR]") ends with ']'
 * and may be absent.  Addresses are the block ids: a block freed and its
 * address handed out again is a new block.  The log does not say calloc
 * or which alignment, so every birth is a malloc, and it does not log
 * free(NULL).  Frees of blocks allocated before mtrace() was called are
 * skipped with a warning; a realloc of one becomes a malloc.
 */
#include <string.h>

#include "trace/build.h"
#include "trace/internal.h"
#include "trace/lex.h"

typedef struct mtr {
    hb_tb b;
    hb_line l;
    bool pending;       /* a '<' waits for its '>'  */
    uint64_t old;       /* the '<' address          */
    unsigned old_line;
    uint64_t failed;    /* allocations that returned NULL */
} mtr;

/* An address field: false after reporting; *nil for "(nil)" or 0. */
static bool addr_field(hb_line *l, uint64_t *a, bool *nil)
{
    const char *tok = NULL;
    size_t n = 0;
    if (!hb_line_token(l, &tok, &n)) {
        hb_field_bad(l, "an address", "", 0);
        return false;
    }
    *nil = n == 5 && !memcmp(tok, "(nil)", 5);
    if (*nil)
        return true;
    if (hb_parse_hex(tok, n, a) != HB_NUM_OK) {
        hb_field_bad(l, "a hexadecimal address", tok, n);
        return false;
    }
    *nil = *a == 0;
    return true;
}

static bool size_field(hb_line *l, uint64_t *size)
{
    const char *tok = NULL;
    size_t n = 0;
    if (!hb_line_token(l, &tok, &n)) {
        hb_field_bad(l, "a hexadecimal size", "", 0);
        return false;
    }
    if (hb_parse_hex(tok, n, size) != HB_NUM_OK || *size > HB_SIZE_LIMIT) {
        hb_field_bad(l, "a hexadecimal size up to 0x7fffffffffffffff", tok, n);
        return false;
    }
    return true;
}

static void unpaired(mtr *m)
{
    if (m->pending)
        hb_diag_warning(m->l.d, m->l.file, m->old_line,
                        "realloc start '<' without its '>' line; ignored");
    m->pending = false;
}

static void op_line(mtr *m, char op)
{
    hb_line *l = &m->l;
    uint64_t a = 0, size = 0;
    bool nil;
    if (op != '>')
        unpaired(m);
    if (!addr_field(l, &a, &nil))
        return;
    if ((op == '+' || op == '>') && !size_field(l, &size))
        return;
    if (!hb_field_end(l))
        return;
    switch (op) {
    case '+':
        if (nil)
            m->failed++;
        else
            hb_tb_alloc(&m->b, HB_OP_MALLOC, a, size, 0, l->no);
        break;
    case '-':
        if (nil)
            hb_tb_free_null(&m->b, l->no);
        else
            hb_tb_free(&m->b, a, l->no);
        break;
    case '<':
        m->pending = true;
        m->old = a;
        m->old_line = l->no;
        break;
    default: /* '>' */
        if (!m->pending) {
            hb_diag_error(l->d, l->file, l->no, "expected a '<' line before this '>' line");
            return;
        }
        m->pending = false;
        if (nil) /* the realloc failed: the old block lives on */
            m->failed++;
        else
            hb_tb_realloc(&m->b, m->old, a, size, l->no);
        break;
    }
}

/* Skips "@ CALLER" up to the token ending in ']'. */
static bool skip_caller(hb_line *l)
{
    const char *tok = NULL;
    size_t n = 0;
    while (hb_line_token(l, &tok, &n))
        if (tok[n - 1] == ']')
            return true;
    l->p = l->start;
    hb_field_bad(l, "a caller ending in ']' after '@'", l->start, (size_t)(l->end - l->start));
    return false;
}

static void parse_line(mtr *m)
{
    hb_line *l = &m->l;
    const char *tok = NULL;
    size_t n = 0;
    hb_line_skip_blanks(l);
    if (l->p == l->end || *l->p == '=')
        return;
    hb_line_token(l, &tok, &n);
    if (n == 1 && *tok == '@') {
        if (!skip_caller(l) || !hb_line_token(l, &tok, &n)) {
            if (!l->bad)
                hb_field_bad(l, "an operation (+, -, < or >) after the caller", "", 0);
            return;
        }
    }
    if (n == 1 && *tok && strchr("+-<>", *tok))
        op_line(m, *tok);
    else
        hb_field_bad(l, "an mtrace line ('= ...', '@ CALLER OP ...' or 'OP ...')", tok, n);
}

int hb_parse_mtrace(const char *file, const char *buf, size_t len, hb_trace *t, hb_diag *d)
{
    mtr m = { .l = { .file = file, .d = d } };
    memset(t, 0, sizeof *t);
    if (hb_tb_init(&m.b, file, d, HB_TB_LENIENT | HB_TB_DEAD_AS_UNKNOWN | HB_TB_HEX_IDS,
                   len / 3) < 0) {
        hb_diag_error(d, file, 0, "out of memory");
        return -1;
    }
    const char *pos = buf, *end = buf + len;
    while (hb_line_next(&pos, end, &m.l))
        parse_line(&m);
    unpaired(&m);
    if (m.failed)
        hb_diag_warning(d, file, 0, "%llu allocations that returned NULL were left out",
                        (unsigned long long)m.failed);
    hb_tb_meta meta = { 0 };
    return hb_tb_finish(&m.b, &meta, t);
}
