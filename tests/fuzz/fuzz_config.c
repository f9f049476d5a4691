/*
 * libFuzzer target: the benchmark configuration reader (YAML through
 * util/yamlx.c into run/config.c).  A file is either read or refused with
 * at least one "FILE:LINE:COL: error:" line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "run/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hb_config c;
    char err[4096];
    if (hb_config_parse("fuzz.yaml", (const char *)data, size, &c, err, sizeof err) == 0) {
        FUZZ_ASSERT(c.nallocs > 0 && c.ntraces > 0 && c.repetitions >= 1);
        for (size_t i = 0; i < c.nallocs; i++)
            FUZZ_ASSERT(c.allocs[i].name && c.allocs[i].name[0]);
        hb_config_free(&c);
    } else {
        FUZZ_ASSERT(!strncmp(err, "fuzz.yaml", 9) && strstr(err, "error: "));
    }
    return 0;
}
