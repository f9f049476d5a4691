#define _GNU_SOURCE /* pipe2 */
#include "run/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUT_LIMIT (1u << 20)
#define ERR_LIMIT (256u << 10)

bool hb_in_job(void)
{
    const char *v = getenv(HB_JOB_PID_ENV);
    if (!v || !*v)
        return false;
    char *end;
    long pid = strtol(v, &end, 10);
    return !*end && pid == (long)getpid();
}

double hb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The child: its own process group, output on the pipes, no stdin, its
 * pid in HB_JOB_PID_ENV (the parent is single-threaded, so setenv is safe
 * between fork and exec), and killed with its parent: a parent killed
 * outright cannot pass the signal on, and a hung child would spin on. */
static void exec_child(char *const argv[], int out_w, int err_w, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv(HB_JOB_PID_ENV, pid, 1);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, STDIN_FILENO);
    dup2(out_w, STDOUT_FILENO);
    dup2(err_w, STDERR_FILENO);
    execv(argv[0], argv);
    dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

int hb_job_start(hb_job *j, char *const argv[], double timeout_s)
{
    memset(j, 0, sizeof *j);
    j->fd[0] = j->fd[1] = -1;
    j->out.limit = OUT_LIMIT;
    j->err.limit = ERR_LIMIT;
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC))
        return -1;
    if (pipe2(err, O_CLOEXEC)) {
        close(out[0]), close(out[1]);
        return -1;
    }
    fflush(NULL);
    pid_t parent = getpid(), pid = fork();
    if (pid == 0)
        exec_child(argv, out[1], err[1], parent);
    close(out[1]), close(err[1]);
    if (pid < 0) {
        close(out[0]), close(err[0]);
        return -1;
    }
    setpgid(pid, pid); /* also here, so no signal can reach it before the child's own call */
    j->pid = pid;
    j->fd[0] = out[0];
    j->fd[1] = err[0];
    for (int i = 0; i < 2; i++)
        fcntl(j->fd[i], F_SETFL, fcntl(j->fd[i], F_GETFL) | O_NONBLOCK);
    j->timeout_s = timeout_s;
    j->started = hb_now();
    j->deadline = j->started + timeout_s;
    return 0;
}

size_t hb_job_fds(const hb_job *j, struct pollfd *p)
{
    size_t n = 0;
    for (int i = 0; i < 2; i++)
        if (j->fd[i] >= 0)
            p[n++] = (struct pollfd){ .fd = j->fd[i], .events = POLLIN };
    return n;
}

/* The fault line comes last, so it is looked for in every stderr line as
 * it arrives, even past what the buffer keeps. */
static void end_line(hb_job *j)
{
    j->line_[j->line_len_] = '\0';
    if (!strncmp(j->line_, "#HB-FAULT", 9))
        memcpy(j->fault, j->line_, j->line_len_ + 1);
    j->line_len_ = 0;
}

static void scan_lines(hb_job *j, const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '\n')
            end_line(j);
        else if (j->line_len_ < sizeof j->line_ - 1)
            j->line_[j->line_len_++] = s[k];
    }
}

static void drain(hb_job *j, int i)
{
    char chunk[16384];
    while (j->fd[i] >= 0) {
        ssize_t n = read(j->fd[i], chunk, sizeof chunk);
        if (n > 0) {
            hb_buf_put(i ? &j->err : &j->out, chunk, (size_t)n);
            if (i)
                scan_lines(j, chunk, (size_t)n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            if (n == 0 || errno != EAGAIN) {
                close(j->fd[i]);
                j->fd[i] = -1;
            }
            return;
        }
    }
}

/* The child has exited but is not reaped yet, so its pid still names the
 * process group: anything it left behind is killed before the pid can be
 * reused, then the child is reaped. */
static bool try_reap(hb_job *j)
{
    siginfo_t si = { 0 };
    if (waitid(P_PID, (id_t)j->pid, &si, WEXITED | WNOHANG | WNOWAIT) || si.si_pid != j->pid)
        return false;
    kill(-j->pid, SIGKILL);
    while (waitpid(j->pid, &j->wstatus, 0) < 0 && errno == EINTR)
        ;
    j->reaped = true;
    j->elapsed_s = hb_now() - j->started;
    return true;
}

static void enforce_deadline(hb_job *j)
{
    double now = hb_now();
    if (!j->timed_out && now >= j->deadline) {
        kill(-j->pid, SIGTERM);
        j->timed_out = true;
        j->kill_at = now + HB_JOB_KILL_GRACE_S;
    } else if (j->timed_out && j->kill_at > 0 && now >= j->kill_at) {
        kill(-j->pid, SIGKILL);
        j->kill_at = 0;
    }
}

bool hb_job_step(hb_job *j)
{
    drain(j, 0);
    drain(j, 1);
    if (!j->reaped && try_reap(j)) {
        drain(j, 0);
        drain(j, 1);
        for (int i = 0; i < 2; i++)
            if (j->fd[i] >= 0) {
                close(j->fd[i]);
                j->fd[i] = -1;
            }
        end_line(j);
    }
    if (j->reaped)
        return true;
    enforce_deadline(j);
    return false;
}

int hb_job_wait_ms(const hb_job *j)
{
    /* Pipes close a moment before the child becomes reapable. */
    if (j->fd[0] < 0 && j->fd[1] < 0)
        return 5;
    double next = j->timed_out ? j->kill_at : j->deadline;
    double ms = (next - hb_now()) * 1000.0;
    /* A child that closed its pipes gives poll nothing to wake on, so
     * poll in short slices. */
    if (ms > 100 || (j->timed_out && j->kill_at == 0))
        return 100;
    return ms < 1 ? 1 : (int)ms;
}

void hb_job_wait(hb_job *j)
{
    while (!hb_job_step(j)) {
        struct pollfd p[2];
        size_t n = hb_job_fds(j, p);
        poll(p, n, hb_job_wait_ms(j));
    }
}

void hb_job_free(hb_job *j)
{
    for (int i = 0; i < 2; i++)
        if (j->fd[i] >= 0)
            close(j->fd[i]);
    hb_buf_free(&j->out);
    hb_buf_free(&j->err);
    memset(j, 0, sizeof *j);
}
