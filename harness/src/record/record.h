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
    const char *version;     /* NULL: the package's, see probe_version         */
    const char *recorder;    /* NULL: libhbrecord.so beside /proc/self/exe     */
    bool probe_version;      /* no version: run `PROGRAM --version`, instead
                                of asking dpkg for the package's              */
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
