// Activations: the elementwise ones as unary ops, and (log-)softmax along an axis.
#include "autograd/internal.h"
#include "autograd/unary.h"
#include "jepa/ops_activation.h"
#include "jepa/ops_view.h"
#include "tensor/elementwise.h"

jepa_tensor *jepa_relu(jepa_ctx *ctx, jepa_tensor *x) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_RELU, 0.0f);
}
jepa_tensor *jepa_gelu(jepa_ctx *ctx, jepa_tensor *x, int tanh_approx) {
    return jepa_op_unary(ctx, x, tanh_approx ? JEPA_UNARY_GELU_TANH : JEPA_UNARY_GELU, 0.0f);
}
jepa_tensor *jepa_silu(jepa_ctx *ctx, jepa_tensor *x) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_SILU, 0.0f);
}
jepa_tensor *jepa_tanh(jepa_ctx *ctx, jepa_tensor *x) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_TANH, 0.0f);
}
jepa_tensor *jepa_sigmoid(jepa_ctx *ctx, jepa_tensor *x) {
    return jepa_op_unary(ctx, x, JEPA_UNARY_SIGMOID, 0.0f);
}

// ---- softmax: ip 0 log flag, 1 outer, 2 n (the axis), 3 inner ----

static jepa_tensor *softmax(jepa_ctx *ctx, jepa_tensor *x, int axis, int log_out) {
    if (axis < 0) axis += x->ndim;
    JEPA_CHECK_MSG(axis >= 0 && axis < x->ndim, "softmax: axis out of range");
    x = jepa_contiguous(ctx, x);
    int64_t outer = 1, inner = 1, n = x->shape[axis];
    for (int d = 0; d < axis; d++) outer *= x->shape[d];
    for (int d = axis + 1; d < x->ndim; d++) inner *= x->shape[d];
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_SOFTMAX, x->ndim, x->shape, 1, &x);
    jepa_softmax_kernel(out->data, x->data, outer, n, inner, log_out);
    int64_t params[4] = {log_out, outer, n, inner};
    for (int i = 0; i < 4; i++) out->ip[i] = params[i];
    return out;
}

jepa_tensor *jepa_softmax(jepa_ctx *ctx, jepa_tensor *x, int axis) {
    return softmax(ctx, x, axis, 0);
}
jepa_tensor *jepa_log_softmax(jepa_ctx *ctx, jepa_tensor *x, int axis) {
    return softmax(ctx, x, axis, 1);
}

void jepa_backward_softmax(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *x = node->src[0];
    if (!x->requires_grad) return;
    jepa_softmax_backward_kernel(jepa_grad_of(ctx, x), node->grad, node->data, node->ip[1],
                                 node->ip[2], node->ip[3], (int)node->ip[0]);
}
