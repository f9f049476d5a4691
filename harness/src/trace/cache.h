/*
 * The binary cache of parsed traces.  An entry is keyed by a hash of the
 * file's raw bytes (before decompression), the requested format and the
 * reader version, so a hit needs neither decompression nor parsing; it is
 * read back with mmap and checked (magic, version, sizes, payload hash)
 * before use, and a damaged entry is simply ignored.
 *
 * Directory: $HB_CACHE_DIR, else DIR_OF_EXECUTABLE/cache/traces when it
 * exists or can be made, else $HOME/.cache/heapbench.
 */
#ifndef HB_TRACE_CACHE_H
#define HB_TRACE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

/* Writes the cache directory to buf (opt_dir wins when not NULL); with
 * create, makes it when missing.  Returns 0, or -1 when none is usable. */
int hb_cache_dir(const char *opt_dir, int create, char *buf, size_t cap);

uint64_t hb_cache_key(const void *raw, size_t len, enum hb_trace_format fmt);

/* 0 and t filled from a valid entry (mapped), or -1: no usable entry. */
int hb_cache_read(const char *dir, uint64_t key, hb_trace *t);

/* Stores a freshly parsed t (before its path is attached).  0 or -1. */
int hb_cache_write(const char *dir, uint64_t key, const hb_trace *t);

/* Where the entry of key is (or would be) in dir. */
void hb_cache_entry_path(const char *dir, uint64_t key, char *buf, size_t cap);

/* The same entry through a file descriptor (at its start): written to it,
 * or mapped from it whatever its key.  Mapping allocates nothing: the
 * trace's ops and strings point into the mapping. */
int hb_cache_write_fd(int fd, uint64_t key, const hb_trace *t);
int hb_cache_read_fd(int fd, hb_trace *t);

typedef struct hb_cache_usage {
    unsigned entries;
    uint64_t bytes;
} hb_cache_usage;

int hb_cache_usage_of(const char *dir, hb_cache_usage *u);
/* Removes every entry (and stale temporary file); counts the entries. */
int hb_cache_clear(const char *dir, unsigned *removed);

#endif /* HB_TRACE_CACHE_H */
