/*
 * The library probe (see probe.h).  The child writes the loader's message
 * to a pipe and exits 1; a library that kills it or hangs in its
 * constructor is reported by how it ended.
 */
#include "run/probe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "load/load.h"
#include "osmem/osmem.h"
#include "run/plan.h"

#define PROBE_SECONDS 10

static void child(int fd, const char *target, uint64_t arena, const char *options)
{
    char err[1024] = "";
    hb_load_opts lo = { .arena_size = (size_t)arena };
    alarm(PROBE_SECONDS);
    hb_loaded *l = hb_load(target, &lo, err, sizeof err);
    hb_osmem *mem = l ? hb_osmem_new(0, 0) : NULL;
    void *heap = mem ? hb_loaded_create(l, hb_osmem_source(mem), options, err, sizeof err) : NULL;
    if (l && !mem)
        snprintf(err, sizeof err, "cannot reserve the memory source");
    if (heap)
        hb_loaded_destroy(l, heap);
    else if (write(fd, err, strlen(err)) < 0)
        _exit(2);
    _exit(heap ? 0 : 1);
}

/* Reads what the child wrote, until it closes the pipe. */
static size_t read_reason(int fd, char *why, size_t len)
{
    size_t n = 0;
    while (n + 1 < len) {
        ssize_t r = read(fd, why + n, len - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    why[n] = '\0';
    return n;
}

int hb_probe_library(const char *target, uint64_t arena, const char *options, char *why,
                     size_t len)
{
    int p[2];
    if (pipe(p) < 0)
        return 0; /* no probe: the cells will say */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        child(p[1], target, arena, options);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return 0;
    }
    size_t n = read_reason(p[0], why, len);
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
        snprintf(why, len, "loading did not finish within %d s", PROBE_SECONDS);
    else if (WIFSIGNALED(st))
        snprintf(why, len, "the process died of signal %d (%s) while loading it", WTERMSIG(st),
                 strsignal(WTERMSIG(st)));
    else if (!n)
        snprintf(why, len, "loading it failed (exit status %d)", WEXITSTATUS(st));
    return -1;
}

/* The allocator names of cfg, comma-separated, for a message. */
static void alloc_names(const hb_config *cfg, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < cfg->nallocs && n < len; i++)
        n += (size_t)snprintf(out + n, len - n, "%s%s", i ? ", " : "", cfg->allocs[i].name);
}

/* A run without cells would leave an empty folder and move results/latest
 * to it: a filter that selects no allocator is a mistake to name. */
static int check_selection(const hb_plan *p, const char *filter, hb_errs *errs)
{
    const hb_config *cfg = p->cfg;
    char names[1024];
    if (p->ncells)
        return 0;
    alloc_names(cfg, names, sizeof names);
    if (filter) {
        bool any = false;
        for (size_t i = 0; i < cfg->nallocs; i++)
            any = any || hb_filter_match(filter, cfg->allocs[i].name);
        hb_errs_add(errs, "heapbench bench: --filter-allocator '%s': expected it to match %s "
                    "of the allocators (%s)", filter, any ? "an installed one" : "one", names);
    } else {
        hb_errs_add(errs, "heapbench bench: no cell to run: none of the allocators (%s) is "
                    "installed", names);
    }
    return -1;
}

/* Each library given by path or built with the suite is loaded once, in a
 * child, before the first cell: one that exists but cannot load is named
 * with the loader's reason, as a missing one is. */
static int check_libraries(const hb_plan *p, hb_errs *errs)
{
    const hb_config *cfg = p->cfg;
    int rc = 0;
    for (size_t i = 0; i < cfg->nallocs; i++) {
        const hb_alloc_spec *a = &cfg->allocs[i];
        const hb_alloc_where *w = &p->where[i];
        char why[1024];
        if (!p->use[i] || (w->kind != HB_AK_LIBRARY && w->kind != HB_AK_SUITE))
            continue;
        if (hb_probe_library(w->target, a->arena ? a->arena : cfg->arena, a->options, why,
                             sizeof why) == 0)
            continue;
        hb_errs_add(errs, "%s:%u:%u: error: allocator '%s': library %s cannot be loaded: %s",
                    cfg->path, a->line, a->col, a->name, w->library, why);
        rc = -1;
    }
    return rc;
}

int hb_plan_check(const hb_plan *p, const char *filter_allocators, char *err, size_t errlen)
{
    hb_errs errs;
    hb_errs_init(&errs, err, errlen);
    int rc = check_selection(p, filter_allocators, &errs);
    if (rc == 0)
        rc = check_libraries(p, &errs);
    hb_errs_end(&errs);
    return rc;
}
