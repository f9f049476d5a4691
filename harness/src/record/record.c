/*
 * heapbench record, start to end: run the command under the recorder into a
 * fresh directory, read every raw file it left, pick the main image, and
 * write each image as a trace with its metadata header.
 */
#define _GNU_SOURCE /* asprintf */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "record/raw.h"
#include "record/record.h"
#include "record/sink.h"
#include "record/spawn.h"
#include "record/version.h"

#define PROBE_TIMEOUT_MS 2000 /* `PROGRAM --version`            */
#define DPKG_TIMEOUT_MS 10000 /* each dpkg-query, on a cold cache */

typedef struct images {
    hb_rec_image *v;
    size_t n;
} images;

/* What every trace of one recording shares. */
typedef struct session {
    const hb_record_opts *o;
    char *command;  /* the command line, shell-quoted where needed */
    char date[32];
    char *version;  /* of the main image's program                 */
    const hb_rec_image *main;
} session;

/* ---- small text helpers ------------------------------------------------------ */

static bool plain_word(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+@%-", *s))
            return false;
    return true;
}

/* argv as one line: words that need it in single quotes, newlines as spaces. */
static char *join_command(char *const *argv)
{
    size_t cap = 1;
    for (char *const *a = argv; *a; a++)
        cap += 4 * strlen(*a) + 3;
    char *s = malloc(cap), *p = s;
    if (!s)
        return NULL;
    for (char *const *a = argv; *a; a++) {
        if (a != argv)
            *p++ = ' ';
        bool quote = !plain_word(*a);
        if (quote)
            *p++ = '\'';
        for (const char *c = *a; *c; c++) {
            if (*c == '\'')
                p = stpcpy(p, "'\\''");
            else
                *p++ = *c == '\n' || *c == '\r' ? ' ' : *c;
        }
        if (quote)
            *p++ = '\'';
    }
    *p = '\0';
    return s;
}

static void one_line(char *s)
{
    for (; s && *s; s++)
        if (*s == '\n' || *s == '\r')
            *s = ' ';
}

static const char *trace_suffix(const char *path)
{
    static const char *const suffixes[] = { ".trace.xz", ".trace.gz", ".trace", ".xz", ".gz" };
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t m = strlen(suffixes[i]);
        if (n > m && strcmp(path + n - m, suffixes[i]) == 0)
            return path + n - m;
    }
    return path + n;
}

/* OUT's file name without its suffixes. */
static char *default_name(const char *out)
{
    const char *base = strrchr(out, '/');
    base = base ? base + 1 : out;
    return strndup(base, (size_t)(trace_suffix(base) - base));
}

/* OUT with ".<n>" before its suffixes: x.trace.xz -> x.1.trace.xz */
static char *numbered_path(const char *out, unsigned n)
{
    const char *suffix = trace_suffix(out);
    size_t len = strlen(out) + 16;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%.*s.%u%s", (int)(suffix - out), out, n, suffix);
    return p;
}

static void set_date(session *s)
{
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    time_t t = epoch && *epoch ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(s->date, sizeof s->date, "%Y-%m-%d", &tm);
}

/* ---- the raw directory ----------------------------------------------------- */

/* dir/name into path; false if it does not fit. */
static bool join_path(char *path, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(path, cap, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < cap;
}

/* The directory must be absolute: the command may chdir before it execs. */
static int make_raw_dir(const hb_record_opts *o, char *dir, size_t cap)
{
    if (o->keep_raw) {
        char rel[PATH_MAX];
        int n = snprintf(rel, sizeof rel, "%s.raw", o->out);
        if (n > 0 && (size_t)n < sizeof rel && mkdir(rel, 0755) == 0 && realpath(rel, dir))
            return 0;
        snprintf(dir, cap, "%s", rel);
        fprintf(o->msg, "heapbench record: error: cannot create %s: %s%s\n", dir,
                strerror(errno), errno == EEXIST ? " (remove it first)" : "");
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, "%s/hbrecord.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(rel) && realpath(rel, dir))
        return 0;
    snprintf(dir, cap, "%s", rel);
    fprintf(o->msg, "heapbench record: error: cannot create %s: %s\n", dir, strerror(errno));
    return -1;
}

static int by_start(const void *a, const void *b)
{
    const hb_rec_image *x = a, *y = b;
    return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

/* Loads every raw.* file of dir; unreadable ones are reported and skipped. */
static int load_images(const char *dir, FILE *msg, images *im)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "raw.", 4) != 0)
            continue;
        char path[PATH_MAX], err[PATH_MAX + 200];
        hb_rec_image *v = realloc(im->v, (im->n + 1) * sizeof *v);
        if (!v)
            break;
        im->v = v;
        if (!join_path(path, sizeof path, dir, e->d_name))
            continue;
        if (hb_rec_image_load(path, &im->v[im->n], err, sizeof err) == 0)
            im->n++;
        else
            fprintf(msg, "heapbench record: %s\n", err);
    }
    closedir(d);
    qsort(im->v, im->n, sizeof *im->v, by_start);
    return 0;
}

static void remove_raw(const char *dir, images *im)
{
    for (size_t i = 0; i < im->n; i++)
        remove(im->v[i].path);
    /* Files that failed to load are removed too. */
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[PATH_MAX];
        if (strncmp(e->d_name, "raw.", 4) == 0 && join_path(path, sizeof path, dir, e->d_name))
            remove(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* ---- choosing the main image ----------------------------------------------------- */

static const hb_rec_image *pick_main(const images *im, long pid, const char *process)
{
    const hb_rec_image *best = NULL;
    for (size_t i = 0; i < im->n; i++) {
        const hb_rec_image *c = &im->v[i];
        if (process) {
            if (strcmp(hb_rec_image_program(c), process) == 0 && (!best || c->ops > best->ops))
                best = c;
        } else if (c->pid == pid && (!best || (c->ops > 0 && c->image > best->image) ||
                                     (best->ops == 0 && c->ops > 0))) {
            best = c;
        }
    }
    return best;
}

static void list_programs(const images *im, FILE *msg)
{
    fprintf(msg, "heapbench record: processes recorded:");
    for (size_t i = 0; i < im->n; i++)
        fprintf(msg, " %s(%llu ops)", hb_rec_image_program(&im->v[i]),
                (unsigned long long)im->v[i].ops);
    fprintf(msg, "\n");
}

/* ---- writing traces ------------------------------------------------------------ */

static void write_header(hb_rec_sink *k, const session *s, const hb_rec_image *im,
                         const char *name, const char *description)
{
    const char *version = im == s->main || strcmp(im->exe, s->main->exe) == 0 ? s->version
                                                                               : "unknown";
    hb_rec_sink_printf(k, "#! name: %s\n", name);
    hb_rec_sink_printf(k, "#! description: %s\n", description);
    hb_rec_sink_printf(k, "#! source: recorded: %s %s, command \"%s\", %s\n",
                       hb_rec_image_program(im), version, s->command, s->date);
    hb_rec_sink_printf(k, "#! ops: %llu\n", (unsigned long long)im->ops);
    hb_rec_sink_printf(k, "#! threads: %u\n", im->threads);
    hb_rec_sink_printf(k, "#! program: %s\n", im->exe);
    hb_rec_sink_printf(k, "#! argv: %s\n", im->argv);
}

/* Other processes past this many are written quietly and summed up in
 * one line: a shell wrapper can start dozens of them. */
#define LISTED_OTHERS 5

static int write_trace(const session *s, const hb_rec_image *im, const char *path,
                       const char *name, const char *description, bool quiet)
{
    char err[PATH_MAX + 200];
    hb_rec_sink *k = hb_rec_sink_open(path, err, sizeof err);
    if (k) {
        write_header(k, s, im, name, description);
        hb_rec_sink_write(k, im->body, im->body_len);
        if (hb_rec_sink_close(k, err, sizeof err) == 0) {
            if (!quiet)
                fprintf(s->o->msg, "heapbench record: wrote %s: %llu ops, %u thread%s (%s, pid %ld)\n",
                    path, (unsigned long long)im->ops, im->threads, im->threads == 1 ? "" : "s",
                    hb_rec_image_program(im), im->pid);
            return 0;
        }
    }
    fprintf(s->o->msg, "heapbench record: %s\n", err);
    return -1;
}

static int write_main(const session *s)
{
    char *name = s->o->name ? strdup(s->o->name) : default_name(s->o->out);
    char *desc = NULL;
    if (s->o->description)
        desc = strdup(s->o->description);
    else if (asprintf(&desc, "heap operations of %s running: %s",
                      hb_rec_image_program(s->main), s->command) < 0)
        desc = NULL;
    one_line(name);
    one_line(desc);
    int rc = name && desc ? write_trace(s, s->main, s->o->out, name, desc, false) : -1;
    free(name);
    free(desc);
    return rc;
}

static int write_others(const session *s, const images *im)
{
    char *base = s->o->name ? strdup(s->o->name) : default_name(s->o->out);
    unsigned n = 0;
    int rc = 0;
    for (size_t i = 0; base && i < im->n; i++) {
        const hb_rec_image *c = &im->v[i];
        if (c == s->main || c->ops == 0)
            continue;
        n++;
        char *path = numbered_path(s->o->out, n), *name = NULL, *desc = NULL;
        if (asprintf(&name, "%s.%u", base, n) < 0)
            name = NULL;
        if (asprintf(&desc, "process %ld (%s) of the recording of: %s", c->pid,
                     hb_rec_image_program(c), s->command) < 0)
            desc = NULL;
        one_line(name);
        if (!path || !name || !desc ||
            write_trace(s, c, path, name, desc, n > LISTED_OTHERS) != 0)
            rc = -1;
        free(path);
        free(name);
        free(desc);
    }
    if (n > LISTED_OTHERS) {
        char *last = numbered_path(s->o->out, n);
        fprintf(s->o->msg,
                "heapbench record: and %u more traces of other processes, the last %s "
                "(--main-only writes none)\n",
                n - LISTED_OTHERS, last ? last : "");
        free(last);
    }
    free(base);
    return rc;
}

/* ---- the whole recording ------------------------------------------------------ */

static char *recorder_path(const hb_record_opts *o)
{
    if (o->recorder)
        return strdup(o->recorder);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    char *p = NULL;
    return asprintf(&p, "%s/libhbrecord.so", exe) < 0 ? NULL : p;
}

static void report_status(const hb_record_opts *o, const char *command, int st)
{
    if (WIFEXITED(st))
        fprintf(o->msg, "heapbench record: the command exited with status %d: %s\n",
                WEXITSTATUS(st), command);
    else if (WIFSIGNALED(st))
        fprintf(o->msg, "heapbench record: the command was killed by signal %d (%s): %s\n",
                WTERMSIG(st), strsignal(WTERMSIG(st)), command);
}

static int run(session *s, const char *recorder, const char *dir, int *st, long *pid)
{
    char prefix[PATH_MAX], err[PATH_MAX + 200];
    if (!join_path(prefix, sizeof prefix, dir, "raw")) {
        fprintf(s->o->msg, "heapbench record: error: %s: path too long\n", dir);
        return -1;
    }
    if (hb_rec_spawn(s->o->argv, recorder, prefix, pid, st, err, sizeof err) != 0) {
        fprintf(s->o->msg, "heapbench record: error: %s\n", err);
        return -1;
    }
    report_status(s->o, s->command, *st);
    return 0;
}

/* After the command ran: pick the main image and write everything. */
static int assemble(session *s, images *im, long main_pid)
{
    s->main = pick_main(im, main_pid, s->o->process);
    if (!s->main) {
        fprintf(s->o->msg, "heapbench record: error: no %s recorded any allocation\n",
                s->o->process ? "process with that program name" : "process");
        list_programs(im, s->o->msg);
        return -1;
    }
    if (s->o->version)
        s->version = strdup(s->o->version);
    else if (s->o->probe_version)
        s->version = hb_rec_probe_version(s->main->exe, PROBE_TIMEOUT_MS);
    else
        s->version = hb_rec_package_version(s->main->exe, DPKG_TIMEOUT_MS);
    if (!s->version)
        s->version = strdup("unknown");
    one_line(s->version);
    int rc = write_main(s);
    if (rc == 0 && !s->o->main_only)
        rc = write_others(s, im);
    free(s->version);
    return rc;
}

int hb_record(const hb_record_opts *o)
{
    session s = { .o = o, .command = join_command(o->argv) };
    set_date(&s);
    char *recorder = recorder_path(o);
    char dir[PATH_MAX];
    int st = 0, rc = -1;
    long pid = -1;
    if (!s.command || !recorder || access(recorder, R_OK) != 0) {
        fprintf(o->msg, "heapbench record: error: cannot read the recorder %s: %s\n",
                recorder ? recorder : "libhbrecord.so", strerror(errno));
    } else if (make_raw_dir(o, dir, sizeof dir) == 0) {
        images im = { 0 };
        if (run(&s, recorder, dir, &st, &pid) == 0 && load_images(dir, o->msg, &im) == 0)
            rc = assemble(&s, &im, pid);
        if (o->keep_raw)
            fprintf(o->msg, "heapbench record: raw files kept in %s\n", dir);
        else
            remove_raw(dir, &im);
        for (size_t i = 0; i < im.n; i++)
            hb_rec_image_release(&im.v[i]);
        free(im.v);
    }
    free(recorder);
    free(s.command);
    bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    return rc == 0 && ok ? 0 : 1;
}
