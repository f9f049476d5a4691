#define _GNU_SOURCE /* sigabbrev_np */
#include "run/outcome.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "report/csvfield.h"
#include "report/result.h"
#include "report/csvtable.h"

#define MAX_COLS 256

int hb_fault_parse(const char *s, hb_fault *f)
{
    memset(f, 0, sizeof *f);
    f->op = f->line = -1;
    if (strncmp(s, "#HB-FAULT", 9))
        return -1;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s + 9);
    for (char *save, *w = strtok_r(buf, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
        char *eq = strchr(w, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *v = eq + 1;
        if (!strcmp(w, "signal"))
            snprintf(f->signal, sizeof f->signal, "%s", v);
        else if (!strcmp(w, "pass"))
            snprintf(f->pass, sizeof f->pass, "%s", v);
        else if (!strcmp(w, "op"))
            f->op = strtoll(v, NULL, 10);
        else if (!strcmp(w, "line"))
            f->line = strtoll(v, NULL, 10);
    }
    return 0;
}

static void failed_result(hb_result *r, const hb_cell_id *id, enum hb_status st, char *detail)
{
    hb_csv_detail_clean(detail);
    hb_result_failed(r, id->allocator, id->trace, id->rep, st, detail);
}

/* " at op N (trace line L) in the P pass" from whatever the fault line told. */
static void where(const hb_fault *f, char *out, size_t len)
{
    int n = 0;
    out[0] = '\0';
    if (f->op >= 0)
        n = snprintf(out, len, " at op %lld", f->op);
    if (f->line > 0 && n >= 0 && (size_t)n < len)
        n += snprintf(out + n, len - (size_t)n, " (trace line %lld)", f->line);
    if (f->pass[0] && n >= 0 && (size_t)n < len)
        snprintf(out + n, len - (size_t)n, " in the %s pass", f->pass);
}

static void crash_result(const hb_job *j, const hb_cell_id *id, const hb_fault *f, hb_result *r)
{
    char sig[48], at[160], detail[256];
    if (f->signal[0])
        snprintf(sig, sizeof sig, "%s", f->signal);
    else
        snprintf(sig, sizeof sig, "SIG%s", sigabbrev_np(WTERMSIG(j->wstatus)) ?: "?");
    where(f, at, sizeof at);
    if (f->signal[0] || f->op >= 0)
        snprintf(detail, sizeof detail, "%s%s", sig, at);
    else
        snprintf(detail, sizeof detail, "killed by %s", sig);
    failed_result(r, id, HB_ST_CRASHED, detail);
}

static void timeout_result(const hb_job *j, const hb_cell_id *id, const hb_fault *f,
                           hb_result *r)
{
    char at[160], detail[256];
    where(f, at, sizeof at);
    snprintf(detail, sizeof detail, "after %g s%s", j->timeout_s, at);
    failed_result(r, id, HB_ST_TIMEOUT, detail);
}

/* The first line of text that is not a comment, or NULL. */
static char *first_line(const char *text, bool skip_comments)
{
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        while (n && p[n - 1] == '\r')
            n--;
        if (n && !(skip_comments && p[0] == '#'))
            return strndup(p, n);
        p = eol ? eol + 1 : NULL;
    }
    return NULL;
}

static long count_fields(const char *line, long status_col, char *status, size_t len)
{
    char *f[MAX_COLS];
    long n = hb_csv_split(line, f, MAX_COLS);
    if (status_col >= 0 && status_col < n)
        snprintf(status, len, "%s", f[status_col]);
    for (long i = 0; i < n; i++)
        free(f[i]);
    return n;
}

/* The row the child printed, if it is one of this build's rows. */
static char *own_row(const hb_job *j, char *status, size_t len)
{
    char *line = j->out.data ? first_line(j->out.data, true) : NULL;
    if (!line)
        return NULL;
    char *h[MAX_COLS];
    long nh = hb_csv_split(hb_csv_header(), h, MAX_COLS), status_col = -1;
    for (long i = 0; i < nh; i++) {
        if (!strcmp(h[i], "status"))
            status_col = i;
        free(h[i]);
    }
    if (count_fields(line, status_col, status, len) != nh) {
        free(line);
        return NULL;
    }
    size_t n = strlen(line);
    char *row = realloc(line, n + 2);
    if (!row) {
        free(line);
        return NULL;
    }
    memcpy(row + n, "\n", 2);
    return row;
}

static void load_error_result(const hb_job *j, const hb_cell_id *id, hb_result *r)
{
    char detail[256];
    char *first = j->err.data ? first_line(j->err.data, false) : NULL;
    if (first)
        snprintf(detail, sizeof detail, "%s", first);
    else if (j->out.len)
        snprintf(detail, sizeof detail, "exit status %d with output that is not a result row",
                 WEXITSTATUS(j->wstatus));
    else
        snprintf(detail, sizeof detail, "exit status %d without a result row",
                 WEXITSTATUS(j->wstatus));
    free(first);
    failed_result(r, id, HB_ST_LOAD_ERROR, detail);
}

void hb_outcome_failure(const hb_job *j, const hb_cell_id *id, hb_result *r)
{
    hb_fault f;
    if (hb_fault_parse(j->fault, &f))
        hb_fault_parse("#HB-FAULT", &f);
    if (j->timed_out)
        timeout_result(j, id, &f, r);
    else if (WIFSIGNALED(j->wstatus))
        crash_result(j, id, &f, r);
    else
        load_error_result(j, id, r);
}

char *hb_outcome_row(const hb_job *j, const hb_cell_id *id, char *status, size_t len)
{
    char *row;
    if (!j->timed_out && !WIFSIGNALED(j->wstatus) && (row = own_row(j, status, len)))
        return row;
    hb_result r;
    hb_outcome_failure(j, id, &r);
    snprintf(status, len, "%s", hb_status_name(r.status));
    row = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&row, &n);
    hb_csv_write_row(f, &r);
    fclose(f);
    return row;
}
