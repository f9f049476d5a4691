/*
 * pagemeta's check(): verifies the metadata against itself.  Linear in the
 * number of descriptors; never on a hot path.
 *
 *   1. every live descriptor is found again through the page map;
 *   2. a small page's recorded bound is at least its true longest run, and
 *      every run of used granules begins with a start bit;
 *   3. the buckets hold exactly the small pages with a free run, each in
 *      the bucket of its longest run, and the bucket bitmap marks exactly
 *      the non-empty buckets;
 *   4. the free-descriptor list holds exactly the unused descriptors.
 */
#include "pagemeta_internal.h"

#include "kit/check_fail.h"

static int check_small(const pm_heap *h, pm_page *d, char *msg, size_t msglen)
{
    if (pm_longest_run(h, d) > d->largest)
        return hb_check_fail(msg, msglen,
                             "pagemeta: ", "page %p: longest run %zu above its bound %u",
                             (void *)d->addr, pm_longest_run(h, d), d->largest);
    const uint64_t *used = pm_used(d), *start = pm_start(h, d);
    for (size_t g = hb_bits_scan(used, 0, h->granules, true); g < h->granules;) {
        if (!hb_bit(start, g))
            return hb_check_fail(msg, msglen,
                                 "pagemeta: ", "page %p: used run at granule %zu has no start bit",
                                 (void *)d->addr, g);
        size_t end = hb_bits_scan(used, g, h->granules, false);
        g = hb_bits_scan(used, end, h->granules, true);
    }
    return 0;
}

static int check_descriptors(const pm_heap *h, size_t *filed, char *msg, size_t msglen)
{
    size_t unused = 0, with_room = 0;
    for (uint32_t i = 0; i < h->ndesc; i++) {
        pm_page *d = pm_desc(h, i);
        if (d->kind == PM_UNUSED) {
            unused++;
            continue;
        }
        if (pm_lookup(h, (void *)d->addr) != i + 1)
            return hb_check_fail(msg, msglen,
                                 "pagemeta: ", "descriptor %u: page map does not point back", i);
        if (d->kind == PM_LARGE &&
            (d->addr < (uintptr_t)d->base || d->addr >= (uintptr_t)d->base + d->len))
            return hb_check_fail(msg, msglen,
                                 "pagemeta: ", "descriptor %u: pointer outside its run", i);
        if (d->kind == PM_SMALL && check_small(h, d, msg, msglen))
            return 1;
        with_room += d->kind == PM_SMALL && d->largest;
    }
    /* Every entry is checked before its link is followed: counting alone
     * would accept a list that holds a live descriptor instead of an unused
     * one, which pm_desc_new would then hand out again. */
    size_t listed = 0;
    for (uint32_t i = h->free_desc; i != PM_NONE && listed <= unused; i = pm_desc(h, i)->next) {
        if (i >= h->ndesc || pm_desc(h, i)->kind != PM_UNUSED)
            return hb_check_fail(
                msg, msglen, "pagemeta: ", "free list holds descriptor %u, not an unused one", i);
        listed++;
    }
    if (listed != unused)
        return hb_check_fail(msg, msglen,
                             "pagemeta: ", "%zu unused descriptors, %zu on the free list", unused,
                             listed);
    *filed = with_room;
    return 0;
}

static int check_buckets(const pm_heap *h, size_t filed, char *msg, size_t msglen)
{
    size_t seen = 0;
    for (size_t b = 0; b <= h->granules; b++) {
        uint32_t prev = PM_NONE;
        for (uint32_t i = h->bucket_head[b]; i != PM_NONE; prev = i, i = pm_desc(h, i)->next) {
            pm_page *d = pm_desc(h, i);
            if (d->kind != PM_SMALL || d->largest != b || d->prev != prev)
                return hb_check_fail(msg, msglen,
                                     "pagemeta: ", "bucket %zu: descriptor %u filed wrong", b, i);
            if (++seen > filed)
                return hb_check_fail(msg, msglen,
                                     "pagemeta: ", "buckets hold more pages than have room");
        }
        if (hb_bit(h->bucket_bits, b) != (h->bucket_head[b] != PM_NONE) ||
            (b == 0 && h->bucket_head[0] != PM_NONE))
            return hb_check_fail(msg, msglen, "pagemeta: ", "bucket %zu: bitmap bit is wrong", b);
    }
    if (seen != filed)
        return hb_check_fail(msg, msglen, "pagemeta: ", "%zu pages have room, %zu are in buckets",
                             filed, seen);
    return 0;
}

int pm_check(void *heap, char *msg, size_t msglen)
{
    const pm_heap *h = heap;
    size_t filed = 0;
    if (check_descriptors(h, &filed, msg, msglen) || check_buckets(h, filed, msg, msglen))
        return 1;
    if (msg && msglen)
        msg[0] = '\0';
    return 0;
}
