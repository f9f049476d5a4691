/*
 * Field readers with their messages (see lex.h).  The message quotes the
 * line up to the missing field, so "expected SIZE after 'a 7', got end of
 * line" points at the exact gap.
 */
#include "trace/lex.h"

#include <stdio.h>
#include <string.h>

#include "trace/internal.h"

#define QUOTE_MAX 48

static void report(hb_line *l, const char *fmt, const char *arg1, const char *arg2)
{
    if (l->bad)
        return;
    l->bad = true;
    hb_diag_error(l->d, l->file, l->no, fmt, arg1, arg2);
}

static const char *so_far(const hb_line *l, char *buf, size_t cap)
{
    const char *e = l->p;
    while (e > l->start && hb_is_blank(e[-1]))
        e--;
    const char *s = l->start;
    while (s < e && hb_is_blank(*s))
        s++;
    return hb_diag_quote(buf, cap, s, (size_t)(e - s));
}

/* Bytes a quote shows as '?' that people cannot see in an editor either:
 * named, so "got '???a'" says what to fix. */
static const char *odd_bytes(const char *tok, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)tok[i];
        if (c == 0xEF && i + 3 <= n && !memcmp(tok + i, "\xEF\xBB\xBF", 3))
            return " (a UTF-8 byte order mark, EF BB BF, which is allowed only at the start "
                   "of the file)";
        if (c == '\r')
            return " (a carriage return without a line feed: lines must end in LF or CRLF)";
        if (c == '\0')
            return " (a NUL byte)";
    }
    return "";
}

void hb_field_bad(hb_line *l, const char *expected, const char *tok, size_t n)
{
    char q[QUOTE_MAX], msg[QUOTE_MAX + 256];
    snprintf(msg, sizeof msg, "'%s'%s", hb_diag_quote(q, sizeof q, tok, n), odd_bytes(tok, n));
    report(l, "expected %s, got %s", expected, msg);
}

bool hb_field_u64(hb_line *l, const char *what, uint64_t *v)
{
    const char *tok;
    size_t n;
    char q[QUOTE_MAX], msg[96];
    if (!hb_line_token(l, &tok, &n)) {
        report(l, "expected %s after '%s', got end of line", what, so_far(l, q, sizeof q));
        return false;
    }
    switch (hb_parse_dec(tok, n, v)) {
    case HB_NUM_OK:
        return true;
    case HB_NUM_RANGE:
        snprintf(msg, sizeof msg, "%s that fits in 64 bits", what);
        break;
    default:
        snprintf(msg, sizeof msg, "a decimal integer for %s", what);
        break;
    }
    hb_field_bad(l, msg, tok, n);
    return false;
}

bool hb_field_size(hb_line *l, const char *what, uint64_t *v)
{
    const char *tok = l->p;
    if (!hb_field_u64(l, what, v))
        return false;
    if (*v <= HB_SIZE_LIMIT)
        return true;
    char msg[96];
    snprintf(msg, sizeof msg, "%s of at most 9223372036854775807 (PTRDIFF_MAX)", what);
    while (hb_is_blank(*tok))
        tok++;
    hb_field_bad(l, msg, tok, (size_t)(l->p - tok));
    return false;
}

bool hb_field_end(hb_line *l)
{
    const char *tok;
    size_t n;
    char q1[QUOTE_MAX], q2[QUOTE_MAX];
    if (!hb_line_token(l, &tok, &n))
        return true;
    l->p = tok; /* quote the line before the extra field */
    so_far(l, q1, sizeof q1);
    report(l, "expected end of line after '%s', got '%s'", q1,
           hb_diag_quote(q2, sizeof q2, tok, n));
    l->p = tok + n;
    return false;
}
