#include "report/csvfield.h"

void hb_csv_field_clean(char *s, char comma_to)
{
    for (; *s; s++)
        *s = *s == ',' ? comma_to : (*s == '\n' || *s == '\r') ? ' ' : *s;
}

void hb_csv_detail_clean(char *s)
{
    for (; *s; s++) {
        if (*s == ',')
            *s = ';';
        else if (*s == '"' || (unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
    }
}
