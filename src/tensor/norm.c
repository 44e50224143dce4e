// Normalization kernels over x (N,C,S) with per-set statistics (see ops_norm.h): an optimized
// version (threads over sets or channels, one-pass statistics, folded scale and shift; over
// images for channels last) and a naive reference (one thread, double precision, two passes).
#include <math.h>

#include "jepa/ops_norm.h"
#include "jepa/tensor.h"
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
    JEPA_CHECK_MSG(!d->channels_last || (!d->pooled && d->G <= JEPA_NORM_MAX_GROUPS),
                   "norm: channels last takes at most JEPA_NORM_MAX_GROUPS groups, not pooled");
}

// the offset of element (n, c, s)
static int64_t elem(const jepa_norm_dims *d, int64_t n, int64_t c, int64_t s) {
    return d->channels_last ? (n * d->S + s) * d->C + c : (n * d->C + c) * d->S + s;
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

// mean and variance of set k
static void set_stats(float *mean, float *var, const float *x, const jepa_norm_dims *d, int64_t k) {
    set_rows r = rows_of_set(d, k);
    // one pass in double (no cancellation at float precision); the channels of one sample are
    // contiguous
    double s[2] = {0.0, 0.0}, count = (double)jepa_norm_set_size(d);
    for (int64_t n = r.n0; n < r.n1; n++)
        sums_into(s, x + (n * d->C + r.c0) * d->S, (r.c1 - r.c0) * d->S);
    double m = s[0] / count, v = s[1] / count - m * m;
    mean[k] = (float)m;
    var[k] = (float)(v > 0.0 ? v : 0.0);
}

// the ReLU as jepa_relu has it (NaN -> 0)
static inline float relu_of(float v) { return v > 0.0f ? v : 0.0f; }

// out of set k, then the ReLU when the dims ask for it
static void set_apply(float *out, const float *x, float m, float v, const float *weight,
                      const float *bias, const jepa_norm_dims *d, int64_t k, float eps) {
    set_rows r = rows_of_set(d, k);
    int64_t S = d->S;
    float rstd = 1.0f / sqrtf(v + eps);
    for (int64_t n = r.n0; n < r.n1; n++) {
        int64_t at = (n * d->C + r.c0) * S;
        if (S == 1) {
            // one element per channel (layer norm): vector loops over the channels, each step
            // on the whole row (in L1), so no loop tests a pointer or flag per element
            int64_t nc = r.c1 - r.c0;
            float *o = out + at;
            const float *xs = x + at;
            _Pragma("omp simd") for (int64_t c = 0; c < nc; c++) o[c] = (xs[c] - m) * rstd;
            if (weight) {
                const float *w = weight + r.c0;
                _Pragma("omp simd") for (int64_t c = 0; c < nc; c++) o[c] *= w[c];
            }
            if (bias) {
                const float *b = bias + r.c0;
                _Pragma("omp simd") for (int64_t c = 0; c < nc; c++) o[c] += b[c];
            }
            if (d->relu) {
                _Pragma("omp simd") for (int64_t c = 0; c < nc; c++) o[c] = relu_of(o[c]);
            }
            continue;
        }
        // out = x * a + b with each channel's scale and shift folded together
        for (int64_t c = r.c0; c < r.c1; c++, at += S) {
            float a = rstd * (weight ? weight[c] : 1.0f);
            float b = (bias ? bias[c] : 0.0f) - m * a;
            float *o = out + at;
            const float *xs = x + at;
            if (d->relu) {
                _Pragma("omp simd") for (int64_t s = 0; s < S; s++) o[s] = relu_of(xs[s] * a + b);
            } else {
                _Pragma("omp simd") for (int64_t s = 0; s < S; s++) o[s] = xs[s] * a + b;
            }
        }
    }
}

// ---- channels last: x (N, S, C); image n holds the sets n*G .. n*G + G-1, and every pass
// runs over its pixels with a vector of up to CL_CHUNK channels ----

// images a thread takes at a time (as threads come free: each image's results are its own)
#define IMAGES_PER_ITEM 4
#define CL_CHUNK 64
#define CL_PIXELS 16 // pixels summed in float before the sums go into double

// the channel chunks [c0, c0 + nc) of image n
#define FOR_CHUNKS(d, c0, nc)                                                                      \
    for (int64_t c0 = 0, nc; c0 < (d)->C && (nc = (d)->C - c0 < CL_CHUNK ? (d)->C - c0 : CL_CHUNK); \
         c0 += nc)

// the mean and variance of image n's sets: each channel's sums over blocks of pixels in
// float, then over the blocks in double
static void image_stats(float *mean, float *var, const float *x, const jepa_norm_dims *d, int64_t n) {
    int64_t C = d->C, S = d->S, cg = C / d->G;
    double gs[2 * JEPA_NORM_MAX_GROUPS] = {0};
    FOR_CHUNKS(d, c0, nc) {
        double a[CL_CHUNK] = {0}, q[CL_CHUNK] = {0};
        for (int64_t s0 = 0; s0 < S; s0 += CL_PIXELS) {
            float fa[CL_CHUNK] = {0}, fq[CL_CHUNK] = {0};
            for (int64_t s = s0; s < S && s < s0 + CL_PIXELS; s++) {
                const float *r = x + (n * S + s) * C + c0;
                _Pragma("omp simd") for (int64_t j = 0; j < nc; j++) {
                    fa[j] += r[j];
                    fq[j] += r[j] * r[j];
                }
            }
            for (int64_t j = 0; j < nc; j++) {
                a[j] += fa[j];
                q[j] += fq[j];
            }
        }
        for (int64_t j = 0; j < nc; j++) {
            gs[2 * ((c0 + j) / cg)] += a[j];
            gs[2 * ((c0 + j) / cg) + 1] += q[j];
        }
    }
    double count = (double)(S * cg);
    for (int64_t g = 0; g < d->G; g++) {
        double m = gs[2 * g] / count, v = gs[2 * g + 1] / count - m * m;
        mean[n * d->G + g] = (float)m;
        var[n * d->G + g] = (float)(v > 0.0 ? v : 0.0);
    }
}

// out of image n (then the ReLU when the dims ask for it): out = x * a + b per channel
static void image_apply(float *out, const float *x, const float *mean, const float *var,
                        const float *weight, const float *bias, const jepa_norm_dims *d, int64_t n,
                        float eps) {
    int64_t C = d->C, S = d->S, cg = C / d->G;
    FOR_CHUNKS(d, c0, nc) {
        float a[CL_CHUNK], b[CL_CHUNK];
        for (int64_t j = 0; j < nc; j++) {
            int64_t c = c0 + j, k = n * d->G + c / cg;
            a[j] = 1.0f / sqrtf(var[k] + eps) * (weight ? weight[c] : 1.0f);
            b[j] = (bias ? bias[c] : 0.0f) - mean[k] * a[j];
        }
        for (int64_t s = 0; s < S; s++) {
            const float *xs = x + (n * S + s) * C + c0;
            float *o = out + (n * S + s) * C + c0;
            if (d->relu) {
                _Pragma("omp simd") for (int64_t j = 0; j < nc; j++) o[j] = relu_of(xs[j] * a[j] + b[j]);
            } else {
                _Pragma("omp simd") for (int64_t j = 0; j < nc; j++) o[j] = xs[j] * a[j] + b[j];
            }
        }
    }
}

// the backward of image n (see jepa_norm_backward): each channel's sums over the pixels, the
// sets' sums from them, then dx
static void image_backward(float *dx, int assign, double *work, const float *dout,
                           const float *x, const float *y, const float *mean, const float *var,
                           const float *weight, const jepa_norm_dims *d, int64_t n, float eps,
                           int stats_fixed) {
    int64_t C = d->C, S = d->S, G = d->G, cg = C / G;
    double gs[2 * JEPA_NORM_MAX_GROUPS] = {0};
    FOR_CHUNKS(d, c0, nc) {
        float a[CL_CHUNK] = {0}, b[CL_CHUNK] = {0}, m[CL_CHUNK];
        for (int64_t j = 0; j < nc; j++) m[j] = mean[n * G + (c0 + j) / cg];
        for (int64_t s = 0; s < S; s++) {
            int64_t at = (n * S + s) * C + c0;
            const float *g = dout + at, *xs = x + at;
            if (y) {
                const float *ys = y + at;
                _Pragma("omp simd") for (int64_t j = 0; j < nc; j++) {
                    float gm = ys[j] > 0.0f ? g[j] : 0.0f;
                    a[j] += gm;
                    b[j] += gm * (xs[j] - m[j]);
                }
            } else {
                _Pragma("omp simd") for (int64_t j = 0; j < nc; j++) {
                    a[j] += g[j];
                    b[j] += g[j] * (xs[j] - m[j]);
                }
            }
        }
        for (int64_t j = 0; j < nc; j++) {
            int64_t c = c0 + j, k = n * G + c / cg;
            float w = weight ? weight[c] : 1.0f;
            if (work) {
                work[2 * (n * C + c)] = a[j];
                work[2 * (n * C + c) + 1] = (double)b[j] / sqrt((double)var[k] + eps);
            }
            gs[2 * (c / cg)] += (double)a[j] * w;
            gs[2 * (c / cg) + 1] += (double)b[j] * w;
        }
    }
    if (!dx) return;
    double count = (double)(S * cg);
    FOR_CHUNKS(d, c0, nc) {
        float k0[CL_CHUNK], k1[CL_CHUNK], k2[CL_CHUNK], m[CL_CHUNK];
        for (int64_t j = 0; j < nc; j++) {
            int64_t c = c0 + j, g = c / cg, k = n * G + g;
            float rstd = 1.0f / sqrtf(var[k] + eps);
            float mg = stats_fixed ? 0.0f : (float)(gs[2 * g] / count);
            float mgx = stats_fixed ? 0.0f : (float)(gs[2 * g + 1] * rstd / count);
            k1[j] = rstd * (weight ? weight[c] : 1.0f);
            k0[j] = rstd * mg;
            k2[j] = rstd * rstd * mgx;
            m[j] = mean[k];
        }
        // dx = or += (OP), the gradient masked by the ReLU or not (G)
#define DX_ROWS(OP, G)                                                                             \
    for (int64_t s = 0; s < S; s++) {                                                              \
        int64_t at = (n * S + s) * C + c0;                                                         \
        const float *g = dout + at, *xs = x + at, *ys = y ? y + at : NULL;                         \
        float *dxs = dx + at;                                                                      \
        (void)ys;                                                                                  \
        _Pragma("omp simd") for (int64_t j = 0; j < nc; j++)                                       \
            dxs[j] OP (G) * k1[j] - k0[j] - (xs[j] - m[j]) * k2[j];                                \
    }
        if (y && assign) DX_ROWS(=, ys[j] > 0.0f ? g[j] : 0.0f)
        else if (y) DX_ROWS(+=, ys[j] > 0.0f ? g[j] : 0.0f)
        else if (assign) DX_ROWS(=, g[j])
        else DX_ROWS(+=, g[j])
#undef DX_ROWS
    }
}

void jepa_norm_stats(float *mean, float *var, const float *x, const jepa_norm_dims *d) {
    check_dims(d);
    int big = d->N * d->C * d->S >= PARALLEL_MIN;
    if (d->channels_last) {
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(dynamic, IMAGES_PER_ITEM) if (big)
        for (int64_t n = 0; n < d->N; n++) image_stats(mean, var, x, d, n);
        return;
    }
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t k = 0; k < jepa_norm_sets(d); k++) set_stats(mean, var, x, d, k);
}

void jepa_norm_apply(float *out, const float *x, const float *mean, const float *var,
                     const float *weight, const float *bias, const jepa_norm_dims *d, float eps) {
    check_dims(d);
    int big = d->N * d->C * d->S >= PARALLEL_MIN;
    if (d->channels_last) {
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(dynamic, IMAGES_PER_ITEM) if (big)
        for (int64_t n = 0; n < d->N; n++) image_apply(out, x, mean, var, weight, bias, d, n, eps);
        return;
    }
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t k = 0; k < jepa_norm_sets(d); k++)
        set_apply(out, x, mean[k], var[k], weight, bias, d, k, eps);
}

void jepa_norm_stats_apply(float *out, float *mean, float *var, const float *x,
                           const float *weight, const float *bias, const jepa_norm_dims *d,
                           float eps) {
    check_dims(d);
    int big = d->N * d->C * d->S >= PARALLEL_MIN;
    if (d->channels_last) {
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(dynamic, IMAGES_PER_ITEM) if (big)
        for (int64_t n = 0; n < d->N; n++) {
            image_stats(mean, var, x, d, n);
            image_apply(out, x, mean, var, weight, bias, d, n, eps);
        }
        return;
    }
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t k = 0; k < jepa_norm_sets(d); k++) {
        set_stats(mean, var, x, d, k);
        set_apply(out, x, mean[k], var[k], weight, bias, d, k, eps);
    }
}

// adds sum(g * w) and sum(g * w * (x - m)) over n floats into acc[0], acc[1], with g masked by
// the ReLU output y (where y <= 0 the gradient is 0; NULL: no ReLU); w holds one weight per
// element, or is NULL for the single weight ws. Float lanes, then double.
static void grad_sums(double *acc, const float *g, const float *y, const float *x, const float *w,
                      float ws, float m, int64_t n) {
    float a = 0.0f, b = 0.0f;
#define GRAD_SUMS(GW)                                                                              \
    _Pragma("omp simd reduction(+ : a, b)") for (int64_t j = 0; j < n; j++) {                      \
        float gw = GW;                                                                             \
        a += gw;                                                                                   \
        b += gw * (x[j] - m);                                                                      \
    }
    if (y && w) GRAD_SUMS((y[j] > 0.0f ? g[j] : 0.0f) * w[j])
    else if (y) GRAD_SUMS(y[j] > 0.0f ? g[j] : 0.0f)
    else if (w) GRAD_SUMS(g[j] * w[j])
    else GRAD_SUMS(g[j])
#undef GRAD_SUMS
    acc[0] += (double)a * ws;
    acc[1] += (double)b * ws;
}

#define CHANNEL_BLOCK 256

// dweight and dbias of one element per channel (S = 1): blocks of channels, rows inside
static void affine_grads_rows(float *dweight, float *dbias, const float *dout, const float *y,
                              const float *x, const float *mean, const float *var,
                              const jepa_norm_dims *d, float eps, int big) {
    int64_t C = d->C, blocks = (C + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK;
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t blk = 0; blk < blocks; blk++) {
        double dw[CHANNEL_BLOCK] = {0}, db[CHANNEL_BLOCK] = {0};
        int64_t c0 = blk * CHANNEL_BLOCK, nc = C - c0 < CHANNEL_BLOCK ? C - c0 : CHANNEL_BLOCK;
        int64_t cg = C / d->G;
        for (int64_t n = 0; n < d->N; n++) {
            const float *g = dout + n * C, *xr = x + n * C, *yr = y ? y + n * C : NULL;
            // the groups that overlap the block, each with one mean and rstd
            for (int64_t c = c0; c < c0 + nc;) {
                int64_t k = set_of_row(d, n, c), end = (c / cg + 1) * cg;
                float m = mean[k], rstd = 1.0f / sqrtf(var[k] + eps);
                if (end > c0 + nc) end = c0 + nc;
                for (; c < end; c++) {
                    float gc = yr && !(yr[c] > 0.0f) ? 0.0f : g[c];
                    dw[c - c0] += gc * (xr[c] - m) * rstd;
                    db[c - c0] += gc;
                }
            }
        }
        for (int64_t j = 0; j < nc; j++) {
            if (dweight) dweight[c0 + j] += (float)dw[j];
            if (dbias) dbias[c0 + j] += (float)db[j];
        }
    }
}

void jepa_norm_backward(float *dx, int dx_assign, float *dweight, float *dbias, double *work,
                        const float *dout, const float *x, const float *y, const float *mean,
                        const float *var, const float *weight, const jepa_norm_dims *d, float eps,
                        int stats_fixed) {
    check_dims(d);
    int64_t sets = jepa_norm_sets(d), S = d->S, C = d->C;
    double count = (double)jepa_norm_set_size(d);
    int big = d->N * C * S >= PARALLEL_MIN, affine = dweight || dbias;
    if (!d->relu) y = NULL;
    if (S == 1 && affine) affine_grads_rows(dweight, dbias, dout, y, x, mean, var, d, eps, big);
    if (S > 1 && affine) JEPA_CHECK_MSG(work, "norm backward: channels of S > 1 need the workspace");
    if (d->channels_last && S > 1) {
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(dynamic, IMAGES_PER_ITEM) if (big)
        for (int64_t n = 0; n < d->N; n++)
            image_backward(dx, dx_assign, affine ? work : NULL, dout, x, y, mean, var, weight, d,
                           n, eps, stats_fixed);
    }
    // (the sets below add: an assigned dx starts from zeros)
    if (dx && dx_assign && !(d->channels_last && S > 1)) jepa_zero_floats(dx, d->N * C * S);
    // (channels last, the images above did what the sets below do)
    int64_t planar_sets = d->channels_last && S > 1 ? 0 : sets;
    // one set per iteration: the sums of the gradient over the set (for dx through the
    // statistics) and, with S > 1, over each row (n, c) into work (for dweight and dbias), then
    // dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), gw = dout * weight
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t k = 0; k < planar_sets; k++) {
        set_rows r = rows_of_set(d, k);
        float m = mean[k], rstd = 1.0f / sqrtf(var[k] + eps);
        double acc[2] = {0.0, 0.0};
        for (int64_t n = r.n0; n < r.n1 && ((dx && !stats_fixed) || (S > 1 && affine)); n++) {
            int64_t at = (n * C + r.c0) * S;
            if (S == 1) { // one element per channel: the weights run along the row
                grad_sums(acc, dout + at, y ? y + at : NULL, x + at, weight ? weight + r.c0 : NULL,
                          1.0f, m, r.c1 - r.c0);
                continue;
            }
            for (int64_t c = r.c0; c < r.c1; c++, at += S) {
                double row[2] = {0.0, 0.0};
                grad_sums(row, dout + at, y ? y + at : NULL, x + at, NULL, 1.0f, m, S);
                if (affine) {
                    work[2 * (n * C + c)] = row[0];
                    work[2 * (n * C + c) + 1] = row[1] * rstd;
                }
                float w = weight ? weight[c] : 1.0f;
                acc[0] += row[0] * w;
                acc[1] += row[1] * w;
            }
        }
        if (!dx) continue;
        float mg = stats_fixed ? 0.0f : (float)(acc[0] / count);
        float mgx = stats_fixed ? 0.0f : (float)(acc[1] * rstd / count);
        for (int64_t n = r.n0; n < r.n1; n++)
            for (int64_t c = r.c0, at = (n * C + r.c0) * S; c < r.c1; c++, at += S) {
                // dx = rstd * (gw - mg) - (x - m) * rstd^2 * mgx
                float w = weight ? weight[c] : 1.0f, k1 = rstd * w, k0 = rstd * mg;
                float k2 = rstd * rstd * mgx;
                float *dxs = dx + at;
                const float *g = dout + at, *xs = x + at;
                if (y) {
                    const float *ys = y + at;
                    _Pragma("omp simd") for (int64_t s = 0; s < S; s++)
                        dxs[s] += (ys[s] > 0.0f ? g[s] : 0.0f) * k1 - k0 - (xs[s] - m) * k2;
                } else {
                    _Pragma("omp simd") for (int64_t s = 0; s < S; s++)
                        dxs[s] += g[s] * k1 - k0 - (xs[s] - m) * k2;
                }
            }
    }
    if (S == 1 || !affine) return;
    // dweight and dbias: the rows' sums over the batch, in order
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (big)
    for (int64_t c = 0; c < C; c++) {
        double db = 0.0, dw = 0.0;
        for (int64_t n = 0; n < d->N; n++) {
            db += work[2 * (n * C + c)];
            dw += work[2 * (n * C + c) + 1];
        }
        if (dweight) dweight[c] += (float)dw;
        if (dbias) dbias[c] += (float)db;
    }
}

// ---- naive reference: one thread, double precision, two passes, the textbook formulas ----

// visit every element i = (n, c, s) of set k, with its channel c
#define FOR_SET(d, k, i, c)                                                                        \
    for (set_rows r_ = rows_of_set(d, k); r_.n0 < r_.n1; r_.n0++)                                  \
        for (int64_t c = r_.c0; c < r_.c1; c++)                                                    \
            for (int64_t e_ = 0, i = 0; e_ < (d)->S && (i = elem(d, r_.n0, c, e_), 1); e_++)

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
            double o = xhat * (weight ? weight[c] : 1.0) + (bias ? bias[c] : 0.0);
            out[i] = (float)(d->relu && !(o > 0.0) ? 0.0 : o);
        }
    }
}

void jepa_norm_backward_ref(float *dx, float *dweight, float *dbias, const float *dout,
                            const float *x, const float *y, const float *mean, const float *var,
                            const float *weight, const jepa_norm_dims *d, float eps,
                            int stats_fixed) {
    check_dims(d);
    // the ReLU's gradient: dout where its output y was positive, else 0
#define DOUT(i) (d->relu && !(y[i] > 0.0f) ? 0.0 : (double)dout[i])
    double count = (double)jepa_norm_set_size(d);
    // weight and bias: sums of dout * xhat and dout over each channel, in double
    for (int64_t c = 0; c < d->C && (dweight || dbias); c++) {
        double dw = 0.0, db = 0.0;
        for (int64_t n = 0; n < d->N; n++) {
            int64_t k = set_of_row(d, n, c);
            double rstd = 1.0 / sqrt((double)var[k] + eps);
            for (int64_t e = 0; e < d->S; e++) {
                int64_t i = elem(d, n, c, e);
                dw += DOUT(i) * ((double)x[i] - mean[k]) * rstd;
                db += DOUT(i);
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
            double g = DOUT(i) * (weight ? weight[c] : 1.0);
            sum_g += g;
            sum_gx += g * ((double)x[i] - mean[k]) * rstd;
        }
        FOR_SET(d, k, i, c) {
            double g = DOUT(i) * (weight ? weight[c] : 1.0);
            double xhat = ((double)x[i] - mean[k]) * rstd;
            double v = stats_fixed ? g : g - sum_g / count - xhat * sum_gx / count;
            dx[i] += (float)(rstd * v);
        }
    }
#undef DOUT
}
