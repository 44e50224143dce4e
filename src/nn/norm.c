// Norm layers and activations by name.
#include <stdio.h>
#include <string.h>

#include "jepa/nn.h"
#include "jepa/ops_activation.h"
#include "jepa/ops_norm.h"

static int add_const(jepa_params *p, const char *name, const char *leaf, int64_t c, float value,
                     int buffer) {
    char full[JEPA_PARAM_NAME_MAX];
    snprintf(full, sizeof full, "%s.%s", name, leaf);
    int i = buffer ? jepa_params_add_buffer(p, full, 1, &c) : jepa_params_add(p, full, 1, &c, 1);
    jepa_params_set_init(p, i, JEPA_INIT_CONST, value);
    return i;
}

static void norm_common(jepa_norm *n, jepa_params *p, const char *name, int kind, int64_t channels,
                        int affine) {
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->channels = channels;
    n->affine = affine;
    n->eps = 1e-5f;
    n->momentum = 0.1f;
    n->weight = affine ? add_const(p, name, "weight", channels, 1.0f, 0) : -1;
    n->bias = affine ? add_const(p, name, "bias", channels, 0.0f, 0) : -1;
    n->running_mean = n->running_var = -1;
}

void jepa_layer_norm_init(jepa_norm *n, jepa_params *p, const char *name, int64_t channels,
                          int affine) {
    norm_common(n, p, name, JEPA_NORM_LAYER, channels, affine);
    n->eps = 1e-6f; // timm's ViT blocks; PyTorch's default is 1e-5
}

void jepa_group_norm_init(jepa_norm *n, jepa_params *p, const char *name, int groups,
                          int64_t channels) {
    JEPA_CHECK_MSG(groups > 0 && channels % groups == 0, "group norm: groups must divide channels");
    norm_common(n, p, name, JEPA_NORM_GROUP, channels, 1);
    n->groups = groups;
}

void jepa_batch_norm_init(jepa_norm *n, jepa_params *p, const char *name, int64_t channels) {
    norm_common(n, p, name, JEPA_NORM_BATCH, channels, 1);
    n->running_mean = add_const(p, name, "running_mean", channels, 0.0f, 1);
    n->running_var = add_const(p, name, "running_var", channels, 1.0f, 1);
}

jepa_tensor *jepa_norm_forward(jepa_ctx *ctx, jepa_params *p, const jepa_norm *n, jepa_tensor *x,
                               int training) {
    jepa_tensor *w = n->weight >= 0 ? jepa_params_tensor(p, n->weight) : NULL;
    jepa_tensor *b = n->bias >= 0 ? jepa_params_tensor(p, n->bias) : NULL;
    switch (n->kind) {
    case JEPA_NORM_LAYER: return jepa_layer_norm(ctx, x, w, b, n->eps);
    case JEPA_NORM_GROUP: return jepa_group_norm(ctx, x, n->groups, w, b, n->eps);
    default:
        return jepa_batch_norm(ctx, x, w, b, jepa_params_tensor(p, n->running_mean)->data,
                               jepa_params_tensor(p, n->running_var)->data, n->momentum, n->eps,
                               training);
    }
}

jepa_tensor *jepa_norm_relu_forward(jepa_ctx *ctx, jepa_params *p, const jepa_norm *n,
                                    jepa_tensor *x, int training) {
    if (n->kind != JEPA_NORM_GROUP) return jepa_relu(ctx, jepa_norm_forward(ctx, p, n, x, training));
    jepa_tensor *w = n->weight >= 0 ? jepa_params_tensor(p, n->weight) : NULL;
    jepa_tensor *b = n->bias >= 0 ? jepa_params_tensor(p, n->bias) : NULL;
    return jepa_group_norm_relu(ctx, x, n->groups, w, b, n->eps);
}

jepa_tensor *jepa_group_norm_relu_forward_nhwc(jepa_ctx *ctx, jepa_params *p, const jepa_norm *n,
                                               jepa_tensor *x) {
    JEPA_CHECK_MSG(n->kind == JEPA_NORM_GROUP, "group_norm_relu_forward_nhwc: not a group norm");
    jepa_tensor *w = n->weight >= 0 ? jepa_params_tensor(p, n->weight) : NULL;
    jepa_tensor *b = n->bias >= 0 ? jepa_params_tensor(p, n->bias) : NULL;
    return jepa_group_norm_relu_nhwc(ctx, x, n->groups, w, b, n->eps);
}

int jepa_act_parse(const char *name) {
    static const char *names[] = {"none", "relu", "gelu", "silu"};
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, names[i]) == 0) return i;
    return -1;
}

jepa_tensor *jepa_act_forward(jepa_ctx *ctx, int act, jepa_tensor *x) {
    switch (act) {
    case JEPA_ACT_RELU: return jepa_relu(ctx, x);
    case JEPA_ACT_GELU: return jepa_gelu(ctx, x, 0);
    case JEPA_ACT_SILU: return jepa_silu(ctx, x);
    default: return x;
    }
}
