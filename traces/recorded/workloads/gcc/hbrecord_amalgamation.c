/*
 * A snapshot of heapbench's record module (harness/src/record/raw.c, sink.c,
 * spawn.c and record.c with their headers inlined), kept as the input of
 * the gcc trace so that the trace stays reproducible when the module changes.
 * Compiled only, never linked: gcc -O2 -g -c hbrecord_amalgamation.c
 */
#define _GNU_SOURCE

/* ==== record/raw.c ==== */
/*
 * Reading one raw file of the recorder: the header, then a single pass over
 * the body that counts operations and threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- record/raw.h ---- */
/*
 * The raw files libhbrecord.so writes, one per process image:
 *
 *     PREFIX.PID       the first image of process PID
 *     PREFIX.PID.K     its image after the K-th exec
 *
 *     # hbrecord 1 pid P ppid Q image K fork-of F start NS exe PATH
 *     # argv: ARG ARG ...
 *     ...trace lines...
 *     \0\0\0...        (the unused tail of the file's last growth step)
 *
 * F is the pid the process was forked from (0 if none); NS is
 * CLOCK_MONOTONIC nanoseconds when the file was created.  The body is every
 * complete line before the first NUL byte.
 */
#ifndef HB_RECORD_RAW_H
#define HB_RECORD_RAW_H

#include <stddef.h>
#include <stdint.h>

typedef struct hb_rec_image {
    char *path;
    long pid, ppid, fork_of;
    unsigned image;
    uint64_t start_ns;
    char *exe;        /* the executable's path                      */
    char *argv;       /* its arguments, joined by spaces            */
    const char *body; /* the trace lines, in the mapping             */
    size_t body_len;
    uint64_t ops;     /* a c m r f lines                             */
    uint32_t threads; /* largest `t` id + 1 (1 when there is none)   */
    void *map_;
    size_t map_len_;
} hb_rec_image;

/* Maps and parses one raw file.  Returns 0, or -1 with "FILE:LINE: error:
 * ..." in err. */
int hb_rec_image_load(const char *path, hb_rec_image *im, char *err, size_t errlen);
void hb_rec_image_release(hb_rec_image *im);

/* The executable's file name (after the last '/'). */
const char *hb_rec_image_program(const hb_rec_image *im);

#endif /* HB_RECORD_RAW_H */

#define RAW_MAGIC "# hbrecord 1 "

/* The line starting at *pos (without its '\n'), advancing *pos past it.
 * Returns its length, or -1 at the end of the text. */
static long next_line(const char *text, size_t len, size_t *pos, const char **line)
{
    if (*pos >= len)
        return -1;
    const char *s = text + *pos, *nl = memchr(s, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - s) : len - *pos;
    *line = s;
    *pos += n + (nl != NULL);
    return (long)n;
}

static char *dup_span(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* "pid P ppid Q image K fork-of F start NS exe PATH" */
static int parse_fields(char *f, hb_rec_image *im)
{
    unsigned long long v[5];
    int used = 0;
    if (sscanf(f, "pid %llu ppid %llu image %llu fork-of %llu start %llu exe %n",
               &v[0], &v[1], &v[2], &v[3], &v[4], &used) != 5 || used == 0)
        return -1;
    im->pid = (long)v[0];
    im->ppid = (long)v[1];
    im->image = (unsigned)v[2];
    im->fork_of = (long)v[3];
    im->start_ns = v[4];
    im->exe = strdup(f + used);
    return im->exe ? 0 : -1;
}

static int parse_header(const char *text, size_t len, size_t *pos, hb_rec_image *im)
{
    const char *line;
    long n = next_line(text, len, pos, &line);
    size_t magic = strlen(RAW_MAGIC);
    if (n < (long)magic || memcmp(line, RAW_MAGIC, magic) != 0)
        return 1;
    char *fields = dup_span(line + magic, (size_t)n - magic);
    int rc = fields ? parse_fields(fields, im) : -1;
    free(fields);
    if (rc != 0)
        return 1;
    n = next_line(text, len, pos, &line);
    if (n < 8 || memcmp(line, "# argv: ", 8) != 0)
        return 2;
    im->argv = dup_span(line + 8, (size_t)n - 8);
    return im->argv ? 0 : 2;
}

/* Counts operation lines and the highest thread id of the body. */
static void count_body(hb_rec_image *im)
{
    size_t pos = 0;
    const char *line;
    long n;
    unsigned long max_tid = 0;
    while ((n = next_line(im->body, im->body_len, &pos, &line)) >= 0) {
        if (n == 0)
            continue;
        if (strchr("acmrf", line[0]))
            im->ops++;
        else if (line[0] == 't' && n > 2) {
            unsigned long tid = strtoul(line + 2, NULL, 10);
            max_tid = tid > max_tid ? tid : max_tid;
        }
    }
    im->threads = (uint32_t)max_tid + 1;
}

static int map_file(const char *path, hb_rec_image *im, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: error: cannot read: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    im->map_len_ = (size_t)st.st_size;
    im->map_ = im->map_len_ ? mmap(NULL, im->map_len_, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (im->map_ == MAP_FAILED) {
        im->map_ = NULL;
        snprintf(err, errlen, "%s: error: cannot map: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int hb_rec_image_load(const char *path, hb_rec_image *im, char *err, size_t errlen)
{
    memset(im, 0, sizeof *im);
    im->path = strdup(path);
    if (!im->path || map_file(path, im, err, errlen) != 0) {
        hb_rec_image_release(im);
        return -1;
    }
    const char *text = im->map_ ? im->map_ : "";
    const char *nul = memchr(text, '\0', im->map_len_);
    size_t len = nul ? (size_t)(nul - text) : im->map_len_, pos = 0;
    int bad = parse_header(text, len, &pos, im);
    if (bad) {
        snprintf(err, errlen, "%s:%d: error: expected the recorder's header line '%s'", path,
                 bad, bad == 1 ? "# hbrecord 1 pid P ppid Q image K fork-of F start NS exe PATH"
                               : "# argv: ...");
        hb_rec_image_release(im);
        return -1;
    }
    /* A process killed in the middle of a line leaves it unfinished: drop it. */
    while (len > pos && text[len - 1] != '\n')
        len--;
    im->body = text + pos;
    im->body_len = len - pos;
    count_body(im);
    return 0;
}

void hb_rec_image_release(hb_rec_image *im)
{
    if (im->map_)
        munmap(im->map_, im->map_len_);
    free(im->path);
    free(im->exe);
    free(im->argv);
    memset(im, 0, sizeof *im);
}

const char *hb_rec_image_program(const hb_rec_image *im)
{
    const char *slash = strrchr(im->exe, '/');
    return slash ? slash + 1 : im->exe;
}

/* ==== record/sink.c ==== */
/*
 * Trace output with optional compression.  Errors are sticky: the first one
 * is kept and reported by close, so callers can write without checking
 * every call.
 */
#include <errno.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- record/sink.h ---- */
/*
 * Writing a trace file, compressed by its name: .xz (liblzma, preset 6:
 * on trace text, 9e gains under 1% and is four times slower),
 * .gz (zlib), else plain.  The bytes go to PATH.tmp, renamed over PATH only
 * when everything was written, so a failed recording never leaves half a
 * trace under the final name.
 */
#ifndef HB_RECORD_SINK_H
#define HB_RECORD_SINK_H

#include <stddef.h>

typedef struct hb_rec_sink hb_rec_sink;

hb_rec_sink *hb_rec_sink_open(const char *path, char *err, size_t errlen);
int hb_rec_sink_write(hb_rec_sink *s, const void *data, size_t len);
int hb_rec_sink_printf(hb_rec_sink *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Finishes and renames; 0, or -1 with a message in err.  Frees s either way. */
int hb_rec_sink_close(hb_rec_sink *s, char *err, size_t errlen);

#endif /* HB_RECORD_SINK_H */

enum sink_kind { SINK_PLAIN, SINK_XZ, SINK_GZ };

struct hb_rec_sink {
    enum sink_kind kind;
    char *path, *tmp;
    FILE *f;        /* plain and xz */
    gzFile gz;
    lzma_stream xz;
    char error[256];
    unsigned char out[1 << 16];
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void fail(hb_rec_sink *s, const char *what)
{
    if (!s->error[0])
        snprintf(s->error, sizeof s->error, "%s: error: %s: %s", s->path, what, strerror(errno));
}

static int open_kind(hb_rec_sink *s)
{
    if (s->kind == SINK_GZ) {
        s->gz = gzopen(s->tmp, "wb9");
        return s->gz ? 0 : -1;
    }
    s->f = fopen(s->tmp, "wb");
    if (!s->f)
        return -1;
    if (s->kind == SINK_XZ) {
        lzma_stream init = LZMA_STREAM_INIT;
        s->xz = init;
        if (lzma_easy_encoder(&s->xz, 6, LZMA_CHECK_CRC64) != LZMA_OK) {
            errno = ENOMEM;
            return -1;
        }
    }
    return 0;
}

hb_rec_sink *hb_rec_sink_open(const char *path, char *err, size_t errlen)
{
    hb_rec_sink *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "%s: error: out of memory", path);
        return NULL;
    }
    s->kind = ends_with(path, ".xz") ? SINK_XZ : ends_with(path, ".gz") ? SINK_GZ : SINK_PLAIN;
    s->path = strdup(path);
    s->tmp = malloc(strlen(path) + 5);
    if (s->path && s->tmp) {
        sprintf(s->tmp, "%s.tmp", path);
        if (open_kind(s) == 0)
            return s;
    }
    snprintf(err, errlen, "%s: error: cannot create: %s", path, strerror(errno));
    if (s->f)
        fclose(s->f);
    if (s->tmp)
        remove(s->tmp);
    free(s->path);
    free(s->tmp);
    free(s);
    return NULL;
}

/* Runs the encoder until it wants more input (or, finishing, until the end). */
static void xz_pump(hb_rec_sink *s, lzma_action action)
{
    for (;;) {
        s->xz.next_out = s->out;
        s->xz.avail_out = sizeof s->out;
        lzma_ret r = lzma_code(&s->xz, action);
        size_t n = sizeof s->out - s->xz.avail_out;
        if (n && fwrite(s->out, 1, n, s->f) != n)
            fail(s, "cannot write");
        if (r == LZMA_STREAM_END || (r == LZMA_OK && s->xz.avail_in == 0 && action == LZMA_RUN))
            return;
        if (r != LZMA_OK) {
            errno = EIO;
            fail(s, "xz compression failed");
            return;
        }
    }
}

int hb_rec_sink_write(hb_rec_sink *s, const void *data, size_t len)
{
    if (s->error[0] || len == 0)
        return s->error[0] ? -1 : 0;
    if (s->kind == SINK_PLAIN) {
        if (fwrite(data, 1, len, s->f) != len)
            fail(s, "cannot write");
    } else if (s->kind == SINK_GZ) {
        for (size_t done = 0; done < len && !s->error[0];) {
            unsigned chunk = len - done > (1u << 30) ? 1u << 30 : (unsigned)(len - done);
            if (gzwrite(s->gz, (const char *)data + done, chunk) != (int)chunk)
                fail(s, "cannot write");
            done += chunk;
        }
    } else {
        s->xz.next_in = data;
        s->xz.avail_in = len;
        xz_pump(s, LZMA_RUN);
    }
    return s->error[0] ? -1 : 0;
}

int hb_rec_sink_printf(hb_rec_sink *s, const char *fmt, ...)
{
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    return hb_rec_sink_write(s, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void finish(hb_rec_sink *s)
{
    if (s->kind == SINK_GZ) {
        if (gzclose(s->gz) != Z_OK)
            fail(s, "cannot write");
        return;
    }
    if (s->kind == SINK_XZ) {
        s->xz.avail_in = 0;
        xz_pump(s, LZMA_FINISH);
        lzma_end(&s->xz);
    }
    if (fclose(s->f) != 0)
        fail(s, "cannot write");
}

int hb_rec_sink_close(hb_rec_sink *s, char *err, size_t errlen)
{
    finish(s);
    if (!s->error[0] && rename(s->tmp, s->path) != 0)
        fail(s, "cannot rename the finished file into place");
    int rc = s->error[0] ? -1 : 0;
    if (rc) {
        snprintf(err, errlen, "%s", s->error);
        remove(s->tmp);
    }
    free(s->path);
    free(s->tmp);
    free(s);
    return rc;
}

/* ==== record/spawn.c ==== */
/*
 * fork/exec for heapbench record.  The recorded child gets its environment
 * changed after fork, so heapbench's own environment (and its own heap) is
 * never recorded.  A failed exec is reported through a close-on-exec pipe:
 * the parent reads errno from it, or end-of-file when the exec succeeded.
 */
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

/* ---- record/spawn.h ---- */
/*
 * Running programs for heapbench record: the recorded command itself, and a
 * quick `PROGRAM --version` to name what was recorded.
 */
#ifndef HB_RECORD_SPAWN_H
#define HB_RECORD_SPAWN_H

#include <stddef.h>

/* Runs argv (searched in PATH) with `recorder` first in LD_PRELOAD and
 * HB_RECORD_FILE=raw_prefix, and waits for it.  *child gets its pid and
 * *wstatus its wait status.  Returns 0, or -1 with a message in err if it
 * could not start. */
int hb_rec_spawn(char *const *argv, const char *recorder, const char *raw_prefix,
                 long *child, int *wstatus, char *err, size_t errlen);

/* The first non-empty line `exe --version` prints (stdout or stderr) when it
 * exits with status 0 within timeout_ms; NULL otherwise.  Runs without the
 * recorder, stdin from /dev/null.  The result is malloc'd. */
char *hb_rec_probe_version(const char *exe, int timeout_ms);

#endif /* HB_RECORD_SPAWN_H */

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

static char *first_line(char *buf)
{
    for (char *line = strtok(buf, "\r\n"); line; line = strtok(NULL, "\r\n")) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line)
            return strdup(line);
    }
    return NULL;
}

static void probe_child(const char *exe, int outfd)
{
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(outfd, 1);
    dup2(outfd, 2);
    execl(exe, exe, "--version", (char *)NULL);
    _exit(127);
}

char *hb_rec_probe_version(const char *exe, int timeout_ms)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        probe_child(exe, pipefd[1]);
    close(pipefd[1]);
    if (pid < 0) {
        close(pipefd[0]);
        return NULL;
    }
    static char buf[16384];
    long deadline = now_ms() + timeout_ms;
    size_t len = read_until(pipefd[0], buf, sizeof buf, deadline);
    close(pipefd[0]);
    buf[len] = '\0';
    int st = 0;
    if (!reaped_by(pid, deadline, &st)) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        return NULL;
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? first_line(buf) : NULL;
}

/* ==== record/record.c ==== */
/*
 * heapbench record, start to end: run the command under the recorder into a
 * fresh directory, read every raw file it left, pick the main image, and
 * write each image as a trace with its metadata header.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- record/record.h ---- */
/*
 * heapbench record: run a program under the LD_PRELOAD recorder
 * (libhbrecord.so, next to the heapbench binary) and turn what it wrote into
 * traces with a metadata header.
 *
 * Every process image writes its own raw file (see raw.h).  The image that
 * becomes OUT is the last image of the command's own process that recorded
 * anything (after `exec`s, the program that ran last), or with `process` the
 * image whose executable has that name and the most operations.  Every other
 * image with operations becomes OUT.<n>.trace (n from 1, in order of start),
 * unless main_only.  Processes are never merged: each trace is one heap.
 */
#ifndef HB_RECORD_H
#define HB_RECORD_H

#include <stdbool.h>
#include <stdio.h>

typedef struct hb_record_opts {
    const char *out;         /* OUT.trace, OUT.trace.xz or OUT.trace.gz        */
    const char *name;        /* NULL: OUT's file name without its suffixes     */
    const char *description; /* NULL: one naming the command                   */
    const char *process;     /* NULL: the command's own process, else a name   */
    const char *version;     /* NULL: first line of `PROGRAM --version`        */
    const char *recorder;    /* NULL: libhbrecord.so beside /proc/self/exe     */
    bool keep_raw;           /* keep the raw files in OUT.raw/                 */
    bool main_only;          /* write OUT only                                  */
    char *const *argv;       /* the command, NULL-terminated                    */
    FILE *msg;               /* progress and problems (stderr)                  */
} hb_record_opts;

/* Returns 0 when the traces were written and the command exited with 0;
 * 1 when the command failed (the traces are still written) or nothing could
 * be written, with a message on o->msg. */
int hb_record(const hb_record_opts *o);

#endif /* HB_RECORD_H */

#define VERSION_TIMEOUT_MS 2000

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

static int make_raw_dir(const hb_record_opts *o, char *dir, size_t cap)
{
    if (o->keep_raw) {
        int n = snprintf(dir, cap, "%s.raw", o->out);
        if (n > 0 && (size_t)n < cap && mkdir(dir, 0755) == 0)
            return 0;
        fprintf(o->msg, "heapbench record: error: cannot create %s: %s%s\n", dir,
                strerror(errno), errno == EEXIST ? " (remove it first)" : "");
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, cap, "%s/hbrecord.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir))
        return 0;
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

static int write_trace(const session *s, const hb_rec_image *im, const char *path,
                       const char *name, const char *description)
{
    char err[PATH_MAX + 200];
    hb_rec_sink *k = hb_rec_sink_open(path, err, sizeof err);
    if (k) {
        write_header(k, s, im, name, description);
        hb_rec_sink_write(k, im->body, im->body_len);
        if (hb_rec_sink_close(k, err, sizeof err) == 0) {
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
    int rc = name && desc ? write_trace(s, s->main, s->o->out, name, desc) : -1;
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
        if (!path || !name || !desc || write_trace(s, c, path, name, desc) != 0)
            rc = -1;
        free(path);
        free(name);
        free(desc);
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
    s->version = s->o->version ? strdup(s->o->version)
                               : hb_rec_probe_version(s->main->exe, VERSION_TIMEOUT_MS);
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
