#include "report/kind.h"

#include <string.h>

/* Whether path has a folder component equal to dir. */
static int has_folder(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    for (const char *p = path; (p = strstr(p, dir)); p += n)
        if ((p == path || p[-1] == '/') && p[n] == '/')
            return 1;
    return 0;
}

const char *hb_trace_kind(const char *path)
{
    if (!path)
        return "other";
    if (has_folder(path, "handmade"))
        return "fixture";
    if (has_folder(path, "recorded"))
        return "recorded";
    if (has_folder(path, "synthetic"))
        return "synthetic";
    return "other";
}
