// Reductions over a set of axes: sum, mean and max.
#include <math.h>
#include <string.h>

#include "autograd/internal.h"
#include "jepa/arena.h"
#include "jepa/ops_reduce.h"
#include "jepa/ops_view.h"
#include "tensor/elementwise.h"

// the mask of reduced axes, and the output shape (keepdim or not); returns its ndim
static int reduced_shape(const jepa_tensor *x, int naxes, const int *axes, int keepdim,
                         unsigned *mask, int64_t *shape) {
    JEPA_CHECK(naxes >= 0 && naxes <= x->ndim);
    *mask = 0;
    for (int i = 0; i < naxes; i++) {
        int a = axes[i] < 0 ? axes[i] + x->ndim : axes[i];
        JEPA_CHECK_MSG(a >= 0 && a < x->ndim, "reduce: axis out of range");
        JEPA_CHECK_MSG(!((*mask >> a) & 1u), "reduce: repeated axis");
        *mask |= 1u << a;
    }
    int ndim = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (!((*mask >> d) & 1u))
            shape[ndim++] = x->shape[d];
        else if (keepdim)
            shape[ndim++] = 1;
    }
    return ndim;
}

// ---- sum and mean: ip[0] the mask, fp[0] the scale (1, or 1/count for the mean) ----

static jepa_tensor *sum_op(jepa_ctx *ctx, jepa_tensor *x, int naxes, const int *axes, int keepdim,
                           int mean) {
    unsigned mask;
    int64_t shape[JEPA_MAX_DIMS], count = 1;
    int ndim = reduced_shape(x, naxes, axes, keepdim, &mask, shape);
    for (int d = 0; d < x->ndim; d++)
        if ((mask >> d) & 1u) count *= x->shape[d];
    x = jepa_contiguous(ctx, x);
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_SUM, ndim, shape, 1, &x);
    double alpha = mean ? 1.0 / (double)count : 1.0;
    memset(out->data, 0, sizeof(float) * (size_t)jepa_numel(out));
    jepa_reduce_sum_kernel(out->data, x->data, x->ndim, x->shape, mask, alpha);
    // every output of a mean over nothing is NaN, as PyTorch
    for (int64_t i = 0; mean && count == 0 && i < jepa_numel(out); i++) out->data[i] = NAN;
    out->ip[0] = mask;
    out->fp[0] = (float)alpha;
    return out;
}

jepa_tensor *jepa_sum(jepa_ctx *ctx, jepa_tensor *x, int naxes, const int *axes, int keepdim) {
    return sum_op(ctx, x, naxes, axes, keepdim, 0);
}
jepa_tensor *jepa_mean(jepa_ctx *ctx, jepa_tensor *x, int naxes, const int *axes, int keepdim) {
    return sum_op(ctx, x, naxes, axes, keepdim, 1);
}

void jepa_backward_sum(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *x = node->src[0];
    if (!x->requires_grad) return;
    jepa_expand_add_kernel(jepa_grad_of(ctx, x), node->grad, x->ndim, x->shape,
                           (unsigned)node->ip[0], node->fp[0]);
}

// ---- max: ip[0] the mask; saved holds the int64 flat index of each output's maximum ----

jepa_tensor *jepa_max(jepa_ctx *ctx, jepa_tensor *x, int naxes, const int *axes, int keepdim) {
    unsigned mask;
    int64_t shape[JEPA_MAX_DIMS];
    int ndim = reduced_shape(x, naxes, axes, keepdim, &mask, shape);
    // every output needs at least one element to take the max of
    int64_t count = 1, kept = 1;
    for (int d = 0; d < x->ndim; d++) {
        if ((mask >> d) & 1u)
            count *= x->shape[d];
        else
            kept *= x->shape[d];
    }
    JEPA_CHECK_MSG(count > 0 || kept == 0, "max: a maximum over no elements");
    x = jepa_contiguous(ctx, x);
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_MAX, ndim, shape, 1, &x);
    int64_t m = jepa_numel(out);
    int64_t *arg = jepa_arena_alloc(jepa_ctx_arena(ctx), sizeof(int64_t) * (size_t)m);
    JEPA_CHECK_MSG(arg != NULL, "out of memory in the step arena");
    jepa_reduce_max_kernel(out->data, arg, x->data, x->ndim, x->shape, mask);
    out->ip[0] = mask;
    out->saved = (float *)(void *)arg; // the arena aligns it for int64; read back as int64
    return out;
}

void jepa_backward_max(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *x = node->src[0];
    if (!x->requires_grad) return;
    const int64_t *arg = (const int64_t *)(const void *)node->saved;
    float *gx = jepa_grad_of(ctx, x);
    int64_t m = jepa_numel(node);
    for (int64_t o = 0; o < m; o++) gx[arg[o]] += node->grad[o];
}

// ---- over every element ----

static jepa_tensor *all_axes(jepa_ctx *ctx, jepa_tensor *x,
                             jepa_tensor *(*reduce)(jepa_ctx *, jepa_tensor *, int, const int *,
                                                    int)) {
    int axes[JEPA_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) axes[d] = d;
    return reduce(ctx, x, x->ndim, axes, 0);
}

jepa_tensor *jepa_sum_all(jepa_ctx *ctx, jepa_tensor *x) {
    return all_axes(ctx, x, jepa_sum);
}
jepa_tensor *jepa_mean_all(jepa_ctx *ctx, jepa_tensor *x) {
    return all_axes(ctx, x, jepa_mean);
}
jepa_tensor *jepa_max_all(jepa_ctx *ctx, jepa_tensor *x) {
    return all_axes(ctx, x, jepa_max);
}
