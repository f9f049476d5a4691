#include "report/stats.h"

#include <math.h>

/* Student t, two-sided 95 %: exact table up to 30 degrees of freedom, then
 * the normal quantile's first correction terms (error below 1e-3). */
double hb_t975(unsigned df)
{
    static const double table[31] = {
        NAN,    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201,  2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080,  2.074,  2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    };
    if (df <= 30)
        return table[df];
    double z = 1.959964, d = df;
    return z + (z * z * z + z) / (4 * d) + (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * d * d);
}

hb_est hb_mean_ci(const double *x, size_t n)
{
    hb_est e = { NAN, NAN, (unsigned)n };
    if (n == 0)
        return e;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    e.v = sum / (double)n;
    if (n < 2)
        return e;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - e.v) * (x[i] - e.v);
    double sd = sqrt(ss / (double)(n - 1));
    e.half = hb_t975((unsigned)n - 1) * sd / sqrt((double)n);
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
