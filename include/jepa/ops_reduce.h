// Reductions: sum, mean and max over a set of axes or over everything. Differentiable;
// outputs are new contiguous tensors in the step arena. Inputs may be any views.
#ifndef JEPA_OPS_REDUCE_H
#define JEPA_OPS_REDUCE_H

#include "jepa/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

// Sum, mean or max over axes[0..naxes) (distinct; negative counts from the end). keepdim
// keeps the reduced axes with size 1, else they are removed (reducing every axis then gives a
// 0-d tensor). naxes 0 reduces nothing (a copy), as NumPy's axis=(). The mean of no elements
// is NaN; a max over no elements is a misuse. Max propagates NaN, and its gradient goes to the
// first maximum of each reduced group.
jepa_tensor *jepa_sum(jepa_ctx *ctx, jepa_tensor *x, int naxes, const int *axes, int keepdim);
jepa_tensor *jepa_mean(jepa_ctx *ctx, jepa_tensor *x, int naxes, const int *axes, int keepdim);
jepa_tensor *jepa_max(jepa_ctx *ctx, jepa_tensor *x, int naxes, const int *axes, int keepdim);

// The same over every element: a 0-d tensor (one element), ready for jepa_backward.
jepa_tensor *jepa_sum_all(jepa_ctx *ctx, jepa_tensor *x);
jepa_tensor *jepa_mean_all(jepa_ctx *ctx, jepa_tensor *x);
jepa_tensor *jepa_max_all(jepa_ctx *ctx, jepa_tensor *x);

#ifdef __cplusplus
}
#endif
#endif
