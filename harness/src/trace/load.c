/*
 * hb_trace_load: file -> (cache hit) or (decompress -> detect format ->
 * parse -> cache store) -> path and default name.  Also the small public
 * helpers of trace.h.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "trace/cache.h"
#include "trace/fileio.h"
#include "trace/internal.h"
#include "trace/name.h"

const char *hb_op_kind_name(unsigned kind)
{
    static const char *const names[HB_OP_KINDS] = { "malloc", "calloc", "realloc", "free",
                                                    "aligned" };
    return kind < HB_OP_KINDS ? names[kind] : "unknown";
}

void hb_trace_release(hb_trace *t)
{
    if (t->storage_mapped_)
        munmap(t->storage_, t->storage_len_);
    else
        free(t->storage_);
    free(t->path);
    memset(t, 0, sizeof *t);
}

/* The first line that is neither blank nor a '#' comment decides: a bare
 * integer starts a .rep header, "= Start" or "@ " an mtrace log. */
enum hb_trace_format hb_format_by_content(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        if (p == end)
            break;
        if (*p != '#') {
            if (*p >= '0' && *p <= '9')
                return HB_FMT_REP;
            if (*p == '=' || (*p == '@' && p + 1 < end && p[1] == ' '))
                return HB_FMT_MTRACE;
            return HB_FMT_NATIVE;
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    return HB_FMT_NATIVE;
}

int hb_trace_attach_path(hb_trace *t, const char *path)
{
    char stem[256];
    hb_trace_stem(path, t->format, stem, sizeof stem);
    size_t plen = strlen(path), n = strlen(stem);
    /* one block: "PATH\0NAME\0", so release frees one pointer */
    char *blk = malloc(plen + 1 + n + 1);
    if (!blk)
        return -1;
    memcpy(blk, path, plen + 1);
    memcpy(blk + plen + 1, stem, n + 1);
    t->path = blk;
    if (!t->name || !*t->name)
        t->name = blk + plen + 1;
    return 0;
}

/* The first line longer than the limit is reported: past it, a file is
 * binary or damaged, and its "lines" would only make noise. */
static int check_lines(const char *file, const char *buf, size_t len, const hb_trace_limits *lim,
                       hb_diag *d)
{
    const char *p = buf, *end = buf + len;
    for (uint64_t line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        if ((uint64_t)(eol - p) > lim->max_line) {
            hb_line_too_long(d, file, line, lim);
            return -1;
        }
        p = eol + 1;
    }
    return 0;
}

static int parse(const char *file, const char *buf, size_t len, enum hb_trace_format fmt,
                 const hb_trace_limits *lim, hb_trace *t, hb_diag *d)
{
    unsigned before = hb_diag_total(d);
    const char *text = buf;
    /* Editors on some systems start a UTF-8 file with a byte order mark;
     * it says nothing about a trace. */
    if (len >= 3 && !memcmp(buf, HB_BOM, 3))
        buf += 3, len -= 3;
    if (check_lines(file, buf, len, lim, d) < 0)
        return -1;
    if (fmt == HB_FMT_AUTO)
        fmt = hb_format_by_content(buf, len);
    int rc = fmt == HB_FMT_REP      ? hb_parse_rep(file, buf, len, t, d)
             : fmt == HB_FMT_MTRACE ? hb_parse_mtrace(file, buf, len, t, d)
                                    : hb_parse_native(file, buf, len, t, d);
    hb_diag_more(d, file, before);
    if (rc == 0) {
        t->content_hash = hb_hash64(text, len + (size_t)(buf - text), 0);
        t->format = fmt;
    }
    return rc;
}

int hb_trace_parse_buffer(const char *name, const char *buf, size_t len,
                          enum hb_trace_format fmt, hb_trace *t, hb_diag *d)
{
    hb_trace_limits lim;
    memset(t, 0, sizeof *t);
    if (hb_trace_limits_get(&lim, name, d) < 0)
        return -1;
    if (len > lim.max_bytes) {
        hb_diag_error(d, name, 0, "expected at most %llu bytes (HB_TRACE_MAX_BYTES), got %zu",
                      (unsigned long long)lim.max_bytes, len);
        return -1;
    }
    if (fmt == HB_FMT_AUTO)
        fmt = hb_format_by_suffix(name);
    if (parse(name, buf, len, fmt, &lim, t, d) < 0)
        return -1;
    if (hb_trace_attach_path(t, name) < 0) {
        hb_diag_error(d, name, 0, "out of memory");
        hb_trace_release(t);
        return -1;
    }
    return 0;
}

/* Decompresses when needed and parses; stores the result in the cache,
 * clearing *stored when that fails. */
static int load_fresh(const char *path, const hb_filebuf *raw, enum hb_trace_format fmt,
                      const hb_trace_limits *lim, const char *cache_dir, uint64_t key,
                      hb_trace *t, hb_diag *d, bool *stored)
{
    hb_filebuf text = { 0 };
    enum hb_comp comp = hb_comp_of(path, raw);
    if (comp != HB_COMP_NONE && hb_decompress(path, comp, raw, lim, &text, d) < 0)
        return -1;
    const hb_filebuf *in = comp != HB_COMP_NONE ? &text : raw;
    int rc = parse(path, in->data, in->len, fmt, lim, t, d);
    /* the cache only saves time: failure is silent */
    *stored = rc == 0 && cache_dir && hb_cache_write(cache_dir, key, t) == 0;
    hb_filebuf_release(&text);
    return rc;
}

int hb_trace_load_entry(const char *path, const hb_trace_load_opts *opts, hb_trace *t,
                        hb_diag *d, char *entry, size_t cap)
{
    static const hb_trace_load_opts defaults = { 0 };
    hb_filebuf raw;
    hb_trace_limits lim;
    char dir[4096];
    memset(t, 0, sizeof *t);
    if (!opts)
        opts = &defaults;
    if (hb_trace_limits_get(&lim, path, d) < 0 || hb_file_read(path, &lim, &raw, d) < 0)
        return -1;
    enum hb_trace_format fmt = opts->format;
    if (fmt == HB_FMT_AUTO)
        fmt = hb_format_by_suffix(path);
    bool cached = opts->use_cache && hb_cache_dir(opts->cache_dir, 1, dir, sizeof dir) == 0;
    uint64_t key = cached ? hb_cache_key(raw.data, raw.len, fmt) : 0;
    int rc = 0;
    bool stored = cached;
    if (!cached || hb_cache_read(dir, key, t) < 0)
        rc = load_fresh(path, &raw, fmt, &lim, cached ? dir : NULL, key, t, d, &stored);
    hb_filebuf_release(&raw);
    if (entry && cap) {
        entry[0] = '\0';
        if (rc == 0 && stored)
            hb_cache_entry_path(dir, key, entry, cap);
    }
    if (rc == 0 && hb_trace_attach_path(t, path) < 0) {
        hb_diag_error(d, path, 0, "out of memory");
        hb_trace_release(t);
        rc = -1;
    }
    return rc;
}

int hb_trace_load(const char *path, const hb_trace_load_opts *opts, hb_trace *t, hb_diag *d)
{
    return hb_trace_load_entry(path, opts, t, d, NULL, 0);
}
