/*
 * Boundary tags: the block layer under firstfit and bestfit.
 *
 * The heap is one contiguous run of blocks that ends at the watermark (the
 * break of the memory source).  Each block starts with a 16-byte header
 * holding its own size, the size of the block just below it, and whether it
 * is in use, so both neighbours of any block are one addition away:
 *
 *   word 0:  bits 0..47  size in bytes, header included (a multiple of 16);
 *                        its low bits, which sizes never use, hold flags:
 *                        bit 0 this block is in use, bit 1 the previous
 *                        block is free
 *            bits 48..63 upper half of the seal
 *   word 1:  bits 0..47  size of the previous block (0: first block)
 *            bits 48..63 lower half of the seal
 *
 * The seal is a 32-bit hash of both words, the header's own address and a
 * per-heap salt.  A header is only trusted when its seal matches, so free()
 * can tell a block start from user data or from a pointer into the middle of
 * a block with a false-accept chance of about 2^-32, and a header copied
 * elsewhere does not match either.  48 bits of size cover any heap: the
 * allocators refuse to let a heap pass BT_HEAP_MAX bytes.
 *
 * The previous block's state is repeated in the header (as dlmalloc's
 * PREV_INUSE bit does) so that freeing a block whose lower neighbour is in
 * use never touches that neighbour: one cache miss fewer on the hot path.
 *
 * A block's payload starts right after its header; blocks start 16-byte
 * aligned, so payloads are 16-byte aligned too.  The last header, just below
 * the watermark, is an epilogue: size 0, in use, so walks and merges stop
 * there without a bounds test.
 */
#ifndef HB_BOUNDARY_TAG_H
#define HB_BOUNDARY_TAG_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <heapbench/allocator.h>

#define BT_HEADER 16
#define BT_USED UINT64_C(1)
#define BT_PREV_FREE UINT64_C(2)
#define BT_FLAGS (BT_USED | BT_PREV_FREE)
#define BT_LOW48 ((UINT64_C(1) << 48) - 1)
#define BT_SIZE_MASK (BT_LOW48 & ~UINT64_C(15))
#define BT_HEAP_MAX (UINT64_C(1) << 47) /* largest heap, header block included */

typedef struct bt_block {
    uint64_t size_word;
    uint64_t prev_word;
} bt_block;

static inline size_t bt_size(const bt_block *b) { return (size_t)(b->size_word & BT_SIZE_MASK); }

static inline size_t bt_prev_size(const bt_block *b) { return (size_t)(b->prev_word & BT_LOW48); }

static inline bool bt_is_used(const bt_block *b) { return b->size_word & BT_USED; }

static inline bool bt_prev_is_free(const bt_block *b) { return b->size_word & BT_PREV_FREE; }

static inline uint64_t bt_flags(const bt_block *b) { return b->size_word & BT_FLAGS; }

static inline bt_block *bt_next(const bt_block *b)
{
    return (bt_block *)((char *)b + bt_size(b));
}

/* Only meaningful when bt_prev_size(b) != 0. */
static inline bt_block *bt_prev(const bt_block *b)
{
    return (bt_block *)((char *)b - bt_prev_size(b));
}

static inline void *bt_payload(bt_block *b) { return (char *)b + BT_HEADER; }

static inline bt_block *bt_of_payload(void *p) { return (bt_block *)((char *)p - BT_HEADER); }

/* Per-heap salt: a mix of the heap's own address, so no global state. */
static inline uint64_t bt_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xBF58476D1CE4E5B9);
    x ^= x >> 27;
    x *= UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

/* The two multipliers are odd, so each word alone maps one-to-one before
 * the final mix spreads every input bit over the 32 bits kept. */
static inline uint32_t bt_seal_of(uint64_t salt, const bt_block *b, uint64_t w0, uint64_t w1)
{
    uint64_t x = (salt ^ (uint64_t)(uintptr_t)b) + w0 * UINT64_C(0x9E3779B97F4A7C15) +
                 w1 * UINT64_C(0xD6E8FEB86659FD93);
    return (uint32_t)(bt_mix(x) >> 32);
}

/* Writes a whole header; flags is a mix of BT_USED and BT_PREV_FREE.
 * Every change to a header goes through here, so every header below the
 * watermark is sealed. */
static inline void bt_write(uint64_t salt, bt_block *b, size_t size, size_t prev, uint64_t flags)
{
    uint64_t w0 = (uint64_t)size | flags, w1 = (uint64_t)prev;
    uint32_t seal = bt_seal_of(salt, b, w0, w1);
    b->size_word = w0 | (uint64_t)(seal >> 16) << 48;
    b->prev_word = w1 | (uint64_t)(seal & 0xFFFF) << 48;
}

static inline bool bt_sealed(uint64_t salt, const bt_block *b)
{
    uint64_t w0 = b->size_word & BT_LOW48, w1 = b->prev_word & BT_LOW48;
    uint32_t seal = (uint32_t)(b->size_word >> 48) << 16 | (uint32_t)(b->prev_word >> 48);
    return seal == bt_seal_of(salt, b, w0, w1) && (w0 & 12) == 0;
}

/* Tells b's upper neighbour b's size and state: called after every change
 * to either. */
static inline void bt_link_next(uint64_t salt, const bt_block *b)
{
    bt_block *n = bt_next(b);
    assert(bt_size(b) >= BT_HEADER || bt_is_used(b)); /* only the epilogue is size 0 */
    uint64_t flags = (n->size_word & BT_USED) | (bt_is_used(b) ? 0 : BT_PREV_FREE);
    bt_write(salt, n, bt_size(n), bt_size(b), flags);
}

/*
 * Is p a payload this heap handed out and has not taken back?  The heap's
 * blocks lie in [first, epilogue).  Answers HB_FREE_OK (and the block),
 * HB_FREE_DOUBLE for a sealed free header, HB_FREE_INVALID otherwise.  A
 * freed block that was merged into a neighbour keeps its sealed free header
 * until the memory is handed out again, so a second free of it still reads
 * as a double free.  Beyond the seal, the upper neighbour must agree with
 * the header, and so must the lower one when the header says it is free
 * (the only case in which free reads it).  Only headers inside the heap are
 * read, so no pointer makes this read outside the heap.
 */
static inline int bt_lookup(uint64_t salt, const bt_block *first, const bt_block *epilogue,
                            size_t min_block, void *p, bt_block **out)
{
    const char *lo = (const char *)first, *hi = (const char *)epilogue;
    char *c = p;
    if (((uintptr_t)c & 15) || c < lo + BT_HEADER || c > hi)
        return HB_FREE_INVALID;
    bt_block *b = bt_of_payload(p);
    if (!bt_sealed(salt, b))
        return HB_FREE_INVALID;
    if (!bt_is_used(b))
        return HB_FREE_DOUBLE;
    size_t size = bt_size(b), prev = bt_prev_size(b);
    if (size < min_block || size > (size_t)(hi - (char *)b) || prev > (size_t)((char *)b - lo) ||
        (prev == 0) != ((char *)b == lo))
        return HB_FREE_INVALID;
    bt_block *n = bt_next(b);
    if (!bt_sealed(salt, n) || bt_prev_size(n) != size || bt_prev_is_free(n))
        return HB_FREE_INVALID;
    if (bt_prev_is_free(b)) {
        bt_block *q = bt_prev(b);
        if (!bt_sealed(salt, q) || bt_size(q) != prev || bt_is_used(q))
            return HB_FREE_INVALID;
    }
    *out = b;
    return HB_FREE_OK;
}

#endif /* HB_BOUNDARY_TAG_H */
