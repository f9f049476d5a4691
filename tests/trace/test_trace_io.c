/*
 * Trace files: .xz and .gz written here with liblzma and zlib and read
 * back identical to the plain file; damaged compressed files named in the
 * error; the binary cache (a hit maps the entry and yields the same trace;
 * a damaged or truncated entry is ignored and the file parsed again).
 */
#include <errno.h>
#include <lzma.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "trace/cache.h"
#include "trace_util.h"

static char tmpdir[256];

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static int spit(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int rc = fwrite(p, 1, n, f) == n ? 0 : -1;
    return fclose(f) == 0 ? rc : -1;
}

static char *tmp_path(const char *name)
{
    static char buf[4][512];
    static unsigned i;
    char *p = buf[i++ % 4];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static size_t xz_compress(const char *in, size_t n, uint8_t *out, size_t cap)
{
    size_t pos = 0;
    return lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)in, n, out, &pos,
                                   cap) == LZMA_OK ? pos : 0;
}

static size_t gz_compress(const char *in, size_t n, uint8_t *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int r = deflate(&z, Z_FINISH);
    size_t len = cap - z.avail_out;
    deflateEnd(&z);
    return r == Z_STREAM_END ? len : 0;
}

static void roundtrip(const char *suffix, size_t (*compress)(const char *, size_t, uint8_t *, size_t))
{
    size_t n;
    char *text = slurp(HANDMADE "/every-op.trace", &n);
    REQUIRE(text);
    size_t cap = n + 1024;
    uint8_t *z = malloc(cap);
    size_t zn = compress(text, n, z, cap);
    REQUIRE(zn > 0);
    char name[64];
    snprintf(name, sizeof name, "every-op.trace%s", suffix);
    const char *path = tmp_path(name);
    REQUIRE(spit(path, z, zn) == 0);

    hb_trace plain, packed;
    captured c1, c2;
    REQUIRE(load_file(HANDMADE "/every-op.trace", NULL, &plain, &c1) == 0);
    REQUIRE(load_file(path, NULL, &packed, &c2) == 0);
    CHECK(same_ops(&plain, &packed));
    CHECK(!strcmp(packed.name, "every-op"));
    CHECK_EQ_U(packed.content_hash, plain.content_hash);
    hb_trace_release(&packed);
    cap_free(&c2);

    /* the magic decides when the name has no compression suffix */
    const char *bare = tmp_path("bare-every-op.trace");
    REQUIRE(spit(bare, z, zn) == 0);
    REQUIRE(load_file(bare, NULL, &packed, &c2) == 0);
    CHECK(same_ops(&plain, &packed));
    hb_trace_release(&packed);
    cap_free(&c2);

    /* cut in half: an error naming the file */
    REQUIRE(spit(path, z, zn / 2) == 0);
    CHECK(load_file(path, NULL, &packed, &c2) < 0);
    char want[600];
    snprintf(want, sizeof want, "%s: error: cannot decompress: ", path);
    CHECK_STR_CONTAINS(c2.text, want);
    cap_free(&c2);
    hb_trace_release(&plain);
    cap_free(&c1);
    free(z);
    free(text);
}

static void test_xz_roundtrip(void)
{
    roundtrip(".xz", xz_compress);
}

static void test_gz_roundtrip(void)
{
    roundtrip(".gz", gz_compress);
}

static void test_wrong_magic(void)
{
    hb_trace t;
    captured c;
    CHECK(load_file(TRACE_DATA "/bad/not-xz.trace.xz", NULL, &t, &c) < 0);
    CHECK_STR_CONTAINS(c.text, "not-xz.trace.xz: error: expected xz data (magic bytes "
                               "FD 37 7A 58 5A 00), got something else");
    cap_free(&c);
    const char *p = tmp_path("plain.trace.gz");
    REQUIRE(spit(p, "a 1 1\n", 6) == 0);
    CHECK(load_file(p, NULL, &t, &c) < 0);
    CHECK_STR_CONTAINS(c.text, "plain.trace.gz: error: expected gzip data (magic bytes 1F 8B)");
    cap_free(&c);
}

static void test_missing_file(void)
{
    hb_trace t;
    captured c;
    CHECK(load_file(TRACE_DATA "/no/such.trace", NULL, &t, &c) < 0);
    CHECK_STR_CONTAINS(c.text, "no/such.trace: error: cannot open: No such file or directory");
    cap_free(&c);
    CHECK(load_file(TRACE_DATA, NULL, &t, &c) < 0);
    CHECK_STR_CONTAINS(c.text, "error: expected a trace file, got a directory");
    cap_free(&c);
}

/* The only entry file in dir (there is one per test run). */
static int entry_of(const char *dir, char *out, size_t cap)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls %s/*.hbt 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    int ok = p && fgets(out, (int)cap, p) != NULL;
    if (p)
        pclose(p);
    if (ok)
        out[strcspn(out, "\n")] = '\0';
    return ok ? 0 : -1;
}

static void test_cache_hit_and_damage(void)
{
    char *dir = tmp_path("cache");
    hb_trace_load_opts o = { .use_cache = true, .cache_dir = dir };
    hb_trace first, second, third;
    captured c;
    REQUIRE(load_file(HANDMADE "/every-op.trace", &o, &first, &c) == 0);
    cap_free(&c);
    CHECK(!first.storage_mapped_);
    char entry[600];
    REQUIRE(entry_of(dir, entry, sizeof entry) == 0);

    REQUIRE(load_file(HANDMADE "/every-op.trace", &o, &second, &c) == 0);
    cap_free(&c);
    CHECK(second.storage_mapped_);
    CHECK(same_ops(&first, &second));
    CHECK(!strcmp(second.name, "every-op"));
    CHECK(second.description && !strcmp(second.description, first.description));
    CHECK(second.metadata && !strcmp(second.metadata, first.metadata));
    CHECK_EQ_U(second.content_hash, first.content_hash);
    hb_trace_release(&second);

    /* flip one byte of the last op: the payload hash no longer matches */
    size_t n;
    char *bytes = slurp(entry, &n);
    REQUIRE(bytes && n > 24);
    bytes[n - 20] ^= 0x40;
    REQUIRE(spit(entry, bytes, n) == 0);
    REQUIRE(load_file(HANDMADE "/every-op.trace", &o, &third, &c) == 0);
    cap_free(&c);
    CHECK(!third.storage_mapped_); /* parsed again, and the entry rewritten */
    CHECK(same_ops(&first, &third));
    hb_trace_release(&third);
    REQUIRE(load_file(HANDMADE "/every-op.trace", &o, &third, &c) == 0);
    cap_free(&c);
    CHECK(third.storage_mapped_);
    hb_trace_release(&third);

    /* truncated */
    bytes[n - 20] ^= 0x40;
    REQUIRE(spit(entry, bytes, n - 24) == 0);
    REQUIRE(load_file(HANDMADE "/every-op.trace", &o, &third, &c) == 0);
    cap_free(&c);
    CHECK(!third.storage_mapped_);
    CHECK(same_ops(&first, &third));
    hb_trace_release(&third);

    /* garbage of the right size */
    memset(bytes, 'x', n);
    REQUIRE(spit(entry, bytes, n) == 0);
    REQUIRE(load_file(HANDMADE "/every-op.trace", &o, &third, &c) == 0);
    cap_free(&c);
    CHECK(!third.storage_mapped_);
    hb_trace_release(&third);
    free(bytes);
    hb_trace_release(&first);
}

/* Same bytes under another name: a hit, but the name is the new file's. */
static void test_cache_name_follows_path(void)
{
    char *dir = tmp_path("cache2");
    hb_trace_load_opts o = { .use_cache = true, .cache_dir = dir };
    const char *a = tmp_path("alpha.trace"), *b = tmp_path("beta.trace.gz");
    const char *text = "a 1 10\nf 1\n";
    uint8_t z[256];
    size_t zn = gz_compress(text, strlen(text), z, sizeof z);
    REQUIRE(spit(a, text, strlen(text)) == 0);
    REQUIRE(zn && spit(b, z, zn) == 0);
    hb_trace t;
    captured c;
    REQUIRE(load_file(a, &o, &t, &c) == 0);
    CHECK(!strcmp(t.name, "alpha"));
    hb_trace_release(&t);
    cap_free(&c);
    REQUIRE(load_file(a, &o, &t, &c) == 0);
    CHECK(t.storage_mapped_);
    CHECK(!strcmp(t.name, "alpha"));
    CHECK(!strcmp(t.path, a));
    hb_trace_release(&t);
    cap_free(&c);
    /* compressed bytes differ, so a miss, then a hit */
    REQUIRE(load_file(b, &o, &t, &c) == 0);
    CHECK(!t.storage_mapped_);
    hb_trace_release(&t);
    cap_free(&c);
    REQUIRE(load_file(b, &o, &t, &c) == 0);
    CHECK(t.storage_mapped_);
    CHECK(!strcmp(t.name, "beta"));
    hb_trace_release(&t);
    cap_free(&c);
}

static void test_cache_dir_from_env(void)
{
    char *dir = tmp_path("envcache/nested");
    setenv("HB_CACHE_DIR", dir, 1);
    hb_trace_load_opts o = { .use_cache = true };
    hb_trace t;
    captured c;
    REQUIRE(load_file(HANDMADE "/lab-3header.rep", &o, &t, &c) == 0);
    hb_trace_release(&t);
    cap_free(&c);
    char entry[600];
    CHECK(entry_of(dir, entry, sizeof entry) == 0); /* made, with its parents */
    unsetenv("HB_CACHE_DIR");
}

static void test_bad_trace_is_not_cached(void)
{
    char *dir = tmp_path("cache3");
    hb_trace_load_opts o = { .use_cache = true, .cache_dir = dir };
    hb_trace t;
    captured c;
    CHECK(load_file(TRACE_DATA "/bad/errors.trace", &o, &t, &c) < 0);
    cap_free(&c);
    char entry[600];
    CHECK(entry_of(dir, entry, sizeof entry) < 0);
    CHECK(load_file(TRACE_DATA "/bad/errors.trace", &o, &t, &c) < 0);
    CHECK_EQ_U(c.d.errors, 20);
    cap_free(&c);
}

/* An entry whose hash is right but whose ops the replay could not trust
 * (a slot out of range, a thread past the count) is not used. */
static void test_cache_checks_ops(void)
{
    char *dir = tmp_path("cache4");
    REQUIRE(mkdir(dir, 0700) == 0 || errno == EEXIST);
    hb_trace t;
    captured c;
    REQUIRE(parse_str("x.trace", "a 1 10\na 2 20\nf 1\nf 2\n", HB_FMT_NATIVE, &t, &c) == 0);
    cap_free(&c);
    hb_op *ops = malloc(t.nops * sizeof *ops);
    memcpy(ops, t.ops, t.nops * sizeof *ops);
    hb_trace bad = t;
    bad.ops = ops;
    ops[2].slot = t.nslots + 5;
    REQUIRE(hb_cache_write(dir, 42, &bad) == 0);
    hb_trace back;
    CHECK(hb_cache_read(dir, 42, &back) < 0);
    ops[2].slot = t.ops[2].slot;
    ops[1].thread = 3;
    REQUIRE(hb_cache_write(dir, 43, &bad) == 0);
    CHECK(hb_cache_read(dir, 43, &back) < 0);
    ops[1].thread = 0;
    REQUIRE(hb_cache_write(dir, 44, &bad) == 0);
    REQUIRE(hb_cache_read(dir, 44, &back) == 0); /* the same ops are fine */
    CHECK_EQ_U(back.nops, t.nops);
    hb_trace_release(&back);
    free(ops);
    hb_trace_release(&t);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hb_test_trace_io.%ld", (long)getpid());
    if (mkdir(tmpdir, 0700) < 0) {
        perror(tmpdir);
        return 1;
    }
    RUN(test_xz_roundtrip);
    RUN(test_gz_roundtrip);
    RUN(test_wrong_magic);
    RUN(test_missing_file);
    RUN(test_cache_hit_and_damage);
    RUN(test_cache_name_follows_path);
    RUN(test_cache_dir_from_env);
    RUN(test_bad_trace_is_not_cached);
    RUN(test_cache_checks_ops);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary();
}
