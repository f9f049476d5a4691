/*
 * fork/exec for heapbench record.  The recorded child gets its environment
 * changed after fork, so heapbench's own environment (and its own heap) is
 * never recorded.  A failed exec is reported through a close-on-exec pipe:
 * the parent reads errno from it, or end-of-file when the exec succeeded.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "record/spawn.h"

static int set_recorder_env(const char *recorder, const char *raw_prefix)
{
    const char *old = getenv("LD_PRELOAD");
    size_t n = strlen(recorder) + (old ? strlen(old) : 0) + 2;
    char *preload = malloc(n);
    if (!preload)
        return -1;
    snprintf(preload, n, "%s%s%s", recorder, old && *old ? ":" : "", old ? old : "");
    int rc = setenv("LD_PRELOAD", preload, 1) | setenv("HB_RECORD_FILE", raw_prefix, 1) |
             unsetenv("HB_RECORD_DIR");
    free(preload);
    return rc;
}

static void child_exec(char *const *argv, const char *recorder, const char *raw_prefix, int errfd)
{
    int e = 0;
    if (set_recorder_env(recorder, raw_prefix) != 0)
        e = errno ? errno : ENOMEM;
    else {
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        execvp(argv[0], argv);
        e = errno;
    }
    ssize_t w = write(errfd, &e, sizeof e);
    (void)w;
    _exit(127);
}

int hb_rec_spawn(char *const *argv, const char *recorder, const char *raw_prefix,
                 long *child, int *wstatus, char *err, size_t errlen)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        child_exec(argv, recorder, raw_prefix, pipefd[1]);
    close(pipefd[1]);
    if (pid < 0) {
        close(pipefd[0]);
        snprintf(err, errlen, "cannot fork: %s", strerror(errno));
        return -1;
    }
    *child = pid;
    /* Like system(): an interrupt from the terminal stops the command, and
     * heapbench still writes what it recorded. */
    void (*old_int)(int) = signal(SIGINT, SIG_IGN);
    void (*old_quit)(int) = signal(SIGQUIT, SIG_IGN);
    int e = 0;
    ssize_t got = read(pipefd[0], &e, sizeof e);
    close(pipefd[0]);
    while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
        ;
    signal(SIGINT, old_int);
    signal(SIGQUIT, old_quit);
    if (got == (ssize_t)sizeof e) {
        snprintf(err, errlen, "cannot run '%s': %s", argv[0], strerror(e));
        return -1;
    }
    return 0;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reads the child's output until end-of-file or the deadline. */
static size_t read_until(int fd, char *buf, size_t cap, long deadline)
{
    size_t len = 0;
    for (;;) {
        long left = deadline - now_ms();
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return len;
        char tmp[4096];
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n <= 0)
            return len;
        size_t take = (size_t)n < cap - 1 - len ? (size_t)n : cap - 1 - len;
        memcpy(buf + len, tmp, take);
        len += take;
    }
}

/* Waits for pid to exit until the deadline; false if it is still running. */
static bool reaped_by(pid_t pid, long deadline, int *st)
{
    for (;;) {
        pid_t r = waitpid(pid, st, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return r == pid;
        if (now_ms() >= deadline)
            return false;
        struct timespec nap = { 0, 2000000 };
        nanosleep(&nap, NULL);
    }
}

/* Stdin from /dev/null, stdout into outfd, stderr there too or to /dev/null. */
static void capture_child(char *const *argv, bool with_stderr, int outfd)
{
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(outfd, 1);
    dup2(with_stderr || devnull < 0 ? outfd : devnull, 2);
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    setenv("LC_ALL", "C", 1);
    execvp(argv[0], argv);
    _exit(127);
}

int hb_rec_capture(char *const *argv, bool with_stderr, int timeout_ms, char *buf, size_t cap)
{
    int pipefd[2];
    buf[0] = '\0';
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        capture_child(argv, with_stderr, pipefd[1]);
    close(pipefd[1]);
    if (pid < 0) {
        close(pipefd[0]);
        return -1;
    }
    long deadline = now_ms() + timeout_ms;
    size_t len = read_until(pipefd[0], buf, cap, deadline);
    close(pipefd[0]);
    buf[len] = '\0';
    int st = 0;
    if (!reaped_by(pid, deadline, &st)) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
