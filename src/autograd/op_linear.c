// The fused linear op: out = x @ w^T + b, with an optional ReLU, in one GEMM pass (the bias and
// the ReLU are applied as the GEMM stores out).
#include "autograd/internal.h"
#include "jepa/ops_linalg.h"
#include "jepa/ops_view.h"
#include "tensor/elementwise.h"

// ip: 0 relu, 1 M (rows of x), 2 N (rows of w), 3 K
jepa_tensor *jepa_linear_act(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *w, jepa_tensor *b,
                             int relu) {
    JEPA_CHECK_MSG(x->ndim == 2 && w->ndim == 2, "linear: x and w need 2 dimensions");
    int64_t M = x->shape[0], K = x->shape[1], N = w->shape[0];
    JEPA_CHECK_MSG(w->shape[1] == K, "linear: inner dimensions differ");
    JEPA_CHECK_MSG(!b || (b->ndim == 1 && b->shape[0] == N),
                   "linear: bias needs w.shape[0] floats");
    x = jepa_contiguous(ctx, x);
    w = jepa_contiguous(ctx, w);
    if (b) b = jepa_contiguous(ctx, b);
    jepa_tensor *src[3] = {x, w, b};
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_LINEAR, 2, (int64_t[]){M, N}, b ? 3 : 2, src);
    jepa_sgemm_bias_act(0, 1, M, N, K, x->data, K, w->data, K, b ? b->data : NULL, relu, out->data,
                        N);
    int64_t params[4] = {relu != 0, M, N, K};
    for (int i = 0; i < 4; i++) out->ip[i] = params[i];
    return out;
}

void jepa_backward_linear(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *x = node->src[0], *w = node->src[1], *b = node->src[2];
    int64_t M = node->ip[1], N = node->ip[2], K = node->ip[3];
    const float *g = node->grad;
    // through the ReLU: the gradient where the output is positive
    if (node->ip[0]) {
        float *masked = jepa_ctx_floats(ctx, M * N);
        for (int64_t i = 0; i < M * N; i++) masked[i] = node->data[i] > 0.0f ? g[i] : 0.0f;
        g = masked;
    }
    // dx = g w, dw = g^T x, db = the column sums of g
    if (x->requires_grad)
        jepa_sgemm(0, 0, M, K, N, 1.0f, g, N, w->data, K, 1.0f, jepa_grad_of(ctx, x), K);
    if (w->requires_grad)
        jepa_sgemm(1, 0, N, K, M, 1.0f, g, N, x->data, K, 1.0f, jepa_grad_of(ctx, w), K);
    if (b && b->requires_grad)
        jepa_reduce_sum_kernel(jepa_grad_of(ctx, b), g, 2, (int64_t[]){M, N}, 1u, 1.0);
}
