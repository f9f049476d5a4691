/* Small file-system helpers shared by the harness's writers. */
#ifndef HB_FSUTIL_H
#define HB_FSUTIL_H

/* Creates path and every missing parent (mode 0777 less umask), like
 * mkdir -p.  Returns 0, or -1 with errno set. */
int hb_mkdirs(const char *path);

#endif /* HB_FSUTIL_H */
