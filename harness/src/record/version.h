/*
 * Which version of a program was recorded, for the trace's source line.
 *
 * By default the package manager is asked, and the program is not run
 * again: a recorded command may have side effects, and a program that does
 * not know --version would do its real work a second time.  Running
 * `PROGRAM --version` is there only when asked for.
 */
#ifndef HB_RECORD_VERSION_H
#define HB_RECORD_VERSION_H

/* "(Debian package PKG VERSION)" for the dpkg package that installed exe,
 * found by its real path, also with /usr merged (/bin/x is /usr/bin/x);
 * NULL when dpkg is not there or does not know the file.  Each dpkg-query
 * gets timeout_ms.  The result is malloc'd. */
char *hb_rec_package_version(const char *exe, int timeout_ms);

/* The first non-empty line `exe --version` prints (stdout or stderr) when it
 * exits with status 0 within timeout_ms; NULL otherwise.  Runs without the
 * recorder, stdin from /dev/null.  The result is malloc'd. */
char *hb_rec_probe_version(const char *exe, int timeout_ms);

#endif /* HB_RECORD_VERSION_H */
