/*
 * Program versions for heapbench record (see version.h): dpkg's word on the
 * package that installed the executable, or the program's own --version.
 *
 * `dpkg-query -S PATH` prints "PKG[, PKG...]: PATH" for the packages that
 * list the file.  A diverted file also gets "diversion by PKG from: PATH"
 * (or "local diversion from: PATH"): the file installed at PATH is then the
 * diverting package's, and the others' copies live elsewhere.
 */
#define _GNU_SOURCE /* asprintf, strndup */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/spawn.h"
#include "record/version.h"

#define OUTPUT_CAP 65536

typedef struct span {
    const char *s;
    size_t n;
} span;

static bool next_line(const char **pos, span *line)
{
    if (!**pos)
        return false;
    const char *nl = strchr(*pos, '\n');
    line->s = *pos;
    line->n = nl ? (size_t)(nl - *pos) : strlen(*pos);
    *pos = nl ? nl + 1 : *pos + line->n;
    return true;
}

static bool starts_with(span s, const char *prefix)
{
    size_t k = strlen(prefix);
    return s.n >= k && !memcmp(s.s, prefix, k);
}

static bool ends_with(span s, const char *suffix)
{
    size_t k = strlen(suffix);
    return s.n >= k && !memcmp(s.s + s.n - k, suffix, k);
}

/* The part of line before ": path", if the line ends so. */
static bool head_before(span line, const char *path, span *head)
{
    size_t k = strlen(path);
    if (line.n < k + 2 || memcmp(line.s + line.n - k, path, k) != 0 ||
        memcmp(line.s + line.n - k - 2, ": ", 2) != 0)
        return false;
    *head = (span){ line.s, line.n - k - 2 };
    return true;
}

/* "PKG, PKG, ...": package names never hold a space, so any space not
 * after a comma makes the line something else (a diversion). */
static bool is_owner_list(span head)
{
    if (head.n == 0)
        return false;
    for (size_t i = 0; i < head.n; i++)
        if (head.s[i] == ' ' && (i == 0 || head.s[i - 1] != ','))
            return false;
    return true;
}

/* The name in list (owner list) whose package part (before any ":ARCH")
 * is pkg, or the first name when pkg is NULL. */
static bool find_owner(span list, const span *pkg, span *found)
{
    for (size_t i = 0; i < list.n;) {
        size_t end = i;
        while (end < list.n && list.s[end] != ',')
            end++;
        span name = { list.s + i, end - i };
        const char *colon = memchr(name.s, ':', name.n);
        size_t bare = colon ? (size_t)(colon - name.s) : name.n;
        if (!pkg || (bare == pkg->n && !memcmp(name.s, pkg->s, bare))) {
            *found = name;
            return true;
        }
        i = end + 2; /* past ", " */
    }
    return false;
}

/* The package that installed path, per the output of dpkg-query -S; NULL
 * if none did (a diversion by the local administrator, or by a package
 * that does not list the file, leaves it unknown). */
static char *owner_of(const char *out, const char *path)
{
    span line, head, owners = { NULL, 0 }, diverter = { NULL, 0 };
    bool diverted = false;
    for (const char *pos = out; next_line(&pos, &line);) {
        if (!head_before(line, path, &head))
            continue;
        if (is_owner_list(head)) {
            owners = head;
        } else if (ends_with(head, " from") && starts_with(head, "diversion by ")) {
            diverted = true;
            diverter = (span){ head.s + 13, head.n - 13 - 5 };
        } else if (ends_with(head, " from") && starts_with(head, "local diversion")) {
            diverted = true;
            diverter = (span){ NULL, 0 };
        }
    }
    span found;
    if (!owners.s || (diverted && !diverter.s) ||
        !find_owner(owners, diverted ? &diverter : NULL, &found))
        return NULL;
    return strndup(found.s, found.n);
}

/* /usr/bin/x for /bin/x and the other way round, for the directories a
 * merged /usr links; NULL for any other path. */
static char *merged_twin(const char *path)
{
    static const char *const dirs[] = { "/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/",
                                        "/libx32/" };
    bool in_usr = !strncmp(path, "/usr/", 5);
    const char *rest = in_usr ? path + 4 : path;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (strncmp(rest, dirs[i], strlen(dirs[i])) != 0)
            continue;
        char *twin = NULL;
        if (asprintf(&twin, "%s%s", in_usr ? "" : "/usr", rest) < 0)
            return NULL;
        return twin;
    }
    return NULL;
}

/* The version dpkg has installed of pkg, or NULL. */
static char *installed_version(const char *pkg, char *out, int timeout_ms)
{
    char *argv[] = { "dpkg-query", "-W", "-f=${Version}", (char *)pkg, NULL };
    if (hb_rec_capture(argv, false, timeout_ms, out, OUTPUT_CAP) != 0)
        return NULL;
    size_t n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
        n--;
    if (n == 0 || memchr(out, '\n', n))
        return NULL;
    return strndup(out, n);
}

char *hb_rec_package_version(const char *exe, int timeout_ms)
{
    char real[PATH_MAX];
    const char *path = realpath(exe, real) ? real : exe;
    char *twin = merged_twin(path);
    char *out = malloc(OUTPUT_CAP), *pkg = NULL, *version = NULL, *text = NULL;
    char *argv[] = { "dpkg-query", "-S", (char *)path, twin, NULL };
    /* 0: every path is known, 1: some is not; both list what is known */
    int st = out ? hb_rec_capture(argv, false, timeout_ms, out, OUTPUT_CAP) : -1;
    if (st == 0 || st == 1) {
        pkg = owner_of(out, path);
        if (!pkg && twin)
            pkg = owner_of(out, twin);
    }
    if (pkg)
        version = installed_version(pkg, out, timeout_ms);
    if (version && asprintf(&text, "(Debian package %s %s)", pkg, version) < 0)
        text = NULL;
    free(version);
    free(pkg);
    free(out);
    free(twin);
    return text;
}

char *hb_rec_probe_version(const char *exe, int timeout_ms)
{
    char *out = malloc(OUTPUT_CAP);
    char *argv[] = { (char *)exe, "--version", NULL };
    char *line = NULL;
    if (out && hb_rec_capture(argv, true, timeout_ms, out, OUTPUT_CAP) == 0) {
        for (char *l = strtok(out, "\r\n"); l && !line; l = strtok(NULL, "\r\n")) {
            l += strspn(l, " \t");
            if (*l)
                line = strdup(l);
        }
    }
    free(out);
    return line;
}
