// Regression losses summed over elements (the op divides by the count), and their gradients.
// The optimized versions sum vectorized float blocks in double across threads; the _ref twins
// are serial double loops.
#include <math.h>

#include "jepa/threads.h"
#include "tensor/elementwise.h"

#define BLOCK 1024

// loss and dloss/dd of a difference d, one expression per kind, written once for both loops
#define LOSS_MSE(d) ((d) * (d))
#define LOSS_L1(d) fabsf(d)
#define LOSS_SMOOTH_L1(d) (fabsf(d) < beta ? 0.5f * (d) * (d) / beta : fabsf(d) - 0.5f * beta)
#define SIGN(d) ((d) > 0.0f ? 1.0f : ((d) < 0.0f ? -1.0f : 0.0f))
#define DLOSS_MSE(d) (2.0f * (d))
#define DLOSS_L1(d) SIGN(d)
#define DLOSS_SMOOTH_L1(d) (fabsf(d) < beta ? (d) / beta : SIGN(d))

// part = the float sum of EXPR over [start, end), vectorized
#define BLOCK_SUM(EXPR)                                                                            \
    _Pragma("omp simd reduction(+ : part)") for (int64_t i = start; i < end; i++) {                \
        float d = pred[i] - target[i];                                                             \
        part += EXPR(d);                                                                           \
    }

double jepa_loss_kernel(jepa_loss_kind kind, const float *pred, const float *target, int64_t n,
                        float beta) {
    // float blocks in double, in a fixed split into parts added in order (thread-independent)
    double partial[JEPA_SUM_PARTS], acc = 0.0;
    int64_t parts = (n + BLOCK - 1) / BLOCK;
    parts = parts < JEPA_SUM_PARTS ? parts : JEPA_SUM_PARTS;
    int64_t per = parts > 0 ? (n + parts - 1) / parts : 0;
    int par = n >= JEPA_PARALLEL_MIN;
#pragma omp parallel for if (par) num_threads(jepa_threads_get())
    for (int64_t c = 0; c < parts; c++) {
        int64_t last = n < (c + 1) * per ? n : (c + 1) * per;
        double sum = 0.0;
        for (int64_t start = c * per; start < last; start += BLOCK) {
            int64_t end = last - start < BLOCK ? last : start + BLOCK;
            float part = 0.0f;
            switch (kind) {
            case JEPA_LOSS_MSE:
                BLOCK_SUM(LOSS_MSE) break;
            case JEPA_LOSS_L1:
                BLOCK_SUM(LOSS_L1) break;
            case JEPA_LOSS_SMOOTH_L1:
                BLOCK_SUM(LOSS_SMOOTH_L1) break;
            }
            sum += part;
        }
        partial[c] = sum;
    }
    for (int64_t c = 0; c < parts; c++) acc += partial[c];
    return acc;
}

double jepa_loss_kernel_ref(jepa_loss_kind kind, const float *pred, const float *target, int64_t n,
                            float beta) {
    double acc = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)pred[i] - (double)target[i], a = fabs(d);
        switch (kind) {
        case JEPA_LOSS_MSE:
            acc += d * d;
            break;
        case JEPA_LOSS_L1:
            acc += a;
            break;
        case JEPA_LOSS_SMOOTH_L1:
            acc += a < beta ? 0.5 * d * d / beta : a - 0.5 * beta;
            break;
        }
    }
    return acc;
}

// g[i] += SIGN_OF_G * scale * EXPR(d) over every element, vectorized
#define GRAD_LOOP(EXPR, g, SIGN_OF_G)                                                              \
    _Pragma("omp parallel for simd if (parallel: par) num_threads(jepa_threads_get())")           \
    for (int64_t i = 0; i < n; i++) {                                                              \
        float d = pred[i] - target[i];                                                             \
        g[i] += SIGN_OF_G scale * EXPR(d);                                                         \
    }

void jepa_loss_backward_kernel(jepa_loss_kind kind, float *gp, float *gt, const float *pred,
                               const float *target, int64_t n, float beta, float scale) {
    int par = n >= JEPA_PARALLEL_MIN;
    // pred's gradient, then target's: the same values negated
    if (gp) switch (kind) {
        case JEPA_LOSS_MSE:
            GRAD_LOOP(DLOSS_MSE, gp, +) break;
        case JEPA_LOSS_L1:
            GRAD_LOOP(DLOSS_L1, gp, +) break;
        case JEPA_LOSS_SMOOTH_L1:
            GRAD_LOOP(DLOSS_SMOOTH_L1, gp, +) break;
        }
    if (gt) switch (kind) {
        case JEPA_LOSS_MSE:
            GRAD_LOOP(DLOSS_MSE, gt, -) break;
        case JEPA_LOSS_L1:
            GRAD_LOOP(DLOSS_L1, gt, -) break;
        case JEPA_LOSS_SMOOTH_L1:
            GRAD_LOOP(DLOSS_SMOOTH_L1, gt, -) break;
        }
}

void jepa_loss_backward_kernel_ref(jepa_loss_kind kind, float *gp, float *gt, const float *pred,
                                   const float *target, int64_t n, float beta, float scale) {
    for (int64_t i = 0; i < n; i++) {
        double d = (double)pred[i] - (double)target[i];
        double sign = d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : 0.0), v = 0.0;
        switch (kind) {
        case JEPA_LOSS_MSE:
            v = 2.0 * d;
            break;
        case JEPA_LOSS_L1:
            v = sign;
            break;
        case JEPA_LOSS_SMOOTH_L1:
            v = fabs(d) < beta ? d / beta : sign;
            break;
        }
        if (gp) gp[i] = (float)(gp[i] + scale * v);
        if (gt) gt[i] = (float)(gt[i] - scale * v);
    }
}
