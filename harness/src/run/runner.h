/*
 * One cell as a child process: fork/exec with stdout and stderr on pipes,
 * the child leading its own process group (so a timeout reaches anything it
 * started) and killed if its parent dies, and a wall-clock limit enforced
 * by SIGTERM, then SIGKILL two seconds later.
 *
 * Jobs never block: hb_job_fds says what to poll, hb_job_step reads what is
 * there and enforces the deadline, and a job is finished once its child is
 * reaped.  Several jobs can share one poll loop.
 */
#ifndef HB_RUN_RUNNER_H
#define HB_RUN_RUNNER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"

typedef struct hb_job {
    pid_t pid;
    int fd[2];           /* stdout, stderr; -1 once closed         */
    hb_buf out, err;
    double started, deadline, kill_at;
    double timeout_s;
    bool timed_out;      /* SIGTERM was sent because of the limit  */
    bool reaped;
    int wstatus;
    double elapsed_s;
    char fault[512];     /* the child's last "#HB-FAULT ..." line   */
    char line_[512];     /* stderr line being assembled            */
    size_t line_len_;
} hb_job;

/* The environment variable that holds the pid of a job's process, so the
 * process can tell it is one (the value survives an exec of itself, the
 * pid of anything it starts differs). */
#define HB_JOB_PID_ENV "HEAPBENCH_JOB_PID"

/* True in the process a job started: its owner enforces the wall-clock
 * limit and turns a crash into a row, so it need not do so again. */
bool hb_in_job(void);

/* Grace between SIGTERM and SIGKILL. */
#define HB_JOB_KILL_GRACE_S 2.0

/* Starts argv[0] with argv.  Returns 0, or -1 (errno set) if it could not
 * be started. */
int hb_job_start(hb_job *j, char *const argv[], double timeout_s);

/* Fills up to two pollfds; returns how many. */
size_t hb_job_fds(const hb_job *j, struct pollfd *p);

/* Reads available output, reaps the child if it is gone, and signals it
 * when its time is up.  Returns true once the job is finished. */
bool hb_job_step(hb_job *j);

/* Milliseconds until this job's next deadline (for poll). */
int hb_job_wait_ms(const hb_job *j);

/* Runs a job to its end (a one-job poll loop). */
void hb_job_wait(hb_job *j);

void hb_job_free(hb_job *j);

double hb_now(void);

#endif /* HB_RUN_RUNNER_H */
