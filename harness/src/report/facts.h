/*
 * The ease-of-use facts of an allocator for the report: from its fact sheet
 * (allocators/NAME/README.md: the first sentence of the sections "Ease of
 * use", "Overhead", "Invalid and double free", "Options"), from its library
 * (which optional entry points the native table fills) and from its code
 * (lines of code, counted).
 */
#ifndef HB_REPORT_FACTS_H
#define HB_REPORT_FACTS_H

#include <stdio.h>

/* Writes the ease-of-use table of names[0..n) in markdown. */
void hb_facts_table(FILE *f, char *const *names, size_t n);

/* Lines of C in dir's *.c and *.h that are neither blank nor only a
 * comment; -1 when the folder cannot be read. */
long hb_count_loc(const char *dir);

#endif /* HB_REPORT_FACTS_H */
