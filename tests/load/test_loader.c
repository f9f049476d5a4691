/*
 * The loader: every contract loads and is recognised, and every way of
 * failing names the path and what was looked for.
 */
#include <stdlib.h>
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
    RUN(test_abi_mismatch);
    RUN(test_unknown_builtin);
    RUN(test_spec_labels);
    RUN(test_heaps_of_adapters);
    return check_summary();
}
