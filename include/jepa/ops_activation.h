// Activations: elementwise nonlinearities and (log-)softmax along an axis. Differentiable;
// outputs are new contiguous tensors in the step arena. Inputs may be any views.
#ifndef JEPA_OPS_ACTIVATION_H
#define JEPA_OPS_ACTIVATION_H

#include "jepa/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

// max(x, 0); gradient 0 at x = 0 (as PyTorch).
jepa_tensor *jepa_relu(jepa_ctx *ctx, jepa_tensor *x);

// GELU: x Phi(x) with the exact erf form (tanh_approx 0, PyTorch's approximate='none'), or
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (tanh_approx 1, approximate='tanh').
jepa_tensor *jepa_gelu(jepa_ctx *ctx, jepa_tensor *x, int tanh_approx);

// x sigmoid(x), tanh(x) and 1 / (1 + exp(-x)) (computed without overflow).
jepa_tensor *jepa_silu(jepa_ctx *ctx, jepa_tensor *x);
jepa_tensor *jepa_tanh(jepa_ctx *ctx, jepa_tensor *x);
jepa_tensor *jepa_sigmoid(jepa_ctx *ctx, jepa_tensor *x);

// Softmax and log-softmax along axis (negative counts from the end), shifted by the maximum
// so large inputs do not overflow. Same shape as x.
jepa_tensor *jepa_softmax(jepa_ctx *ctx, jepa_tensor *x, int axis);
jepa_tensor *jepa_log_softmax(jepa_ctx *ctx, jepa_tensor *x, int axis);

#ifdef __cplusplus
}
#endif
#endif
