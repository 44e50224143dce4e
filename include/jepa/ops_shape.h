// Ops that move elements: concat, split and gather (embedding lookup). Differentiable.
#ifndef JEPA_OPS_SHAPE_H
#define JEPA_OPS_SHAPE_H

#include <stdint.h>

#include "jepa/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

// xs[0..n) (n >= 1, same ndim, equal sizes but along axis) joined along axis (negative counts
// from the end) into a new contiguous tensor. Inputs may be any views.
jepa_tensor *jepa_concat(jepa_ctx *ctx, int n, jepa_tensor **xs, int axis);

// Cut x along axis into n pieces of sizes[0..n) (they sum to x.shape[axis]); out[0..n)
// receives slice views of x (jepa_slice), which share its data.
void jepa_split(jepa_ctx *ctx, jepa_tensor *x, int axis, int n, const int64_t *sizes,
                jepa_tensor **out);

// Embedding lookup: out (n, D) row r = table (V, D) row idx[r]; every idx in [0, V). idx is
// copied (the caller's array need not outlive the call). The backward adds each row of the
// gradient into table row idx[r] (repeated indices accumulate).
jepa_tensor *jepa_gather(jepa_ctx *ctx, jepa_tensor *table, const int64_t *idx, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
