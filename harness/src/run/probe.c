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
