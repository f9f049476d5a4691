#include "util/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <strings.h>

typedef struct unit {
    const char *name;
    double factor;
} unit;

static const unit size_units[] = {
    { "", 1 },          { "B", 1 },
    { "K", 1024.0 },    { "KiB", 1024.0 },    { "KB", 1e3 },
    { "M", 1048576.0 }, { "MiB", 1048576.0 }, { "MB", 1e6 },
    { "G", 1073741824.0 }, { "GiB", 1073741824.0 }, { "GB", 1e9 },
    { "T", 1099511627776.0 }, { "TiB", 1099511627776.0 }, { "TB", 1e12 },
};

static const unit time_units[] = {
    { "", 1 }, { "s", 1 }, { "ms", 1e-3 }, { "m", 60 }, { "min", 60 }, { "h", 3600 },
};

/* Splits "12.5 MiB" into a non-negative number and a unit, then scales. */
static int parse_scaled(const char *s, const unit *units, size_t n, double *out)
{
    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s) && *s != '.')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !isfinite(v))
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    for (size_t i = 0; i < n; i++) {
        if (!strcasecmp(end, units[i].name)) {
            *out = v * units[i].factor;
            return 0;
        }
    }
    return -1;
}

int hb_parse_size(const char *s, uint64_t *out)
{
    double v;
    if (parse_scaled(s, size_units, sizeof size_units / sizeof size_units[0], &v) ||
        v >= 18446744073709551616.0)
        return -1;
    if (v != floor(v))
        v = ceil(v);
    *out = (uint64_t)v;
    return 0;
}

int hb_parse_duration(const char *s, double *out)
{
    return parse_scaled(s, time_units, sizeof time_units / sizeof time_units[0], out);
}
