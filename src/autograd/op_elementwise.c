// Elementwise ops: broadcast binary arithmetic, bias-add, unary math and dropout.
#include <string.h>

#include "autograd/internal.h"
#include "autograd/unary.h"
#include "jepa/ops_elementwise.h"
#include "jepa/ops_view.h"
#include "tensor/elementwise.h"

// ---- binary ops with broadcasting ----
//
// An operand's dimensions sit at out dimensions [lead, lead + ndim): lead = out.ndim - ndim
// for NumPy broadcasting, lead = dim for bias_add. ip: 0 kind, 1 lead of a, 2 lead of b.

// src's strides over out's index space (0 where it is broadcast) and the mask of those dims
static unsigned operand_strides(const jepa_tensor *src, int lead, int ndim, int64_t *stride) {
    unsigned mask = 0;
    for (int d = 0; d < ndim; d++) {
        int j = d - lead;
        if (j >= 0 && j < src->ndim && src->shape[j] != 1) {
            stride[d] = src->stride[j];
        } else {
            stride[d] = 0;
            mask |= 1u << d;
        }
    }
    return mask;
}

static int64_t size_at(const jepa_tensor *t, int lead, int d) {
    int j = d - lead;
    return j >= 0 && j < t->ndim ? t->shape[j] : 1;
}

static jepa_tensor *binary(jepa_ctx *ctx, jepa_binary_kind kind, jepa_tensor *a, int lead_a,
                           jepa_tensor *b, int lead_b, int ndim) {
    JEPA_CHECK(ndim <= JEPA_MAX_DIMS);
    int64_t shape[JEPA_MAX_DIMS], sa[JEPA_MAX_DIMS], sb[JEPA_MAX_DIMS];
    for (int d = 0; d < ndim; d++) {
        int64_t na = size_at(a, lead_a, d), nb = size_at(b, lead_b, d);
        JEPA_CHECK_MSG(na == nb || na == 1 || nb == 1, "shapes do not broadcast");
        shape[d] = na == 1 ? nb : na;
    }
    operand_strides(a, lead_a, ndim, sa);
    operand_strides(b, lead_b, ndim, sb);
    jepa_tensor *src[2] = {a, b};
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_BINARY, ndim, shape, 2, src);
    jepa_binary_kernel(kind, out->data, a->data, sa, b->data, sb, ndim, shape);
    out->ip[0] = kind;
    out->ip[1] = lead_a;
    out->ip[2] = lead_b;
    return out;
}

static jepa_tensor *broadcast(jepa_ctx *ctx, jepa_binary_kind kind, jepa_tensor *a,
                              jepa_tensor *b) {
    int ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
    return binary(ctx, kind, a, ndim - a->ndim, b, ndim - b->ndim, ndim);
}

jepa_tensor *jepa_add(jepa_ctx *ctx, jepa_tensor *a, jepa_tensor *b) {
    return broadcast(ctx, JEPA_BINARY_ADD, a, b);
}
jepa_tensor *jepa_sub(jepa_ctx *ctx, jepa_tensor *a, jepa_tensor *b) {
    return broadcast(ctx, JEPA_BINARY_SUB, a, b);
}
jepa_tensor *jepa_mul(jepa_ctx *ctx, jepa_tensor *a, jepa_tensor *b) {
    return broadcast(ctx, JEPA_BINARY_MUL, a, b);
}
jepa_tensor *jepa_div(jepa_ctx *ctx, jepa_tensor *a, jepa_tensor *b) {
    return broadcast(ctx, JEPA_BINARY_DIV, a, b);
}

jepa_tensor *jepa_bias_add(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *bias, int dim) {
    if (dim < 0) dim += x->ndim;
    JEPA_CHECK_MSG(dim >= 0 && dim < x->ndim, "bias_add: dimension out of range");
    JEPA_CHECK_MSG(bias->ndim == 1 && bias->shape[0] == x->shape[dim],
                   "bias_add: bias needs x.shape[dim] elements");
    return binary(ctx, JEPA_BINARY_ADD, x, 0, bias, dim, x->ndim);
}

void jepa_backward_binary(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_binary_kind kind = (jepa_binary_kind)node->ip[0];
    int ndim = node->ndim;
    int64_t n = jepa_numel(node), cs[JEPA_MAX_DIMS], st[2][JEPA_MAX_DIMS];
    unsigned mask[2];
    jepa_contiguous_strides(ndim, node->shape, cs);
    for (int s = 0; s < 2; s++)
        mask[s] = operand_strides(node->src[s], (int)node->ip[1 + s], ndim, st[s]);
    for (int s = 0; s < 2; s++) {
        jepa_tensor *x = node->src[s], *other = node->src[1 - s];
        if (!x->requires_grad) continue;
        // the gradient at out's shape, then summed over the dims x was broadcast along
        const float *term = node->grad;
        float alpha = kind == JEPA_BINARY_SUB && s == 1 ? -1.0f : 1.0f;
        if (kind == JEPA_BINARY_MUL || kind == JEPA_BINARY_DIV) {
            float *tmp = jepa_ctx_floats(ctx, n);
            if (kind == JEPA_BINARY_MUL) {
                // d(ab)/da = b, d(ab)/db = a
                jepa_binary_kernel(JEPA_BINARY_MUL, tmp, node->grad, cs, other->data, st[1 - s],
                                   ndim, node->shape);
            } else if (s == 0) {
                // d(a/b)/da = 1/b
                jepa_binary_kernel(JEPA_BINARY_DIV, tmp, node->grad, cs, other->data, st[1], ndim,
                                   node->shape);
            } else {
                // d(a/b)/db = -(a/b)/b = -out/b
                jepa_binary_kernel(JEPA_BINARY_MUL, tmp, node->grad, cs, node->data, cs, ndim,
                                   node->shape);
                jepa_binary_kernel(JEPA_BINARY_DIV, tmp, tmp, cs, x->data, st[1], ndim,
                                   node->shape);
                alpha = -1.0f;
            }
            term = tmp;
        }
        jepa_reduce_sum_kernel(jepa_grad_of(ctx, x), term, ndim, node->shape, mask[s], alpha);
    }
}

// ---- unary ops: ip[0] the kind, fp[0] its parameter ----

jepa_tensor *jepa_op_unary(jepa_ctx *ctx, jepa_tensor *x, jepa_unary_kind kind, float p) {
    x = jepa_contiguous(ctx, x);
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_UNARY, x->ndim, x->shape, 1, &x);
    jepa_unary_kernel(kind, out->data, x->data, jepa_numel(x), p);
    out->ip[0] = kind;
    out->fp[0] = p;
    return out;
}

void jepa_backward_unary(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *x = node->src[0];
    if (!x->requires_grad) return;
    jepa_unary_backward_kernel((jepa_unary_kind)node->ip[0], jepa_grad_of(ctx, x), node->grad,
                               x->data, node->data, jepa_numel(x), node->fp[0]);
}

jepa_tensor *jepa_scale(jepa_ctx *ctx, jepa_tensor *x, float s) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_SCALE, s);
}
jepa_tensor *jepa_add_scalar(jepa_ctx *ctx, jepa_tensor *x, float c) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_ADD_SCALAR, c);
}
jepa_tensor *jepa_neg(jepa_ctx *ctx, jepa_tensor *x) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_SCALE, -1.0f);
}
jepa_tensor *jepa_exp(jepa_ctx *ctx, jepa_tensor *x) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_EXP, 0.0f);
}
jepa_tensor *jepa_ln(jepa_ctx *ctx, jepa_tensor *x) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_LOG, 0.0f);
}
jepa_tensor *jepa_sqrt(jepa_ctx *ctx, jepa_tensor *x) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_SQRT, 0.0f);
}
jepa_tensor *jepa_square(jepa_ctx *ctx, jepa_tensor *x) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_SQUARE, 0.0f);
}
jepa_tensor *jepa_abs(jepa_ctx *ctx, jepa_tensor *x) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_ABS, 0.0f);
}
jepa_tensor *jepa_cos(jepa_ctx *ctx, jepa_tensor *x) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_COS, 0.0f);
}
jepa_tensor *jepa_sin(jepa_ctx *ctx, jepa_tensor *x) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_SIN, 0.0f);
}
jepa_tensor *jepa_clamp_min(jepa_ctx *ctx, jepa_tensor *x, float lo) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_CLAMP_MIN, lo);
}

// ---- dropout: ip[0] seed, ip[1] stream, fp[0] p, fp[1] the scale of kept elements ----

jepa_tensor *jepa_dropout(jepa_ctx *ctx, jepa_tensor *x, float p, uint64_t seed, uint64_t stream,
                          int training) {
    JEPA_CHECK_MSG(p >= 0.0f && p <= 1.0f, "dropout: p must be in [0, 1]");
    if (!training || p == 0.0f) return x;
    x = jepa_contiguous(ctx, x);
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_DROPOUT, x->ndim, x->shape, 1, &x);
    int64_t n = jepa_numel(x);
    float alpha = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    memset(out->data, 0, sizeof(float) * (size_t)n);
    jepa_dropout_kernel(out->data, x->data, n, p, seed, stream, alpha);
    out->ip[0] = (int64_t)seed;
    out->ip[1] = (int64_t)stream;
    out->fp[0] = p;
    out->fp[1] = alpha;
    return out;
}

void jepa_backward_dropout(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *x = node->src[0];
    if (!x->requires_grad) return;
    // the same mask, recomputed from the seed
    jepa_dropout_kernel(jepa_grad_of(ctx, x), node->grad, jepa_numel(x), node->fp[0],
                        (uint64_t)node->ip[0], (uint64_t)node->ip[1], node->fp[1]);
}
