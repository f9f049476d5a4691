/*
 * The loader: every contract loads and is recognised, and every way of
 * failing names the path and what was looked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "load/load.h"
#include "osmem/osmem.h"

static char err[1024];

static hb_loaded *load(const char *spec)
{
    err[0] = '\0';
    return hb_load(spec, NULL, err, sizeof err);
}

static void test_native_fixture(void)
{
    hb_loaded *l = load(HB_TEST_FIXTURES "/crash_at_100.so");
    REQUIRE(l);
    CHECK(l->contract == HB_CONTRACT_NATIVE);
    CHECK(l->footprint == HB_FOOTPRINT_MEMSRC);
    CHECK(!strcmp(l->name, "crash_at_100")); /* the table's name */
    CHECK(l->api->malloc && l->api->free && !l->api->realloc);
    hb_unload(l);
}

static void test_lab_contracts(void)
{
    hb_loaded *l = load(HB_TEST_FIXTURES "/lab_firstfit.so");
    REQUIRE(l);
    CHECK(l->contract == HB_CONTRACT_LAB);
    CHECK(l->footprint == HB_FOOTPRINT_ARENA);
    CHECK(!strcmp(l->lab.allocate_name, "allocate_memory"));
    CHECK(l->arena_size == HB_DEFAULT_ARENA);
    CHECK(!strcmp(l->name, "lab_firstfit"));
    hb_unload(l);
    hb_load_opts o = { .arena_size = 1 << 20 };
    l = hb_load(HB_TEST_FIXTURES "/lab_legacy.so", &o, err, sizeof err);
    REQUIRE(l);
    CHECK(l->contract == HB_CONTRACT_LAB);
    CHECK(!strcmp(l->lab.allocate_name, "malloc_my_realize"));
    CHECK(l->arena_size == 1 << 20);
    hb_unload(l);
}

/* libc_bump defines malloc, free, realloc and calloc only: the aligned and
 * usable-size functions of the libc it links against must not be taken
 * for its own. */
static void test_libc_contract_own_symbols_only(void)
{
    hb_loaded *l = load(HB_TEST_FIXTURES "/libc_bump.so");
    REQUIRE(l);
    CHECK(l->contract == HB_CONTRACT_LIBC);
    CHECK(l->footprint == HB_FOOTPRINT_RSS);
    CHECK(l->api->realloc && l->api->calloc);
    CHECK(!l->api->aligned_alloc && !l->api->usable_size);
    CHECK(!hb_loaded_fresh_heaps(l));
    hb_unload(l);
}

static void test_builtin_system_and_baseline(void)
{
    hb_loaded *l = load("glibc");
    REQUIRE(l);
    CHECK(l->contract == HB_CONTRACT_LIBC);
    CHECK(l->api->aligned_alloc && l->api->usable_size && l->api->realloc);
    CHECK(!strcmp(l->name, "glibc"));
    hb_unload(l);
    l = load("mmap");
    REQUIRE(l);
    CHECK(l->contract == HB_CONTRACT_BASELINE);
    CHECK(l->api->check != NULL);
    CHECK(!strcmp(l->name, "mmap"));
    hb_unload(l);
}

static void test_builtin_suite_library(void)
{
    if (access(HB_ALLOCATOR_DIR "/segfit.so", R_OK) != 0) {
        fprintf(stderr, "  (segfit.so not built; skipped)\n");
        return;
    }
    hb_loaded *l = load("segfit");
    REQUIRE(l);
    CHECK(l->contract == HB_CONTRACT_NATIVE);
    CHECK_STR_CONTAINS(l->path, "/allocators/segfit.so");
    CHECK(!strcmp(l->name, "segfit"));
    hb_unload(l);
}

static void test_missing_file_names_path_and_dlerror(void)
{
    CHECK(load("/nonexistent/dir/liballoc.so") == NULL);
    CHECK_STR_CONTAINS(err, "/nonexistent/dir/liballoc.so");
    CHECK_STR_CONTAINS(err, "No such file or directory");
    CHECK(load("./relative-missing.so") == NULL);
    CHECK_STR_CONTAINS(err, "./relative-missing.so");
}

static void test_no_contract_names_symbols(void)
{
    CHECK(load(HB_TEST_FIXTURES "/no_contract.so") == NULL);
    CHECK_STR_CONTAINS(err, "no_contract.so");
    CHECK_STR_CONTAINS(err, "heapbench_allocator");
    CHECK_STR_CONTAINS(err, "create_memory_manager");
    CHECK_STR_CONTAINS(err, "malloc_my_realize");
    CHECK_STR_CONTAINS(err, "malloc free (libc)");
    /* what dlsym itself said */
    CHECK_STR_CONTAINS(err, "no_contract.so: no allocator contract (dlsym: undefined symbol: ");
}

/* Copies the file at from to the file at to. */
static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char buf[65536];
    size_t n;
    int rc = in && out ? 0 : -1;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    if (in)
        fclose(in);
    if (out && fclose(out))
        rc = -1;
    return rc;
}

/* A bare file name is a file of the working directory, not a name for the
 * dynamic linker's search; a versioned soname counts as a library name;
 * a built-in name wins over a file of the same name. */
static void test_names_in_working_directory(void)
{
    char cwd[1024], dir[] = "/tmp/hb-loader-XXXXXX";
    REQUIRE(getcwd(cwd, sizeof cwd) && mkdtemp(dir));
    REQUIRE(chdir(HB_TEST_FIXTURES) == 0);
    hb_loaded *l = load("lab_firstfit.so");
    CHECK(l && l->contract == HB_CONTRACT_LAB);
    if (l)
        CHECK(!strcmp(l->path, "./lab_firstfit.so"));
    hb_unload(l);

    REQUIRE(chdir(dir) == 0);
    REQUIRE(copy_file(HB_TEST_FIXTURES "/lab_legacy.so", "liblab.so.1") == 0);
    REQUIRE(copy_file(HB_TEST_FIXTURES "/lab_legacy.so", "liblab.so.1.2.3") == 0);
    REQUIRE(copy_file(HB_TEST_FIXTURES "/lab_legacy.so", "mmap") == 0);
    static const char *const versioned[] = { "liblab.so.1", "liblab.so.1.2.3" };
    for (size_t i = 0; i < 2; i++) {
        l = load(versioned[i]);
        CHECK(l && l->contract == HB_CONTRACT_LAB);
        if (!l) {
            fprintf(stderr, "  %s: %s\n", versioned[i], err);
            continue;
        }
        CHECK(!strcmp(l->name, "liblab"));
        CHECK(!strncmp(l->path, "./liblab.so.1", 13));
        hb_unload(l);
    }
    l = load("mmap");
    CHECK(l && l->contract == HB_CONTRACT_BASELINE);
    hb_unload(l);

    /* Not a file here: the dynamic linker's search path, which holds the
     * C library. */
    l = load("libc.so.6");
    CHECK(l && l->contract == HB_CONTRACT_LIBC);
    hb_unload(l);
    CHECK(load("libnothere.so.7") == NULL);
    CHECK_STR_CONTAINS(err, "cannot load allocator library libnothere.so.7");
    CHECK(load("libnothere.so.x") == NULL);
    CHECK_STR_CONTAINS(err, "unknown allocator 'libnothere.so.x'");

    unlink("liblab.so.1");
    unlink("liblab.so.1.2.3");
    unlink("mmap");
    REQUIRE(chdir(cwd) == 0);
    rmdir(dir);
}

static void test_abi_mismatch(void)
{
    CHECK(load(HB_TEST_FIXTURES "/bad_abi.so") == NULL);
    CHECK_STR_CONTAINS(err, "bad_abi.so");
    CHECK_STR_CONTAINS(err, "ABI version 99");
}

static void test_unknown_builtin(void)
{
    CHECK(load("nosuchalloc") == NULL);
    CHECK_STR_CONTAINS(err, "unknown allocator 'nosuchalloc'");
    CHECK(load("") == NULL);
}

static void test_spec_labels(void)
{
    char b[64];
    hb_spec_label("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", b, sizeof b);
    CHECK(!strcmp(b, "libjemalloc"));
    hb_spec_label("./buddy.so", b, sizeof b);
    CHECK(!strcmp(b, "buddy"));
    hb_spec_label("tcmalloc", b, sizeof b);
    CHECK(!strcmp(b, "tcmalloc"));
    hb_spec_label("libmine.so.1.0", b, sizeof b);
    CHECK(!strcmp(b, "libmine"));
}

/* A lab heap maps its arena from the memory source and serves from it; a
 * libc heap takes no options. */
static void test_heaps_of_adapters(void)
{
    hb_load_opts o = { .arena_size = 1 << 20 };
    hb_loaded *l = hb_load(HB_TEST_FIXTURES "/lab_firstfit.so", &o, err, sizeof err);
    REQUIRE(l);
    hb_osmem *m = hb_osmem_new(0, 0);
    REQUIRE(m);
    void *h = hb_loaded_create(l, hb_osmem_source(m), NULL, err, sizeof err);
    REQUIRE(h);
    void *arena;
    size_t len;
    CHECK(hb_loaded_arena(l, h, &arena, &len) && len == 1 << 20);
    CHECK(hb_osmem_stats_of(m)->map_bytes == 1 << 20);
    char *p = l->api->malloc(h, 1000);
    CHECK(p && p > (char *)arena && p + 1000 <= (char *)arena + len);
    CHECK(l->api->free(h, p) == HB_FREE_OK);
    hb_loaded_destroy(l, h);
    CHECK(hb_osmem_stats_of(m)->map_bytes == 0);
    hb_osmem_free(m);
    hb_unload(l);

    hb_loaded *g = load("glibc");
    REQUIRE(g);
    CHECK(hb_loaded_create(g, NULL, "x=1", err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "takes no options");
    CHECK(hb_loaded_create(g, NULL, NULL, err, sizeof err) != NULL);
    hb_unload(g);
}

int main(void)
{
    RUN(test_native_fixture);
    RUN(test_lab_contracts);
    RUN(test_libc_contract_own_symbols_only);
    RUN(test_builtin_system_and_baseline);
    RUN(test_builtin_suite_library);
    RUN(test_missing_file_names_path_and_dlerror);
    RUN(test_no_contract_names_symbols);
    RUN(test_names_in_working_directory);
    RUN(test_abi_mismatch);
    RUN(test_unknown_builtin);
    RUN(test_spec_labels);
    RUN(test_heaps_of_adapters);
    return check_summary();
}
