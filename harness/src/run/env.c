#define _GNU_SOURCE /* sched_getaffinity */
#include "run/env.h"

#include <gnu/libc-version.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run/registry.h"
#include "run/runner.h"

#ifndef HB_VERSION
#define HB_VERSION "unknown"
#endif
#ifndef HB_COMPILER
#define HB_COMPILER "unknown"
#endif
#ifndef HB_SOURCE_DIR
#define HB_SOURCE_DIR "."
#endif

/* Debian packages of the allocators compared. */
static const char *const packages[] = { "libc6", "libjemalloc2", "libmimalloc2.0",
                                        "libtcmalloc-minimal4", NULL };

char *hb_capture_line(char *const argv[])
{
    hb_job j;
    if (hb_job_start(&j, argv, 10.0))
        return NULL;
    hb_job_wait(&j);
    char *line = NULL;
    if (!j.timed_out && WIFEXITED(j.wstatus) && WEXITSTATUS(j.wstatus) == 0 && j.out.len) {
        size_t n = strcspn(j.out.data, "\n");
        if (n)
            line = strndup(j.out.data, n);
    }
    hb_job_free(&j);
    return line;
}

/* The value of the first "key<sep>value" line of a file, trimmed. */
static void file_field(const char *path, const char *key, char sep, char *out, size_t len)
{
    snprintf(out, len, "n/a");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    size_t klen = key ? strlen(key) : 0;
    while (fgets(line, sizeof line, f)) {
        char *v = line;
        if (key && (strncmp(line, key, klen) || !(v = strchr(line + klen, sep))))
            continue;
        v += key ? 1 : 0;
        v += strspn(v, " \t\"");
        size_t n = strcspn(v, "\"\n");
        snprintf(out, len, "%.*s", (int)n, v);
        break;
    }
    fclose(f);
}

static void write_machine(FILE *f)
{
    char buf[512];
    file_field("/proc/cpuinfo", "model name", ':', buf, sizeof buf);
    fprintf(f, "cpu: %s\n", buf);
    cpu_set_t set;
    int usable = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
    fprintf(f, "cores: %ld online, %d usable by this process\n", sysconf(_SC_NPROCESSORS_ONLN),
            usable);
    file_field("/proc/meminfo", "MemTotal", ':', buf, sizeof buf);
    fprintf(f, "memory: %s\n", buf);
    file_field("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", NULL, 0, buf, sizeof buf);
    fprintf(f, "cpu governor: %s\n", buf);
    file_field("/sys/kernel/mm/transparent_hugepage/enabled", NULL, 0, buf, sizeof buf);
    fprintf(f, "transparent hugepages: %s\n", buf);
    file_field("/proc/sys/kernel/randomize_va_space", NULL, 0, buf, sizeof buf);
    fprintf(f, "aslr (randomize_va_space): %s\n", buf);
}

static void write_system(FILE *f)
{
    char buf[512];
    struct utsname u;
    if (uname(&u) == 0)
        fprintf(f, "kernel: %s %s %s (%s)\n", u.sysname, u.release, u.machine, u.version);
    file_field("/etc/os-release", "PRETTY_NAME", '=', buf, sizeof buf);
    fprintf(f, "os: %s\n", buf);
    fprintf(f, "glibc: %s\n", gnu_get_libc_version());
}

static void write_build(FILE *f)
{
    fprintf(f, "heapbench: %s (%s)\n", HB_VERSION, hb_self_exe());
    fprintf(f, "compiler: %s\n", HB_COMPILER);
    char *commit = hb_capture_line((char *const[]){ "/usr/bin/git", "-C", HB_SOURCE_DIR,
                                                    "rev-parse", "HEAD", NULL });
    char *dirty = hb_capture_line((char *const[]){ "/usr/bin/git", "-C", HB_SOURCE_DIR, "status",
                                                   "--porcelain", "--untracked-files=no", NULL });
    fprintf(f, "git commit: %s%s\n", commit ? commit : "n/a",
            commit && dirty ? " (with uncommitted changes)" : "");
    free(commit);
    free(dirty);
}

static void write_packages(FILE *f)
{
    for (size_t i = 0; packages[i]; i++) {
        char *v = hb_capture_line((char *const[]){ "/usr/bin/dpkg-query", "-W",
                                                   "-f=${Version}", (char *)packages[i], NULL });
        fprintf(f, "package %s: %s\n", packages[i], v ? v : "not installed (or no dpkg)");
        free(v);
    }
}

void hb_env_write(FILE *f)
{
    char date[64], host[256] = "n/a";
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm);
    gethostname(host, sizeof host - 1);
    fprintf(f, "date: %s\nhost: %s\n", date, host);
    write_machine(f);
    write_system(f);
    write_build(f);
    write_packages(f);
    fflush(f);
}
