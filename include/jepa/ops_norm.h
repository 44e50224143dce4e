// Normalization: layer norm, group norm and batch norm, as in PyTorch (biased variance for
// normalizing, eps inside the square root, optional per-channel affine weight and bias).
//
// The three share one kernel family over x viewed as (N, C, S): C channels in G groups of C/G,
// S elements per channel (the product of the spatial dimensions, 1 when there are none). A
// "set" of elements shares one mean and variance:
//   group norm  the set (n, g) is x[n, g*C/G .. (g+1)*C/G, :]             sets N*G
//   layer norm  group norm with G = 1 and S = 1 on x (rows, D)           sets rows
//   batch norm  G = C and pooled over the batch: the set c is x[:, c, :] sets C
// Weight and bias, when given, are per channel (C). With channels_last (group norm of a
// channels-last image, not pooled) x lies as (N, S, C): element (n, c, s) at (n S + s) C + c.
#ifndef JEPA_OPS_NORM_H
#define JEPA_OPS_NORM_H

#include <stdint.h>

#include "jepa/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

// The layout of a normalization (see above). pooled: sets span the batch (batch norm). relu:
// the output goes through a ReLU (NaN -> 0, as jepa_relu), fused into the same pass.
// channels_last: x is (N, S, C) (at most JEPA_NORM_MAX_GROUPS groups, not pooled).
typedef struct jepa_norm_dims {
    int64_t N, C, S, G;
    int pooled, relu, channels_last;
} jepa_norm_dims;
#define JEPA_NORM_MAX_GROUPS 512

// The number of sets (pooled ? G : N*G) and of elements in one set.
int64_t jepa_norm_sets(const jepa_norm_dims *d);
int64_t jepa_norm_set_size(const jepa_norm_dims *d);

// Mean and biased variance of every set. x (N,C,S); mean, var (sets).
void jepa_norm_stats(float *mean, float *var, const float *x, const jepa_norm_dims *d);
void jepa_norm_stats_ref(float *mean, float *var, const float *x, const jepa_norm_dims *d);

// out = (x - mean) / sqrt(var + eps) * weight[c] + bias[c], with the stats of each element's set.
// out, x (N,C,S); mean, var (sets); weight, bias (C) or NULL (1 and 0).
void jepa_norm_apply(float *out, const float *x, const float *mean, const float *var,
                     const float *weight, const float *bias, const jepa_norm_dims *d, float eps);
void jepa_norm_apply_ref(float *out, const float *x, const float *mean, const float *var,
                         const float *weight, const float *bias, const jepa_norm_dims *d,
                         float eps);
// jepa_norm_stats then jepa_norm_apply, one set at a time (the set is read once from memory).
void jepa_norm_stats_apply(float *out, float *mean, float *var, const float *x,
                           const float *weight, const float *bias, const jepa_norm_dims *d,
                           float eps);

// Backward of jepa_norm_apply; ADDS into dx (N,C,S), dweight (C), dbias (C), each may be NULL;
// with dx_assign, dx is written instead (it may hold anything before).
// stats_fixed: mean and var are constants (batch norm's inference mode); else they are the
// set's own statistics and their gradient flows into dx. weight NULL means 1. y: the forward's
// output, read only with d->relu (the ReLU's mask). work: 2*N*C doubles, needed for dweight or
// dbias when S > 1 (each row's sums, added over the batch in order).
void jepa_norm_backward(float *dx, int dx_assign, float *dweight, float *dbias, double *work,
                        const float *dout, const float *x, const float *y, const float *mean,
                        const float *var, const float *weight, const jepa_norm_dims *d, float eps,
                        int stats_fixed);
void jepa_norm_backward_ref(float *dx, float *dweight, float *dbias, const float *dout,
                            const float *x, const float *y, const float *mean, const float *var,
                            const float *weight, const jepa_norm_dims *d, float eps,
                            int stats_fixed);

// Layer norm over the last dimension D of x (..., D). weight, bias (D) or NULL. Out: x's shape.
jepa_tensor *jepa_layer_norm(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *weight, jepa_tensor *bias,
                             float eps);

// Group norm of x (N, C, *spatial) with groups dividing C. weight, bias (C) or NULL.
jepa_tensor *jepa_group_norm(jepa_ctx *ctx, jepa_tensor *x, int groups, jepa_tensor *weight,
                             jepa_tensor *bias, float eps);
// relu(group_norm(x)) as one op: one pass forward, one backward, no tensor in between.
jepa_tensor *jepa_group_norm_relu(jepa_ctx *ctx, jepa_tensor *x, int groups, jepa_tensor *weight,
                                  jepa_tensor *bias, float eps);
// The same over a channels-last x (N, *spatial, C), e.g. the output of jepa_conv2d_layout
// with JEPA_CONV_OUT_NHWC; groups divide C (at most JEPA_NORM_MAX_GROUPS).
jepa_tensor *jepa_group_norm_relu_nhwc(jepa_ctx *ctx, jepa_tensor *x, int groups,
                                       jepa_tensor *weight, jepa_tensor *bias, float eps);

// Batch norm of x (N, C) or (N, C, *spatial) (BatchNorm1d / BatchNorm2d). weight, bias (C) or NULL.
// training: normalize with the batch's mean and biased variance (N*S must be > 1), and, when
// running_mean / running_var (C floats, caller-owned) are not NULL, update them in place:
//   running = (1 - momentum) * running + momentum * batch   (the variance unbiased: n/(n-1))
// inference (training 0): normalize with running_mean and running_var (both required, read
// at this call). Differentiable w.r.t. x, weight and bias in both modes.
jepa_tensor *jepa_batch_norm(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *weight, jepa_tensor *bias,
                             float *running_mean, float *running_var, float momentum, float eps,
                             int training);

#ifdef __cplusplus
}
#endif
#endif
