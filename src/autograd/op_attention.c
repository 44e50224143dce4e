// The attention op and its backward (both fused).
//
// ip: 0 BH, 1 Tq, 2 Tk, 3 D, 4 Dv, 5 mask, 6 block. saved: the logsumexp of every row (BH,Tq).
#include "autograd/internal.h"
#include "jepa/ops_attention.h"
#include "jepa/ops_view.h"

jepa_tensor *jepa_attention(jepa_ctx *ctx, jepa_tensor *q, jepa_tensor *k, jepa_tensor *v, int mask,
                            int block) {
    JEPA_CHECK_MSG(q->ndim == 4 && k->ndim == 4 && v->ndim == 4,
                   "attention: q, k, v must be (B, H, T, D)");
    JEPA_CHECK_MSG(q->shape[0] == k->shape[0] && q->shape[1] == k->shape[1] &&
                       k->shape[0] == v->shape[0] && k->shape[1] == v->shape[1],
                   "attention: batch and head dimensions differ");
    JEPA_CHECK_MSG(q->shape[3] == k->shape[3], "attention: q and k have different widths");
    JEPA_CHECK_MSG(k->shape[2] == v->shape[2], "attention: k and v have different lengths");
    int64_t B = q->shape[0], H = q->shape[1];
    jepa_attention_dims d = {B * H,
                             q->shape[2],
                             k->shape[2],
                             q->shape[3],
                             v->shape[3],
                             mask,
                             mask == JEPA_MASK_BLOCK_CAUSAL ? block : 1};
    q = jepa_contiguous(ctx, q);
    k = jepa_contiguous(ctx, k);
    v = jepa_contiguous(ctx, v);
    jepa_tensor *src[3] = {q, k, v};
    int64_t shape[4] = {B, H, d.Tq, d.Dv};
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_ATTENTION, 4, shape, 3, src);
    float *lse = jepa_ctx_floats(ctx, d.BH * d.Tq);
    jepa_attention_forward(out->data, lse, q->data, k->data, v->data, &d);
    int64_t params[7] = {d.BH, d.Tq, d.Tk, d.D, d.Dv, d.mask, d.block};
    for (int i = 0; i < 7; i++) out->ip[i] = params[i];
    out->saved = lse;
    return out;
}

void jepa_backward_attention(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_attention_dims d = {node->ip[0], node->ip[1],      node->ip[2],     node->ip[3],
                             node->ip[4], (int)node->ip[5], (int)node->ip[6]};
    jepa_tensor *q = node->src[0], *k = node->src[1], *v = node->src[2];
    jepa_attention_backward(q->requires_grad ? jepa_grad_of(ctx, q) : NULL,
                            k->requires_grad ? jepa_grad_of(ctx, k) : NULL,
                            v->requires_grad ? jepa_grad_of(ctx, v) : NULL, node->grad, node->data,
                            node->saved, q->data, k->data, v->data, &d);
}
