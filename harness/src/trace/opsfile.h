/*
 * The flat operation file: a loaded trace's ops in the simplest binary form
 * a program can mmap and replay without parsing anything (harness/refloop
 * reads it).  All fields are little-endian, as the machine stores them.
 *
 *   header, 32 bytes:
 *     0   char[8]  magic "HBOPS01\0"
 *     8   u32      record size in bytes (24)
 *     12  u32      nslots: the trace's peak live blocks; every slot < nslots
 *     16  u64      nops
 *     24  u64      peak live requested bytes (the loader's figure)
 *   then nops records of 24 bytes:
 *     0   u64      size   request in bytes (calloc: nmemb * elsize)
 *     8   u32      slot   dense block slot; 0xffffffff is free(NULL)
 *     12  u32      aux    calloc: nmemb; aligned: alignment; else 0
 *     16  u32      kind   0 malloc, 1 calloc, 2 realloc, 3 free, 4 aligned
 *     20  u32      zero
 *
 * The ops are the validated ones of hb_trace: a realloc(p, 0) of the source
 * is already a free, and a slot is reused only after its block died.
 */
#ifndef HB_OPSFILE_H
#define HB_OPSFILE_H

#include <stdio.h>

#include "trace/trace.h"

#define HB_OPSFILE_MAGIC "HBOPS01"
#define HB_OPSFILE_HEADER 32u
#define HB_OPSFILE_RECORD 24u

/* Writes t's ops to out.  Returns 0, or -1 with errno set. */
int hb_opsfile_write(const hb_trace *t, FILE *out);

#endif /* HB_OPSFILE_H */
