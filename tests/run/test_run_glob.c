/* Finding traces: globs with "**", the trace suffixes, sorting, duplicates,
 * and trace names read from headers; a configuration's traces, each file
 * once, and two files of one name refused. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "run/config.h"
#include "run/tracefind.h"

static char root[256];

static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0777);
            *p = '/';
        }
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void make_tree(void)
{
    /* a fresh folder: one named after the pid may be left from a killed run */
    snprintf(root, sizeof root, "/tmp/hb-glob-XXXXXX");
    if (!mkdtemp(root))
        return;
    put("top.trace", "a 1 8\n");
    put("a/x.trace", "#! name: named-x\n# a comment\n#! source: test\na 1 8\nf 1\n");
    put("a/b/c/y.trace", "a 1 8\n");
    put("a/b/z.rep", "10\n1\n1\n1\na 0 8\n");
    put("a/b/notes.txt", "not a trace\n");
    put("a/.hidden/h.trace", "a 1 8\n");
    put("a/b/late.trace", "a 1 8\n#! name: too-late\n");
}

static size_t count(const char *pattern, hb_pathlist *l)
{
    memset(l, 0, sizeof *l);
    size_t n = hb_glob_traces(pattern, l);
    hb_pathlist_finish(l);
    return n;
}

static bool has(const hb_pathlist *l, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], path))
            return true;
    return false;
}

static void test_match(void)
{
    CHECK(hb_glob_match("traces/**/*.trace", "traces/x.trace"));
    CHECK(hb_glob_match("traces/**/*.trace", "traces/a/b/x.trace"));
    CHECK(!hb_glob_match("traces/**/*.trace", "other/x.trace"));
    CHECK(!hb_glob_match("traces/*.trace", "traces/a/x.trace"));
    CHECK(hb_glob_match("./traces/*.trace", "traces/x.trace"));
    CHECK(!hb_glob_match("traces/**/*.trace", "traces/.git/x.trace"));
    CHECK(hb_glob_match("**/x.trace", "a/b/x.trace"));
    CHECK(!hb_glob_match("/abs/*.trace", "abs/x.trace"));
    CHECK(hb_glob_match("t/**/b/**/*.rep", "t/a/b/c/d.rep"));
}

static void test_recursive(void)
{
    hb_pathlist l;
    char pat[512];
    snprintf(pat, sizeof pat, "%s/**/*.trace", root);
    CHECK_EQ_U(count(pat, &l), 4); /* top, x, y, late; not the hidden one */
    CHECK(has(&l, "top.trace") && has(&l, "a/x.trace") && has(&l, "a/b/c/y.trace"));
    CHECK(!has(&l, "a/.hidden/h.trace"));
    for (size_t i = 1; i < l.n; i++)
        CHECK(strcmp(l.v[i - 1], l.v[i]) < 0);
    hb_pathlist_free(&l);
}

static void test_single_level_and_suffixes(void)
{
    hb_pathlist l;
    char pat[512];
    snprintf(pat, sizeof pat, "%s/a/b/*", root);
    CHECK_EQ_U(count(pat, &l), 2); /* z.rep and late.trace, not notes.txt */
    CHECK(has(&l, "a/b/z.rep") && has(&l, "a/b/late.trace"));
    hb_pathlist_free(&l);
}

static void test_duplicates_removed(void)
{
    hb_pathlist l = { 0 };
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/**/*.trace", root);
    snprintf(p2, sizeof p2, "%s/a/*.trace", root);
    hb_glob_traces(p1, &l);
    hb_glob_traces(p2, &l);
    hb_glob_traces(p1, &l);
    hb_pathlist_finish(&l);
    CHECK_EQ_U(l.n, 4);
    hb_pathlist_free(&l);
}

static void test_literal_and_missing(void)
{
    hb_pathlist l;
    char pat[512];
    snprintf(pat, sizeof pat, "%s/a/x.trace", root);
    CHECK_EQ_U(count(pat, &l), 1);
    hb_pathlist_free(&l);
    snprintf(pat, sizeof pat, "%s/nothing/**/*.trace", root);
    CHECK_EQ_U(count(pat, &l), 0);
    hb_pathlist_free(&l);
}

static void test_names(void)
{
    char path[512], name[256];
    snprintf(path, sizeof path, "%s/a/x.trace", root);
    hb_trace_display_name(path, name, sizeof name);
    CHECK(!strcmp(name, "named-x"));
    snprintf(path, sizeof path, "%s/a/b/late.trace", root);
    hb_trace_display_name(path, name, sizeof name);
    CHECK(!strcmp(name, "late")); /* metadata after the first op is a comment */
    snprintf(path, sizeof path, "%s/a/b/z.rep", root);
    hb_trace_display_name(path, name, sizeof name);
    CHECK(!strcmp(name, "z"));
}

static void test_compressed_name(void)
{
    char cmd[1024], path[512], name[256];
    put("comp.trace", "#! name: packed\na 1 8\n");
    snprintf(cmd, sizeof cmd, "xz -kf %s/comp.trace && gzip -kf %s/comp.trace", root, root);
    REQUIRE(system(cmd) == 0);
    snprintf(path, sizeof path, "%s/comp.trace.xz", root);
    hb_trace_display_name(path, name, sizeof name);
    CHECK(!strcmp(name, "packed"));
    snprintf(path, sizeof path, "%s/comp.trace.gz", root);
    hb_trace_display_name(path, name, sizeof name);
    CHECK(!strcmp(name, "packed"));
}

/* A configuration whose traces: are the given globs, one a line, under root. */
static int parse_globs(hb_config *c, const char *const *globs)
{
    char text[2048] = "allocators: [mmap]\ntraces:\n", err[1024] = "";
    for (size_t i = 0; globs[i]; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "  - '%s/%s'\n", root,
                 globs[i]);
    int rc = hb_config_parse("cfg.yaml", text, strlen(text), c, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    return rc;
}

static void test_config_file_once(void)
{
    put("once/one/foo.trace", "a 1 8\nf 1\n");
    char target[512], link[512];
    snprintf(target, sizeof target, "%s/once/one/foo.trace", root);
    snprintf(link, sizeof link, "%s/once/link.trace", root);
    REQUIRE(symlink(target, link) == 0);
    /* the file by a glob, by a path with "./" in it, and by a link */
    static const char *const globs[] = { "once/**/*.trace", "once/./one/foo.trace",
                                         "once/*.trace", "once/none/*.trace", NULL };
    hb_config c;
    REQUIRE(parse_globs(&c, globs) == 0);
    hb_tracelist l;
    char err[1024];
    hb_errs errs;
    hb_errs_init(&errs, err, sizeof err);
    CHECK(hb_config_traces(&c, &l, &errs) == 0);
    CHECK_EQ_U(errs.n, 0);
    REQUIRE(l.paths.n == 1);
    CHECK(!strcmp(l.paths.v[0], target)); /* the file's own path, not the link */
    CHECK(!strcmp(l.names[0], "foo"));
    CHECK_EQ_U(l.glob[0], 0);
    CHECK_EQ_U(l.matched[0], 2); /* the file and the link */
    CHECK_EQ_U(l.matched[1], 1);
    CHECK_EQ_U(l.matched[2], 1);
    CHECK_EQ_U(l.matched[3], 0);
    hb_tracelist_free(&l);
    hb_config_free(&c);
}

static void test_config_same_name_refused(void)
{
    put("same/a/foo.trace", "a 1 8\nf 1\n");
    put("same/b/foo.trace", "a 1 16\nf 1\n");
    put("same/b/named.trace", "#! name: foo\na 1 8\nf 1\n");
    put("same/b/comma.trace", "#! name: x,y\na 1 8\nf 1\n");
    static const char *const globs[] = { "same/a/*.trace", "same/b/*.trace", NULL };
    hb_config c;
    REQUIRE(parse_globs(&c, globs) == 0);
    hb_tracelist l;
    char err[2048], want[1024];
    hb_errs errs;
    hb_errs_init(&errs, err, sizeof err);
    CHECK(hb_config_traces(&c, &l, &errs) == -1);
    hb_errs_end(&errs);
    CHECK_EQ_U(errs.n, 2);
    /* each later file at its own glob (line 4), naming the first file's */
    snprintf(want, sizeof want, "cfg.yaml:4:5: error: %s/same/b/foo.trace and %s/same/a/foo.trace "
             "(matched by the glob on line 3) are both named \"foo\": rename one (or give it a "
             "'#! name:' header)", root, root);
    CHECK_STR_CONTAINS(err, want);
    snprintf(want, sizeof want, "cfg.yaml:4:5: error: %s/same/b/named.trace and "
             "%s/same/a/foo.trace", root, root);
    CHECK_STR_CONTAINS(err, want);
    CHECK_EQ_U(l.paths.n, 4); /* the list is still there, for list to show */
    bool comma = false;
    for (size_t i = 0; i < l.paths.n; i++)
        comma = comma || !strcmp(l.names[i], "x_y"); /* as results.csv will have it */
    CHECK(comma);
    hb_tracelist_free(&l);
    hb_config_free(&c);

    /* Within one glob, the message names no other line. */
    static const char *const one[] = { "same/**/foo.trace", NULL };
    REQUIRE(parse_globs(&c, one) == 0);
    hb_errs_init(&errs, err, sizeof err);
    CHECK(hb_config_traces(&c, &l, &errs) == -1);
    snprintf(want, sizeof want, "cfg.yaml:3:5: error: %s/same/b/foo.trace and %s/same/a/foo.trace "
             "are both named \"foo\"", root, root);
    CHECK_STR_CONTAINS(err, want);
    hb_tracelist_free(&l);
    hb_config_free(&c);
}

int main(void)
{
    make_tree();
    RUN(test_match);
    RUN(test_recursive);
    RUN(test_single_level_and_suffixes);
    RUN(test_duplicates_removed);
    RUN(test_literal_and_missing);
    RUN(test_names);
    RUN(test_compressed_name);
    RUN(test_config_file_once);
    RUN(test_config_same_name_refused);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return check_summary();
}
