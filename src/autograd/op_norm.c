// Layer, group and batch norm ops: one recorded op over (N,C,S) and one backward.
//
// ip: 0 N, 1 C, 2 S, 3 G, 4 pooled, 5 flags (1: stats fixed, 2: ReLU after the norm, 4:
// channels last),
// 6 weight's index in src (0: none), 7 bias's index in src (0: none). fp: 0 eps. saved: mean
// (sets) then var (sets).
#include <string.h>

#include "autograd/internal.h"
#include "jepa/ops_norm.h"
#include "jepa/ops_view.h"

// an affine parameter of C elements, contiguous (or NULL)
static jepa_tensor *affine(jepa_ctx *ctx, jepa_tensor *p, int64_t C, const char *what) {
    if (!p) return NULL;
    JEPA_CHECK_MSG(jepa_numel(p) == C, what);
    return jepa_contiguous(ctx, p);
}

// record the op over x viewed as d; stats NULL: compute the set statistics from x, else use
// stats (mean then var, sets each) as constants
static jepa_tensor *norm_op(jepa_ctx *ctx, int op, jepa_tensor *x, jepa_tensor *weight,
                            jepa_tensor *bias, const jepa_norm_dims *d, float eps,
                            const float *mean_fixed, const float *var_fixed) {
    x = jepa_contiguous(ctx, x);
    weight = affine(ctx, weight, d->C, "norm: weight must have one element per channel");
    bias = affine(ctx, bias, d->C, "norm: bias must have one element per channel");
    // sources x, weight, bias with the absent ones left out
    jepa_tensor *src[3] = {x, NULL, NULL};
    int nsrc = 1, wi = 0, bi = 0;
    if (weight) src[wi = nsrc++] = weight;
    if (bias) src[bi = nsrc++] = bias;
    jepa_tensor *out = jepa_op_new(ctx, op, x->ndim, x->shape, nsrc, src);

    int64_t sets = jepa_norm_sets(d);
    float *mean = jepa_ctx_floats(ctx, 2 * sets), *var = mean + sets;
    const float *w = weight ? weight->data : NULL, *b = bias ? bias->data : NULL;
    if (mean_fixed) {
        memcpy(mean, mean_fixed, sizeof(float) * (size_t)sets);
        memcpy(var, var_fixed, sizeof(float) * (size_t)sets);
        jepa_norm_apply(out->data, x->data, mean, var, w, b, d, eps);
    } else {
        jepa_norm_stats_apply(out->data, mean, var, x->data, w, b, d, eps);
    }

    int64_t flags = (mean_fixed != NULL) | (d->relu ? 2 : 0) | (d->channels_last ? 4 : 0);
    int64_t params[8] = {d->N, d->C, d->S, d->G, d->pooled, flags, wi, bi};
    memcpy(out->ip, params, sizeof params);
    out->fp[0] = eps;
    out->saved = mean;
    return out;
}

// (N, C, S) of x (N, C, *spatial)
static jepa_norm_dims channel_dims(const jepa_tensor *x, int64_t groups, int pooled) {
    JEPA_CHECK_MSG(x->ndim >= 2, "norm: x must be (N, C, *spatial)");
    jepa_norm_dims d = {x->shape[0], x->shape[1], 1, groups, pooled, 0, 0};
    for (int i = 2; i < x->ndim; i++) d.S *= x->shape[i];
    return d;
}

jepa_tensor *jepa_layer_norm(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *weight, jepa_tensor *bias,
                             float eps) {
    JEPA_CHECK_MSG(x->ndim >= 1, "layer_norm: x needs a last dimension");
    int64_t D = x->shape[x->ndim - 1];
    jepa_norm_dims d = {jepa_numel(x) / D, D, 1, 1, 0, 0, 0};
    return norm_op(ctx, JEPA_OP_LAYER_NORM, x, weight, bias, &d, eps, NULL, NULL);
}

static jepa_tensor *group_norm(jepa_ctx *ctx, jepa_tensor *x, int groups, jepa_tensor *weight,
                               jepa_tensor *bias, float eps, int relu) {
    jepa_norm_dims d = channel_dims(x, groups, 0);
    JEPA_CHECK_MSG(groups >= 1 && d.C % groups == 0, "group_norm: groups must divide C");
    d.relu = relu;
    return norm_op(ctx, JEPA_OP_GROUP_NORM, x, weight, bias, &d, eps, NULL, NULL);
}

jepa_tensor *jepa_group_norm(jepa_ctx *ctx, jepa_tensor *x, int groups, jepa_tensor *weight,
                             jepa_tensor *bias, float eps) {
    return group_norm(ctx, x, groups, weight, bias, eps, 0);
}

jepa_tensor *jepa_group_norm_relu(jepa_ctx *ctx, jepa_tensor *x, int groups, jepa_tensor *weight,
                                  jepa_tensor *bias, float eps) {
    return group_norm(ctx, x, groups, weight, bias, eps, 1);
}

jepa_tensor *jepa_group_norm_relu_nhwc(jepa_ctx *ctx, jepa_tensor *x, int groups,
                                       jepa_tensor *weight, jepa_tensor *bias, float eps) {
    JEPA_CHECK_MSG(x->ndim >= 2, "group_norm: x must be (N, *spatial, C)");
    int64_t C = x->shape[x->ndim - 1];
    jepa_norm_dims d = {x->shape[0], C, jepa_numel(x) / (x->shape[0] * C), groups, 0, 1, 1};
    JEPA_CHECK_MSG(groups >= 1 && C % groups == 0 && groups <= JEPA_NORM_MAX_GROUPS,
                   "group_norm: groups must divide C (at most JEPA_NORM_MAX_GROUPS)");
    return norm_op(ctx, JEPA_OP_GROUP_NORM, x, weight, bias, &d, eps, NULL, NULL);
}

jepa_tensor *jepa_batch_norm(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *weight, jepa_tensor *bias,
                             float *running_mean, float *running_var, float momentum, float eps,
                             int training) {
    jepa_norm_dims d = channel_dims(x, x->ndim >= 2 ? x->shape[1] : 1, 1);
    if (!training) {
        JEPA_CHECK_MSG(running_mean && running_var, "batch_norm: inference needs running stats");
        return norm_op(ctx, JEPA_OP_BATCH_NORM, x, weight, bias, &d, eps, running_mean,
                       running_var);
    }
    int64_t n = d.N * d.S;
    JEPA_CHECK_MSG(n > 1, "batch_norm: training needs more than one value per channel");
    jepa_tensor *out = norm_op(ctx, JEPA_OP_BATCH_NORM, x, weight, bias, &d, eps, NULL, NULL);
    // running statistics: exponential average with the unbiased batch variance
    const float *mean = out->saved, *var = out->saved + d.C;
    float unbias = (float)n / (float)(n - 1);
    for (int64_t c = 0; c < d.C; c++) {
        if (running_mean)
            running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean[c];
        if (running_var)
            running_var[c] = (1.0f - momentum) * running_var[c] + momentum * var[c] * unbias;
    }
    return out;
}

void jepa_backward_norm(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_norm_dims d = {node->ip[0],     node->ip[1],           node->ip[2],
                        node->ip[3],     (int)node->ip[4],      (node->ip[5] & 2) != 0,
                        (node->ip[5] & 4) != 0};
    int stats_fixed = (node->ip[5] & 1) != 0;
    jepa_tensor *x = node->src[0];
    jepa_tensor *w = node->ip[6] ? node->src[node->ip[6]] : NULL;
    jepa_tensor *b = node->ip[7] ? node->src[node->ip[7]] : NULL;
    int64_t sets = jepa_norm_sets(&d);
    float *dw = w && w->requires_grad ? jepa_grad_of(ctx, w) : NULL;
    float *db = b && b->requires_grad ? jepa_grad_of(ctx, b) : NULL;
    // the rows' sums for dweight and dbias (2 doubles each)
    double *work = (dw || db) && d.S > 1 ? (double *)jepa_ctx_floats(ctx, 4 * d.N * d.C) : NULL;
    int fresh = 0;
    float *dx = x->requires_grad ? jepa_grad_for_write(ctx, x, &fresh) : NULL;
    jepa_norm_backward(dx, fresh, dw, db, work, node->grad,
                       x->data, node->data, node->saved, node->saved + sets, w ? w->data : NULL,
                       &d, node->fp[0], stats_fixed);
}
