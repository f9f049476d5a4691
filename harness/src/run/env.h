/*
 * The facts that decide whether two result sets can be compared: machine,
 * kernel, C library, compiler, heapbench build, versions of the system
 * allocator packages, and the source commit.  Written as "key: value" lines
 * to env.txt beside every results.csv.
 */
#ifndef HB_RUN_ENV_H
#define HB_RUN_ENV_H

#include <stdio.h>

void hb_env_write(FILE *f);

/* Runs argv (no shell) and returns its first output line, newly allocated,
 * or NULL when it fails or prints nothing. */
char *hb_capture_line(char *const argv[]);

#endif /* HB_RUN_ENV_H */
