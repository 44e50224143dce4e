// Multi-head self-attention, the pre-norm transformer block with AdaLN-zero conditioning, and
// sinusoidal positions.
#include <math.h>
#include <stdio.h>

#include "jepa/nn.h"
#include "jepa/ops_activation.h"
#include "jepa/ops_attention.h"
#include "jepa/ops_elementwise.h"
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

// every position, or (last) the last one only: every position's keys and values, one query's
// output through the projection
static jepa_tensor *mhsa(jepa_ctx *ctx, jepa_params *p, const jepa_mhsa *a, jepa_tensor *x, int mask,
                         int block, int last) {
    jepa_tensor *qkv = jepa_linear_forward(ctx, p, &a->qkv, x); // (B, T, 3E)
    jepa_tensor *o = jepa_attention_qkv(ctx, qkv, a->heads, mask, block); // (B, T, E)
    return jepa_linear_forward(ctx, p, &a->proj, last ? last_position(ctx, o) : o);
}

jepa_tensor *jepa_mhsa_forward(jepa_ctx *ctx, jepa_params *p, const jepa_mhsa *a, jepa_tensor *x,
                               int mask, int block) {
    return mhsa(ctx, p, a, x, mask, block, 0);
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

// last: the output at the last position only, (B, 1, E). The earlier positions still give the
// attention its keys and values; what only their own outputs need (their attention's projection,
// the MLP and its norm) is skipped.
static jepa_tensor *block_forward(jepa_ctx *ctx, jepa_params *p, const jepa_block *b, jepa_tensor *x,
                                  jepa_tensor *cond, int mask, int block, int last) {
    jepa_tensor *rest = last ? last_position(ctx, x) : x; // the residual stream kept
    if (b->cond_dim == 0 || !cond) {
        jepa_tensor *h = mhsa(ctx, p, &b->attn, jepa_norm_forward(ctx, p, &b->norm1, x, 0), mask,
                              block, last);
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
    rest = jepa_add(ctx, rest, jepa_mul(ctx, m[2], mhsa(ctx, p, &b->attn, h, mask, block, last)));
    h = modulate(ctx, jepa_norm_forward(ctx, p, &b->norm2, rest, 0), m[3], m[4]);
    return jepa_add(ctx, rest, jepa_mul(ctx, m[5], jepa_mlp_forward(ctx, p, &b->mlp, h)));
}

jepa_tensor *jepa_block_forward(jepa_ctx *ctx, jepa_params *p, const jepa_block *b, jepa_tensor *x,
                                jepa_tensor *cond, int mask, int block) {
    return block_forward(ctx, p, b, x, cond, mask, block, 0);
}

jepa_tensor *jepa_block_forward_last(jepa_ctx *ctx, jepa_params *p, const jepa_block *b,
                                     jepa_tensor *x, jepa_tensor *cond, int mask, int block) {
    return block_forward(ctx, p, b, x, cond, mask, block, 1);
}

void jepa_sinusoidal_positions(float *out, int64_t T, int64_t E) {
    // pe[t, 2i] = sin(t / 10000^(2i/E)), pe[t, 2i+1] = cos(...)
    for (int64_t t = 0; t < T; t++)
        for (int64_t i = 0; i < E; i++) {
            double freq = pow(10000.0, -(double)(i / 2 * 2) / (double)E);
            out[t * E + i] = (float)(i % 2 == 0 ? sin((double)t * freq) : cos((double)t * freq));
        }
}
