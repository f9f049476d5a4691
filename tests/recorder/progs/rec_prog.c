/*
 * A program for the recorder tests, compiled by the test with `cc -O0`
 * (so no allocation is optimised away) and run under heapbench record.
 * Each mode uses distinctive sizes so the test can find its lines.
 *
 *   rec_prog threads N M   N threads x M rounds of malloc/realloc/calloc/free
 *   rec_prog handoff N     one thread allocates N blocks, another frees them
 *   rec_prog fork          parent and child each allocate; the child frees
 *                          a block it inherited
 *   rec_prog exec          100 x malloc(11111), then exec of "rec_prog mark"
 *   rec_prog mark          50 x malloc(22222), then exit
 *   rec_prog exit          50 x malloc(33333), then _exit(3)
 *   rec_prog closefds F    closes every fd, opens F, allocates (F must stay empty)
 *   rec_prog edges         free(NULL), realloc(p, 0), aligned calls, a failure
 *   rec_prog atexit        a destructor frees a block after main returns
 *   rec_prog --version     prints "rec_prog 1.2.3"
 *
 * With REC_PROG_MARKER=FILE in the environment, every run first appends a
 * line to FILE, so a test can count how often the program was started.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile sink; /* keeps every pointer observable */
static pthread_barrier_t start_line;

static void *worker(void *arg)
{
    long rounds = (long)(intptr_t)arg;
    pthread_barrier_wait(&start_line); /* all threads allocate at once */
    for (long i = 0; i < rounds; i++) {
        char *p = malloc(100 + (size_t)(i % 50));
        p[0] = 1;
        p = realloc(p, 300 + (size_t)(i % 70));
        char *q = calloc(3, 40);
        sink = q;
        free(p);
        free(q);
    }
    return NULL;
}

static int run_threads(int n, long m)
{
    pthread_t t[64];
    if (n > 64)
        n = 64;
    pthread_barrier_init(&start_line, NULL, (unsigned)n);
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)m);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    return 0;
}

/* Hand-off: one thread allocates, another frees.  The freed blocks go back
 * to the allocating thread's arena, so addresses freed by the consumer are
 * handed out to the producer again while the consumer is still inside free:
 * the window in which a badly ordered recorder would write lines in the
 * wrong order. */
#define RING 1024
static void *_Atomic ring[RING];

static void *consumer(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++) {
        void *p;
        while (!(p = ring[i % RING]))
            ;
        ring[i % RING] = NULL;
        free(p);
    }
    return NULL;
}

static int run_handoff(long n)
{
    pthread_t t;
    pthread_create(&t, NULL, consumer, (void *)(intptr_t)n);
    for (long i = 0; i < n; i++) {
        void *p = malloc(32 + (size_t)(i % 4) * 16);
        while (ring[i % RING])
            ;
        ring[i % RING] = p;
    }
    pthread_join(t, NULL);
    return 0;
}

static int run_fork(void)
{
    char *inherited = malloc(54321);
    sink = inherited;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        free(inherited);
        for (int i = 0; i < 20; i++)
            sink = malloc(12345);
        exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    for (int i = 0; i < 10; i++)
        sink = malloc(4444);
    free(inherited);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int run_exec(const char *self)
{
    for (int i = 0; i < 100; i++)
        sink = malloc(11111);
    execl(self, self, "mark", (char *)NULL);
    return 1;
}

static int run_mark(void)
{
    for (int i = 0; i < 50; i++)
        sink = malloc(22222);
    return 0;
}

static int run_exit(void)
{
    for (int i = 0; i < 50; i++)
        sink = malloc(33333);
    _exit(3);
}

static int run_edges(void)
{
    void *volatile nothing = NULL; /* a literal free(NULL) is folded away */
    free(nothing);
    char *p = malloc(777);
    sink = p;
    sink = realloc(p, 0);           /* frees p: `r ID 0` */
    sink = realloc(NULL, 888);      /* `a ID 888`        */
    void *a = NULL;
    if (posix_memalign(&a, 64, 1000) == 0)
        free(a);
    free(aligned_alloc(256, 512));
    free(memalign(128, 100));
    free(valloc(5000));
    free(calloc(7, 9));
    free(reallocarray(NULL, 6, 11));
    size_t huge = SIZE_MAX / 4;
    sink = malloc(huge);            /* fails: `# failed: malloc(...)` */
    return 0;
}

/* Closes every descriptor, opens its own file (which may get the number
 * the recorder had), then allocates enough to make the recorder grow its
 * output.  Fails if anything was written into its own file. */
static int run_closefds(const char *own)
{
    sink = malloc(10); /* the recorder has its file open from here on */
    for (int fd = 3; fd < 4096; fd++)
        close(fd);
    int fd = open(own, O_RDWR | O_CREAT | O_TRUNC, 0644);
    for (int i = 0; i < 100000; i++) {
        char *p = malloc(4321);
        free(p);
    }
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0 ? 0 : 1;
}

static char *kept;

__attribute__((destructor)) static void release_late(void)
{
    free(kept); /* after main returned: must still be recorded */
}

static int run_atexit(void)
{
    kept = malloc(66666);
    return 0;
}

static void mark_run(int argc, char **argv)
{
    const char *marker = getenv("REC_PROG_MARKER");
    FILE *f = marker ? fopen(marker, "a") : NULL;
    if (!f)
        return;
    fprintf(f, "run:");
    for (int i = 1; i < argc; i++)
        fprintf(f, " %s", argv[i]);
    fprintf(f, "\n");
    fclose(f);
}

int main(int argc, char **argv)
{
    mark_run(argc, argv);
    if (argc == 2 && !strcmp(argv[1], "--version")) {
        printf("rec_prog 1.2.3\n");
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "threads"))
        return run_threads(atoi(argv[2]), atol(argv[3]));
    if (argc >= 3 && !strcmp(argv[1], "handoff"))
        return run_handoff(atol(argv[2]));
    if (argc >= 2 && !strcmp(argv[1], "fork"))
        return run_fork();
    if (argc >= 2 && !strcmp(argv[1], "exec"))
        return run_exec(argv[0]);
    if (argc >= 2 && !strcmp(argv[1], "mark"))
        return run_mark();
    if (argc >= 2 && !strcmp(argv[1], "exit"))
        return run_exit();
    if (argc >= 3 && !strcmp(argv[1], "closefds"))
        return run_closefds(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "edges"))
        return run_edges();
    if (argc >= 2 && !strcmp(argv[1], "atexit"))
        return run_atexit();
    fprintf(stderr, "usage: rec_prog threads N M | handoff N | fork | exec | mark | closefds F | exit | edges | atexit\n");
    return 2;
}
