/*
 * libFuzzer target: the binary cache reader (hb_cache_read).  The input is
 * written as the entry of the key it claims (its header's key field), so
 * the reader gets past the file name to the checks of the contents.
 */
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "trace/cache.h"

#define KEY_OFFSET 16 /* magic[8], version, hdr_size */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

/* Each input's file is removed after it; the folder goes at exit. */
static void remove_dir(void)
{
    rmdir(dir);
}

static const char *cache_dir(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/hb-fuzz-cache-XXXXXX");
        FUZZ_ASSERT(mkdtemp(dir));
        atexit(remove_dir);
    }
    return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t key = 0;
    char path[128];
    if (size >= KEY_OFFSET + sizeof key)
        memcpy(&key, data + KEY_OFFSET, sizeof key);
    snprintf(path, sizeof path, "%s/%016llx.hbt", cache_dir(), (unsigned long long)key);
    FILE *f = fopen(path, "wb");
    FUZZ_ASSERT(f && fwrite(data, 1, size, f) == size && fclose(f) == 0);
    hb_trace t;
    if (hb_cache_read(cache_dir(), key, &t) == 0) {
        fuzz_check_trace_ops(&t);
        hb_trace_release(&t);
    }
    unlink(path);
    return 0;
}
