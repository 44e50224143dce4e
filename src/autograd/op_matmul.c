// The batched matmul op and its backward.
#include "autograd/internal.h"
#include "jepa/ops_linalg.h"
#include "jepa/ops_view.h"

// ip: 0 trans_a, 1 trans_b, 2 batch count, 3 M, 4 N, 5 K, 6 whether b is shared (2-D)
jepa_tensor *jepa_matmul(jepa_ctx *ctx, jepa_tensor *a, jepa_tensor *b, int trans_a, int trans_b) {
    JEPA_CHECK_MSG(a->ndim >= 2 && b->ndim >= 2, "matmul: operands need 2 dimensions");
    int shared = b->ndim == 2 && a->ndim > 2;
    JEPA_CHECK_MSG(shared || a->ndim == b->ndim, "matmul: batch dimensions differ");
    int la = a->ndim - 2, lb = b->ndim - 2;
    int64_t M = trans_a ? a->shape[la + 1] : a->shape[la];
    int64_t K = trans_a ? a->shape[la] : a->shape[la + 1];
    int64_t Kb = trans_b ? b->shape[lb + 1] : b->shape[lb];
    int64_t N = trans_b ? b->shape[lb] : b->shape[lb + 1];
    JEPA_CHECK_MSG(K == Kb, "matmul: inner dimensions differ");
    int64_t batch = 1, shape[JEPA_MAX_DIMS];
    for (int i = 0; i < la; i++) {
        JEPA_CHECK_MSG(shared || a->shape[i] == b->shape[i], "matmul: batch dimensions differ");
        shape[i] = a->shape[i];
        batch *= a->shape[i];
    }
    shape[la] = M;
    shape[la + 1] = N;
    a = jepa_contiguous(ctx, a);
    b = jepa_contiguous(ctx, b);
    jepa_tensor *src[2] = {a, b};
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_MATMUL, a->ndim, shape, 2, src);
    int64_t lda = a->shape[la + 1], ldb = b->shape[lb + 1];
    for (int64_t i = 0; i < batch; i++)
        jepa_sgemm(trans_a, trans_b, M, N, K, 1.0f, a->data + i * M * K, lda,
                   b->data + (shared ? 0 : i * K * N), ldb, 0.0f, out->data + i * M * N, N);
    int64_t params[7] = {trans_a, trans_b, batch, M, N, K, shared};
    for (int i = 0; i < 7; i++) out->ip[i] = params[i];
    return out;
}

void jepa_backward_matmul(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *a = node->src[0], *b = node->src[1];
    int ta = (int)node->ip[0], tb = (int)node->ip[1], shared = (int)node->ip[6];
    int64_t batch = node->ip[2], M = node->ip[3], N = node->ip[4], K = node->ip[5];
    int64_t lda = ta ? M : K, ldb = tb ? K : N;
    for (int64_t i = 0; i < batch; i++) {
        const float *dc = node->grad + i * M * N;
        const float *A = a->data + i * M * K, *B = b->data + (shared ? 0 : i * K * N);
        if (a->requires_grad) {
            float *da = jepa_grad_of(ctx, a) + i * M * K;
            // dA = dC op(B)^T, or its transpose when A was transposed
            if (!ta) jepa_sgemm(0, !tb, M, K, N, 1.0f, dc, N, B, ldb, 1.0f, da, K);
            else jepa_sgemm(tb, 1, K, M, N, 1.0f, B, ldb, dc, N, 1.0f, da, M);
        }
        if (b->requires_grad) {
            float *db = jepa_grad_of(ctx, b) + (shared ? 0 : i * K * N);
            // dB = op(A)^T dC, or its transpose when B was transposed
            if (!tb) jepa_sgemm(!ta, 0, K, N, M, 1.0f, A, lda, dc, N, 1.0f, db, N);
            else jepa_sgemm(1, ta, N, K, M, 1.0f, dc, N, A, lda, 1.0f, db, K);
        }
    }
}
