/* libFuzzer target: the rep trace reader (hb_trace_parse_buffer). */
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_text_reader(data, size, "fuzz.rep", HB_FMT_REP);
}
