/*
 * What a text field of results.csv may hold: neither the separator nor a
 * line break.  Names are cleaned here before they are compared with the
 * names read back from a results file.
 */
#ifndef HB_REPORT_CSVFIELD_H
#define HB_REPORT_CSVFIELD_H

/* Replaces in s each comma by comma_to and each CR or LF by a space, as
 * the CSV writer does with a name. */
void hb_csv_field_clean(char *s, char comma_to);

/* Free text for the detail column (a message from anywhere): commas become
 * semicolons; quotes and every control character, spaces. */
void hb_csv_detail_clean(char *s);

#endif /* HB_REPORT_CSVFIELD_H */
