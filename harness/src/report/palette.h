/*
 * One look per allocator name, the same in every chart of every run: a
 * colour, a dash pattern for lines, a point type and a hatch for bars, so
 * a greyscale print still tells allocators apart.  The suite's allocators
 * and the system ones have fixed entries (in the order charts and tables
 * list them); any other name gets a look derived from a hash of the name.
 */
#ifndef HB_REPORT_PALETTE_H
#define HB_REPORT_PALETTE_H

#include <stddef.h>

typedef struct hb_look {
    const char *rgb; /* "#rrggbb"                         */
    int dash;        /* gnuplot dashtype 1..5             */
    int point;       /* gnuplot pointtype                 */
    int hatch;       /* gnuplot fill pattern, 0: none     */
} hb_look;

hb_look hb_look_of(const char *name);

/* Position of name in the fixed table, or the table's size for any other
 * name: sort by this, then by name. */
size_t hb_look_rank(const char *name);

#endif /* HB_REPORT_PALETTE_H */
