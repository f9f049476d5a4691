/*
 * The program behind glibc-2.36.mtrace (Debian 12, glibc 2.36):
 *
 *     gcc -g -O0 -o mt glibc-2.36.c
 *     MALLOC_TRACE=glibc-2.36.mtrace \
 *         LD_PRELOAD=/lib/x86_64-linux-gnu/libc_malloc_debug.so.0 ./mt
 *
 * It shows what the log records: calloc, memalign, posix_memalign and
 * realloc(NULL, n) as '+', realloc(p, 0) as '-', free(NULL) not at all,
 * realloc as a '<' '>' pair, a failed allocation as '+ (nil)', and a free
 * of a block allocated before mtrace() was called.
 */
#include <mcheck.h>
#include <stdlib.h>
#include <malloc.h>
int main(void){
  void *pre = malloc(10);
  mtrace();
  void *a = malloc(100);
  void *b = calloc(4, 32);
  a = realloc(a, 400);
  a = realloc(a, 100000);
  void *n = realloc(NULL, 50);
  void *z = malloc(0);
  void *m = memalign(64, 1000);
  void *p; posix_memalign(&p, 128, 200);
  void *al = aligned_alloc(256, 512);
  free(NULL);
  free(b);
  realloc(n, 0);
  free(pre);
  free(z); free(m); free(p); free(al);
  void *big = malloc((size_t)-1/2);
  (void)big;
  free(a);
  muntrace();
  return 0;
}
