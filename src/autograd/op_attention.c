// The attention ops and their backwards (all fused).
//
// attention ip: 0 BH, 1 Tq, 2 Tk, 3 D, 4 Dv, 5 mask, 6 block; attention_qkv ip: 0 heads, 1 mask,
// 2 block. saved: the logsumexp of every row (BH,Tq).
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
    jepa_attention_dims d = {.BH = B * H,
                             .Tq = q->shape[2],
                             .Tk = k->shape[2],
                             .D = q->shape[3],
                             .Dv = v->shape[3],
                             .mask = mask,
                             .block = mask == JEPA_MASK_BLOCK_CAUSAL ? block : 1};
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
    jepa_attention_dims d = {.BH = node->ip[0],
                             .Tq = node->ip[1],
                             .Tk = node->ip[2],
                             .D = node->ip[3],
                             .Dv = node->ip[4],
                             .mask = (int)node->ip[5],
                             .block = (int)node->ip[6]};
    jepa_tensor *q = node->src[0], *k = node->src[1], *v = node->src[2];
    jepa_attention_backward(q->requires_grad ? jepa_grad_of(ctx, q) : NULL,
                            k->requires_grad ? jepa_grad_of(ctx, k) : NULL,
                            v->requires_grad ? jepa_grad_of(ctx, v) : NULL, node->grad, node->data,
                            node->saved, q->data, k->data, v->data, &d);
}

// the dims of the qkv op: (B,T,3E) in, (B,T,E) out, head h of q at columns h*Dh of its third
static jepa_attention_dims qkv_dims(int64_t B, int64_t T, int64_t E, int64_t H, int mask, int block) {
    int64_t Dh = E / H;
    jepa_attention_layout in = {T * 3 * E, Dh, 3 * E}, out = {T * E, Dh, E};
    return (jepa_attention_dims){.BH = B * H,
                                 .Tq = T,
                                 .Tk = T,
                                 .D = Dh,
                                 .Dv = Dh,
                                 .mask = mask,
                                 .block = mask == JEPA_MASK_BLOCK_CAUSAL ? block : 1,
                                 .H = H,
                                 .lq = in,
                                 .lk = in,
                                 .lv = in,
                                 .lo = out};
}

jepa_tensor *jepa_attention_qkv(jepa_ctx *ctx, jepa_tensor *qkv, int heads, int mask, int block) {
    JEPA_CHECK_MSG(qkv->ndim == 3 && qkv->shape[2] % 3 == 0, "attention_qkv: qkv must be (B, T, 3E)");
    int64_t B = qkv->shape[0], T = qkv->shape[1], E = qkv->shape[2] / 3;
    JEPA_CHECK_MSG(heads >= 1 && E % heads == 0, "attention_qkv: heads must divide E");
    qkv = jepa_contiguous(ctx, qkv);
    jepa_attention_dims d = qkv_dims(B, T, E, heads, mask, block);
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_ATTENTION_QKV, 3, (int64_t[]){B, T, E}, 1, &qkv);
    float *lse = jepa_ctx_floats(ctx, d.BH * T);
    jepa_attention_forward(out->data, lse, qkv->data, qkv->data + E, qkv->data + 2 * E, &d);
    out->ip[0] = heads;
    out->ip[1] = d.mask;
    out->ip[2] = d.block;
    out->saved = lse;
    return out;
}

void jepa_backward_attention_qkv(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *qkv = node->src[0];
    if (!qkv->requires_grad) return;
    int64_t B = node->shape[0], T = node->shape[1], E = node->shape[2];
    jepa_attention_dims d = qkv_dims(B, T, E, node->ip[0], (int)node->ip[1], (int)node->ip[2]);
    float *g = jepa_grad_of(ctx, qkv);
    const float *x = qkv->data;
    jepa_attention_backward(g, g + E, g + 2 * E, node->grad, node->data, node->saved, x, x + E, x + 2 * E,
                            &d);
}
