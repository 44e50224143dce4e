// Views: reshape, permute, transpose, slice and expand share their source's data; contiguous
// copies only when needed. All are differentiable.
#ifndef JEPA_OPS_VIEW_H
#define JEPA_OPS_VIEW_H

#include "jepa/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

// A new shape with the same number of elements; one entry may be -1 (inferred). A view when t
// is contiguous, else a contiguous copy first.
jepa_tensor *jepa_reshape(jepa_ctx *ctx, jepa_tensor *t, int ndim, const int64_t *shape);

// Dimensions reordered: out.shape[i] = t.shape[perm[i]].
jepa_tensor *jepa_permute(jepa_ctx *ctx, jepa_tensor *t, const int *perm);

// Dimensions d0 and d1 swapped (negative counts from the end).
jepa_tensor *jepa_transpose(jepa_ctx *ctx, jepa_tensor *t, int d0, int d1);

// Elements start..end-1 along dim (negative dim counts from the end).
jepa_tensor *jepa_slice(jepa_ctx *ctx, jepa_tensor *t, int dim, int64_t start, int64_t end);

// Broadcast size-1 dimensions (and new leading ones) to shape, with stride 0. Backward sums.
jepa_tensor *jepa_expand(jepa_ctx *ctx, jepa_tensor *t, int ndim, const int64_t *shape);

// t itself when contiguous, else a contiguous copy (recorded).
jepa_tensor *jepa_contiguous(jepa_ctx *ctx, jepa_tensor *t);

#ifdef __cplusplus
}
#endif
#endif
