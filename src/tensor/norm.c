// Normalization kernels over x (N,C,S) with per-set statistics (see ops_norm.h): an optimized
// version (threads over sets or channels, one-pass statistics, folded scale and shift) and a
// naive reference (one thread, double precision, two passes).
#include <math.h>

#include "jepa/ops_norm.h"
#include "jepa/threads.h"

// below this many elements a kernel runs on one thread (a parallel region costs more)
#define PARALLEL_MIN 32768

int64_t jepa_norm_sets(const jepa_norm_dims *d) {
    return d->pooled ? d->G : d->N * d->G;
}

int64_t jepa_norm_set_size(const jepa_norm_dims *d) {
    return (d->pooled ? d->N : 1) * (d->C / d->G) * d->S;
}

static void check_dims(const jepa_norm_dims *d) {
    JEPA_CHECK(d->N >= 1 && d->C >= 1 && d->S >= 1 && d->G >= 1);
    JEPA_CHECK_MSG(d->C % d->G == 0, "norm: groups must divide the channels");
}

// the rows (n, c) of set k: n in [n0, n1), c in [c0, c1), each row S contiguous floats
typedef struct {
    int64_t n0, n1, c0, c1;
} set_rows;

static set_rows rows_of_set(const jepa_norm_dims *d, int64_t k) {
    int64_t cg = d->C / d->G, g = d->pooled ? k : k % d->G;
    int64_t n0 = d->pooled ? 0 : k / d->G;
    set_rows r = {n0, d->pooled ? d->N : n0 + 1, g * cg, (g + 1) * cg};
    return r;
}

// the set of row (n, c)
static int64_t set_of_row(const jepa_norm_dims *d, int64_t n, int64_t c) {
    int64_t g = c / (d->C / d->G);
    return d->pooled ? g : n * d->G + g;
}

// ---- optimized ----

// sum and sum of squares of n floats, added into s[0], s[1]; four independent double lanes
static void sums_into(double *s, const float *x, int64_t n) {
    double a[4] = {0, 0, 0, 0}, q[4] = {0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 4 <= n; j += 4)
        for (int l = 0; l < 4; l++) {
            a[l] += x[j + l];
            q[l] += (double)x[j + l] * x[j + l];
        }
    for (; j < n; j++) {
        a[0] += x[j];
        q[0] += (double)x[j] * x[j];
    }
    s[0] += (a[0] + a[1]) + (a[2] + a[3]);
    s[1] += (q[0] + q[1]) + (q[2] + q[3]);
}

void jepa_norm_stats(float *mean, float *var, const float *x, const jepa_norm_dims *d) {
    check_dims(d);
    int64_t sets = jepa_norm_sets(d), S = d->S;
    double count = (double)jepa_norm_set_size(d);
    int big = d->N * d->C * S >= PARALLEL_MIN;
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t k = 0; k < sets; k++) {
        set_rows r = rows_of_set(d, k);
        // one pass in double (no cancellation at float precision); the channels of one sample
        // are contiguous
        double s[2] = {0.0, 0.0};
        for (int64_t n = r.n0; n < r.n1; n++)
            sums_into(s, x + (n * d->C + r.c0) * S, (r.c1 - r.c0) * S);
        double m = s[0] / count, v = s[1] / count - m * m;
        mean[k] = (float)m;
        var[k] = (float)(v > 0.0 ? v : 0.0);
    }
}

void jepa_norm_apply(float *out, const float *x, const float *mean, const float *var,
                     const float *weight, const float *bias, const jepa_norm_dims *d, float eps) {
    check_dims(d);
    int64_t sets = jepa_norm_sets(d), S = d->S;
    int big = d->N * d->C * S >= PARALLEL_MIN;
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t k = 0; k < sets; k++) {
        set_rows r = rows_of_set(d, k);
        float m = mean[k], rstd = 1.0f / sqrtf(var[k] + eps);
        for (int64_t n = r.n0; n < r.n1; n++) {
            int64_t at = (n * d->C + r.c0) * S;
            if (S == 1) {
                // one element per channel (layer norm): a vector loop over the channels
                for (int64_t c = r.c0; c < r.c1; c++, at++)
                    out[at] =
                        (x[at] - m) * rstd * (weight ? weight[c] : 1.0f) + (bias ? bias[c] : 0.0f);
                continue;
            }
            // out = x * a + b with each channel's scale and shift folded together
            for (int64_t c = r.c0; c < r.c1; c++, at += S) {
                float a = rstd * (weight ? weight[c] : 1.0f);
                float b = (bias ? bias[c] : 0.0f) - m * a;
                for (int64_t s = 0; s < S; s++) out[at + s] = x[at + s] * a + b;
            }
        }
    }
}

// adds sum(g * w) and sum(g * w * (x - m)) over n floats into acc[0], acc[1]; w holds one
// weight per element, or is NULL for the single weight ws. Eight float lanes (they vectorize),
// then double.
static void grad_sums(double *acc, const float *g, const float *x, const float *w, float ws,
                      float m, int64_t n) {
    float a[8] = {0}, b[8] = {0};
    int64_t j = 0;
    if (w) {
        for (; j + 8 <= n; j += 8)
            for (int l = 0; l < 8; l++) {
                a[l] += g[j + l] * w[j + l];
                b[l] += g[j + l] * w[j + l] * (x[j + l] - m);
            }
        for (; j < n; j++) {
            a[0] += g[j] * w[j];
            b[0] += g[j] * w[j] * (x[j] - m);
        }
    } else {
        for (; j + 8 <= n; j += 8)
            for (int l = 0; l < 8; l++) {
                a[l] += g[j + l];
                b[l] += g[j + l] * (x[j + l] - m);
            }
        for (; j < n; j++) {
            a[0] += g[j];
            b[0] += g[j] * (x[j] - m);
        }
    }
    double ta = 0.0, tb = 0.0;
    for (int l = 0; l < 8; l++) {
        ta += a[l];
        tb += b[l];
    }
    acc[0] += ta * ws;
    acc[1] += tb * ws;
}

#define CHANNEL_BLOCK 256

// dweight and dbias of one element per channel (S = 1): blocks of channels, rows inside
static void affine_grads_rows(float *dweight, float *dbias, const float *dout, const float *x,
                              const float *mean, const float *var, const jepa_norm_dims *d,
                              float eps, int big) {
    int64_t C = d->C, blocks = (C + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK;
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t blk = 0; blk < blocks; blk++) {
        double dw[CHANNEL_BLOCK] = {0}, db[CHANNEL_BLOCK] = {0};
        int64_t c0 = blk * CHANNEL_BLOCK, nc = C - c0 < CHANNEL_BLOCK ? C - c0 : CHANNEL_BLOCK;
        int64_t cg = C / d->G;
        for (int64_t n = 0; n < d->N; n++) {
            const float *g = dout + n * C, *xr = x + n * C;
            // the groups that overlap the block, each with one mean and rstd
            for (int64_t c = c0; c < c0 + nc;) {
                int64_t k = set_of_row(d, n, c), end = (c / cg + 1) * cg;
                float m = mean[k], rstd = 1.0f / sqrtf(var[k] + eps);
                if (end > c0 + nc) end = c0 + nc;
                for (; c < end; c++) {
                    dw[c - c0] += g[c] * (xr[c] - m) * rstd;
                    db[c - c0] += g[c];
                }
            }
        }
        for (int64_t j = 0; j < nc; j++) {
            if (dweight) dweight[c0 + j] += (float)dw[j];
            if (dbias) dbias[c0 + j] += (float)db[j];
        }
    }
}

// dweight and dbias of channels of S elements: one channel per iteration
static void affine_grads_channels(float *dweight, float *dbias, const float *dout, const float *x,
                                  const float *mean, const float *var, const jepa_norm_dims *d,
                                  float eps, int big) {
    int64_t C = d->C, S = d->S;
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t c = 0; c < C; c++) {
        double dw = 0.0, db = 0.0;
        for (int64_t n = 0; n < d->N; n++) {
            int64_t k = set_of_row(d, n, c), at = (n * C + c) * S;
            double acc[2] = {0.0, 0.0};
            grad_sums(acc, dout + at, x + at, NULL, 1.0f, mean[k], S);
            db += acc[0];
            dw += acc[1] / sqrt((double)var[k] + eps);
        }
        if (dweight) dweight[c] += (float)dw;
        if (dbias) dbias[c] += (float)db;
    }
}

void jepa_norm_backward(float *dx, float *dweight, float *dbias, const float *dout, const float *x,
                        const float *mean, const float *var, const float *weight,
                        const jepa_norm_dims *d, float eps, int stats_fixed) {
    check_dims(d);
    int64_t sets = jepa_norm_sets(d), S = d->S, C = d->C;
    double count = (double)jepa_norm_set_size(d);
    int big = d->N * C * S >= PARALLEL_MIN;
    // weight and bias: sums over the batch and the elements of each channel
    if ((dweight || dbias) && S == 1)
        affine_grads_rows(dweight, dbias, dout, x, mean, var, d, eps, big);
    else if (dweight || dbias)
        affine_grads_channels(dweight, dbias, dout, x, mean, var, d, eps, big);
    if (!dx) return;
        // input: one set per iteration; dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)),
        // gw = dout * weight
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t k = 0; k < sets; k++) {
        set_rows r = rows_of_set(d, k);
        float m = mean[k], rstd = 1.0f / sqrtf(var[k] + eps);
        double acc[2] = {0.0, 0.0};
        for (int64_t n = r.n0; n < r.n1 && !stats_fixed; n++) {
            int64_t at = (n * C + r.c0) * S;
            if (S == 1) // one element per channel: the weights run along the row
                grad_sums(acc, dout + at, x + at, weight ? weight + r.c0 : NULL, 1.0f, m,
                          r.c1 - r.c0);
            else
                for (int64_t c = r.c0; c < r.c1; c++, at += S)
                    grad_sums(acc, dout + at, x + at, NULL, weight ? weight[c] : 1.0f, m, S);
        }
        float mg = (float)(acc[0] / count), mgx = (float)(acc[1] * rstd / count);
        for (int64_t n = r.n0; n < r.n1; n++)
            for (int64_t c = r.c0, at = (n * C + r.c0) * S; c < r.c1; c++, at += S) {
                float w = weight ? weight[c] : 1.0f;
                for (int64_t s = 0; s < S; s++)
                    dx[at + s] += rstd * (dout[at + s] * w - mg - (x[at + s] - m) * rstd * mgx);
            }
    }
}

// ---- naive reference: one thread, double precision, two passes, the textbook formulas ----

// visit every element i = (n, c, s) of set k, with its channel c
#define FOR_SET(d, k, i, c)                                                                        \
    for (set_rows r_ = rows_of_set(d, k); r_.n0 < r_.n1; r_.n0++)                                  \
        for (int64_t c = r_.c0; c < r_.c1; c++)                                                    \
            for (int64_t i = (r_.n0 * (d)->C + c) * (d)->S, e_ = 0; e_ < (d)->S; e_++, i++)

void jepa_norm_stats_ref(float *mean, float *var, const float *x, const jepa_norm_dims *d) {
    check_dims(d);
    double count = (double)jepa_norm_set_size(d);
    for (int64_t k = 0; k < jepa_norm_sets(d); k++) {
        double sum = 0.0, sq = 0.0;
        FOR_SET(d, k, i, c) sum += x[i];
        double m = sum / count;
        FOR_SET(d, k, i, c) sq += ((double)x[i] - m) * ((double)x[i] - m);
        mean[k] = (float)m;
        var[k] = (float)(sq / count);
    }
}

void jepa_norm_apply_ref(float *out, const float *x, const float *mean, const float *var,
                         const float *weight, const float *bias, const jepa_norm_dims *d,
                         float eps) {
    check_dims(d);
    for (int64_t k = 0; k < jepa_norm_sets(d); k++) {
        double rstd = 1.0 / sqrt((double)var[k] + eps);
        FOR_SET(d, k, i, c) {
            double xhat = ((double)x[i] - mean[k]) * rstd;
            out[i] = (float)(xhat * (weight ? weight[c] : 1.0) + (bias ? bias[c] : 0.0));
        }
    }
}

void jepa_norm_backward_ref(float *dx, float *dweight, float *dbias, const float *dout,
                            const float *x, const float *mean, const float *var,
                            const float *weight, const jepa_norm_dims *d, float eps,
                            int stats_fixed) {
    check_dims(d);
    double count = (double)jepa_norm_set_size(d);
    // weight and bias: sums of dout * xhat and dout over each channel, in double
    for (int64_t c = 0; c < d->C && (dweight || dbias); c++) {
        double dw = 0.0, db = 0.0;
        for (int64_t n = 0; n < d->N; n++) {
            int64_t k = set_of_row(d, n, c);
            double rstd = 1.0 / sqrt((double)var[k] + eps);
            for (int64_t i = (n * d->C + c) * d->S, e = 0; e < d->S; e++, i++) {
                dw += dout[i] * ((double)x[i] - mean[k]) * rstd;
                db += dout[i];
            }
        }
        if (dweight) dweight[c] += (float)dw;
        if (dbias) dbias[c] += (float)db;
    }
    for (int64_t k = 0; k < jepa_norm_sets(d) && dx; k++) {
        double rstd = 1.0 / sqrt((double)var[k] + eps);
        // input: through xhat, and through the mean and variance unless they are fixed
        double sum_g = 0.0, sum_gx = 0.0;
        FOR_SET(d, k, i, c) {
            double g = dout[i] * (weight ? weight[c] : 1.0);
            sum_g += g;
            sum_gx += g * ((double)x[i] - mean[k]) * rstd;
        }
        FOR_SET(d, k, i, c) {
            double g = dout[i] * (weight ? weight[c] : 1.0);
            double xhat = ((double)x[i] - mean[k]) * rstd;
            double v = stats_fixed ? g : g - sum_g / count - xhat * sum_gx / count;
            dx[i] += (float)(rstd * v);
        }
    }
}
