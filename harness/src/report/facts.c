#include "report/facts.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "load/load.h"

#ifndef HB_SOURCE_DIR
#define HB_SOURCE_DIR "."
#endif

/* One line of code: not blank, not inside or only a comment. */
static bool code_line(const char *s, bool *in_comment)
{
    bool code = false;
    for (; *s; s++) {
        if (*in_comment) {
            if (s[0] == '*' && s[1] == '/')
                *in_comment = false, s++;
        } else if (s[0] == '/' && s[1] == '*') {
            *in_comment = true, s++;
        } else if (s[0] == '/' && s[1] == '/') {
            break;
        } else if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
            code = true;
        }
    }
    return code;
}

static long count_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[4096];
    bool in_comment = false;
    long n = 0;
    while (fgets(line, sizeof line, f))
        n += code_line(line, &in_comment);
    fclose(f);
    return n;
}

long hb_count_loc(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 3 || e->d_name[0] == '.' ||
            (strcmp(e->d_name + len - 2, ".c") && strcmp(e->d_name + len - 2, ".h")))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        n += count_file(path);
    }
    closedir(d);
    return n;
}

/* The opening of a "## title" section of a markdown file (its first
 * sentence, or, when that ends in a colon, the list after it), flattened
 * for a table cell. */
static void section_sentence(const char *path, const char *title, char *out, size_t len)
{
    snprintf(out, len, "-");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024], text[2048] = "";
    bool in = false;
    size_t n = 0;
    while (fgets(line, sizeof line, f) && n < 600) {
        if (!strncmp(line, "## ", 3)) {
            if (in)
                break;
            in = !strncmp(line + 3, title, strlen(title));
            continue;
        }
        if (!in || line[0] == '|')
            continue;
        char *p = line + strspn(line, " -");
        for (; *p && n + 2 < sizeof text; p++) {
            if (*p == '*' || (*p == '\n' && n && text[n - 1] == ' '))
                continue;
            text[n++] = *p == '\n' || *p == '|' ? ' ' : *p;
        }
        text[n] = '\0';
    }
    fclose(f);
    char *s = text + strspn(text, " ");
    char *end = strlen(s) > 40 ? strstr(s + 40, ". ") : NULL;
    if (end)
        end[1] = '\0';
    if (*s)
        snprintf(out, len, "%.200s%s", s, strlen(s) > 200 ? "..." : "");
}

static const char *yes(const void *fn) { return fn ? "yes" : "no"; }

static void suite_row(FILE *f, const char *name, const char *dir)
{
    char readme[4200], use[300], over[300], bad[300], opts[300];
    snprintf(readme, sizeof readme, "%s/README.md", dir);
    section_sentence(readme, "Ease of use", use, sizeof use);
    section_sentence(readme, "Overhead", over, sizeof over);
    section_sentence(readme, "Invalid and double free", bad, sizeof bad);
    section_sentence(readme, "Options", opts, sizeof opts);
    char err[512];
    hb_loaded *l = hb_load(name, &(hb_load_opts){ 0 }, err, sizeof err);
    const hb_allocator *a = l ? l->api : NULL;
    fprintf(f, "| %s | native (`heapbench/allocator.h`) | %s | %s | %s | %s | %s | %s | %s | %ld |\n",
            name, use, a ? yes(a->calloc) : "?", a ? yes(a->realloc) : "?",
            a ? yes(a->aligned_alloc) : "?", over, bad, opts, hb_count_loc(dir));
    if (l)
        hb_unload(l);
}

static void other_row(FILE *f, const char *name)
{
    if (!strcmp(name, "mmap")) {
        fprintf(f, "| mmap | built into the harness (baseline) | nothing | yes | yes | yes | one "
                "page-rounded mapping per block | reported by the harness's table | none | %ld "
                "(harness/src/load/load_mmap.c) |\n",
                count_file(HB_SOURCE_DIR "/harness/src/load/load_mmap.c"));
        return;
    }
    fprintf(f, "| %s | libc (replaces malloc, one heap per process) | nothing: link or "
            "LD_PRELOAD it | yes | yes | yes | see the library's documentation | the "
            "library's own checks, not reported to the caller | environment variables | not in this tree |\n",
            name);
}

void hb_facts_table(FILE *f, char *const *names, size_t n)
{
    fprintf(f, "| allocator | contract | what the user must provide | calloc | realloc | "
               "aligned | overhead per block | invalid and double free | options | lines "
               "of code |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/allocators/%s", HB_SOURCE_DIR, names[i]);
        FILE *probe = NULL;
        char readme[4200];
        snprintf(readme, sizeof readme, "%s/README.md", dir);
        if ((probe = fopen(readme, "r"))) {
            fclose(probe);
            suite_row(f, names[i], dir);
        } else {
            other_row(f, names[i]);
        }
    }
}
