/*
 * Line and field scanning shared by the text readers.  A line is a span of
 * the input buffer (nothing is copied); fields are separated by spaces or
 * tabs.  The field readers report a problem once per line, naming what was
 * expected and quoting what was found.
 */
#ifndef HB_TRACE_LEX_H
#define HB_TRACE_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "trace/trace.h"

#define HB_SIZE_LIMIT 0x7fffffffffffffffull /* PTRDIFF_MAX on LP64 */

typedef struct hb_line {
    const char *file;
    hb_diag *d;
    unsigned no;       /* 1-based line number                       */
    const char *start; /* first byte of the line                    */
    const char *p;     /* scanning position                         */
    const char *end;   /* end of the fields (no CR, no comment)     */
    bool bad;          /* a problem was reported on this line       */
} hb_line;

static inline bool hb_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Takes the next line of [*pos, end) into l (CR stripped); false at end. */
static inline bool hb_line_next(const char **pos, const char *end, hb_line *l)
{
    const char *p = *pos;
    if (p >= end)
        return false;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *eol = nl ? nl : end;
    *pos = nl ? nl + 1 : end;
    if (eol > p && eol[-1] == '\r')
        eol--;
    l->no++;
    l->start = l->p = p;
    l->end = eol;
    l->bad = false;
    return true;
}

static inline void hb_line_skip_blanks(hb_line *l)
{
    while (l->p < l->end && hb_is_blank(*l->p))
        l->p++;
}

/* Ends the fields at a '#' comment. */
static inline void hb_line_cut_comment(hb_line *l)
{
    const char *h = memchr(l->p, '#', (size_t)(l->end - l->p));
    if (h)
        l->end = h;
}

/* The next field, or false at the end of the fields. */
static inline bool hb_line_token(hb_line *l, const char **tok, size_t *n)
{
    hb_line_skip_blanks(l);
    if (l->p >= l->end)
        return false;
    const char *s = l->p;
    while (l->p < l->end && !hb_is_blank(*l->p))
        l->p++;
    *tok = s;
    *n = (size_t)(l->p - s);
    return true;
}

enum { HB_NUM_OK = 0, HB_NUM_BAD, HB_NUM_RANGE };

static inline int hb_parse_dec(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return HB_NUM_BAD;
    for (size_t i = 0; i < n; i++) {
        unsigned dgt = (unsigned)(unsigned char)s[i] - '0';
        if (dgt > 9)
            return HB_NUM_BAD;
        if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, dgt, &v)) {
            for (i++; i < n; i++) /* a bad digit further on is the better message */
                if ((unsigned)(unsigned char)s[i] - '0' > 9)
                    return HB_NUM_BAD;
            return HB_NUM_RANGE;
        }
    }
    *out = v;
    return HB_NUM_OK;
}

/* Hexadecimal with an optional 0x, as printed by %p and %#lx. */
static inline int hb_parse_hex(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    if (n == 0)
        return HB_NUM_BAD;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned dgt = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                       : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                       : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                              : 16u;
        if (dgt == 16)
            return HB_NUM_BAD;
        if (v >> 60)
            return HB_NUM_RANGE;
        v = v << 4 | dgt;
    }
    *out = v;
    return HB_NUM_OK;
}

/* Field readers: each reports (once per line) and returns false when the
 * field is missing or malformed.  what names the field ("ID", "SIZE"). */
bool hb_field_u64(hb_line *l, const char *what, uint64_t *v);
bool hb_field_size(hb_line *l, const char *what, uint64_t *v); /* <= HB_SIZE_LIMIT */
bool hb_field_end(hb_line *l);                                 /* no more fields */
/* Reports "expected EXPECTED, got 'TOKEN'" for the field at tok. */
void hb_field_bad(hb_line *l, const char *expected, const char *tok, size_t n);

#endif /* HB_TRACE_LEX_H */
