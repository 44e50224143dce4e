// MLPs and the BatchNorm projector.
#include <stdio.h>

#include "jepa/nn.h"

void jepa_mlp_init(jepa_mlp *m, jepa_params *p, const char *name, int layers, const int64_t *dims,
                   int act, int fc_names) {
    JEPA_CHECK(layers >= 1 && layers <= JEPA_MLP_MAX_LAYERS);
    m->layers = layers;
    m->act = act;
    for (int i = 0; i < layers; i++) {
        char full[JEPA_NN_NAME_MAX];
        // nn.Sequential(Linear, act, Linear, ...) numbers the linears 0, 2, 4...
        if (fc_names) snprintf(full, sizeof full, "%s.fc%d", name, i + 1);
        else snprintf(full, sizeof full, "%s.%d", name, 2 * i);
        jepa_linear_init(&m->fc[i], p, full, dims[i], dims[i + 1], 1);
    }
}

jepa_tensor *jepa_mlp_forward(jepa_ctx *ctx, jepa_params *p, const jepa_mlp *m, jepa_tensor *x) {
    for (int i = 0; i < m->layers; i++)
        x = jepa_linear_act_forward(ctx, p, &m->fc[i], x,
                                    i + 1 < m->layers ? m->act : JEPA_ACT_NONE);
    return x;
}

void jepa_projector_init(jepa_projector *pr, jepa_params *p, const char *name, int64_t in,
                         int64_t hidden, int64_t out) {
    char full[JEPA_NN_NAME_MAX];
    snprintf(full, sizeof full, "%s.net.0", name);
    jepa_linear_init(&pr->fc1, p, full, in, hidden, 1);
    snprintf(full, sizeof full, "%s.net.1", name);
    jepa_batch_norm_init(&pr->bn, p, full, hidden);
    snprintf(full, sizeof full, "%s.net.3", name);
    jepa_linear_init(&pr->fc2, p, full, hidden, out, 1);
}

jepa_tensor *jepa_projector_forward(jepa_ctx *ctx, jepa_params *p, const jepa_projector *pr,
                                    jepa_tensor *x, int training) {
    x = jepa_linear_forward(ctx, p, &pr->fc1, x);
    x = jepa_norm_forward(ctx, p, &pr->bn, x, training);
    x = jepa_act_forward(ctx, JEPA_ACT_RELU, x);
    return jepa_linear_forward(ctx, p, &pr->fc2, x);
}
