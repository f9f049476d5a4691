/*
 * A crash or a kill inside a replay is reported on stderr as one
 * "#HB-FAULT ..." line naming the signal, the pass and the op.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "load/load.h"
#include "replay/fault.h"
#include "replay/replay.h"

static hb_trace mallocs_trace(size_t n)
{
    hb_op *ops = calloc(n, sizeof *ops);
    for (size_t i = 0; i < n; i++)
        ops[i] = (hb_op){ .kind = HB_OP_MALLOC, .slot = (uint32_t)i, .size = 32,
                          .line = (uint32_t)i + 11 }; /* a header of 10 lines */
    return (hb_trace){ .name = "mallocs", .ops = ops, .nops = n, .nslots = (uint32_t)n };
}

/* Replays fixture in a child with stderr on a pipe; the parent sends sig
 * after delay_ms when sig is non-zero.  Returns the child's stderr. */
static char *replay_in_child(const char *fixture, int sig, unsigned delay_ms, int *status)
{
    static char out[4096];
    int fd[2];
    if (pipe(fd) != 0)
        return NULL;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 2);
        close(fd[0]);
        char err[256];
        hb_loaded *l = hb_load(fixture, NULL, err, sizeof err);
        if (!l)
            _exit(3);
        hb_trace t = mallocs_trace(200);
        hb_result r;
        hb_replay_cfg cfg = { .timing = HB_TIMING_BOTH };
        hb_replay(l, &t, &cfg, &r);
        _exit(0);
    }
    close(fd[1]);
    if (sig) {
        usleep(delay_ms * 1000);
        kill(pid, sig);
    }
    size_t n = 0;
    ssize_t k;
    while (n < sizeof out - 1 && (k = read(fd[0], out + n, sizeof out - 1 - n)) > 0)
        n += (size_t)k;
    out[n] = '\0';
    close(fd[0]);
    waitpid(pid, status, 0);
    return out;
}

static void test_segfault_names_op_and_line(void)
{
    int st;
    char *err = replay_in_child(HB_TEST_FIXTURES "/crash_at_100.so", 0, 0, &st);
    REQUIRE(err);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    /* the 100th malloc is op 99, on line 110 */
    CHECK_STR_CONTAINS(err, "#HB-FAULT signal=SIGSEGV pass=measure op=99 line=110\n");
}

static void test_sigterm_of_a_hang_names_op(void)
{
    int st;
    char *err = replay_in_child(HB_TEST_FIXTURES "/hang_at_100.so", SIGTERM, 400, &st);
    REQUIRE(err);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    CHECK_STR_CONTAINS(err, "#HB-FAULT signal=SIGTERM pass=measure op=99 line=110\n");
}

static void test_format_outside_the_loop(void)
{
    char buf[128];
    size_t n = hb_fault_format(buf, sizeof buf, SIGABRT, HB_PASS_CLEANUP, HB_FAULT_NO_OP, 0);
    buf[n] = '\0';
    CHECK(!strcmp(buf, "#HB-FAULT signal=SIGABRT pass=cleanup op=-1 line=0\n"));
    n = hb_fault_format(buf, sizeof buf, SIGBUS, HB_PASS_LATENCY, 1234, 1240);
    buf[n] = '\0';
    CHECK(!strcmp(buf, "#HB-FAULT signal=SIGBUS pass=latency op=1234 line=1240\n"));
}

int main(void)
{
    RUN(test_segfault_names_op_and_line);
    RUN(test_sigterm_of_a_hang_names_op);
    RUN(test_format_outside_the_loop);
    return check_summary();
}
