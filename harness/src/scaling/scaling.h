/*
 * The scaling benchmark: does the cost of one steady-state operation grow
 * with the number of live blocks?
 *
 * One cell = one allocator, one access pattern, one N.  A heap is created
 * over a fresh osmem, filled with N blocks of small sizes (16..256 bytes),
 * warmed up, and then K replacements are timed: each frees one live block
 * and mallocs a new block of a random size into its place.  Around the
 * two calls the loop does what a program does: it reads the object before
 * freeing it and writes the new one.  The figure is the time inside the
 * two calls alone, read from the latency clock (replay/clock.h) before the
 * free and after the malloc, its own cost subtracted: the program's
 * accesses to its objects, and their cache misses, are not the allocator's.  Which block is replaced is the access pattern:
 *
 *   fifo    the N live blocks form a ring in allocation order, and each
 *           replacement frees the oldest one; the harness walks its slot
 *           array in order, so the memory hierarchy stays out of the
 *           measurement as far as the allocator lets it (a prefetcher
 *           follows the walk).  The warm-up turns the ring over once, so
 *           every block freed in the timed part was allocated in the
 *           steady state, not by the fill.
 *   random  each replacement frees a live block chosen at random: every
 *           step is a cache miss at large N, in the harness as much as in
 *           the allocator.
 *
 * The K replacements run as five segments and the median segment's mean
 * is reported.  N stays constant, so the
 * heap is in a steady state and any growth of the mean cost with N is the
 * algorithm's or the memory hierarchy's; the same loop with no allocator
 * calls is measured too, per pattern, as the "loop only" baseline.
 */
#ifndef HB_SCALING_H
#define HB_SCALING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <heapbench/allocator.h>

#define HB_SCALING_SEED 0x5CA1AB1E5EEDull
#define HB_SCALING_SEGMENTS 5 /* the timed loop is cut in this many parts */

typedef enum hb_scaling_pattern { HB_PATTERN_FIFO, HB_PATTERN_RANDOM } hb_scaling_pattern;

/* "fifo" or "random". */
const char *hb_scaling_pattern_name(hb_scaling_pattern p);

typedef struct hb_scaling_cell {
    size_t n;          /* live blocks */
    uint64_t ops;      /* timed replacements (a multiple of the segments) */
    double ns_per_op;  /* allocator cells: mean ns inside the free + malloc
                          calls of one replacement (clock ticks, overhead
                          subtracted), median segment; the loop-only
                          baseline: the whole step's wall time */
    double total_ns_per_op; /* wall ns of a whole replacement: the program's
                               reads and writes and the clock reads too */
    double setup_s;    /* wall seconds to fill and warm up (untimed part) */
    double loop_s;     /* wall seconds of the timed loop */
} hb_scaling_cell;

/* Measures one cell.  Returns false with a reason in err when the heap
 * cannot be created, a malloc fails, or a free reports an error. */
bool hb_scaling_measure(const hb_allocator *a, hb_scaling_pattern pat, size_t n, uint64_t ops,
                        hb_scaling_cell *cell, char *err, size_t errlen);

/* The same fill and loop with every allocator call replaced by a write
 * to the chosen block: what the loop costs by itself at this N. */
bool hb_scaling_baseline(hb_scaling_pattern pat, size_t n, uint64_t ops, hb_scaling_cell *cell,
                         char *err, size_t errlen);

#endif /* HB_SCALING_H */
