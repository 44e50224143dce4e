// Elementwise ops: binary arithmetic with NumPy broadcasting, scalar and unary math, and
// seeded dropout. All are differentiable; outputs are new contiguous tensors in the step arena
// (dropout when off returns its input). Inputs may be any views.
#ifndef JEPA_OPS_ELEMENTWISE_H
#define JEPA_OPS_ELEMENTWISE_H

#include <stdint.h>

#include "jepa/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

// a + b, a - b, a * b, a / b with NumPy broadcasting: shapes are aligned at their last
// dimension and a dimension of size 1 (or a missing one) stretches to the other's size.
// Up to 5 dimensions; the backward sums over the dimensions an operand was broadcast along.
jepa_tensor *jepa_add(jepa_ctx *ctx, jepa_tensor *a, jepa_tensor *b);
jepa_tensor *jepa_sub(jepa_ctx *ctx, jepa_tensor *a, jepa_tensor *b);
jepa_tensor *jepa_mul(jepa_ctx *ctx, jepa_tensor *a, jepa_tensor *b);
jepa_tensor *jepa_div(jepa_ctx *ctx, jepa_tensor *a, jepa_tensor *b);

// x + bias along dim: bias (x.shape[dim]) is added to every slice x[..., i, ...] at index i of
// dim (negative counts from the end): dim 1 for NCHW images, -1 for linear outputs.
jepa_tensor *jepa_bias_add(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *bias, int dim);

// s * x, x + c, and -x.
jepa_tensor *jepa_scale(jepa_ctx *ctx, jepa_tensor *x, float s);
jepa_tensor *jepa_add_scalar(jepa_ctx *ctx, jepa_tensor *x, float c);
jepa_tensor *jepa_neg(jepa_ctx *ctx, jepa_tensor *x);

// Unary math, elementwise. jepa_ln is the natural log (jepa_log is the logger); ln and sqrt
// follow IEEE outside their domain (NaN, -inf); abs has gradient 0 at 0.
jepa_tensor *jepa_exp(jepa_ctx *ctx, jepa_tensor *x);
jepa_tensor *jepa_ln(jepa_ctx *ctx, jepa_tensor *x);
jepa_tensor *jepa_sqrt(jepa_ctx *ctx, jepa_tensor *x);
jepa_tensor *jepa_square(jepa_ctx *ctx, jepa_tensor *x);
jepa_tensor *jepa_abs(jepa_ctx *ctx, jepa_tensor *x);
jepa_tensor *jepa_cos(jepa_ctx *ctx, jepa_tensor *x);
jepa_tensor *jepa_sin(jepa_ctx *ctx, jepa_tensor *x);

// max(x, lo), the hinge; the gradient passes where x >= lo (as PyTorch's clamp_min).
jepa_tensor *jepa_clamp_min(jepa_ctx *ctx, jepa_tensor *x, float lo);

// Dropout with probability p in [0, 1]: when training and p > 0, each element is zeroed with
// probability p and the rest scaled by 1/(1-p) (as PyTorch); otherwise x itself is returned.
// The mask is a pure function of (seed, stream) and the element's row-major index i: element i
// is kept when the i-th jepa_rng_uniform draw of jepa_rng_init(seed, stream) is >= p (Philox,
// jepa_philox4x32_10), so it does not depend on threads and the backward recomputes it. Give
// every call its own key (e.g. seed = training step, stream = layer) for fresh masks.
jepa_tensor *jepa_dropout(jepa_ctx *ctx, jepa_tensor *x, float p, uint64_t seed, uint64_t stream,
                          int training);

#ifdef __cplusplus
}
#endif
#endif
