/* One row of the scaling benchmark within its time budget (see sweep.h). */
#include "scaling/sweep.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A cell is not started when its predicted wall time exceeds the budget:
 * the last cell's time, scaled by the growth of N (the fill is linear in
 * N, and for an O(free blocks) allocator so is each operation). */
static bool over_budget(const hb_scaling_cell *last, size_t next_n)
{
    double r = (double)next_n / (double)last->n;
    return (last->setup_s + last->loop_s) * r > HB_SWEEP_CELL_S;
}

/* The growth exponent of the last step, at least 1: predicting with it
 * foresees the superlinear growth of a search whose list also outgrows
 * the caches. */
static double last_exponent(const hb_sweep_row *r)
{
    if (r->done < 2)
        return 1.0;
    const hb_scaling_cell *last = &r->cells[r->done - 1], *prev = last - 1;
    if (prev->ns_per_op <= 0 || last->ns_per_op <= prev->ns_per_op)
        return 1.0;
    double k = log(last->ns_per_op / prev->ns_per_op) / log((double)last->n / (double)prev->n);
    return k > 1.0 ? k : 1.0;
}

uint64_t hb_sweep_ops_for(const hb_sweep_row *r, size_t next_n, uint64_t ops)
{
    if (!r->done)
        return ops;
    const hb_scaling_cell *last = &r->cells[r->done - 1];
    double ns = last->ns_per_op * pow((double)next_n / (double)last->n, last_exponent(r));
    double fit = HB_SWEEP_LOOP_S * 1e9 / (ns > 0 ? ns : 1);
    uint64_t want = fit > HB_SWEEP_MIN_OPS ? (uint64_t)fit : HB_SWEEP_MIN_OPS;
    if (want >= ops)
        return ops;
    return want - want % HB_SCALING_SEGMENTS;
}

void hb_sweep_run(hb_sweep_row *r, const hb_allocator *a, hb_scaling_pattern pat,
                  const size_t *sizes, size_t nsizes, uint64_t ops)
{
    r->done = r->capped_at = 0;
    r->err[0] = '\0';
    for (size_t i = 0; i < nsizes && i < HB_SWEEP_MAX_SIZES; i++) {
        if (r->done && over_budget(&r->cells[r->done - 1], sizes[i])) {
            r->capped_at = sizes[i];
            return;
        }
        hb_scaling_cell *c = &r->cells[i];
        uint64_t k = hb_sweep_ops_for(r, sizes[i], ops);
        bool ok = a ? hb_scaling_measure(a, pat, sizes[i], k, c, r->err, sizeof r->err)
                    : hb_scaling_baseline(pat, sizes[i], k, c, r->err, sizeof r->err);
        if (!ok)
            return;
        r->done++;
    }
}

void hb_sweep_keep_best(hb_sweep_row *best, const hb_sweep_row *t, bool first)
{
    if (first) {
        *best = *t;
        return;
    }
    if (best->err[0])
        return;
    if (t->err[0]) {
        *best = *t;
        return;
    }
    if (t->done < best->done) {
        best->done = t->done;
        best->capped_at = t->capped_at;
    }
    for (size_t i = 0; i < best->done; i++)
        if (t->cells[i].ns_per_op < best->cells[i].ns_per_op)
            best->cells[i] = t->cells[i];
}

/* ---- isolation ------------------------------------------------------------ */

/* Writes or reads all len bytes of buf, retrying short transfers. */
static bool transfer(int fd, void *buf, size_t len, bool out)
{
    char *p = buf;
    while (len) {
        ssize_t k = out ? write(fd, p, len) : read(fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        len -= (size_t)k;
    }
    return true;
}

/* What a child that did not hand back its row died of. */
static void explain_death(hb_sweep_row *r, int status)
{
    r->done = r->capped_at = 0;
    if (WIFSIGNALED(status))
        snprintf(r->err, sizeof r->err, "crashed: signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(r->err, sizeof r->err, "measuring process exited with status %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

void hb_sweep_run_isolated(hb_sweep_row *r, const hb_allocator *a, hb_scaling_pattern pat,
                           const size_t *sizes, size_t nsizes, uint64_t ops)
{
    int fds[2];
    fflush(NULL); /* the child must not print the parent's buffered output */
    pid_t pid = -1;
    if (pipe(fds) == 0 && (pid = fork()) < 0) {
        close(fds[0]);
        close(fds[1]);
    }
    if (pid < 0) { /* no process to spare: measure here */
        hb_sweep_run(r, a, pat, sizes, nsizes, ops);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        hb_sweep_run(r, a, pat, sizes, nsizes, ops);
        _exit(transfer(fds[1], r, sizeof *r, true) ? 0 : 3);
    }
    close(fds[1]);
    bool got = transfer(fds[0], r, sizeof *r, false);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!got)
        explain_death(r, status);
}
