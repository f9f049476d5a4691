/*
 * How a check() walker reports a broken invariant: the reason, after a
 * prefix naming the allocator (or none), written to msg when there is
 * room; the walker returns what this returns, 1.
 */
#ifndef HB_KIT_CHECK_FAIL_H
#define HB_KIT_CHECK_FAIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline int hb_check_fail(char *msg, size_t len, const char *prefix, const char *fmt,
                                ...) __attribute__((format(printf, 4, 5)));

static inline int hb_check_fail(char *msg, size_t len, const char *prefix, const char *fmt, ...)
{
    if (!msg || !len)
        return 1;
    int k = snprintf(msg, len, "%s", prefix);
    if (k >= 0 && (size_t)k < len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg + k, len - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return 1;
}

#endif /* HB_KIT_CHECK_FAIL_H */
