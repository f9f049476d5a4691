/*
 * Small helpers shared by the suite's allocator libraries: overflow-checked
 * rounding, bit tricks, and the options string of create().  Header only and
 * static inline, so each library stays one self-contained .so.
 */
#ifndef HEAPBENCH_ALLOC_UTIL_H
#define HEAPBENCH_ALLOC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Rounds n up to a multiple of align (a power of two).  Returns false, and
 * leaves *out alone, when the result would not fit in size_t: the check
 * comes before the addition, because that is where TLSF-style rounding
 * silently wraps. */
static inline bool hb_round_up(size_t n, size_t align, size_t *out)
{
    if (n > SIZE_MAX - (align - 1))
        return false;
    *out = (n + align - 1) & ~(align - 1);
    return true;
}

static inline bool hb_is_pow2(size_t n) { return n && !(n & (n - 1)); }

/* floor(log2(n)) for n > 0. */
static inline unsigned hb_log2_floor(size_t n)
{
    return (unsigned)(sizeof(size_t) * 8 - 1 - (unsigned)__builtin_clzl(n));
}

/* ceil(log2(n)) for n > 0. */
static inline unsigned hb_log2_ceil(size_t n)
{
    return n <= 1 ? 0 : hb_log2_floor(n - 1) + 1;
}

/* Index of the lowest set bit of a non-zero word. */
static inline unsigned hb_ctz64(uint64_t w) { return (unsigned)__builtin_ctzll(w); }

/* Bit i of a bitmap of 64-bit words. */
static inline bool hb_bit(const uint64_t *w, size_t i) { return w[i >> 6] >> (i & 63) & 1; }

/* Sets (on) or clears bits [lo, hi). */
static inline void hb_bits_set(uint64_t *w, size_t lo, size_t hi, bool on)
{
    while (lo < hi) {
        size_t k = lo >> 6, end = (k + 1) << 6 < hi ? (k + 1) << 6 : hi;
        uint64_t m = (end - lo == 64 ? ~(uint64_t)0 : (((uint64_t)1 << (end - lo)) - 1))
                     << (lo & 63);
        w[k] = on ? w[k] | m : w[k] & ~m;
        lo = end;
    }
}

/* First index in [i, n) whose bit equals want, or n: a word at a time, so
 * the cost is the distance scanned / 64. */
static inline size_t hb_bits_scan(const uint64_t *w, size_t i, size_t n, bool want)
{
    if (i >= n)
        return n;
    size_t k = i >> 6;
    uint64_t x = (want ? w[k] : ~w[k]) & (~(uint64_t)0 << (i & 63));
    while (!x) {
        if (++k << 6 >= n)
            return n;
        x = want ? w[k] : ~w[k];
    }
    size_t r = (k << 6) + hb_ctz64(x);
    return r < n ? r : n;
}

/*
 * Options are "key=value,key=value".  hb_opt_next walks them: it copies the
 * next key and value into the caller's buffers and returns the position after
 * the pair, or NULL at the end.  A pair that does not fit the buffers, or has
 * no '=', yields an empty key so the caller rejects it.
 */
static inline const char *hb_opt_next(const char *s, char *key, size_t klen,
                                      char *val, size_t vlen)
{
    if (!s || !*s)
        return NULL;
    const char *end = strchr(s, ',');
    size_t len = end ? (size_t)(end - s) : strlen(s);
    const char *eq = memchr(s, '=', len);
    key[0] = val[0] = '\0';
    if (eq && (size_t)(eq - s) < klen && len - (size_t)(eq - s) - 1 < vlen) {
        memcpy(key, s, (size_t)(eq - s));
        key[eq - s] = '\0';
        memcpy(val, eq + 1, len - (size_t)(eq - s) - 1);
        val[len - (size_t)(eq - s) - 1] = '\0';
    }
    return end ? end + 1 : s + len;
}

/* An option's byte count: decimal, with an optional k, m or g suffix
 * (powers of 1024, either case), at most max.  False on anything else. */
static inline bool hb_opt_bytes(const char *s, size_t max, size_t *out)
{
    size_t v = 0;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (SIZE_MAX - 9) / 10)
            return false;
        v = v * 10 + (size_t)(*s - '0');
    }
    unsigned shift = (*s | 0x20) == 'k' ? 10 : (*s | 0x20) == 'm' ? 20 : (*s | 0x20) == 'g' ? 30 : 0;
    if (shift)
        s++;
    if (*s || v > (max >> shift))
        return false;
    *out = v << shift;
    return true;
}

#endif /* HEAPBENCH_ALLOC_UTIL_H */
