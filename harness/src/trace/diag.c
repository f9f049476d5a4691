/*
 * Diagnostics: "FILE:LINE: error: MESSAGE" lines, counted always and
 * printed up to a cap, so a trace with a million bad lines reports all of
 * them in the counts without flooding the terminal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trace/internal.h"

#define DEFAULT_MAX_PRINT 20u

static unsigned max_print(const hb_diag *d)
{
    return d->max_print ? d->max_print : DEFAULT_MAX_PRINT;
}

static void report(hb_diag *d, const char *kind, const char *file, unsigned line,
                   const char *fmt, va_list ap)
{
    char msg[sizeof d->first];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (d->out && hb_diag_total(d) <= max_print(d)) {
        if (line)
            fprintf(d->out, "%s:%u: %s: %s\n", file, line, kind, msg);
        else
            fprintf(d->out, "%s: %s: %s\n", file, kind, msg);
    }
}

void hb_diag_error(hb_diag *d, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;
    d->errors++;
    if (d->errors == 1) {
        /* "FILE:LINE: error: " then the message, cut to fit */
        int n = line ? snprintf(d->first, sizeof d->first, "%s:%u: error: ", file, line)
                     : snprintf(d->first, sizeof d->first, "%s: error: ", file);
        if (n >= 0 && (size_t)n < sizeof d->first) {
            va_start(ap, fmt);
            vsnprintf(d->first + n, sizeof d->first - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    va_start(ap, fmt);
    report(d, "error", file, line, fmt, ap);
    va_end(ap);
}

void hb_diag_warning(hb_diag *d, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;
    d->warnings++;
    va_start(ap, fmt);
    report(d, "warning", file, line, fmt, ap);
    va_end(ap);
}

void hb_diag_more(hb_diag *d, const char *file, unsigned before)
{
    unsigned cap = max_print(d), now = hb_diag_total(d);
    unsigned shown_until = before > cap ? before : cap;
    if (d->out && now > shown_until)
        fprintf(d->out, "%s: ... and %u more problems\n", file, now - shown_until);
}

char *hb_diag_quote(char *dst, size_t cap, const char *s, size_t n)
{
    size_t keep = n, i;
    if (cap < 8) {
        if (cap)
            dst[0] = '\0';
        return dst;
    }
    if (keep > cap - 1)
        keep = cap - 4; /* room for "..." and the terminator */
    for (i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (keep < n)
        memcpy(dst + i, "...", 4);
    else
        dst[i] = '\0';
    return dst;
}
