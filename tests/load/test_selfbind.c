/*
 * A libc-contract library whose calloc and realloc call its own malloc
 * and free by name (tests/fixtures/libc_selfcall.c) replays ok on every
 * handmade trace: its calls reach its own functions, not the process's.
 * Bound to glibc instead, realloc ends in "free(): invalid pointer".
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "load/load.h"

/* The status column (the fourth) of the CSV row heapbench prints for the
 * cell, or the first line of its output when there is no row. */
static void run_cell(const char *lib, const char *trace, char *status, size_t len)
{
    char cmd[2048], line[4096] = "";
    snprintf(cmd, sizeof cmd, "'%s' run --isolate --csv --timing throughput '%s' '%s' 2>/dev/null",
             getenv("HB_HEAPBENCH"), lib, trace);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(line, sizeof line, p))
        line[0] = '\0';
    if (p)
        pclose(p);
    line[strcspn(line, "\n")] = '\0';
    const char *f = line;
    for (int i = 0; i < 3 && f; i++)
        f = strchr(f, ',') ? strchr(f, ',') + 1 : NULL;
    snprintf(status, len, "%s", f ? f : line);
    if (f)
        status[strcspn(status, ",")] = '\0';
    if (strcmp(status, "ok"))
        fprintf(stderr, "  %s: %s\n", trace, line);
}

static void test_selfcall_ok_on_every_handmade_trace(void)
{
    if (!hb_load_binds_to_self()) {
        fprintf(stderr, "  (sanitized build: libraries cannot be deep-bound; skipped)\n");
        return;
    }
    glob_t g;
    REQUIRE(glob("traces/handmade/*", 0, NULL, &g) == 0);
    CHECK(g.gl_pathc >= 4);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char status[256];
        run_cell(HB_TEST_FIXTURES "/libc_selfcall.so", g.gl_pathv[i], status, sizeof status);
        CHECK(!strcmp(status, "ok"));
    }
    globfree(&g);
}

/* In process too: the library's malloc is its own, and calloc's memory,
 * cleared by the library, reads zero after reuse of a dirty block. */
static void test_selfcall_in_process(void)
{
    if (!hb_load_binds_to_self())
        return;
    char err[512];
    hb_loaded *l = hb_load(HB_TEST_FIXTURES "/libc_selfcall.so", NULL, err, sizeof err);
    REQUIRE(l);
    CHECK(l->contract == HB_CONTRACT_LIBC);
    void *heap = hb_loaded_create(l, NULL, NULL, err, sizeof err);
    REQUIRE(heap);
    unsigned char *a = l->api->malloc(heap, 100);
    REQUIRE(a);
    memset(a, 0xAB, 100);
    l->api->free(heap, a);
    unsigned char *c = l->api->calloc(heap, 10, 10);
    REQUIRE(c);
    CHECK(c == a); /* the freed block of its class, reused */
    size_t nonzero = 0;
    for (int i = 0; i < 100; i++)
        nonzero += c[i] != 0;
    CHECK_EQ_U(nonzero, 0);
    memset(c, 0x5A, 100);
    unsigned char *r = l->api->realloc(heap, c, 1000);
    REQUIRE(r);
    CHECK(r[0] == 0x5A && r[99] == 0x5A);
    l->api->free(heap, r);
    hb_loaded_destroy(l, heap);
    hb_unload(l);
}

int main(void)
{
    RUN(test_selfcall_ok_on_every_handmade_trace);
    RUN(test_selfcall_in_process);
    return check_summary();
}
