/*
 * Statistics of repeated measurements (see stats.h).
 */
#include "util/stats.h"

#include <math.h>

static void sift_down(double *v, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && v[child + 1] > v[child])
            child++;
        if (v[root] >= v[child])
            return;
        double t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

void hb_sort_doubles(double *v, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (size_t end = n; end > 1; end--) {
        double t = v[0];
        v[0] = v[end - 1];
        v[end - 1] = t;
        sift_down(v, 0, end - 1);
    }
}

double hb_median(double *v, size_t n)
{
    if (!n)
        return 0.0;
    hb_sort_doubles(v, n);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double hb_mean(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return n ? s / (double)n : 0.0;
}

double hb_stddev(const double *v, size_t n)
{
    if (n < 2)
        return 0.0;
    double m = hb_mean(v, n), ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - m) * (v[i] - m);
    return sqrt(ss / (double)(n - 1));
}

double hb_t975(unsigned df)
{
    static const double t[31] = {
        0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074,  2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    };
    if (df == 0)
        return 0.0;
    if (df <= 30)
        return t[df];
    /* Above 30, the normal quantile and the first two terms of its
     * expansion in 1/df (error below 1e-3). */
    double z = 1.959964, d = df;
    return z + (z * z * z + z) / (4 * d) + (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * d * d);
}

double hb_ci95_half(const double *v, size_t n)
{
    if (n < 2)
        return 0.0;
    return hb_t975((unsigned)(n - 1)) * hb_stddev(v, n) / sqrt((double)n);
}
