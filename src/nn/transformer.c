// Multi-head self-attention, the pre-norm transformer block with AdaLN-zero conditioning, and
// sinusoidal positions.
#include <math.h>
#include <stdio.h>

#include "jepa/nn.h"
#include "jepa/ops_activation.h"
#include "jepa/ops_attention.h"
#include "jepa/ops_elementwise.h"
#include "jepa/ops_shape.h"
#include "jepa/ops_view.h"

void jepa_mhsa_init(jepa_mhsa *a, jepa_params *p, const char *name, int64_t dim, int heads) {
    JEPA_CHECK_MSG(heads > 0 && dim % heads == 0, "attention: heads must divide the width");
    char full[JEPA_NN_NAME_MAX];
    a->dim = dim;
    a->heads = heads;
    snprintf(full, sizeof full, "%s.qkv", name);
    jepa_linear_init(&a->qkv, p, full, dim, 3 * dim, 1);
    snprintf(full, sizeof full, "%s.proj", name);
    jepa_linear_init(&a->proj, p, full, dim, dim, 1);
}

// (B, T, E) -> its last position (B, 1, E), a view
static jepa_tensor *last_position(jepa_ctx *ctx, jepa_tensor *x) {
    return jepa_slice(ctx, x, 1, x->shape[1] - 1, x->shape[1]);
}

// Attention over s earlier positions' keys and values kv (this layer's qkv of them: (1 or B, s,
// 3E), or NULL) and x's own (B, T, E): the output at x's positions, or (last) at the last one
// only, through the projection. kv_out, when given, receives x's qkv (B, T, 3E).
static jepa_tensor *mhsa(jepa_ctx *ctx, jepa_params *p, const jepa_mhsa *a, jepa_tensor *x,
                         jepa_tensor *kv, jepa_tensor **kv_out, int mask, int block, int last) {
    jepa_tensor *qkv = jepa_linear_forward(ctx, p, &a->qkv, x); // (B, T, 3E)
    if (kv_out) *kv_out = qkv;
    int64_t B = qkv->shape[0], T = qkv->shape[1], s = kv ? kv->shape[1] : 0;
    if (kv) {
        jepa_tensor *parts[2] = {jepa_expand(ctx, kv, 3, (int64_t[]){B, s, 3 * a->dim}), qkv};
        qkv = jepa_concat(ctx, 2, parts, 1);
    }
    jepa_tensor *o = jepa_attention_qkv(ctx, qkv, a->heads, mask, block); // (B, s + T, E)
    if (last) o = last_position(ctx, o);
    else if (s) o = jepa_slice(ctx, o, 1, s, s + T);
    return jepa_linear_forward(ctx, p, &a->proj, o);
}

jepa_tensor *jepa_mhsa_forward(jepa_ctx *ctx, jepa_params *p, const jepa_mhsa *a, jepa_tensor *x,
                               int mask, int block) {
    return mhsa(ctx, p, a, x, NULL, NULL, mask, block, 0);
}

void jepa_block_init(jepa_block *b, jepa_params *p, const char *name, int64_t dim, int heads,
                     int64_t mlp_hidden, int64_t cond_dim) {
    char full[JEPA_NN_NAME_MAX];
    b->dim = dim;
    b->cond_dim = cond_dim;
    int affine = cond_dim == 0; // AdaLN supplies the shift and scale
    snprintf(full, sizeof full, "%s.norm1", name);
    jepa_layer_norm_init(&b->norm1, p, full, dim, affine);
    snprintf(full, sizeof full, "%s.attn", name);
    jepa_mhsa_init(&b->attn, p, full, dim, heads);
    snprintf(full, sizeof full, "%s.norm2", name);
    jepa_layer_norm_init(&b->norm2, p, full, dim, affine);
    snprintf(full, sizeof full, "%s.mlp", name);
    jepa_mlp_init(&b->mlp, p, full, 2, (int64_t[]){dim, mlp_hidden, dim}, JEPA_ACT_GELU, 1);
    if (cond_dim > 0) {
        snprintf(full, sizeof full, "%s.adaLN_modulation.1", name);
        jepa_linear_init(&b->ada, p, full, cond_dim, 6 * dim, 1);
        // AdaLN-zero: the block starts as the identity
        jepa_params_set_init(p, b->ada.weight, JEPA_INIT_ZERO, 0.0f);
        jepa_params_set_init(p, b->ada.bias, JEPA_INIT_ZERO, 0.0f);
    }
}

// x * (1 + scale) + shift
static jepa_tensor *modulate(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *shift, jepa_tensor *scale) {
    return jepa_add(ctx, jepa_add(ctx, x, jepa_mul(ctx, x, scale)), shift);
}

jepa_tensor *jepa_block_forward_kv(jepa_ctx *ctx, jepa_params *p, const jepa_block *b,
                                   jepa_tensor *x, jepa_tensor *cond, jepa_tensor *kv,
                                   jepa_tensor **kv_out, int mask, int block, int last) {
    // last: what only the earlier positions' own outputs need (their attention's projection, the
    // MLP and its norm) is skipped; they still give the attention its keys and values
    jepa_tensor *rest = last ? last_position(ctx, x) : x; // the residual stream kept
    if (b->cond_dim == 0 || !cond) {
        jepa_tensor *h = mhsa(ctx, p, &b->attn, jepa_norm_forward(ctx, p, &b->norm1, x, 0), kv,
                              kv_out, mask, block, last);
        rest = jepa_add(ctx, rest, h);
        h = jepa_mlp_forward(ctx, p, &b->mlp, jepa_norm_forward(ctx, p, &b->norm2, rest, 0));
        return jepa_add(ctx, rest, h);
    }
    // (shift, scale, gate) for attention then for the MLP, each (B, 1, E) or (B, T, E)
    jepa_tensor *mod = jepa_linear_forward(ctx, p, &b->ada, jepa_silu(ctx, cond));
    jepa_tensor *m[6];
    for (int i = 0; i < 6; i++) {
        m[i] = jepa_slice(ctx, mod, -1, i * b->dim, (i + 1) * b->dim);
        if (mod->ndim == 2) m[i] = jepa_reshape(ctx, m[i], 3, (int64_t[]){mod->shape[0], 1, b->dim});
        else if (last && i >= 2) m[i] = last_position(ctx, m[i]); // past the attention: one row
    }
    jepa_tensor *h = modulate(ctx, jepa_norm_forward(ctx, p, &b->norm1, x, 0), m[0], m[1]);
    h = mhsa(ctx, p, &b->attn, h, kv, kv_out, mask, block, last);
    rest = jepa_add(ctx, rest, jepa_mul(ctx, m[2], h));
    h = modulate(ctx, jepa_norm_forward(ctx, p, &b->norm2, rest, 0), m[3], m[4]);
    return jepa_add(ctx, rest, jepa_mul(ctx, m[5], jepa_mlp_forward(ctx, p, &b->mlp, h)));
}

jepa_tensor *jepa_block_forward(jepa_ctx *ctx, jepa_params *p, const jepa_block *b, jepa_tensor *x,
                                jepa_tensor *cond, int mask, int block) {
    return jepa_block_forward_kv(ctx, p, b, x, cond, NULL, NULL, mask, block, 0);
}

void jepa_sinusoidal_positions(float *out, int64_t T, int64_t E) {
    // pe[t, 2i] = sin(t / 10000^(2i/E)), pe[t, 2i+1] = cos(...)
    for (int64_t t = 0; t < T; t++)
        for (int64_t i = 0; i < E; i++) {
            double freq = pow(10000.0, -(double)(i / 2 * 2) / (double)E);
            out[t * E + i] = (float)(i % 2 == 0 ? sin((double)t * freq) : cos((double)t * freq));
        }
}
