/*
 * Binary cache entries (see cache.h).  Layout of an entry file:
 *
 *     header (struct entry_hdr)
 *     name, description, source, metadata: each present one NUL-terminated
 *     zero padding to 8 bytes
 *     the ops array, exactly as in memory
 *
 * The header carries the file size and a hash of everything after it, so
 * a truncated or overwritten entry is detected before any op is trusted;
 * the replay trusts the ops (slots in range), so this check matters.
 */
#include "trace/cache.h"
#include "util/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/internal.h"

#define ENTRY_MAGIC "HBTRACE\x1a"
#define ENTRY_FORMAT 1u
#define ENTRY_VERSION (ENTRY_FORMAT << 16 | HB_TRACE_READER_VERSION)
#define NSTR 4
#define ABSENT UINT32_MAX

typedef struct entry_hdr {
    char magic[8];
    uint32_t version;
    uint32_t hdr_size;
    uint64_t key;
    uint64_t file_size;
    uint64_t payload_hash; /* see payload_hash()                */
    uint64_t content_hash;
    uint64_t nops;
    uint64_t ops_off;
    uint32_t nslots;
    uint32_t str_len[NSTR]; /* ABSENT, or strlen */
    uint32_t format;        /* enum hb_trace_format read */
    hb_trace_summary sum;
} entry_hdr;

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

uint64_t hb_cache_key(const void *raw, size_t len, enum hb_trace_format fmt)
{
    return hb_hash64(raw, len, (uint64_t)ENTRY_VERSION << 8 | (uint64_t)fmt);
}

static void entry_path(char *buf, size_t cap, const char *dir, uint64_t key)
{
    snprintf(buf, cap, "%s/%016llx.hbt", dir, (unsigned long long)key);
}

/* The strings of t in cache order. */
static void strings_of(const hb_trace *t, const char *s[NSTR])
{
    s[0] = t->name;
    s[1] = t->description;
    s[2] = t->source;
    s[3] = t->metadata;
}

static char **string_fields(hb_trace *t, unsigned i)
{
    char **f[NSTR] = { &t->name, &t->description, &t->source, &t->metadata };
    return f[i];
}

/* Points t's strings into the mapping; false if any is malformed. */
static bool map_strings(const entry_hdr *h, char *base, hb_trace *t)
{
    size_t off = h->hdr_size;
    for (unsigned i = 0; i < NSTR; i++) {
        if (h->str_len[i] == ABSENT)
            continue;
        size_t n = h->str_len[i];
        if (n >= h->ops_off - off || base[off + n] != '\0' || memchr(base + off, '\0', n))
            return false;
        *string_fields(t, i) = base + off;
        off += n + 1;
    }
    return align8(off) == h->ops_off;
}

/* The hash of the strings block (with its padding), seeding the hash of
 * the ops: everything after the header, in two runs. */
static uint64_t payload_hash(const char *strings, size_t slen, const hb_op *ops, size_t nops,
                             uint64_t key)
{
    return hb_hash64(ops, nops * sizeof *ops, hb_hash64(strings, slen, key));
}

static bool header_ok(const entry_hdr *h, uint64_t key, size_t size)
{
    return size >= sizeof *h && !memcmp(h->magic, ENTRY_MAGIC, 8) &&
           h->version == ENTRY_VERSION && h->hdr_size == sizeof *h && h->key == key &&
           h->format <= HB_FMT_MTRACE &&
           h->file_size == size && h->ops_off >= sizeof *h && h->ops_off <= size &&
           h->ops_off % 8 == 0 && h->nops == (size - h->ops_off) / sizeof(hb_op) &&
           (size - h->ops_off) % sizeof(hb_op) == 0;
}

/* What the replay trusts of each op, checked once more: an entry whose
 * hash matches was written by this reader, but the cache directory is only
 * a directory, and the check costs less than the hash before it. */
static bool ops_ok(const hb_op *ops, size_t nops, uint32_t nslots, uint32_t threads)
{
    for (size_t i = 0; i < nops; i++) {
        const hb_op *o = &ops[i];
        bool slot_ok = o->slot < nslots || (o->slot == HB_SLOT_NONE && o->kind == HB_OP_FREE);
        bool align_ok = o->kind != HB_OP_ALIGNED || (o->aux && !(o->aux & (o->aux - 1)));
        if (o->kind >= HB_OP_KINDS || !slot_ok || !align_ok || o->size > INT64_MAX ||
            o->thread >= threads)
            return false;
    }
    return true;
}

/* Maps the entry open on fd into t after checking it; any_key accepts the
 * key the entry holds (an entry handed over by fd has no file name). */
static int map_entry(int fd, uint64_t key, bool any_key, hb_trace *t)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(entry_hdr))
        return -1;
    size_t size = (size_t)st.st_size;
    char *base = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (base == MAP_FAILED)
        return -1;
    const entry_hdr *h = (const entry_hdr *)base;
    if (any_key)
        key = h->key;
    memset(t, 0, sizeof *t);
    if (!header_ok(h, key, size) || !map_strings(h, base, t) ||
        payload_hash(base + h->hdr_size, h->ops_off - h->hdr_size,
                     (const hb_op *)(base + h->ops_off), h->nops, key) != h->payload_hash ||
        !ops_ok((const hb_op *)(base + h->ops_off), h->nops, h->nslots, h->sum.threads)) {
        munmap(base, size);
        memset(t, 0, sizeof *t);
        return -1;
    }
    t->ops = (const hb_op *)(base + h->ops_off);
    t->nops = h->nops;
    t->nslots = h->nslots;
    t->sum = h->sum;
    t->content_hash = h->content_hash;
    t->format = (enum hb_trace_format)h->format;
    t->storage_ = base;
    t->storage_len_ = size;
    t->storage_mapped_ = true;
    return 0;
}

void hb_cache_entry_path(const char *dir, uint64_t key, char *buf, size_t cap)
{
    entry_path(buf, cap, dir, key);
}

int hb_cache_read(const char *dir, uint64_t key, hb_trace *t)
{
    char path[4096];
    entry_path(path, sizeof path, dir, key);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = map_entry(fd, key, false, t);
    close(fd);
    return rc;
}

int hb_cache_read_fd(int fd, hb_trace *t)
{
    return map_entry(fd, 0, true, t);
}

/* Header and string block of an entry, in one heap buffer. */
static char *build_head(const hb_trace *t, uint64_t key, size_t *head_len)
{
    const char *s[NSTR];
    entry_hdr h = { .version = ENTRY_VERSION, .hdr_size = sizeof h, .key = key,
                    .content_hash = t->content_hash, .nops = t->nops, .nslots = t->nslots,
                    .format = (uint32_t)t->format, .sum = t->sum };
    memcpy(h.magic, ENTRY_MAGIC, 8);
    strings_of(t, s);
    size_t off = sizeof h;
    for (unsigned i = 0; i < NSTR; i++) {
        h.str_len[i] = s[i] ? (uint32_t)strlen(s[i]) : ABSENT;
        off += s[i] ? strlen(s[i]) + 1 : 0;
    }
    h.ops_off = align8(off);
    h.file_size = h.ops_off + t->nops * sizeof(hb_op);
    char *buf = calloc(1, h.ops_off);
    if (!buf)
        return NULL;
    off = sizeof h;
    for (unsigned i = 0; i < NSTR; i++)
        if (s[i]) {
            memcpy(buf + off, s[i], strlen(s[i]) + 1);
            off += strlen(s[i]) + 1;
        }
    h.payload_hash = payload_hash(buf + sizeof h, h.ops_off - sizeof h, t->ops, t->nops, key);
    memcpy(buf, &h, sizeof h);
    *head_len = h.ops_off;
    return buf;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int hb_cache_write_fd(int fd, uint64_t key, const hb_trace *t)
{
    size_t head_len;
    char *head = build_head(t, key, &head_len);
    if (!head)
        return -1;
    int rc = write_all(fd, head, head_len);
    if (!rc)
        rc = write_all(fd, t->ops, t->nops * sizeof *t->ops);
    free(head);
    return rc;
}

int hb_cache_write(const char *dir, uint64_t key, const hb_trace *t)
{
    char path[4096], tmp[4096];
    entry_path(path, sizeof path, dir, key);
    snprintf(tmp, sizeof tmp, "%s/.%016llx.%ld.tmp", dir, (unsigned long long)key, (long)getpid());
    /* written under a private name, then renamed: a reader sees the whole
     * entry or none */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 ? -1 : hb_cache_write_fd(fd, key, t);
    if (fd >= 0 && close(fd) < 0)
        rc = -1;
    if (!rc)
        rc = rename(tmp, path);
    if (rc && fd >= 0)
        unlink(tmp);
    return rc;
}

static bool usable(const char *dir, int create)
{
    if (access(dir, W_OK | X_OK) == 0)
        return true;
    return create && hb_mkdirs(dir) == 0 && access(dir, W_OK | X_OK) == 0;
}

/* DIR_OF_EXECUTABLE/cache/traces into buf; false if unknown. */
static bool exe_cache_dir(char *buf, size_t cap)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    return (size_t)snprintf(buf, cap, "%s/cache/traces", exe) < cap;
}

int hb_cache_dir(const char *opt_dir, int create, char *buf, size_t cap)
{
    const char *env = getenv("HB_CACHE_DIR");
    const char *home = getenv("HOME");
    const char *fixed = opt_dir ? opt_dir : env && *env ? env : NULL;
    if (fixed) {
        if ((size_t)snprintf(buf, cap, "%s", fixed) >= cap)
            return -1;
        return !create || usable(buf, create) ? 0 : -1;
    }
    if (exe_cache_dir(buf, cap) && (!create ? access(buf, F_OK) == 0 : usable(buf, create)))
        return 0;
    if (home && *home && (size_t)snprintf(buf, cap, "%s/.cache/heapbench", home) < cap)
        return !create || usable(buf, create) ? 0 : -1;
    return -1;
}

static bool is_entry_name(const char *name)
{
    size_t n = strlen(name);
    return (n == 20 && !strcmp(name + 16, ".hbt")) ||
           (name[0] == '.' && n > 4 && !strcmp(name + n - 4, ".tmp"));
}

/* Calls fn on each entry (or stale temporary) file of dir. */
static int each_entry(const char *dir, void (*fn)(const char *path, const struct stat *st,
                                                  void *arg), void *arg)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    if (!dp)
        return errno == ENOENT ? 0 : -1;
    while ((de = readdir(dp))) {
        char path[4096];
        struct stat st;
        if (!is_entry_name(de->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            fn(path, &st, arg);
    }
    closedir(dp);
    return 0;
}

static void count_one(const char *path, const struct stat *st, void *arg)
{
    hb_cache_usage *u = arg;
    (void)path;
    u->entries++;
    u->bytes += (uint64_t)st->st_size;
}

int hb_cache_usage_of(const char *dir, hb_cache_usage *u)
{
    memset(u, 0, sizeof *u);
    return each_entry(dir, count_one, u);
}

static void remove_one(const char *path, const struct stat *st, void *arg)
{
    (void)st;
    size_t n = strlen(path);
    if (unlink(path) == 0 && !strcmp(path + n - 4, ".hbt"))
        ++*(unsigned *)arg;
}

int hb_cache_clear(const char *dir, unsigned *removed)
{
    *removed = 0;
    return each_entry(dir, remove_one, removed);
}
