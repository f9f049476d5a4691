/*
 * An independent checker for recorded traces, used by the recorder tests:
 * it shares no code with the harness's trace loader, so a recorder bug and a
 * loader bug cannot hide each other.
 *
 * Every line must be exactly one of the forms of docs/trace-format.md
 * (a torn or interleaved line fails), every `f`/`r` must name a live id and
 * no `a`/`c`/`m` may reuse a live one.  Ids are indexed directly, which fits
 * the recorder's dense ids.
 */
#ifndef HB_TEST_TRACECHECK_H
#define HB_TEST_TRACECHECK_H

#include <lzma.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TC_MAX_ID (UINT64_C(1) << 28)

typedef struct tc_result {
    uint64_t ops, births, frees, free_null, reallocs, realloc0, calls_c, calls_m;
    uint64_t live_at_end, max_id;
    uint32_t threads;          /* largest t + 1 */
    unsigned errors;
    char first_error[256];
} tc_result;

static void tc_error(tc_result *r, unsigned long line, const char *what, const char *id)
{
    if (r->errors++ == 0)
        snprintf(r->first_error, sizeof r->first_error, "line %lu: %s %s", line, what, id);
}

/* Reads a whole file, decompressing .xz; NUL-terminated.  NULL on failure. */
static inline char *tc_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    char *raw = malloc(cap);
    for (size_t got; raw && (got = fread(raw + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap)
            raw = realloc(raw, cap *= 2);
    }
    fclose(f);
    size_t plen = strlen(path);
    if (!raw || plen < 3 || strcmp(path + plen - 3, ".xz") != 0) {
        if (raw)
            raw[n < cap ? n : cap - 1] = '\0';
        *len = n;
        return raw;
    }
    uint64_t memlimit = UINT64_MAX;
    size_t in_pos = 0, out_pos = 0, out_cap = 32 * n + 1024;
    char *out = malloc(out_cap);
    lzma_ret ret;
    while (out && (ret = lzma_stream_buffer_decode(&memlimit, 0, NULL, (uint8_t *)raw, &in_pos,
                                                   n, (uint8_t *)out, &out_pos,
                                                   out_cap - 1)) == LZMA_BUF_ERROR) {
        out = realloc(out, out_cap *= 2);
        in_pos = out_pos = 0;
    }
    free(raw);
    if (!out || ret != LZMA_OK) {
        free(out);
        return NULL;
    }
    out[out_pos] = '\0';
    *len = out_pos;
    return out;
}

static bool tc_number(const char *s, uint64_t *v)
{
    if (!*s)
        return false;
    uint64_t x = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
            return false;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    *v = x;
    return true;
}

/* Splits one line (comment removed) into at most 5 fields; returns the count. */
static int tc_fields(char *line, char **f)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    int n = 0;
    for (char *t = strtok(line, " \t\r"); t; t = strtok(NULL, " \t\r"))
        if (n++ < 5)
            f[n - 1] = t;
    return n;
}

/* One operation line; updates live (a byte per id). */
static void tc_op(tc_result *r, unsigned long ln, char **f, int n, unsigned char *live)
{
    static const int want[128] = { ['a'] = 3, ['c'] = 4, ['m'] = 4, ['r'] = 3, ['f'] = 2, ['t'] = 2 };
    uint64_t id = 0, x = 0, y = 0;
    char op = f[0][1] ? '?' : f[0][0];
    if (op < 0 || want[(int)op] == 0 || n != want[(int)op])
        return tc_error(r, ln, "bad line starting", f[0]);
    if (op == 'f' && !strcmp(f[1], "-")) {
        r->ops++, r->frees++, r->free_null++;
        return;
    }
    if (!tc_number(f[1], &id) || (n > 2 && !tc_number(f[2], &x)) || (n > 3 && !tc_number(f[3], &y)))
        return tc_error(r, ln, "bad number in", f[0]);
    if (op == 't') {
        r->threads = id + 1 > r->threads ? (uint32_t)(id + 1) : r->threads;
        return;
    }
    if (id >= TC_MAX_ID)
        return tc_error(r, ln, "id too large:", f[1]);
    r->max_id = id > r->max_id ? id : r->max_id;
    r->ops++;
    if (op == 'm' && (x == 0 || (x & (x - 1)) || x > (1u << 30)))
        return tc_error(r, ln, "bad alignment", f[2]);
    if (op == 'a' || op == 'c' || op == 'm') {
        if (live[id])
            tc_error(r, ln, "allocation on live id", f[1]);
        live[id] = 1;
        r->births++;
        r->calls_c += op == 'c';
        r->calls_m += op == 'm';
        return;
    }
    if (!live[id])
        return tc_error(r, ln, op == 'f' ? "free of dead id" : "realloc of dead id", f[1]);
    if (op == 'f' || x == 0)
        live[id] = 0;
    r->frees += op == 'f';
    r->reallocs += op == 'r';
    r->realloc0 += op == 'r' && x == 0;
}

/* Checks a whole trace held in text (modified: lines are cut in place). */
static inline void tc_check(char *text, tc_result *r)
{
    memset(r, 0, sizeof *r);
    r->threads = 1;
    unsigned char *live = calloc(TC_MAX_ID, 1);
    unsigned long ln = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        ln++;
        char *f[5];
        int n = tc_fields(line, f);
        if (n > 0)
            tc_op(r, ln, f, n, live);
    }
    for (uint64_t i = 0; i <= r->max_id && r->ops; i++)
        r->live_at_end += live[i];
    free(live);
}

/* The value of metadata key ("ops") into out; false if absent. */
static inline bool tc_meta(const char *text, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "#! %s: ", key);
    for (const char *line = text; *line == '#';) {
        if (!strncmp(line, pat, strlen(pat))) {
            const char *v = line + strlen(pat), *end = strchr(v, '\n');
            size_t n = end ? (size_t)(end - v) : strlen(v);
            snprintf(out, cap, "%.*s", (int)n, v);
            return true;
        }
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    return false;
}

/* How many lines start with prefix and end with suffix ("a ", " 12345"). */
static inline unsigned long tc_count(const char *text, const char *prefix, const char *suffix)
{
    unsigned long n = 0;
    size_t m = strlen(prefix), k = strlen(suffix);
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        n += len >= m + k && !strncmp(line, prefix, m) && !strncmp(line + len - k, suffix, k);
        if (!nl)
            break;
        line = nl + 1;
    }
    return n;
}

#endif /* HB_TEST_TRACECHECK_H */
