/*
 * Typed reads of spec keys, shared by the spec's top level and its parts.
 * Each names the key by its path in the spec ("phases[2].size.sigma") and
 * leaves one FILE:LINE:COL message in the hb_yaml on failure.
 */
#ifndef HB_GEN_SPEC_READ_H
#define HB_GEN_SPEC_READ_H

#include <stdbool.h>
#include <stdint.h>

#include "gen/spec.h"
#include "util/yamlx.h"

typedef struct hb_spec_reader {
    hb_yaml *y;
    uint64_t max_size; /* the spec's cap on any one request */
} hb_spec_reader;

/* "where.key" into buf. */
const char *hb_spec_keypath(char *buf, size_t len, const char *where, const char *key);

/* Each reads map[key] if present (else keeps *out and returns 0), or
 * fails if required and absent. */
int hb_spec_size(hb_spec_reader *r, yaml_node_t *map, const char *where, const char *key,
                 bool required, uint64_t *out);
/* An amount of live memory: a size without the max_size cap. */
int hb_spec_amount(hb_spec_reader *r, yaml_node_t *map, const char *where, const char *key,
                   bool required, uint64_t *out);
int hb_spec_u64(hb_spec_reader *r, yaml_node_t *map, const char *where, const char *key,
                bool required, uint64_t lo, uint64_t *out);
/* A number in [lo, hi] (open at the ends where open_lo/open_hi). */
int hb_spec_double(hb_spec_reader *r, yaml_node_t *map, const char *where, const char *key,
                   bool required, double lo, double hi, bool open_lo, bool open_hi, double *out);
/* One of the NULL-terminated words; *out is its index. */
int hb_spec_word(hb_spec_reader *r, yaml_node_t *map, const char *where, const char *key,
                 const char *const *words, int *out);

int hb_spec_size_dist(hb_spec_reader *r, yaml_node_t *n, const char *where, hb_size_dist *d);
int hb_spec_lifetime(hb_spec_reader *r, yaml_node_t *n, const char *where, hb_lifetime *l);
int hb_spec_mix(hb_spec_reader *r, yaml_node_t *n, const char *where, hb_op_mix *m);

/* The default alignments of aligned allocations. */
void hb_spec_default_mix(hb_op_mix *m);

#endif /* HB_GEN_SPEC_READ_H */
