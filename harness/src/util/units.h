/*
 * Parsing of quantities written by people: byte sizes ("64MiB", "4096",
 * "1.5G") and durations ("120", "90s", "2m", "500ms").
 */
#ifndef HB_UNITS_H
#define HB_UNITS_H

#include <stdint.h>

/* Bytes: an integer or decimal number followed by an optional unit B, K, KB,
 * KiB, M, MB, MiB, G, GB, GiB, T, TiB (K/M/G/T and the -iB forms are powers
 * of 1024, KB/MB/GB are powers of 1000).  Returns 0, or -1 if s is not such
 * a size or it does not fit in 64 bits. */
int hb_parse_size(const char *s, uint64_t *out);

/* Seconds: a number followed by an optional unit ms, s, m, h. */
int hb_parse_duration(const char *s, double *out);

#endif /* HB_UNITS_H */
