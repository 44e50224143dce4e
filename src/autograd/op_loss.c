// Regression losses (mean reduction): one op, ip[0] the jepa_loss_kind, fp[0] beta.
#include <math.h>

#include "autograd/internal.h"
#include "jepa/ops_loss.h"
#include "jepa/ops_view.h"
#include "tensor/elementwise.h"

static jepa_tensor *loss(jepa_ctx *ctx, jepa_loss_kind kind, jepa_tensor *pred, jepa_tensor *target,
                         float beta) {
    JEPA_CHECK_MSG(jepa_same_shape(pred, target), "loss: pred and target shapes differ");
    JEPA_CHECK_MSG(beta >= 0.0f, "loss: beta must be >= 0");
    pred = jepa_contiguous(ctx, pred);
    target = jepa_contiguous(ctx, target);
    jepa_tensor *src[2] = {pred, target};
    int64_t no_shape[1] = {0}; // a 0-d output (not NULL: jepa_new copies zero bytes from it)
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_LOSS, 0, no_shape, 2, src);
    int64_t n = jepa_numel(pred);
    double sum = jepa_loss_kernel(kind, pred->data, target->data, n, beta);
    out->data[0] = n > 0 ? (float)(sum / (double)n) : NAN; // the mean of nothing, as PyTorch
    out->ip[0] = kind;
    out->fp[0] = beta;
    return out;
}

jepa_tensor *jepa_mse_loss(jepa_ctx *ctx, jepa_tensor *pred, jepa_tensor *target) {
    return loss(ctx, JEPA_LOSS_MSE, pred, target, 0.0f);
}
jepa_tensor *jepa_l1_loss(jepa_ctx *ctx, jepa_tensor *pred, jepa_tensor *target) {
    return loss(ctx, JEPA_LOSS_L1, pred, target, 0.0f);
}
jepa_tensor *jepa_smooth_l1_loss(jepa_ctx *ctx, jepa_tensor *pred, jepa_tensor *target,
                                 float beta) {
    return loss(ctx, JEPA_LOSS_SMOOTH_L1, pred, target, beta);
}

void jepa_backward_loss(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *pred = node->src[0], *target = node->src[1];
    int64_t n = jepa_numel(pred);
    if (n == 0) return;
    float *gp = pred->requires_grad ? jepa_grad_of(ctx, pred) : NULL;
    float *gt = target->requires_grad ? jepa_grad_of(ctx, target) : NULL;
    jepa_loss_backward_kernel((jepa_loss_kind)node->ip[0], gp, gt, pred->data, target->data, n,
                              node->fp[0], node->grad[0] / (float)n);
}
