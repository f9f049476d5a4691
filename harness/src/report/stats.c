#include "report/stats.h"

#include "util/stats.h"

#include <math.h>

hb_est hb_mean_ci(const double *x, size_t n)
{
    hb_est e = { NAN, NAN, (unsigned)n };
    if (n == 0)
        return e;
    e.v = hb_mean(x, n);
    if (n >= 2)
        e.half = hb_ci95_half(x, n);
    return e;
}

/* Variance of log(x) for a figure with a 95 % half-width. */
static double log_var(const hb_est *x)
{
    double rel = x->half / 1.959964 / x->v;
    return rel * rel;
}

hb_est hb_geomean_ratio(const hb_est *num, const hb_est *den, size_t n, double *lo, double *hi)
{
    hb_est g = { NAN, NAN, 0 };
    double sum = 0, var = 0;
    int spread = 1;
    for (size_t i = 0; i < n; i++) {
        if (!(num[i].v > 0) || !(den[i].v > 0) || !isfinite(num[i].v) || !isfinite(den[i].v))
            continue;
        sum += log(num[i].v / den[i].v);
        if (isnan(num[i].half) || isnan(den[i].half))
            spread = 0;
        else
            var += log_var(&num[i]) + log_var(&den[i]);
        g.n++;
    }
    *lo = *hi = NAN;
    if (!g.n)
        return g;
    double m = sum / g.n;
    g.v = exp(m);
    if (spread) {
        double sd = sqrt(var) / g.n;
        *lo = exp(m - 1.959964 * sd);
        *hi = exp(m + 1.959964 * sd);
        g.half = fmax(*hi - g.v, g.v - *lo);
    }
    return g;
}
