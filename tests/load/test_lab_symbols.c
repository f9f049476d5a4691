/*
 * Which lab-report functions are bound: the default names, a choice by
 * --symbols / symbols: that wins over them, and every mistake in a choice
 * (unknown role, missing symbol, a library of another contract) an error
 * naming it.  lab_twonames defines both allocate_memory (a helper) and
 * malloc_my_realize (the allocation function).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "load/load.h"
#include "run/config.h"
#include "run/plan.h"

#define TWONAMES HB_TEST_FIXTURES "/lab_twonames.so"

static char err[1024];

static hb_loaded *load_with(const char *spec, const char *symbols)
{
    hb_load_opts o = { .symbols = symbols };
    err[0] = '\0';
    return hb_load(spec, &o, err, sizeof err);
}

static void test_default_binding_says_what_else_exists(void)
{
    hb_loaded *l = load_with(TWONAMES, NULL);
    REQUIRE(l);
    CHECK(l->contract == HB_CONTRACT_LAB);
    CHECK(!strcmp(l->lab.allocate_name, "allocate_memory"));
    CHECK(l->lab.unused_alloc && !strcmp(l->lab.unused_alloc, "malloc_my_realize"));
    char d[600];
    hb_lab_describe(&l->lab, d, sizeof d);
    CHECK(!strcmp(d, "create=create_memory_manager alloc=allocate_memory free=release_memory "
                     "destroy=destroy_memory_manager"));
    hb_unload(l);
}

static void test_chosen_alloc_symbol(void)
{
    hb_loaded *l = load_with(TWONAMES, "alloc=malloc_my_realize");
    REQUIRE(l);
    CHECK(!strcmp(l->lab.allocate_name, "malloc_my_realize"));
    CHECK(!strcmp(l->lab.bound.name[HB_LAB_FREE], "release_memory"));
    CHECK(l->lab.unused_alloc == NULL);
    hb_unload(l);
    /* Every role can be named; the names are those of the library. */
    l = load_with(TWONAMES, "create=create_memory_manager,alloc=malloc_my_realize,"
                            "free=release_memory,destroy=destroy_memory_manager");
    CHECK(l != NULL);
    hb_unload(l);
}

static void test_choice_mistakes_are_named(void)
{
    CHECK(load_with(TWONAMES, "alloc=nosuch") == NULL);
    CHECK_STR_CONTAINS(err, "lab_twonames.so: symbols alloc=nosuch: the library does not "
                            "define nosuch");
    CHECK(load_with(TWONAMES, "allok=malloc_my_realize") == NULL);
    CHECK_STR_CONTAINS(err, "unknown role 'allok': expected create, alloc, free or destroy");
    CHECK(load_with(TWONAMES, "alloc=a,alloc=b") == NULL);
    CHECK_STR_CONTAINS(err, "role alloc given twice");
    CHECK(load_with(TWONAMES, "alloc") == NULL);
    CHECK_STR_CONTAINS(err, "expected ROLE=NAME, got 'alloc'");
    CHECK(load_with(HB_TEST_FIXTURES "/crash_at_100.so", "alloc=malloc") == NULL);
    CHECK_STR_CONTAINS(err, "has the native one (heapbench_allocator)");
    /* a libc-contract library has no lab-report roles */
    CHECK(load_with(HB_TEST_FIXTURES "/libc_bump.so", "alloc=malloc") == NULL);
    CHECK_STR_CONTAINS(err, "no lab-report contract: no symbol for role create");
    CHECK(load_with("mmap", "alloc=x") == NULL);
    CHECK_STR_CONTAINS(err, "mmap: symbols are chosen");
}

/* symbols: in bench.yaml, as a mapping or a string; a bad role is located. */
static void test_config_symbols_and_check(void)
{
    static const char good[] =
        "allocators:\n"
        "  - {name: a, path: x/lab.so, symbols: {alloc: malloc_my_realize, free: rel}}\n"
        "  - {name: b, path: x/lab.so, symbols: 'alloc=m'}\n"
        "traces: [t.trace]\ncheck: true\n";
    hb_config c;
    char e[1024] = "";
    REQUIRE(hb_config_parse("s.yaml", good, strlen(good), &c, e, sizeof e) == 0);
    CHECK(c.allocs[0].symbols && !strcmp(c.allocs[0].symbols, "alloc=malloc_my_realize,free=rel"));
    CHECK(c.allocs[1].symbols && !strcmp(c.allocs[1].symbols, "alloc=m"));
    CHECK(c.check);
    hb_config_free(&c);
    static const char bad[] = "allocators:\n"
                              "  - {name: a, path: x/lab.so, symbols: {allok: m}}\n"
                              "traces: [t.trace]\ncheck: perhaps\n";
    CHECK(hb_config_parse("s.yaml", bad, strlen(bad), &c, e, sizeof e) == -1);
    CHECK_STR_CONTAINS(e, "s.yaml:2:40: error: symbols: unknown role 'allok'");
    CHECK_STR_CONTAINS(e, "s.yaml:4:8: error: check: expected true or false");
}

/* The cell's command line carries the choice and --check. */
static void test_plan_passes_symbols_and_check(void)
{
    static const char text[] =
        "allocators:\n"
        "  - {name: lab, path: " TWONAMES ", symbols: {alloc: malloc_my_realize}}\n"
        "traces: [traces/handmade/every-op.trace]\ncheck: true\n";
    hb_config c;
    hb_plan p;
    char e[1024] = "";
    REQUIRE(hb_config_parse("p.yaml", text, strlen(text), &c, e, sizeof e) == 0);
    REQUIRE(hb_plan_build(&c, NULL, &p, NULL, e, sizeof e) == 0);
    REQUIRE(p.ncells == 1);
    char **argv = hb_plan_argv(&p, &p.cells[0]);
    bool sym = false, check = false;
    for (size_t i = 0; argv[i]; i++) {
        sym |= !strcmp(argv[i], "--symbols") && argv[i + 1] &&
               !strcmp(argv[i + 1], "alloc=malloc_my_realize");
        check |= !strcmp(argv[i], "--check");
    }
    CHECK(sym && check);
    hb_argv_free(argv);
    hb_plan_free(&p);
    hb_config_free(&c);
}

/* heapbench run prints the bound symbols in its header, and what else the
 * library defines when nothing was chosen. */
static void test_run_header(void)
{
    char cmd[1024], out[8192] = "";
    snprintf(cmd, sizeof cmd, "'%s' run --timing throughput %s traces/handmade/every-op.trace",
             getenv("HB_HEAPBENCH"), TWONAMES);
    FILE *f = popen(cmd, "r");
    REQUIRE(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    pclose(f);
    CHECK_STR_CONTAINS(out, "  symbols: create=create_memory_manager alloc=allocate_memory "
                            "free=release_memory destroy=destroy_memory_manager\n");
    CHECK_STR_CONTAINS(out, "also defines malloc_my_realize, not bound (choose with "
                            "--symbols alloc=NAME)");
    snprintf(cmd, sizeof cmd, "'%s' run --symbols alloc=malloc_my_realize --timing throughput "
             "%s traces/handmade/realloc-ladder.trace", getenv("HB_HEAPBENCH"), TWONAMES);
    REQUIRE((f = popen(cmd, "r")));
    n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    CHECK(pclose(f) == 0);
    CHECK_STR_CONTAINS(out, "alloc=malloc_my_realize");
    CHECK_STR_CONTAINS(out, "status       ok");
}

int main(void)
{
    RUN(test_default_binding_says_what_else_exists);
    RUN(test_chosen_alloc_symbol);
    RUN(test_choice_mistakes_are_named);
    RUN(test_config_symbols_and_check);
    RUN(test_plan_passes_symbols_and_check);
    RUN(test_run_header);
    return check_summary();
}
