/*
 * A trace's name (see name.h).  The header scan walks lines the way the
 * native reader does (trace/lex.h), so the name read from 64 KiB here is
 * the name the reader gives the whole file.
 */
#include "trace/name.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/fileio.h"
#include "trace/internal.h"
#include "trace/lex.h"

#define HEAD_BYTES (64 * 1024)

static const char *const trace_suffixes[] = { ".trace", ".rep", ".mtrace" };
#define NSUFFIX (sizeof trace_suffixes / sizeof trace_suffixes[0])

static bool has_suffix(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && !memcmp(s + n - k, suf, k);
}

/* The length of name[0, n) without its trace suffix, 0 when it has none
 * (or nothing before it). */
static size_t known_stem(const char *name, size_t n)
{
    for (size_t i = 0; i < NSUFFIX; i++)
        if (n > strlen(trace_suffixes[i]) && has_suffix(name, n, trace_suffixes[i]))
            return n - strlen(trace_suffixes[i]);
    return 0;
}

enum hb_trace_format hb_format_by_suffix(const char *path)
{
    size_t n = hb_strip_comp_suffix(path);
    if (has_suffix(path, n, ".rep"))
        return HB_FMT_REP;
    if (has_suffix(path, n, ".trace"))
        return HB_FMT_NATIVE;
    return HB_FMT_AUTO;
}

bool hb_is_trace_file(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return known_stem(base, hb_strip_comp_suffix(base)) > 0;
}

/* The length of name[0, n) without a last extension: a dot, a letter, then
 * letters and digits ("mtr.log" -> "mtr", while "glibc-2.36" is kept). */
static size_t strip_extension(const char *name, size_t n)
{
    size_t dot = n;
    while (dot > 0 && isalnum((unsigned char)name[dot - 1]))
        dot--;
    bool ext = dot > 1 && dot < n && name[dot - 1] == '.' && isalpha((unsigned char)name[dot]);
    return ext ? dot - 1 : n;
}

void hb_trace_stem(const char *path, enum hb_trace_format fmt, char *out, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = hb_strip_comp_suffix(base), known = known_stem(base, n);
    if (known)
        n = known;
    else if (fmt == HB_FMT_MTRACE) /* a log has no fixed suffix */
        n = strip_extension(base, n);
    snprintf(out, len, "%.*s", (int)n, base);
}

bool hb_meta_split(const char *p, const char *end, hb_meta_kv *kv)
{
    const char *s = p + 2, *e = end;
    while (s < e && hb_is_blank(*s))
        s++;
    while (e > s && hb_is_blank(e[-1]))
        e--;
    const char *colon = memchr(s, ':', (size_t)(e - s));
    const char *k_end = colon;
    while (k_end && k_end > s && hb_is_blank(k_end[-1]))
        k_end--;
    bool key_ok = colon && k_end > s;
    for (const char *c = s; key_ok && c < k_end; c++)
        key_ok = !hb_is_blank(*c);
    if (!key_ok)
        return false;
    const char *v = colon + 1;
    while (v < e && hb_is_blank(*v))
        v++;
    *kv = (hb_meta_kv){ .key = s, .klen = (size_t)(k_end - s), .val = v,
                        .vlen = (size_t)(e - v) };
    return true;
}

bool hb_trace_header_name(const char *text, size_t n, char *out, size_t len)
{
    hb_line l = { 0 };
    const char *pos = text, *end = text + n;
    bool named = false;
    while (hb_line_next(&pos, end, &l)) {
        hb_line_skip_blanks(&l);
        if (l.p == l.end)
            continue;
        if (*l.p != '#')
            break; /* the first operation ends the header */
        hb_meta_kv kv;
        if (l.end - l.p >= 2 && l.p[1] == '!' && hb_meta_split(l.p, l.end, &kv) &&
            kv.klen == 4 && !memcmp(kv.key, "name", 4)) {
            snprintf(out, len, "%.*s", (int)kv.vlen, kv.val);
            named = kv.vlen > 0;
        }
    }
    return named;
}

void hb_trace_display_name(const char *path, char *out, size_t len)
{
    char *head = malloc(HEAD_BYTES);
    size_t n = head ? hb_read_head(path, head, HEAD_BYTES) : 0;
    enum hb_trace_format fmt = hb_format_by_suffix(path);
    if (fmt == HB_FMT_AUTO)
        fmt = hb_format_by_content(head, n);
    bool named = fmt == HB_FMT_NATIVE && hb_trace_header_name(head, n, out, len);
    free(head);
    if (!named)
        hb_trace_stem(path, fmt, out, len);
}
