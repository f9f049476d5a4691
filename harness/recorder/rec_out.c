/*
 * The per-process output file, written through a MAP_SHARED mapping.
 *
 * Why a shared file mapping: a store into it is already in the page cache,
 * so nothing is lost when the process execs, calls _exit, or is killed, and
 * no destructor has to flush anything (library destructors that free after
 * main returns are still recorded because the mapping is never torn down).
 * A line costs a memcpy instead of a write(2).
 *
 * The file grows in steps with fallocate (so a full disk is an error here,
 * not a SIGBUS later) and the mapping follows with mremap.  The unused tail
 * of the last step stays zero: readers stop at the first NUL byte.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rec.h"

#define REC_OUT_FIRST_STEP ((size_t)1 << 20)
#define REC_OUT_MAX_STEP ((size_t)64 << 20)

static int out_fd = -1;
static char out_path[PATH_MAX];
static dev_t out_dev;   /* the file's identity, to notice when the program */
static ino_t out_ino;   /* closed out_fd and the number now means another */
static char *out_map;
static size_t out_cap;  /* bytes of the file mapped               */
static size_t out_used; /* bytes written; the rest of out_cap is 0 */
static bool out_full;   /* growing failed: later lines are dropped */

void rec_say(const char *a, const char *b)
{
    ssize_t r = write(2, a, strlen(a));
    if (b)
        r = write(2, b, strlen(b));
    r = write(2, "\n", 1);
    (void)r;
}

void rec_line_char(rec_line *l, char c)
{
    if (l->len < sizeof l->buf)
        l->buf[l->len++] = c;
}

void rec_line_str(rec_line *l, const char *s)
{
    while (*s)
        rec_line_char(l, *s++);
}

void rec_line_u64(rec_line *l, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        rec_line_char(l, digits[--n]);
}

static size_t next_step(void)
{
    if (out_cap == 0)
        return REC_OUT_FIRST_STEP;
    return out_cap < REC_OUT_MAX_STEP ? out_cap : REC_OUT_MAX_STEP;
}

/* Some programs close every descriptor they did not open (daemons, shells
 * before exec).  The mapping survives that, but growing needs the file: if
 * out_fd no longer names it, the file is opened again by its path, so the
 * program's own file under that number is never touched. */
static bool fd_still_ours(void)
{
    struct stat st;
    if (fstat(out_fd, &st) == 0 && st.st_dev == out_dev && st.st_ino == out_ino)
        return true;
    int fd = open(out_path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    out_fd = fcntl(fd, F_DUPFD_CLOEXEC, 1000);
    if (out_fd < 0)
        out_fd = fd;
    else
        close(fd);
    return fstat(out_fd, &st) == 0 && st.st_dev == out_dev && st.st_ino == out_ino;
}

/* Makes room for need more bytes; false (and out_full) if it cannot. */
static bool reserve(size_t need)
{
    while (out_used + need > out_cap) {
        if (!fd_still_ours()) {
            if (!out_full)
                rec_say("hbrecord: lost the output file ", out_path);
            out_full = true;
            return false;
        }
        size_t step = next_step(), cap = out_cap + step;
        int rc = posix_fallocate(out_fd, (off_t)out_cap, (off_t)step);
        if (rc == EOPNOTSUPP || rc == EINVAL)
            rc = ftruncate(out_fd, (off_t)cap) == 0 ? 0 : errno;
        void *m = MAP_FAILED;
        if (rc == 0)
            m = out_map ? mremap(out_map, out_cap, cap, MREMAP_MAYMOVE)
                        : mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED, out_fd, 0);
        if (m == MAP_FAILED) {
            if (!out_full)
                rec_say("hbrecord: cannot grow the output file; the trace stops here", NULL);
            out_full = true;
            return false;
        }
        out_map = m;
        out_cap = cap;
    }
    return true;
}

static void put_bytes(const char *s, size_t n)
{
    if (out_fd < 0 || out_full || !reserve(n))
        return;
    memcpy(out_map + out_used, s, n);
    out_used += n;
}

void rec_out_line(const rec_line *l)
{
    put_bytes(l->buf, l->len);
}

/* PREFIX.PID for the first image of a process, PREFIX.PID.K after its
 * K-th exec: O_EXCL tells the images of one pid apart. */
static int create_file(const char *prefix, pid_t pid, unsigned *image)
{
    for (unsigned k = 0; k < 1000; k++) {
        rec_line name = { .len = 0 };
        rec_line_str(&name, prefix);
        rec_line_char(&name, '.');
        rec_line_u64(&name, (uint64_t)pid);
        if (k) {
            rec_line_char(&name, '.');
            rec_line_u64(&name, k);
        }
        if (name.len >= sizeof name.buf)
            return -1;
        name.buf[name.len] = '\0';
        int fd = open(name.buf, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST) {
            *image = k;
            if (fd < 0)
                rec_say("hbrecord: cannot create ", name.buf);
            memcpy(out_path, name.buf, name.len + 1);
            return fd;
        }
    }
    return -1;
}

/* Reads a small /proc file whole, NULs and newlines turned into spaces. */
static size_t read_proc(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n <= 0)
        return 0;
    while (n > 0 && buf[n - 1] == '\0')
        n--;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\0' || buf[i] == '\n')
            buf[i] = ' ';
    return (size_t)n;
}

/* "# hbrecord 1 pid P ppid Q image K fork-of F start NS exe PATH" and
 * "# argv: ..." let heapbench record tell the process images apart. */
static void write_header(pid_t pid, unsigned image, pid_t fork_parent)
{
    static char text[8192];
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    rec_line l = { .len = 0 };
    rec_line_str(&l, "# hbrecord 1 pid ");
    rec_line_u64(&l, (uint64_t)pid);
    rec_line_str(&l, " ppid ");
    rec_line_u64(&l, (uint64_t)getppid());
    rec_line_str(&l, " image ");
    rec_line_u64(&l, image);
    rec_line_str(&l, " fork-of ");
    rec_line_u64(&l, (uint64_t)fork_parent);
    rec_line_str(&l, " start ");
    rec_line_u64(&l, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
    rec_line_str(&l, " exe ");
    put_bytes(l.buf, l.len);
    ssize_t n = readlink("/proc/self/exe", text, PATH_MAX);
    put_bytes(text, n > 0 ? (size_t)n : 0);
    put_bytes("\n# argv: ", 9);
    put_bytes(text, read_proc("/proc/self/cmdline", text, sizeof text));
    put_bytes("\n", 1);
}

int rec_out_open(const char *prefix, pid_t fork_parent)
{
    pid_t pid = getpid();
    unsigned image = 0;
    int fd = create_file(prefix, pid, &image);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return -1;
    /* A high number, out of the way of programs that reuse low ones. */
    out_fd = fcntl(fd, F_DUPFD_CLOEXEC, 1000);
    if (out_fd < 0)
        out_fd = fd;
    else
        close(fd);
    out_dev = st.st_dev;
    out_ino = st.st_ino;
    write_header(pid, image, fork_parent);
    return out_full ? -1 : 0;
}

void rec_out_forget(void)
{
    if (out_map)
        munmap(out_map, out_cap);
    if (out_fd >= 0)
        close(out_fd);
    out_fd = -1;
    out_map = NULL;
    out_cap = out_used = 0;
    out_full = false;
}

bool rec_out_is_open(void)
{
    return out_fd >= 0;
}
