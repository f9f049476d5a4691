/*
 * The catalogues of bad input (tests/data/catalogue/): every bad trace goes
 * through `heapbench trace check`, every bad configuration through
 * `heapbench bench`, as a user would give them; each must fail with its
 * expected message (see the expected.txt of each folder for the format).
 * A command that blocks (a FIFO opened for reading) is killed after a
 * while, and fails the test.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define CATALOGUE HB_TEST_DATA "/catalogue"
#define MAX_SECONDS 30
#define MAX_ARGS 16

static char tmpdir[] = "/tmp/hb-catalogue-XXXXXX";

typedef struct entry {
    char *file, *expected, *extra; /* extra may be NULL */
    unsigned line;
} entry;

/* Runs argv with env (VAR=VALUE words, may be NULL) set; stdout and
 * stderr into *out.  Returns the exit status, or -1 when killed. */
static int run(char *const argv[], const char *env, char **out)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/out.txt", tmpdir);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        char buf[512];
        snprintf(buf, sizeof buf, "%s", env ? env : "");
        for (char *save, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
            putenv(strdup(w));
        alarm(MAX_SECONDS); /* survives exec: a blocked command dies */
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    FILE *f = fopen(path, "r");
    size_t cap = 0;
    *out = NULL;
    if (!f || getdelim(out, &cap, '\0', f) < 0) {
        free(*out);
        *out = strdup("");
    }
    if (f)
        fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The entries of DIR/expected.txt. */
static entry *read_entries(const char *dir, size_t *n)
{
    char path[PATH_MAX], *line = NULL;
    size_t cap = 0;
    entry *v = NULL;
    unsigned no = 0;
    snprintf(path, sizeof path, "%s/expected.txt", dir);
    FILE *f = fopen(path, "r");
    *n = 0;
    if (!f)
        return NULL;
    while (getline(&line, &cap, f) > 0) {
        no++;
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *save, *file = strtok_r(line, "\t", &save), *exp = strtok_r(NULL, "\t", &save);
        char *extra = strtok_r(NULL, "\t", &save);
        if (!exp) {
            fprintf(stderr, "%s:%u: expected FILE<TAB>MESSAGE\n", path, no);
            CHECK(0);
            continue;
        }
        v = realloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = (entry){ strdup(file), strdup(exp), extra ? strdup(extra) : NULL, no };
    }
    free(line);
    fclose(f);
    return v;
}

static void free_entries(entry *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].file);
        free(v[i].expected);
        free(v[i].extra);
    }
    free(v);
}

/* Where an entry's file is: "@NAME" becomes a FIFO in the temporary
 * folder, an absolute path stays, the rest is relative to dir. */
static void entry_path(const char *dir, const char *file, char *out, size_t len)
{
    if (file[0] == '@') {
        snprintf(out, len, "%s/%s", tmpdir, file + 1);
        unlink(out);
        CHECK(mkfifo(out, 0600) == 0);
    } else if (file[0] == '/') {
        snprintf(out, len, "%s", file);
    } else {
        snprintf(out, len, "%s/%s", dir, file);
    }
}

static void check_entry(const char *what, const entry *e, int status, int want, const char *out,
                        const char *expected)
{
    bool ok_status = want ? status == want : status > 0;
    if (!ok_status || !strstr(out, expected)) {
        fprintf(stderr, "%s, expected.txt line %u (%s): exit status %d, output:\n%s"
                "expected status %s and the line: %s\n\n", what, e->line, e->file, status, out,
                want ? "1" : "non-zero", expected);
        CHECK(0);
    }
}

static void test_bad_traces(void)
{
    const char *hb = getenv("HB_HEAPBENCH"), *dir = CATALOGUE "/traces";
    REQUIRE(hb);
    size_t n;
    entry *v = read_entries(dir, &n);
    CHECK(n >= 40);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX], *out;
        entry_path(dir, v[i].file, path, sizeof path);
        char *argv[] = { (char *)hb, "trace", "check", path, NULL };
        int st = run(argv, v[i].extra, &out);
        check_entry("trace catalogue", &v[i], st, 1, out, v[i].expected);
        free(out);
    }
    fprintf(stderr, "  %zu bad traces\n", n);
    free_entries(v, n);
}

/* s with every @DATA@, @FIXTURES@ and @ALLOCATORS@ replaced. */
static char *expand(const char *s)
{
    static const char *const keys[] = { "@DATA@", "@FIXTURES@", "@ALLOCATORS@" };
    const char *dirs[] = { CATALOGUE "/configs", HB_TEST_FIXTURES, HB_ALLOCATOR_DIR };
    char real[3][PATH_MAX], *buf = NULL;
    size_t len = 0;
    for (int k = 0; k < 3; k++)
        if (!realpath(dirs[k], real[k]))
            snprintf(real[k], sizeof real[k], "%s", dirs[k]);
    FILE *f = open_memstream(&buf, &len);
    while (*s) {
        int k = 0;
        while (k < 3 && strncmp(s, keys[k], strlen(keys[k])))
            k++;
        if (k < 3) {
            fputs(real[k], f);
            s += strlen(keys[k]);
        } else {
            fputc(*s++, f);
        }
    }
    fclose(f);
    return buf;
}

/* A copy of a catalogue file with its placeholders filled in, under the
 * same name; a file that is not there (or not a file) is used as it is. */
static void config_copy(const char *src, char *out, size_t len)
{
    struct stat st;
    if (stat(src, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(out, len, "%s", src);
        return;
    }
    FILE *f = fopen(src, "r");
    char *text = NULL;
    size_t cap = 0;
    if (!f || getdelim(&text, &cap, '\0', f) < 0) {
        free(text);
        text = strdup("");
    }
    if (f)
        fclose(f);
    char *full = expand(text);
    snprintf(out, len, "%s/%s", tmpdir, strrchr(src, '/') + 1);
    FILE *o = fopen(out, "w");
    fputs(full, o);
    fclose(o);
    free(text);
    free(full);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_bad_configs(void)
{
    const char *hb = getenv("HB_HEAPBENCH"), *dir = CATALOGUE "/configs";
    REQUIRE(hb);
    size_t n;
    entry *v = read_entries(dir, &n);
    CHECK(n >= 20);
    for (size_t i = 0; i < n; i++) {
        char src[PATH_MAX], path[PATH_MAX], outdir[PATH_MAX], words[256], *out;
        char *argv[MAX_ARGS] = { (char *)hb, "bench", "--config", path, "--out", outdir };
        size_t k = 6;
        entry_path(dir, v[i].file, src, sizeof src);
        if (v[i].file[0] == '@')
            snprintf(path, sizeof path, "%s", src);
        else
            config_copy(src, path, sizeof path);
        snprintf(outdir, sizeof outdir, "%s/results", tmpdir);
        snprintf(words, sizeof words, "%s", v[i].extra ? v[i].extra : "");
        for (char *save, *w = strtok_r(words, " ", &save); w && k + 1 < MAX_ARGS;
             w = strtok_r(NULL, " ", &save))
            argv[k++] = w;
        argv[k] = NULL;
        int st = run(argv, NULL, &out);
        char *expected = expand(v[i].expected);
        check_entry("config catalogue", &v[i], st, 0, out, expected);
        if (exists(outdir)) {
            fprintf(stderr, "config catalogue, line %u (%s): a results folder was made\n",
                    v[i].line, v[i].file);
            CHECK(0);
            char cmd[PATH_MAX + 16];
            snprintf(cmd, sizeof cmd, "rm -rf %s", outdir);
            CHECK(system(cmd) == 0);
        }
        free(expected);
        free(out);
    }
    fprintf(stderr, "  %zu bad configurations\n", n);
    free_entries(v, n);
}

/* run refuses a FIFO by name too, instead of waiting for a writer. */
static void test_run_refuses_fifo(void)
{
    const char *hb = getenv("HB_HEAPBENCH");
    REQUIRE(hb);
    char path[PATH_MAX], *out;
    entry_path(tmpdir, "@pipe.trace", path, sizeof path);
    char *argv[] = { (char *)hb, "run", "mmap", path, NULL };
    int st = run(argv, NULL, &out);
    CHECK(st > 0);
    CHECK_STR_CONTAINS(out, "pipe.trace: error: expected a trace file, got a FIFO (named pipe)");
    free(out);
}

/* run_bench.sh: a mistyped command is named, and COMMAND --help describes
 * the command without running it (HB_BUILD points nowhere, so a command
 * that ran would fail for want of a build). */
static void test_script_mistakes(void)
{
    static const char *const helps[][2] = {
        { "gen", "generate the synthetic traces" },
        { "plots", "draw the charts of a run" },
        { "selfbench", "heapbench scaling, and hyperfine" },
        { "run", "heapbench bench [--config F]" },
        { "fuzz", "run one libFuzzer target" },
    };
    const char *env = "HB_BUILD=/nonexistent/build";
    char *out;
    char *plot[] = { HB_SOURCE_DIR "/run_bench.sh", "plot", NULL };
    CHECK_EQ_U(run(plot, env, &out), 2);
    CHECK_STR_CONTAINS(out, "run_bench.sh: unknown command 'plot'; did you mean 'plots'?");
    CHECK_STR_CONTAINS(out, "usage: ./run_bench.sh COMMAND");
    free(out);
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        char *argv[] = { HB_SOURCE_DIR "/run_bench.sh", (char *)helps[i][0], "--help", NULL };
        CHECK_EQ_U(run(argv, env, &out), 0);
        CHECK_STR_CONTAINS(out, helps[i][1]);
        free(out);
    }
}

int main(void)
{
    if (!mkdtemp(tmpdir))
        return 1;
    RUN(test_bad_traces);
    RUN(test_bad_configs);
    RUN(test_run_refuses_fifo);
    RUN(test_script_mistakes);
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 1;
    return check_summary();
}
