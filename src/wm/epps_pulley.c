// The Epps-Pulley statistic of many 1-D samples against the standard normal: fused kernels,
// their naive twins, and the op (ip: 0 G, 1 N, 2 M, 3 K; fp: 0 t_max; saved: the moments C
// then S, (G, M, K) each).
//
// Definition followed (facts, from the LeWM reference: SIGReg in lucas-maes/le-wm module.py,
// the same as the SIGReg of rbalestr-lab/lejepa MINIMAL.md and its EppsPulley class): nodes
// t = linspace(0, t_max, K); trapezoid weights dt at both ends and 2 dt inside (the integral
// over [-t_max, t_max] folded by symmetry), times the window exp(-t^2/2); the error
// (C - exp(-t^2/2))^2 + S^2 with C, S the mean cos and sin over the samples; the weighted sum
// times N (the number of samples); then the mean over directions (and over the leading groups,
// as LeWM's (T, B, D) input). The projections are used as they are (not standardized).
#include <math.h>
#include <string.h>

#include "autograd/internal.h"
#include "jepa/ops_view.h"
#include "jepa/regularizers.h"
#include "jepa/threads.h"

// nodes t_k and weights w_k (trapezoid times the Gaussian window), in double
static void quadrature(const jepa_epps_pulley_dims *d, double *t, double *w, double *phi) {
    int K = d->n_points;
    double dt = (double)d->t_max / (double)(K - 1);
    for (int k = 0; k < K; k++) {
        t[k] = dt * (double)k;
        phi[k] = exp(-0.5 * t[k] * t[k]);
        w[k] = (k == 0 || k == K - 1 ? dt : 2.0 * dt) * phi[k];
    }
}

static void check_dims(const jepa_epps_pulley_dims *d) {
    JEPA_CHECK_MSG(d->n_points >= 2 && d->n_points <= JEPA_EPPS_PULLEY_MAX_POINTS,
                   "epps_pulley: n_points must be in 2..256");
    JEPA_CHECK_MSG(d->t_max > 0.0f, "epps_pulley: t_max must be > 0");
    JEPA_CHECK_MSG(d->G >= 1 && d->N >= 1 && d->M >= 1, "epps_pulley: empty input");
}

// the mean statistic from the moments (G, M, K), summed in a fixed order
static double statistic(const float *cos_mean, const float *sin_mean,
                        const jepa_epps_pulley_dims *d) {
    double t[JEPA_EPPS_PULLEY_MAX_POINTS], w[JEPA_EPPS_PULLEY_MAX_POINTS],
        phi[JEPA_EPPS_PULLEY_MAX_POINTS];
    quadrature(d, t, w, phi);
    int K = d->n_points;
    double total = 0.0;
    for (int64_t c = 0; c < d->G * d->M; c++) {
        const float *C = cos_mean + c * K, *S = sin_mean + c * K;
        double err = 0.0;
        for (int k = 0; k < K; k++) {
            double dc = (double)C[k] - phi[k], s = (double)S[k];
            err += w[k] * (dc * dc + s * s);
        }
        total += err;
    }
    return total * (double)d->N / (double)(d->G * d->M);
}

// columns handled together: their rotations are independent chains, vectorized
#define COLS 8

double jepa_epps_pulley_forward(float *cos_mean, float *sin_mean, const float *x,
                                const jepa_epps_pulley_dims *d) {
    check_dims(d);
    int64_t G = d->G, N = d->N, M = d->M, blocks = (M + COLS - 1) / COLS;
    int K = d->n_points;
    double dt = (double)d->t_max / (double)(K - 1);
    int big = G * N * M * K >= ((int64_t)1 << 16);
    // one block of columns per iteration: each column's sums over n run in order, whatever
    // the threads
#pragma omp parallel for collapse(2) schedule(static) num_threads(jepa_threads_get()) if (big)
    for (int64_t g = 0; g < G; g++) {
        for (int64_t blk = 0; blk < blocks; blk++) {
            int64_t m0 = blk * COLS;
            int bw = (int)(M - m0 < COLS ? M - m0 : COLS);
            double sc[JEPA_EPPS_PULLEY_MAX_POINTS][COLS], ss[JEPA_EPPS_PULLEY_MAX_POINTS][COLS];
            memset(sc, 0, sizeof(double) * COLS * (size_t)K);
            memset(ss, 0, sizeof(double) * COLS * (size_t)K);
            for (int64_t n = 0; n < N; n++) {
                // cos and sin of t_k x by rotating (1, 0) by dt x, k times
                const float *row = x + (g * N + n) * M + m0;
                double c1[COLS], s1[COLS], c[COLS], s[COLS];
                for (int b = 0; b < bw; b++) {
                    double a = dt * (double)row[b];
                    c1[b] = cos(a);
                    s1[b] = sin(a);
                    c[b] = 1.0;
                    s[b] = 0.0;
                }
                for (int k = 0; k < K; k++) {
#pragma omp simd
                    for (int b = 0; b < bw; b++) {
                        sc[k][b] += c[b];
                        ss[k][b] += s[b];
                        double cn = c[b] * c1[b] - s[b] * s1[b];
                        s[b] = s[b] * c1[b] + c[b] * s1[b];
                        c[b] = cn;
                    }
                }
            }
            for (int b = 0; b < bw; b++) {
                float *C = cos_mean + (g * M + m0 + b) * K, *S = sin_mean + (g * M + m0 + b) * K;
                for (int k = 0; k < K; k++) {
                    C[k] = (float)(sc[k][b] / (double)N);
                    S[k] = (float)(ss[k][b] / (double)N);
                }
            }
        }
    }
    return statistic(cos_mean, sin_mean, d);
}

// dT/dx_n = 2 sum_k w_k t_k [S_k cos(t_k x_n) - (C_k - phi_k) sin(t_k x_n)] (the N of T
// cancels the 1/N of the means), times dout / (G M) for the mean over columns
void jepa_epps_pulley_backward(float *dx, const float *x, const float *cos_mean,
                               const float *sin_mean, const jepa_epps_pulley_dims *d, float dout) {
    check_dims(d);
    double t[JEPA_EPPS_PULLEY_MAX_POINTS], w[JEPA_EPPS_PULLEY_MAX_POINTS],
        phi[JEPA_EPPS_PULLEY_MAX_POINTS];
    quadrature(d, t, w, phi);
    int64_t G = d->G, N = d->N, M = d->M, blocks = (M + COLS - 1) / COLS;
    int K = d->n_points;
    double dt = t[1], scale = (double)dout / (double)(G * M);
    int big = G * N * M * K >= ((int64_t)1 << 16);
#pragma omp parallel for collapse(2) schedule(static) num_threads(jepa_threads_get()) if (big)
    for (int64_t g = 0; g < G; g++) {
        for (int64_t blk = 0; blk < blocks; blk++) {
            int64_t m0 = blk * COLS;
            int bw = (int)(M - m0 < COLS ? M - m0 : COLS);
            // coefficients of the cos and sin of every node, for every column
            double a[JEPA_EPPS_PULLEY_MAX_POINTS][COLS], bs[JEPA_EPPS_PULLEY_MAX_POINTS][COLS];
            for (int b = 0; b < bw; b++) {
                const float *C = cos_mean + (g * M + m0 + b) * K;
                const float *S = sin_mean + (g * M + m0 + b) * K;
                for (int k = 0; k < K; k++) {
                    a[k][b] = 2.0 * w[k] * t[k] * (double)S[k] * scale;
                    bs[k][b] = 2.0 * w[k] * t[k] * ((double)C[k] - phi[k]) * scale;
                }
            }
            for (int64_t n = 0; n < N; n++) {
                const float *row = x + (g * N + n) * M + m0;
                float *drow = dx + (g * N + n) * M + m0;
                double c1[COLS], s1[COLS], c[COLS], s[COLS], acc[COLS];
                for (int b = 0; b < bw; b++) {
                    double ang = dt * (double)row[b];
                    c1[b] = cos(ang);
                    s1[b] = sin(ang);
                    c[b] = 1.0;
                    s[b] = 0.0;
                    acc[b] = 0.0;
                }
                for (int k = 0; k < K; k++) {
#pragma omp simd
                    for (int b = 0; b < bw; b++) {
                        acc[b] += a[k][b] * c[b] - bs[k][b] * s[b];
                        double cn = c[b] * c1[b] - s[b] * s1[b];
                        s[b] = s[b] * c1[b] + c[b] * s1[b];
                        c[b] = cn;
                    }
                }
                for (int b = 0; b < bw; b++) drow[b] += (float)acc[b];
            }
        }
    }
}

// the moments of column (g, m) at node k, by libm in double
static void moments_ref(const float *x, const jepa_epps_pulley_dims *d, int64_t g, int64_t m,
                        double tk, double *C, double *S) {
    double sc = 0.0, ss = 0.0;
    for (int64_t n = 0; n < d->N; n++) {
        double v = (double)x[(g * d->N + n) * d->M + m];
        sc += cos(tk * v);
        ss += sin(tk * v);
    }
    *C = sc / (double)d->N;
    *S = ss / (double)d->N;
}

double jepa_epps_pulley_forward_ref(const float *x, const jepa_epps_pulley_dims *d) {
    check_dims(d);
    double t[JEPA_EPPS_PULLEY_MAX_POINTS], w[JEPA_EPPS_PULLEY_MAX_POINTS],
        phi[JEPA_EPPS_PULLEY_MAX_POINTS];
    quadrature(d, t, w, phi);
    double total = 0.0;
    for (int64_t g = 0; g < d->G; g++)
        for (int64_t m = 0; m < d->M; m++)
            for (int k = 0; k < d->n_points; k++) {
                double C, S;
                moments_ref(x, d, g, m, t[k], &C, &S);
                total += (double)d->N * w[k] * ((C - phi[k]) * (C - phi[k]) + S * S);
            }
    return total / (double)(d->G * d->M);
}

void jepa_epps_pulley_backward_ref(float *dx, const float *x, const jepa_epps_pulley_dims *d,
                                   float dout) {
    check_dims(d);
    double t[JEPA_EPPS_PULLEY_MAX_POINTS], w[JEPA_EPPS_PULLEY_MAX_POINTS],
        phi[JEPA_EPPS_PULLEY_MAX_POINTS];
    quadrature(d, t, w, phi);
    double scale = (double)dout / (double)(d->G * d->M);
    for (int64_t g = 0; g < d->G; g++)
        for (int64_t m = 0; m < d->M; m++)
            for (int k = 0; k < d->n_points; k++) {
                double C, S;
                moments_ref(x, d, g, m, t[k], &C, &S);
                for (int64_t n = 0; n < d->N; n++) {
                    int64_t i = (g * d->N + n) * d->M + m;
                    double v = t[k] * (double)x[i];
                    dx[i] +=
                        (float)(scale * 2.0 * w[k] * t[k] * (S * cos(v) - (C - phi[k]) * sin(v)));
                }
            }
}

// ---- the op ----

jepa_tensor *jepa_epps_pulley(jepa_ctx *ctx, jepa_tensor *x, int n_points, float t_max) {
    JEPA_CHECK_MSG(x->ndim == 2 || x->ndim == 3, "epps_pulley: x must be (N, M) or (G, N, M)");
    jepa_epps_pulley_dims d = {x->ndim == 3 ? x->shape[0] : 1, x->shape[x->ndim - 2],
                               x->shape[x->ndim - 1], n_points, t_max};
    check_dims(&d);
    x = jepa_contiguous(ctx, x);
    int64_t no_shape[1] = {0};
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_EPPS_PULLEY, 0, no_shape, 1, &x);
    int64_t moments = d.G * d.M * n_points;
    float *saved = jepa_ctx_floats(ctx, 2 * moments);
    out->data[0] = (float)jepa_epps_pulley_forward(saved, saved + moments, x->data, &d);
    out->ip[0] = d.G;
    out->ip[1] = d.N;
    out->ip[2] = d.M;
    out->ip[3] = n_points;
    out->fp[0] = t_max;
    out->saved = saved;
    return out;
}

void jepa_backward_epps_pulley(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *x = node->src[0];
    if (!x->requires_grad) return;
    jepa_epps_pulley_dims d = {node->ip[0], node->ip[1], node->ip[2], (int)node->ip[3],
                               node->fp[0]};
    int64_t moments = d.G * d.M * d.n_points;
    jepa_epps_pulley_backward(jepa_grad_of(ctx, x), x->data, node->saved, node->saved + moments, &d,
                              node->grad[0]);
}
