/*
 * Synthetic traces from YAML specs: the public face of the generator.
 *
 *     hb_spec s;  hb_spec_load("traces/synthetic/x.yaml", &s, err, sizeof err);
 *     hb_gen_text t;  hb_gen_trace(&s, &t, err, sizeof err);
 *     hb_gen_write_atomic("x.trace", t.text, t.len, err, sizeof err);
 *
 * The same spec bytes and seed give the same text, byte for byte.
 */
#ifndef HB_GEN_GEN_H
#define HB_GEN_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "gen/spec.h"

typedef struct hb_gen_text {
    char *text; /* the whole trace, header included; free() it */
    size_t len;
    uint64_t ops;              /* operation lines, final frees included */
    uint64_t final_frees;      /* of those, written by end: free        */
    uint64_t peak_live_bytes;  /* requested bytes                       */
    uint64_t peak_live_blocks;
    uint64_t end_live_blocks;  /* left live (leaked) at the end          */
} hb_gen_text;

int hb_gen_trace(const hb_spec *s, hb_gen_text *out, char *err, size_t errlen);

/* Writes data to path through a temporary file in the same directory and a
 * rename, so a reader sees the old file or the new one, never a part. */
int hb_gen_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* The "#! spec-hash:" of an existing trace's header.  Returns 0 when found,
 * -1 when the file is missing or has none. */
int hb_gen_header_hash(const char *path, uint64_t *hash);

#endif /* HB_GEN_GEN_H */
