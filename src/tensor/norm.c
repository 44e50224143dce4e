// Normalization kernels over x (N,C,S) with per-set statistics (see ops_norm.h): an optimized
// version (threads over sets or channels, one pass, contiguous rows) and a naive reference that
// maps every element to its set by index arithmetic.
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

// ---- optimized ----

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

void jepa_norm_stats(float *mean, float *var, const float *x, const jepa_norm_dims *d) {
    check_dims(d);
    int64_t sets = jepa_norm_sets(d), S = d->S;
    double count = (double)jepa_norm_set_size(d);
    int big = d->N * d->C * S >= PARALLEL_MIN;
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t k = 0; k < sets; k++) {
        set_rows r = rows_of_set(d, k);
        // one pass: sum and sum of squares in double (no cancellation at float precision)
        double sum = 0.0, sq = 0.0;
        for (int64_t n = r.n0; n < r.n1; n++)
            for (int64_t c = r.c0; c < r.c1; c++) {
                const float *row = x + (n * d->C + c) * S;
                for (int64_t s = 0; s < S; s++) {
                    double v = row[s];
                    sum += v;
                    sq += v * v;
                }
            }
        double m = sum / count, v = sq / count - m * m;
        mean[k] = (float)m;
        var[k] = (float)(v > 0.0 ? v : 0.0);
    }
}

void jepa_norm_apply(float *out, const float *x, const float *mean, const float *var,
                     const float *weight, const float *bias, const jepa_norm_dims *d, float eps) {
    check_dims(d);
    int64_t rows = d->N * d->C, S = d->S;
    int big = rows * S >= PARALLEL_MIN;
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t i = 0; i < rows; i++) {
        int64_t n = i / d->C, c = i % d->C, k = set_of_row(d, n, c);
        // out = x * a + b with the row's scale and shift folded together
        float rstd = 1.0f / sqrtf(var[k] + eps);
        float a = rstd * (weight ? weight[c] : 1.0f);
        float b = (bias ? bias[c] : 0.0f) - mean[k] * a;
        const float *xr = x + i * S;
        float *o = out + i * S;
        for (int64_t s = 0; s < S; s++) o[s] = xr[s] * a + b;
    }
}

void jepa_norm_backward(float *dx, float *dweight, float *dbias, const float *dout, const float *x,
                        const float *mean, const float *var, const float *weight,
                        const jepa_norm_dims *d, float eps, int stats_fixed) {
    check_dims(d);
    int64_t sets = jepa_norm_sets(d), S = d->S, C = d->C;
    double count = (double)jepa_norm_set_size(d);
    int big = d->N * C * S >= PARALLEL_MIN;
    // weight and bias: one channel per iteration, summed over the batch and the set's elements
    if (dweight || dbias) {
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
        for (int64_t c = 0; c < C; c++) {
            double dw = 0.0, db = 0.0;
            for (int64_t n = 0; n < d->N; n++) {
                int64_t k = set_of_row(d, n, c);
                float m = mean[k], rstd = 1.0f / sqrtf(var[k] + eps);
                const float *xr = x + (n * C + c) * S, *g = dout + (n * C + c) * S;
                for (int64_t s = 0; s < S; s++) {
                    dw += (double)g[s] * (double)((xr[s] - m) * rstd);
                    db += g[s];
                }
            }
            if (dweight) dweight[c] += (float)dw;
            if (dbias) dbias[c] += (float)db;
        }
    }
    if (!dx) return;
        // input: one set per iteration; dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat))
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t k = 0; k < sets; k++) {
        set_rows r = rows_of_set(d, k);
        float m = mean[k], rstd = 1.0f / sqrtf(var[k] + eps);
        double sum_g = 0.0, sum_gx = 0.0;
        if (!stats_fixed)
            for (int64_t n = r.n0; n < r.n1; n++)
                for (int64_t c = r.c0; c < r.c1; c++) {
                    float w = weight ? weight[c] : 1.0f;
                    const float *xr = x + (n * C + c) * S, *g = dout + (n * C + c) * S;
                    for (int64_t s = 0; s < S; s++) {
                        double gw = (double)g[s] * w;
                        sum_g += gw;
                        sum_gx += gw * (double)((xr[s] - m) * rstd);
                    }
                }
        float mg = (float)(sum_g / count), mgx = (float)(sum_gx / count);
        for (int64_t n = r.n0; n < r.n1; n++)
            for (int64_t c = r.c0; c < r.c1; c++) {
                float w = weight ? weight[c] : 1.0f;
                const float *xr = x + (n * C + c) * S, *g = dout + (n * C + c) * S;
                float *dr = dx + (n * C + c) * S;
                for (int64_t s = 0; s < S; s++)
                    dr[s] += rstd * (g[s] * w - mg - (xr[s] - m) * rstd * mgx);
            }
    }
}

// ---- naive reference: every element finds its set and channel from its flat index ----

static int64_t ref_channel(const jepa_norm_dims *d, int64_t i) {
    return i / d->S % d->C;
}

static int64_t ref_set(const jepa_norm_dims *d, int64_t i) {
    int64_t n = i / (d->S * d->C), g = ref_channel(d, i) / (d->C / d->G);
    return d->pooled ? g : n * d->G + g;
}

void jepa_norm_stats_ref(float *mean, float *var, const float *x, const jepa_norm_dims *d) {
    check_dims(d);
    int64_t total = d->N * d->C * d->S;
    for (int64_t k = 0; k < jepa_norm_sets(d); k++) {
        // two passes over the whole tensor, keeping the elements of set k
        double sum = 0.0, count = 0.0, sq = 0.0;
        for (int64_t i = 0; i < total; i++)
            if (ref_set(d, i) == k) {
                sum += x[i];
                count += 1.0;
            }
        double m = sum / count;
        for (int64_t i = 0; i < total; i++)
            if (ref_set(d, i) == k) sq += ((double)x[i] - m) * ((double)x[i] - m);
        mean[k] = (float)m;
        var[k] = (float)(sq / count);
    }
}

void jepa_norm_apply_ref(float *out, const float *x, const float *mean, const float *var,
                         const float *weight, const float *bias, const jepa_norm_dims *d,
                         float eps) {
    check_dims(d);
    int64_t total = d->N * d->C * d->S;
    for (int64_t i = 0; i < total; i++) {
        int64_t k = ref_set(d, i), c = ref_channel(d, i);
        double xhat = ((double)x[i] - mean[k]) / sqrt((double)var[k] + eps);
        out[i] = (float)(xhat * (weight ? weight[c] : 1.0) + (bias ? bias[c] : 0.0));
    }
}

void jepa_norm_backward_ref(float *dx, float *dweight, float *dbias, const float *dout,
                            const float *x, const float *mean, const float *var,
                            const float *weight, const jepa_norm_dims *d, float eps,
                            int stats_fixed) {
    check_dims(d);
    int64_t total = d->N * d->C * d->S;
#define XHAT(i) (((double)x[i] - mean[ref_set(d, i)]) / sqrt((double)var[ref_set(d, i)] + eps))
    // weight and bias: sums over the elements of each channel
    for (int64_t c = 0; c < d->C; c++) {
        double dw = 0.0, db = 0.0;
        for (int64_t i = 0; i < total; i++)
            if (ref_channel(d, i) == c) {
                dw += dout[i] * XHAT(i);
                db += dout[i];
            }
        if (dweight) dweight[c] += (float)dw;
        if (dbias) dbias[c] += (float)db;
    }
    if (!dx) return;
    // input, per set: the chain rule through xhat, mean and variance
    for (int64_t k = 0; k < jepa_norm_sets(d); k++) {
        double sum_g = 0.0, sum_gx = 0.0, count = 0.0;
        for (int64_t i = 0; i < total; i++)
            if (ref_set(d, i) == k) {
                double g = dout[i] * (weight ? weight[ref_channel(d, i)] : 1.0);
                sum_g += g;
                sum_gx += g * XHAT(i);
                count += 1.0;
            }
        double rstd = 1.0 / sqrt((double)var[k] + eps);
        for (int64_t i = 0; i < total; i++)
            if (ref_set(d, i) == k) {
                double g = dout[i] * (weight ? weight[ref_channel(d, i)] : 1.0);
                double v = stats_fixed ? g : g - sum_g / count - XHAT(i) * sum_gx / count;
                dx[i] += (float)(rstd * v);
            }
    }
#undef XHAT
}
