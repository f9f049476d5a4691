/*
 * A parsed trace handed to a fresh process through a file descriptor.
 *
 * Parsing a trace mallocs and frees large buffers; in the process that
 * then replays a libc-contract allocator (perhaps the harness's own
 * glibc), that history changes the allocator's behaviour (glibc raises its
 * mmap threshold after freeing a large mapped block).  So the trace is
 * loaded in one process and replayed in another, exec'd afresh, which maps
 * the binary-cache entry it inherits and allocates nothing for it.
 */
#ifndef HB_TRACE_HANDOFF_H
#define HB_TRACE_HANDOFF_H

#include "trace/trace.h"

/* Loads the trace at path (writing the binary cache as hb_trace_load
 * does) and returns a descriptor that survives exec: the cache entry
 * itself, or, when the cache is off or cannot be written, a memfd holding
 * the same bytes.  -1 with the problems reported through d. */
int hb_trace_handoff(const char *path, const hb_trace_load_opts *opts, hb_diag *d);

/* Maps the trace behind fd (then closed) as path's trace.  0 or -1. */
int hb_trace_from_fd(int fd, const char *path, hb_trace *t);

#endif /* HB_TRACE_HANDOFF_H */
