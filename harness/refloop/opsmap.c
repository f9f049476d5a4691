/*
 * The flat op file written by `heapbench trace export-ops` (its layout is
 * documented in harness/src/trace/opsfile.h), mapped read-only and checked
 * once before any pass, so the loop itself can trust every record:
 *
 *   header, 32 bytes: "HBOPS01\0", u32 record size (24), u32 nslots,
 *                     u64 nops, u64 peak live requested bytes
 *   records, 24 bytes: u64 size, u32 slot, u32 aux, u32 kind, u32 zero
 *
 * The check replays the slots' sizes (no allocator) and requires the peak
 * of live requested bytes to equal the header's: a file whose records were
 * damaged or misread cannot pass it.
 */
#define _GNU_SOURCE
#include "refloop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { HEADER = 32, RECORD = 24 };

static int fail(const char *path, const char *what, uint64_t rec)
{
    if (rec == UINT64_MAX)
        fprintf(stderr, "%s: error: %s\n", path, what);
    else
        fprintf(stderr, "%s: record %llu: error: %s\n", path, (unsigned long long)rec, what);
    return -1;
}

static uint32_t get_u32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get_u64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static int read_header(const char *path, const unsigned char *h, size_t len, rl_ops *o)
{
    if (len < HEADER || memcmp(h, "HBOPS01", 8))
        return fail(path, "not an op file (expected the magic \"HBOPS01\"; write one with "
                          "'heapbench trace export-ops')", UINT64_MAX);
    if (get_u32(h + 8) != RECORD)
        return fail(path, "record size is not 24 bytes", UINT64_MAX);
    o->nslots = get_u32(h + 12);
    o->nops = get_u64(h + 16);
    o->peak_live_bytes = get_u64(h + 24);
    if (o->nops > (len - HEADER) / RECORD || len - HEADER != o->nops * RECORD)
        return fail(path, "file length does not match the header's operation count",
                    UINT64_MAX);
    return 0;
}

/* Every slot in range, every kind known; live bytes replayed per slot. */
static int check_ops(const char *path, rl_ops *o)
{
    /* Mapped, not taken from malloc: with glibc as the allocator replayed,
     * a block this large would be mmapped and its free would raise glibc's
     * mmap and trim thresholds, so the replay would start from a heap that
     * returns no memory on free, unlike the harness's. */
    size_t len = (o->nslots ? o->nslots : 1) * sizeof(uint64_t);
    uint64_t *live = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (live == MAP_FAILED)
        return fail(path, "out of memory", UINT64_MAX);
    uint64_t now = 0, peak = 0;
    int rc = 0;
    for (uint64_t i = 0; i < o->nops && !rc; i++) {
        const rl_op *op = &o->ops[i];
        if (op->kind >= RL_KINDS)
            rc = fail(path, "unknown kind (expected 0..4)", i);
        else if (op->slot >= o->nslots && !(op->kind == RL_FREE && op->slot == RL_SLOT_NONE))
            rc = fail(path, "slot out of range", i);
        if (rc)
            break;
        o->count[op->kind]++;
        if (op->slot == RL_SLOT_NONE)
            continue;
        now -= live[op->slot];
        live[op->slot] = op->kind == RL_FREE ? 0 : op->size;
        now += live[op->slot];
        if (now > peak)
            peak = now;
    }
    munmap(live, len);
    if (!rc && peak != o->peak_live_bytes)
        rc = fail(path, "replayed peak live bytes differ from the header's", UINT64_MAX);
    return rc;
}

int rl_ops_open(const char *path, rl_ops *o)
{
    memset(o, 0, sizeof *o);
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "%s: error: cannot open: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    o->maplen = (size_t)st.st_size;
    o->map = o->maplen ? mmap(NULL, o->maplen, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0)
                       : MAP_FAILED;
    close(fd);
    if (o->map == MAP_FAILED) {
        o->map = NULL;
        return fail(path, "empty or cannot be mapped", UINT64_MAX);
    }
    o->ops = (const rl_op *)((const unsigned char *)o->map + HEADER);
    if (read_header(path, o->map, o->maplen, o) < 0 || check_ops(path, o) < 0) {
        rl_ops_close(o);
        return -1;
    }
    return 0;
}

void rl_ops_close(rl_ops *o)
{
    if (o->map)
        munmap(o->map, o->maplen);
    o->map = NULL;
}
