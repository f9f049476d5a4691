/*
 * Footprint measurements that do not go through a memory source: the RSS
 * of the process (libc contract) and the resident pages of a lab arena.
 */
#ifndef HB_FOOTPRINT_H
#define HB_FOOTPRINT_H

#include <stddef.h>
#include <stdint.h>

/* Peak growth of the resident set over a pass, sampled by the caller. */
typedef struct hb_rss {
    int fd;          /* /proc/self/statm, opened before the pass */
    size_t page;
    uint64_t base;   /* bytes resident when the pass started      */
    uint64_t peak;   /* largest sample                            */
} hb_rss;

int hb_rss_open(hb_rss *s);
/* One sample: a pread of the open file and a hand-made parse (no stdio,
 * no allocation), so it may run inside a replay loop. */
void hb_rss_sample(hb_rss *s);
uint64_t hb_rss_growth(const hb_rss *s); /* peak - base, or 0 */
void hb_rss_close(hb_rss *s);

/* Bytes of [base, base+len) resident now (mincore); vec holds one byte per
 * page of the range. */
uint64_t hb_resident_bytes(void *base, size_t len, unsigned char *vec);

#endif /* HB_FOOTPRINT_H */
