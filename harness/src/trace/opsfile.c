/*
 * hb_opsfile_write: the flat operation file of opsfile.h, written through
 * a buffer of whole records.
 */
#include "trace/opsfile.h"

#include <errno.h>
#include <string.h>

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static int write_all(const void *buf, size_t n, FILE *out)
{
    if (n && fwrite(buf, 1, n, out) != n) {
        if (!errno)
            errno = EIO;
        return -1;
    }
    return 0;
}

static void encode_op(unsigned char *r, const hb_op *op)
{
    put_u64(r, op->size);
    put_u32(r + 8, op->slot);
    put_u32(r + 12, op->aux);
    put_u32(r + 16, op->kind);
    put_u32(r + 20, 0);
}

int hb_opsfile_write(const hb_trace *t, FILE *out)
{
    unsigned char head[HB_OPSFILE_HEADER] = { 0 };
    memcpy(head, HB_OPSFILE_MAGIC, sizeof HB_OPSFILE_MAGIC);
    put_u32(head + 8, HB_OPSFILE_RECORD);
    put_u32(head + 12, t->nslots);
    put_u64(head + 16, t->nops);
    put_u64(head + 24, t->sum.peak_live_bytes);
    errno = 0;
    if (write_all(head, sizeof head, out) < 0)
        return -1;
    enum { BATCH = 512 }; /* 12 KiB of records per write */
    unsigned char buf[BATCH * HB_OPSFILE_RECORD];
    size_t n = 0;
    for (size_t i = 0; i < t->nops; i++) {
        encode_op(buf + n * HB_OPSFILE_RECORD, &t->ops[i]);
        if (++n == BATCH) {
            if (write_all(buf, n * HB_OPSFILE_RECORD, out) < 0)
                return -1;
            n = 0;
        }
    }
    return write_all(buf, n * HB_OPSFILE_RECORD, out);
}
