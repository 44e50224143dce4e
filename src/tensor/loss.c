// Regression losses summed over elements (the op divides by the count), and their gradients.
// The optimized versions sum float blocks in double across threads; the _ref twins are serial
// double loops.
#include <math.h>

#include "jepa/threads.h"
#include "tensor/elementwise.h"

#define BLOCK 1024

static float loss_f(jepa_loss_kind kind, float d, float beta) {
    float a = fabsf(d);
    switch (kind) {
    case JEPA_LOSS_MSE:
        return d * d;
    case JEPA_LOSS_L1:
        return a;
    case JEPA_LOSS_SMOOTH_L1:
        return a < beta ? 0.5f * d * d / beta : a - 0.5f * beta;
    }
    return 0.0f;
}

// dloss/dd
static float loss_df(jepa_loss_kind kind, float d, float beta) {
    float sign = d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : 0.0f);
    switch (kind) {
    case JEPA_LOSS_MSE:
        return 2.0f * d;
    case JEPA_LOSS_L1:
        return sign;
    case JEPA_LOSS_SMOOTH_L1:
        return fabsf(d) < beta ? d / beta : sign;
    }
    return 0.0f;
}

double jepa_loss_kernel(jepa_loss_kind kind, const float *pred, const float *target, int64_t n,
                        float beta) {
    double acc = 0.0;
    int64_t blocks = (n + BLOCK - 1) / BLOCK;
    int par = n >= JEPA_PARALLEL_MIN;
#pragma omp parallel for if (par) num_threads(jepa_threads_get()) reduction(+ : acc)
    for (int64_t b = 0; b < blocks; b++) {
        int64_t end = n - b * BLOCK < BLOCK ? n : (b + 1) * BLOCK;
        float part = 0.0f;
        for (int64_t i = b * BLOCK; i < end; i++) part += loss_f(kind, pred[i] - target[i], beta);
        acc += part;
    }
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

void jepa_loss_backward_kernel(jepa_loss_kind kind, float *gp, float *gt, const float *pred,
                               const float *target, int64_t n, float beta, float scale) {
#pragma omp parallel for if (n >= JEPA_PARALLEL_MIN) num_threads(jepa_threads_get())
    for (int64_t i = 0; i < n; i++) {
        float v = scale * loss_df(kind, pred[i] - target[i], beta);
        if (gp) gp[i] += v;
        if (gt) gt[i] -= v;
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
