/*
 * yamlx: reading YAML configuration with errors a person can act on.
 *
 * A thin layer over libyaml's document API (yaml_parser_load): the whole file
 * becomes a node tree that keeps each node's line and column, and every
 * typed read that fails produces "FILE:LINE:COL: error: KEY: expected WHAT,
 * got 'TEXT'".  Used by the benchmark configuration and the synthetic trace
 * specifications.
 */
#ifndef HB_YAMLX_H
#define HB_YAMLX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

typedef struct hb_yaml {
    yaml_document_t doc;
    bool loaded;
    char path[512];
    char err[768]; /* the first error, formatted as above */
} hb_yaml;

/* Parses path.  Returns 0, or -1 with y->err set (syntax errors carry the
 * parser's line and column).  An empty file is an error, and so is a key
 * given twice in one mapping, at any level. */
int hb_yaml_load(hb_yaml *y, const char *path);

/* The same from a buffer; name is used in messages. */
int hb_yaml_load_string(hb_yaml *y, const char *name, const char *text, size_t len);

void hb_yaml_free(hb_yaml *y);

yaml_node_t *hb_yaml_root(hb_yaml *y);

/* Value of key in a mapping node, or NULL when absent (or map not a map). */
yaml_node_t *hb_yaml_get(hb_yaml *y, yaml_node_t *map, const char *key);

/* Number of items of a sequence node and the i-th item (NULL if none). */
size_t hb_yaml_seq_len(yaml_node_t *seq);
yaml_node_t *hb_yaml_seq_at(hb_yaml *y, yaml_node_t *seq, size_t i);

/* Mapping iteration: key text and value of the i-th pair. */
size_t hb_yaml_map_len(yaml_node_t *map);
const char *hb_yaml_map_key(hb_yaml *y, yaml_node_t *map, size_t i, yaml_node_t **value);

/* Scalar text or NULL. */
const char *hb_yaml_str(yaml_node_t *n);

bool hb_yaml_is_map(const yaml_node_t *n);
bool hb_yaml_is_seq(const yaml_node_t *n);

/* Typed reads of a node; what names the key in the message.  Each returns 0,
 * or -1 with y->err set (only the first error is kept). */
int hb_yaml_u64(hb_yaml *y, yaml_node_t *n, const char *what, uint64_t *out);
int hb_yaml_double(hb_yaml *y, yaml_node_t *n, const char *what, double *out);
int hb_yaml_bool(hb_yaml *y, yaml_node_t *n, const char *what, bool *out);
int hb_yaml_size(hb_yaml *y, yaml_node_t *n, const char *what, uint64_t *out);
int hb_yaml_duration(hb_yaml *y, yaml_node_t *n, const char *what, double *out);
int hb_yaml_string(hb_yaml *y, yaml_node_t *n, const char *what, const char **out);

/* Fails on the first key of map that is not in the NULL-terminated list,
 * naming the keys that are allowed. */
int hb_yaml_only_keys(hb_yaml *y, yaml_node_t *map, const char *what, const char *const *allowed);

/* Records an error at node n (first error wins); returns -1. */
int hb_yaml_fail(hb_yaml *y, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* HB_YAMLX_H */
