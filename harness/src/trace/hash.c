/*
 * hb_hash64: four independent multiply-rotate lanes over 32-byte stripes,
 * so the multiplies of one stripe overlap in the pipeline (several GB/s),
 * then a final avalanche so that every input bit moves every output bit.
 * Good enough to key a cache and to tell trace contents apart; not meant
 * to resist anyone constructing collisions.
 */
#include <string.h>

#include "trace/internal.h"

#define K1 0x9E3779B97F4A7C15ull /* 2^64 / golden ratio            */
#define K2 0xBF58476D1CE4E5B9ull /* splitmix64 finalizer constants */
#define K3 0x94D049BB133111EBull
#define K4 0xD6E8FEB86659FD93ull

static inline uint64_t rotl(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t lane(uint64_t acc, uint64_t w)
{
    return rotl(acc + w * K2, 29) * K1;
}

static inline uint64_t avalanche(uint64_t h)
{
    h ^= h >> 31;
    h *= K2;
    h ^= h >> 27;
    h *= K3;
    h ^= h >> 33;
    return h;
}

uint64_t hb_hash64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data, *end = p + len;
    uint64_t a = seed + K1, b = seed ^ K2, c = seed + K3, d = seed ^ K4;
    for (; end - p >= 32; p += 32) {
        a = lane(a, load64(p));
        b = lane(b, load64(p + 8));
        c = lane(c, load64(p + 16));
        d = lane(d, load64(p + 24));
    }
    uint64_t h = rotl(a, 3) ^ rotl(b, 17) ^ rotl(c, 31) ^ rotl(d, 47);
    h = (h ^ len) * K4;
    for (; end - p >= 8; p += 8)
        h = rotl(h ^ lane(0, load64(p)), 27) * K1 + K3;
    uint64_t tail = 0;
    memcpy(&tail, p, (size_t)(end - p)); /* 0..7 bytes, little-endian order */
    h ^= lane(0, tail ^ ((uint64_t)(end - p) << 56));
    return avalanche(h);
}
