#include "run/tracefind.h"

#include <dirent.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report/csvfield.h"
#include "trace/name.h"

#define MAX_PARTS 64
#define MAX_DEPTH 32

void hb_pathlist_add(hb_pathlist *l, const char *path)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = strdup(path);
}

/* Splits s (modified in place) at '/', dropping empty and "." parts. */
static size_t split(char *s, char **parts)
{
    size_t n = 0;
    for (char *save, *p = strtok_r(s, "/", &save); p && n < MAX_PARTS;
         p = strtok_r(NULL, "/", &save))
        if (strcmp(p, "."))
            parts[n++] = p;
    return n;
}

/* "**" matches zero or more whole components, but, like a shell's
 * globstar, never a hidden directory. */
static bool match_parts(char **pat, size_t np, char **path, size_t nq)
{
    if (np == 0)
        return nq == 0;
    if (!strcmp(pat[0], "**")) {
        for (size_t k = 0; k <= nq; k++) {
            if (k > 0 && path[k - 1][0] == '.')
                return false;
            if (match_parts(pat + 1, np - 1, path + k, nq - k))
                return true;
        }
        return false;
    }
    return nq > 0 && fnmatch(pat[0], path[0], FNM_PERIOD) == 0 &&
           match_parts(pat + 1, np - 1, path + 1, nq - 1);
}

bool hb_glob_match(const char *pattern, const char *path)
{
    char pbuf[PATH_MAX], qbuf[PATH_MAX];
    char *pat[MAX_PARTS], *parts[MAX_PARTS];
    snprintf(pbuf, sizeof pbuf, "%s", pattern);
    snprintf(qbuf, sizeof qbuf, "%s", path);
    if ((pattern[0] == '/') != (path[0] == '/'))
        return false;
    size_t np = split(pbuf, pat), nq = split(qbuf, parts);
    return match_parts(pat, np, parts, nq);
}

typedef struct walk {
    const char *pattern;
    hb_pathlist *out;
    size_t found;
} walk;

static void consider(walk *w, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && hb_is_trace_file(path) &&
        hb_glob_match(w->pattern, path)) {
        hb_pathlist_add(w->out, path);
        w->found++;
    }
}

/* Visits every file under dir; prefix is how dir is written in results
 * ("" for the current directory). */
static void walk_dir(walk *w, const char *dir, const char *prefix, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > MAX_DEPTH) {
        if (d)
            closedir(d);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "/" : "", e->d_name);
        struct stat st;
        if (stat(path, &st))
            continue;
        if (S_ISDIR(st.st_mode))
            walk_dir(w, path, path, depth + 1);
        else
            consider(w, path);
    }
    closedir(d);
}

size_t hb_glob_traces(const char *pattern, hb_pathlist *out)
{
    walk w = { pattern, out, 0 };
    size_t wild = strcspn(pattern, "*?[");
    if (!pattern[wild]) {
        consider(&w, pattern);
        return w.found;
    }
    /* Walk from the last directory before the first wildcard. */
    char base[PATH_MAX];
    snprintf(base, sizeof base, "%.*s", (int)wild, pattern);
    char *slash = strrchr(base, '/');
    if (slash == base)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        base[0] = '\0';
    walk_dir(&w, *base ? base : ".", base, 0);
    return w.found;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void hb_pathlist_finish(hb_pathlist *l)
{
    if (l->n)
        qsort(l->v, l->n, sizeof *l->v, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (k && !strcmp(l->v[k - 1], l->v[i]))
            free(l->v[i]);
        else
            l->v[k++] = l->v[i];
    }
    l->n = k;
}

void hb_pathlist_free(hb_pathlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* The display name cleaned as the CSV writer cleans it, so names here and
 * in results.csv compare equal. */
static char *result_name(const char *path)
{
    char name[256];
    hb_trace_display_name(path, name, sizeof name);
    hb_csv_field_clean(name, '_');
    return strdup(name);
}

typedef struct found {
    char *path;  /* as the glob's walk wrote it                      */
    char *real;  /* what identifies the file: its real path          */
    bool link;   /* path is a symbolic link                          */
    size_t glob; /* index of the glob                                */
} found;

/* The entries of one file together, the one to keep first: a path that is
 * not a link (the name comes from the file's own name), then the earliest
 * glob, then the smallest path, so the choice never depends on the order
 * in which directories are read. */
static int by_file_then_preference(const void *a, const void *b)
{
    const found *x = a, *y = b;
    int c = strcmp(x->real, y->real);
    if (c)
        return c;
    if (x->link != y->link)
        return x->link ? 1 : -1;
    if (x->glob != y->glob)
        return x->glob < y->glob ? -1 : 1;
    return strcmp(x->path, y->path);
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const found *)a)->path, ((const found *)b)->path);
}

/* Every match of every glob, in the order found. */
static found *expand(const hb_config *cfg, size_t *matched, size_t *nfound)
{
    found *f = NULL;
    size_t n = 0, cap = 0;
    for (size_t g = 0; g < cfg->ntraces; g++) {
        hb_pathlist one = { 0 };
        matched[g] = hb_glob_traces(cfg->traces[g], &one);
        for (size_t i = 0; i < one.n; i++) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                f = realloc(f, cap * sizeof *f);
            }
            char *real = realpath(one.v[i], NULL);
            struct stat st;
            bool link = lstat(one.v[i], &st) == 0 && S_ISLNK(st.st_mode);
            f[n++] = (found){ one.v[i], real ? real : strdup(one.v[i]), link, g };
        }
        free(one.v); /* the strings now belong to f */
    }
    *nfound = n;
    return f;
}

/* One entry per file. */
static size_t keep_one_per_file(found *f, size_t n)
{
    if (n)
        qsort(f, n, sizeof *f, by_file_then_preference);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && !strcmp(f[k - 1].real, f[i].real)) {
            free(f[i].path);
            free(f[i].real);
        } else {
            f[k++] = f[i];
        }
    }
    return k;
}

typedef struct named {
    const char *name, *path;
    size_t i;
} named;

static int by_name_then_path(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->path, y->path);
}

/* Rows are keyed by trace name, so two files of one name would share rows
 * (and charts would average them).  Each file after the first of a name is
 * reported at the glob that matched it. */
static int check_unique_names(const hb_config *cfg, const hb_tracelist *l, hb_errs *errs)
{
    size_t n = l->paths.n;
    named *v = malloc((n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = (named){ l->names[i], l->paths.v[i], i };
    if (n)
        qsort(v, n, sizeof *v, by_name_then_path);
    int rc = 0;
    for (size_t k = 1, first = 0; k < n; k++) {
        if (strcmp(v[first].name, v[k].name)) {
            first = k;
            continue;
        }
        size_t ga = l->glob[v[first].i], gb = l->glob[v[k].i];
        const hb_srcpos *at = &cfg->trace_pos[gb];
        char also[64] = "";
        if (ga != gb)
            snprintf(also, sizeof also, " (matched by the glob on line %u)",
                     cfg->trace_pos[ga].line);
        hb_errs_add(errs, "%s:%u:%u: error: %s and %s%s are both named \"%s\": rename one (or "
                    "give it a '#! name:' header)", cfg->path, at->line, at->col, v[k].path,
                    v[first].path, also, v[k].name);
        rc = -1;
    }
    free(v);
    return rc;
}

int hb_config_traces(const hb_config *cfg, hb_tracelist *out, hb_errs *errs)
{
    memset(out, 0, sizeof *out);
    out->matched = calloc(cfg->ntraces + 1, sizeof *out->matched);
    size_t n;
    found *f = expand(cfg, out->matched, &n);
    n = keep_one_per_file(f, n);
    if (n)
        qsort(f, n, sizeof *f, by_path);
    out->names = calloc(n + 1, sizeof *out->names);
    out->glob = calloc(n + 1, sizeof *out->glob);
    for (size_t i = 0; i < n; i++) {
        hb_pathlist_add(&out->paths, f[i].path);
        out->names[i] = result_name(f[i].path);
        out->glob[i] = f[i].glob;
        free(f[i].path);
        free(f[i].real);
    }
    free(f);
    return check_unique_names(cfg, out, errs);
}

void hb_tracelist_free(hb_tracelist *l)
{
    for (size_t i = 0; i < l->paths.n; i++)
        free(l->names[i]);
    free(l->names);
    free(l->glob);
    free(l->matched);
    hb_pathlist_free(&l->paths);
    memset(l, 0, sizeof *l);
}
