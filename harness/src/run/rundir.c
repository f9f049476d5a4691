#include "run/rundir.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir is the claim: two runs started in the same second get different
 * folders because only one mkdir of a name can succeed. */
int hb_rundir_create(const char *root, time_t now, char *out, size_t len)
{
    if (hb_mkdirs(root))
        return -1;
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    for (int n = 1; n < 1000; n++) {
        if (n == 1)
            snprintf(out, len, "%s/%s", root, stamp);
        else
            snprintf(out, len, "%s/%s-%d", root, stamp, n);
        if (mkdir(out, 0777) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

int hb_write_atomic(const char *path, void (*write_fn)(FILE *, void *), void *ctx)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    write_fn(f, ctx);
    /* fsync before rename: after a power cut the name points at either the
     * old or the new contents, never at an empty file. */
    int bad = ferror(f) | fflush(f) | fsync(fileno(f));
    if (fclose(f) || bad || rename(tmp, path)) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

static void copy_stream(FILE *out, void *ctx)
{
    FILE *in = ctx;
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
}

int hb_copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return -1;
    int rc = hb_write_atomic(dst, copy_stream, in);
    fclose(in);
    return rc;
}

int hb_latest_update(const char *rundir)
{
    char dir[PATH_MAX], link[PATH_MAX + 16], tmp[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s", rundir);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        dir[--n] = '\0';
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : dir;
    if (slash)
        *slash = '\0';
    const char *root = slash ? (*dir ? dir : "/") : ".";
    snprintf(link, sizeof link, "%s/latest", root);
    snprintf(tmp, sizeof tmp, "%s/.latest.%ld", root, (long)getpid());
    unlink(tmp);
    if (symlink(base, tmp))
        return -1;
    if (rename(tmp, link)) {
        unlink(tmp);
        return -1;
    }
    return 0;
}
