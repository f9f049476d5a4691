#include "report/csvfield.h"

void hb_csv_field_clean(char *s, char comma_to)
{
    for (; *s; s++)
        *s = *s == ',' ? comma_to : (*s == '\n' || *s == '\r') ? ' ' : *s;
}
