/*
 * A map from 64-bit ids (block ids, addresses, thread ids) to what the
 * readers know about them: open addressing with linear probing, entries
 * never removed, so a freed id still says where it was freed.
 */
#ifndef HB_TRACE_IDMAP_H
#define HB_TRACE_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* slot values besides a live slot number */
#define HB_ID_DEAD UINT32_MAX         /* was live, freed at `line`     */
#define HB_ID_EMPTY (UINT32_MAX - 1u) /* unused table entry            */
#define HB_ID_MAX_SLOT (UINT32_MAX - 2u)

typedef struct hb_id_entry {
    uint64_t id;
    uint32_t slot; /* live slot, HB_ID_DEAD or HB_ID_EMPTY              */
    uint32_t line; /* live: line of birth; dead: line of death          */
} hb_id_entry;

typedef struct hb_idmap {
    hb_id_entry *tab;
    size_t mask; /* capacity - 1, capacity a power of two */
    size_t used;
    unsigned shift; /* 64 - log2(capacity): the hash takes the top bits */
} hb_idmap;

int hb_idmap_init(hb_idmap *m, size_t expected);
void hb_idmap_free(hb_idmap *m);

/* The entry of id, or NULL. */
hb_id_entry *hb_idmap_find(const hb_idmap *m, uint64_t id);

/* The entry of id, added (slot HB_ID_DEAD, line 0: "never seen") when
 * missing; NULL when out of memory.  Invalidates earlier entry pointers. */
hb_id_entry *hb_idmap_get(hb_idmap *m, uint64_t id);

#endif /* HB_TRACE_IDMAP_H */
