// Linear and conv2d layers.
#include <math.h>
#include <stdio.h>

#include "jepa/nn.h"
#include "jepa/ops_conv.h"
#include "jepa/ops_elementwise.h"
#include "jepa/ops_linalg.h"
#include "jepa/ops_view.h"

// declare "<name>.<leaf>" with a uniform init of the given bound
static int add_uniform(jepa_params *p, const char *name, const char *leaf, int ndim,
                       const int64_t *shape, int no_decay, float bound) {
    char full[JEPA_PARAM_NAME_MAX];
    snprintf(full, sizeof full, "%s.%s", name, leaf);
    int i = jepa_params_add(p, full, ndim, shape, no_decay);
    jepa_params_set_init(p, i, JEPA_INIT_UNIFORM, bound);
    return i;
}

void jepa_linear_init(jepa_linear *l, jepa_params *p, const char *name, int64_t in, int64_t out,
                      int bias) {
    // kaiming_uniform(a=sqrt(5)) gives the bound 1/sqrt(fan_in), for the bias too
    float bound = 1.0f / sqrtf((float)in);
    l->in = in;
    l->out = out;
    l->weight = add_uniform(p, name, "weight", 2, (int64_t[]){out, in}, 0, bound);
    l->bias = bias ? add_uniform(p, name, "bias", 1, (int64_t[]){out}, 1, bound) : -1;
}

jepa_tensor *jepa_linear_forward(jepa_ctx *ctx, jepa_params *p, const jepa_linear *l,
                                 jepa_tensor *x) {
    return jepa_linear_act_forward(ctx, p, l, x, JEPA_ACT_NONE);
}

jepa_tensor *jepa_linear_act_forward(jepa_ctx *ctx, jepa_params *p, const jepa_linear *l,
                                     jepa_tensor *x, int act) {
    JEPA_CHECK_MSG(x->shape[x->ndim - 1] == l->in, "linear: input size differs");
    jepa_tensor *x2 = x;
    if (x->ndim != 2) x2 = jepa_reshape(ctx, x, 2, (int64_t[]){-1, l->in});
    // none and ReLU run in the GEMM's epilogue, the others after it
    int fused = act == JEPA_ACT_NONE || act == JEPA_ACT_RELU;
    jepa_tensor *y =
        jepa_linear_act(ctx, x2, jepa_params_tensor(p, l->weight),
                        l->bias >= 0 ? jepa_params_tensor(p, l->bias) : NULL, act == JEPA_ACT_RELU);
    if (!fused) y = jepa_act_forward(ctx, act, y);
    if (x->ndim == 2) return y;
    int64_t shape[JEPA_MAX_DIMS];
    for (int i = 0; i < x->ndim - 1; i++) shape[i] = x->shape[i];
    shape[x->ndim - 1] = l->out;
    return jepa_reshape(ctx, y, x->ndim, shape);
}

void jepa_conv_init(jepa_conv *c, jepa_params *p, const char *name, int64_t in, int64_t out,
                    int kernel, int stride, int pad, int bias) {
    float bound = 1.0f / sqrtf((float)(in * kernel * kernel));
    c->in = in;
    c->out = out;
    c->kernel = kernel;
    c->stride = stride;
    c->pad = pad;
    c->weight = add_uniform(p, name, "weight", 4, (int64_t[]){out, in, kernel, kernel}, 0, bound);
    c->bias = bias ? add_uniform(p, name, "bias", 1, (int64_t[]){out}, 1, bound) : -1;
}

jepa_tensor *jepa_conv_forward_layout(jepa_ctx *ctx, jepa_params *p, const jepa_conv *c,
                                      jepa_tensor *x, int layouts) {
    return jepa_conv2d_layout(ctx, x, jepa_params_tensor(p, c->weight),
                              c->bias >= 0 ? jepa_params_tensor(p, c->bias) : NULL, c->stride,
                              c->stride, c->pad, c->pad, layouts);
}

jepa_tensor *jepa_conv_forward(jepa_ctx *ctx, jepa_params *p, const jepa_conv *c, jepa_tensor *x) {
    return jepa_conv_forward_layout(ctx, p, c, x, 0);
}
