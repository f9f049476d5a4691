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

#include "record/raw.h"

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
