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
