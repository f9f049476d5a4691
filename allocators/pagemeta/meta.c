/*
 * pagemeta's metadata store, all of it in the memory source's grow() region.
 *
 * Metadata only ever grows (descriptors are recycled, never returned), so
 * it is carved by bumping the break: no allocator inside the allocator.
 * Two structures live there:
 *
 *   descriptors  a segmented array: chunk k holds 16 * 2^k descriptors, so
 *                index -> address is a log2 and an add, and growing never
 *                moves a descriptor (pointers to them stay valid);
 *   page map     a radix tree from page number to descriptor index + 1, as
 *                in a hardware page table: inner nodes of 512 pointers, leaves
 *                of 512 indices, so a lookup is a fixed number of loads
 *                whatever the number of pages.
 */
#include "pagemeta_internal.h"

#include <string.h>

/* Bytes from the grow() region, zero-filled, 16-aligned; NULL when the
 * memory source refuses. */
void *pm_meta_alloc(pm_heap *h, size_t bytes)
{
    bytes = (bytes + 15) & ~(size_t)15;
    if (bytes > (size_t)INTPTR_MAX)
        return NULL;
    char *p = h->src.grow(h->src.ctx, (intptr_t)bytes);
    if (!p)
        return NULL;
    if (p != h->meta_end)
        h->contiguous = false;
    h->meta_end = p + bytes;
    memset(p, 0, bytes);
    return p;
}

/* ---- descriptors ------------------------------------------------------------ */

static unsigned chunk_of(uint32_t i, size_t *offset)
{
    size_t j = (size_t)i / PM_CHUNK0 + 1;
    unsigned k = hb_log2_floor(j);
    *offset = (size_t)i - PM_CHUNK0 * (((size_t)1 << k) - 1);
    return k;
}

pm_page *pm_desc(const pm_heap *h, uint32_t i)
{
    size_t off;
    unsigned k = chunk_of(i, &off);
    return (pm_page *)((char *)h->chunk[k] + off * h->stride);
}

/* A cleared descriptor (kind PM_UNUSED) and its index, or PM_NONE. */
uint32_t pm_desc_new(pm_heap *h)
{
    uint32_t i = h->free_desc;
    if (i != PM_NONE) {
        h->free_desc = pm_desc(h, i)->next;
    } else {
        size_t off;
        i = h->ndesc;
        unsigned k = chunk_of(i, &off);
        if (k >= PM_CHUNKS || i == PM_NONE - 1)
            return PM_NONE;
        if (!h->chunk[k] &&
            !(h->chunk[k] = pm_meta_alloc(h, ((size_t)PM_CHUNK0 << k) * h->stride)))
            return PM_NONE;
        h->ndesc++;
    }
    memset(pm_desc(h, i), 0, h->stride);
    return i;
}

void pm_desc_release(pm_heap *h, uint32_t i)
{
    pm_page *d = pm_desc(h, i);
    d->kind = PM_UNUSED;
    d->next = h->free_desc;
    h->free_desc = i;
}

/* ---- page map --------------------------------------------------------------- */

static void *node(pm_heap *h, void **slot, size_t bytes, bool create)
{
    if (!*slot && create)
        *slot = pm_meta_alloc(h, bytes);
    return *slot;
}

/* The page-map entry of the page holding addr; with create, missing nodes
 * are added.  NULL when addr is beyond the map or a node cannot be made. */
uint32_t *pm_map_slot(pm_heap *h, uintptr_t addr, bool create)
{
    uint64_t key = (uint64_t)addr >> h->page_shift;
    if (key >> (PM_RADIX_BITS * (h->levels + 1)))
        return NULL;
    void **slot = (void **)&h->root;
    for (unsigned l = 0; l < h->levels; l++) {
        void **inner = node(h, slot, PM_RADIX_FAN * sizeof(void *), create);
        if (!inner)
            return NULL;
        slot = &inner[(key >> (PM_RADIX_BITS * (h->levels - l))) & (PM_RADIX_FAN - 1)];
    }
    uint32_t *leaf = node(h, slot, PM_RADIX_FAN * sizeof(uint32_t), create);
    return leaf ? &leaf[key & (PM_RADIX_FAN - 1)] : NULL;
}

/* Descriptor index + 1 for the page holding p, 0 if none, PM_RETIRED for a
 * freed large run.  Read only. */
uint32_t pm_lookup(const pm_heap *h, const void *p)
{
    uint32_t *slot = pm_map_slot((pm_heap *)h, (uintptr_t)p, false);
    return slot ? *slot : 0;
}
