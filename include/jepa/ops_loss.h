// Regression losses with PyTorch's default mean reduction: each returns a 0-d tensor, ready
// for jepa_backward. pred and target have the same shape (no broadcasting) and may be any
// views; both may require grad.
#ifndef JEPA_OPS_LOSS_H
#define JEPA_OPS_LOSS_H

#include "jepa/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

// mean((pred - target)^2)
jepa_tensor *jepa_mse_loss(jepa_ctx *ctx, jepa_tensor *pred, jepa_tensor *target);

// mean(|pred - target|); gradient 0 where they are equal.
jepa_tensor *jepa_l1_loss(jepa_ctx *ctx, jepa_tensor *pred, jepa_tensor *target);

// mean of 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, with d = pred - target
// (PyTorch's smooth_l1_loss); beta >= 0, and beta 0 is the L1 loss.
jepa_tensor *jepa_smooth_l1_loss(jepa_ctx *ctx, jepa_tensor *pred, jepa_tensor *target, float beta);

#ifdef __cplusplus
}
#endif
#endif
