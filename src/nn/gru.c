// The GRU cell and a GRU over a sequence (PyTorch's equations and parameter names).
#include <math.h>
#include <stdio.h>

#include "jepa/nn.h"
#include "jepa/ops_activation.h"
#include "jepa/ops_elementwise.h"
#include "jepa/ops_linalg.h"
#include "jepa/ops_shape.h"
#include "jepa/ops_view.h"

void jepa_gru_init(jepa_gru *g, jepa_params *p, const char *name, int64_t in, int64_t hidden) {
    static const char *leaves[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    int *slots[4] = {&g->weight_ih, &g->weight_hh, &g->bias_ih, &g->bias_hh};
    int64_t shapes[4][2] = {{3 * hidden, in}, {3 * hidden, hidden}, {3 * hidden, 0}, {3 * hidden, 0}};
    g->in = in;
    g->hidden = hidden;
    for (int i = 0; i < 4; i++) {
        char full[JEPA_PARAM_NAME_MAX];
        snprintf(full, sizeof full, "%s.%s", name, leaves[i]);
        *slots[i] = jepa_params_add(p, full, i < 2 ? 2 : 1, shapes[i], i >= 2);
        jepa_params_set_init(p, *slots[i], JEPA_INIT_UNIFORM, 1.0f / sqrtf((float)hidden));
    }
}

// columns [k H, (k+1) H) of a (B, 3H) tensor
static jepa_tensor *gate(jepa_ctx *ctx, jepa_tensor *t, int k, int64_t H) {
    return jepa_slice(ctx, t, 1, k * H, (k + 1) * H);
}

jepa_tensor *jepa_gru_cell(jepa_ctx *ctx, jepa_params *p, const jepa_gru *g, jepa_tensor *x,
                           jepa_tensor *h) {
    int64_t H = g->hidden;
    jepa_tensor *gi = jepa_bias_add(ctx, jepa_matmul(ctx, x, jepa_params_tensor(p, g->weight_ih), 0, 1),
                                    jepa_params_tensor(p, g->bias_ih), -1);
    jepa_tensor *gh = jepa_bias_add(ctx, jepa_matmul(ctx, h, jepa_params_tensor(p, g->weight_hh), 0, 1),
                                    jepa_params_tensor(p, g->bias_hh), -1);
    // r = s(i_r + h_r), z = s(i_z + h_z), n = tanh(i_n + r * h_n), h' = n + z * (h - n)
    jepa_tensor *r = jepa_sigmoid(ctx, jepa_add(ctx, gate(ctx, gi, 0, H), gate(ctx, gh, 0, H)));
    jepa_tensor *z = jepa_sigmoid(ctx, jepa_add(ctx, gate(ctx, gi, 1, H), gate(ctx, gh, 1, H)));
    jepa_tensor *n = jepa_tanh(ctx, jepa_add(ctx, gate(ctx, gi, 2, H), jepa_mul(ctx, r, gate(ctx, gh, 2, H))));
    return jepa_add(ctx, n, jepa_mul(ctx, z, jepa_sub(ctx, h, n)));
}

jepa_tensor *jepa_gru_sequence(jepa_ctx *ctx, jepa_params *p, const jepa_gru *g, jepa_tensor *x,
                               jepa_tensor *h0) {
    int64_t B = x->shape[0], T = x->shape[1];
    jepa_tensor *h = h0, *states[256];
    JEPA_CHECK_MSG(T <= 256, "GRU sequence longer than 256 steps");
    for (int64_t t = 0; t < T; t++) {
        jepa_tensor *xt = jepa_reshape(ctx, jepa_slice(ctx, x, 1, t, t + 1), 2, (int64_t[]){B, g->in});
        h = jepa_gru_cell(ctx, p, g, xt, h);
        states[t] = jepa_reshape(ctx, h, 3, (int64_t[]){B, 1, g->hidden});
    }
    return jepa_concat(ctx, (int)T, states, 1);
}
