/*
 * Blocks inside small pages.
 *
 * Pages are filed in buckets by (an upper bound of) the length of their
 * longest free run in granules, with a bitmap of non-empty buckets.  malloc
 * takes the first non-empty bucket that can hold the request -- the page
 * whose longest run fits most tightly -- and fits the block inside that
 * page.  No step looks at more than one page (but for the amortized bound
 * corrections of pm_small_alloc), so the cost does not grow with the heap:
 * a page has a fixed number of granules, and the bucket bitmap a fixed
 * number of words.  A page with bound 0 is in no bucket.
 */
#include <assert.h>
#include "pagemeta_internal.h"

/* ---- buckets ------------------------------------------------------------------ */

static void bucket_unlink(pm_heap *h, pm_page *d)
{
    if (!d->largest)
        return;
    /* linked both ways: a neighbour points back, or d heads its bucket */
    assert(d->next == PM_NONE || pm_desc(h, pm_desc(h, d->next)->prev) == d);
    assert(d->prev != PM_NONE || pm_desc(h, h->bucket_head[d->largest]) == d);
    if (d->next != PM_NONE)
        pm_desc(h, d->next)->prev = d->prev;
    if (d->prev != PM_NONE)
        pm_desc(h, d->prev)->next = d->next;
    else if ((h->bucket_head[d->largest] = d->next) == PM_NONE)
        h->bucket_bits[d->largest >> 6] &= ~((uint64_t)1 << (d->largest & 63));
}

static void bucket_link(pm_heap *h, uint32_t i, pm_page *d)
{
    d->prev = d->next = PM_NONE;
    if (!d->largest)
        return;
    uint32_t head = h->bucket_head[d->largest];
    assert(head != i && pm_desc(h, i) == d);
    d->next = head;
    if (head != PM_NONE)
        pm_desc(h, head)->prev = i;
    h->bucket_head[d->largest] = i;
    pm_set(h->bucket_bits, d->largest);
}

void pm_bucket_move(pm_heap *h, uint32_t i, pm_page *d, uint32_t largest)
{
    if (largest == d->largest)
        return;
    bucket_unlink(h, d);
    d->largest = largest;
    bucket_link(h, i, d);
}

/* The page (descriptor index) whose longest run is the smallest >= need. */
static uint32_t bucket_find(const pm_heap *h, size_t need)
{
    size_t b = hb_bits_scan(h->bucket_bits, need, h->granules + 1, true);
    return b <= h->granules ? h->bucket_head[b] : PM_NONE;
}

/* ---- runs ------------------------------------------------------------------------ */

size_t pm_longest_run(const pm_heap *h, pm_page *d)
{
    const uint64_t *used = pm_used(d);
    size_t best = 0;
    for (size_t a = hb_bits_scan(used, 0, h->granules, false); a < h->granules;) {
        size_t b = hb_bits_scan(used, a, h->granules, true);
        if (b - a > best)
            best = b - a;
        a = hb_bits_scan(used, b, h->granules, false);
    }
    return best;
}

/* Best fit for n granules at a multiple of align (granules) in page d: the
 * start, or SIZE_MAX.  An exact fit ends the search early. */
static size_t best_fit(const pm_heap *h, pm_page *d, size_t n, size_t align)
{
    const uint64_t *used = pm_used(d);
    size_t best = SIZE_MAX, best_len = SIZE_MAX;
    for (size_t a = hb_bits_scan(used, 0, h->granules, false); a < h->granules;) {
        size_t b = hb_bits_scan(used, a, h->granules, true);
        size_t s = (a + align - 1) & ~(align - 1);
        if (s + n <= b && b - a < best_len) {
            best = s;
            best_len = b - a;
            if (best_len == n)
                break;
        }
        a = hb_bits_scan(used, b, h->granules, false);
    }
    return best;
}

/* Granule positions that are multiples of align within word k. */
static uint64_t aligned_mask(size_t k, size_t align)
{
    if (align == 1)
        return ~(uint64_t)0;
    if (align < 64)
        return ~(uint64_t)0 / (((uint64_t)1 << align) - 1);
    return (k << 6) % align ? 0 : 1;
}

/*
 * First fit for n <= 64 granules, a word at a time: with the free bits of
 * words k and k + 1 as one 128-bit value x, the bits of
 * x & x>>1 & ... & x>>(n-1) mark the granules where n free granules begin
 * (log2 n shift-and steps).  Runs crossing into the next word are found
 * because its bits are included.  SIZE_MAX when nothing fits.
 */
static size_t first_fit_short(const pm_heap *h, pm_page *d, size_t n, size_t align)
{
    const uint64_t *used = pm_used(d);
    for (size_t k = 0; k < h->words; k++) {
        uint64_t hi = k + 1 < h->words ? ~used[k + 1] : 0;
        unsigned __int128 r = (unsigned __int128)hi << 64 | (uint64_t)~used[k];
        for (size_t len = 1; len < n;) {
            size_t step = len < n - len ? len : n - len;
            r &= r >> step;
            len += step;
        }
        uint64_t hit = (uint64_t)r & aligned_mask(k, align);
        if (hit)
            return (k << 6) + hb_ctz64(hit);
    }
    return SIZE_MAX;
}

/* A place for n granules at a multiple of align in page d, or SIZE_MAX:
 * word-parallel first fit for short blocks, best fit over the runs for
 * longer ones. */
static size_t find_fit(const pm_heap *h, pm_page *d, size_t n, size_t align)
{
    return n > 64 ? best_fit(h, d, n, align) : first_fit_short(h, d, n, align);
}

/* ---- pages --------------------------------------------------------------------- */

/* Maps one more small page and files it; its descriptor index or PM_NONE. */
uint32_t pm_page_new(pm_heap *h)
{
    uint32_t i = pm_desc_new(h);
    if (i == PM_NONE)
        return PM_NONE;
    char *page = h->src.map(h->src.ctx, h->page_bytes);
    uint32_t *slot = page ? pm_map_slot(h, (uintptr_t)page, true) : NULL;
    if (!slot) {
        if (page)
            h->src.unmap(h->src.ctx, page, h->page_bytes);
        pm_desc_release(h, i);
        return PM_NONE;
    }
    *slot = i + 1;
    pm_page *d = pm_desc(h, i);
    d->addr = (uintptr_t)page;
    d->kind = PM_SMALL;
    d->largest = 0;
    pm_bucket_move(h, i, d, (uint32_t)h->granules);
    return i;
}

/*
 * n granules aligned to align granules (align <= granules).  A page's
 * bucket records an upper bound of its longest free run: exact after a free
 * or a correction, possibly stale after an allocation (which never
 * recomputes it).  When the page a bucket offers cannot hold the request,
 * its bound is corrected and the search goes on.  Each malloc makes at most
 * one bound stale and each failed try makes one exact, so the corrections
 * cost O(1) amortized per malloc.  Only when no bucket qualifies is a new
 * page mapped (never in mode=page).
 */
void *pm_small_alloc(pm_heap *h, size_t n, size_t align)
{
    /* Any page whose longest run is >= need has an aligned place for n. */
    size_t need = n + align - 1;
    uint32_t i = PM_NONE;
    size_t g = SIZE_MAX;
    while (g == SIZE_MAX && need <= h->granules && (i = bucket_find(h, need)) != PM_NONE) {
        pm_page *d = pm_desc(h, i);
        if ((g = find_fit(h, d, n, align)) == SIZE_MAX)
            pm_bucket_move(h, i, d, (uint32_t)pm_longest_run(h, d));
    }
    if (g == SIZE_MAX && h->single) /* one page: try it whatever its bound */
        g = find_fit(h, pm_desc(h, i = 0), n, align);
    if (g == SIZE_MAX) {
        if (h->single || (i = pm_page_new(h)) == PM_NONE)
            return NULL;
        g = find_fit(h, pm_desc(h, i), n, align);
    }
    pm_page *d = pm_desc(h, i);
    hb_bits_set(pm_used(d), g, g + n, true);
    hb_bits_set(pm_start(h, d), g, g + n, false);
    pm_set(pm_start(h, d), g);
    return (char *)d->addr + (g << h->gran_shift);
}

/* ---- blocks --------------------------------------------------------------------- */

/* End (exclusive, in granules) of the allocated block starting at g. */
size_t pm_block_end(const pm_heap *h, pm_page *d, size_t g)
{
    size_t next_start = hb_bits_scan(pm_start(h, d), g + 1, h->granules, true);
    size_t next_free = hb_bits_scan(pm_used(d), g + 1, next_start, false);
    return next_free;
}

/* What free(p) would find: OK with *g set, DOUBLE, or INVALID.  Reads the
 * descriptor only: the page itself is never touched. */
int pm_small_status(const pm_heap *h, pm_page *d, const void *p, size_t *g)
{
    size_t off = (size_t)((uintptr_t)p - d->addr);
    if (off >= h->page_bytes || off & (((size_t)1 << h->gran_shift) - 1))
        return HB_FREE_INVALID;
    *g = off >> h->gran_shift;
    if (!hb_bit(pm_start(h, (pm_page *)d), *g))
        return HB_FREE_INVALID;
    return hb_bit(pm_used(d), *g) ? HB_FREE_OK : HB_FREE_DOUBLE;
}

/* Raises the page's bound to the run now holding granule g, if longer: a
 * bound that was exact stays exact. */
static void note_free_run(pm_heap *h, uint32_t i, pm_page *d, size_t g)
{
    size_t lo = pm_scan_back(pm_used(d), g) + 1; /* SIZE_MAX + 1 == 0 */
    size_t hi = hb_bits_scan(pm_used(d), g, h->granules, true);
    if (hi - lo > d->largest)
        pm_bucket_move(h, i, d, (uint32_t)(hi - lo));
}

/* Clearing the used bits is the whole of free: the neighbours' free runs and
 * this one become one run by themselves.  The start bit stays. */
void pm_small_free(pm_heap *h, uint32_t i, pm_page *d, size_t g)
{
    size_t end = pm_block_end(h, d, g);
    hb_bits_set(pm_used(d), g, end, false);
    note_free_run(h, i, d, g);
}

/* Resizes the block at g to n granules in place, if the page allows. */
bool pm_small_resize(pm_heap *h, uint32_t i, pm_page *d, size_t g, size_t n)
{
    size_t end = pm_block_end(h, d, g);
    if (g + n <= end) {
        if (g + n < end) {
            hb_bits_set(pm_used(d), g + n, end, false);
            note_free_run(h, i, d, g + n);
        }
        return true;
    }
    if (g + n > h->granules)
        return false;
    size_t hi = hb_bits_scan(pm_used(d), end, h->granules, true);
    if (hi < g + n)
        return false;
    hb_bits_set(pm_used(d), end, g + n, true);
    hb_bits_set(pm_start(h, d), end, g + n, false);
    return true; /* the page's bound may be stale now: see pm_small_alloc */
}
