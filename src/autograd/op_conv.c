// The conv2d, conv_transpose2d, max_pool2d and avg_pool2d ops and their backward.
#include <string.h>

#include "autograd/internal.h"
#include "jepa/ops_conv.h"
#include "jepa/ops_view.h"

// ip of conv2d: 0 stride_h, 1 stride_w, 2 pad_h, 3 pad_w, 4 layouts (JEPA_CONV_*; sizes come
// from the sources)
static jepa_conv_geom conv2d_geom(const jepa_tensor *x, const jepa_tensor *w, const int64_t *ip) {
    int x_nhwc = (ip[4] & JEPA_CONV_X_NHWC) != 0;
    jepa_conv_geom g = jepa_conv_geom_make(x->shape[0], x->shape[x_nhwc ? 3 : 1],
                                           x->shape[x_nhwc ? 1 : 2], x->shape[x_nhwc ? 2 : 3],
                                           w->shape[0], w->shape[2], w->shape[3], ip[0], ip[1],
                                           ip[2], ip[3]);
    g.x_nhwc = x_nhwc;
    g.out_nhwc = (ip[4] & JEPA_CONV_OUT_NHWC) != 0;
    return g;
}

static void check_bias(const jepa_tensor *bias, int64_t channels, const char *msg) {
    JEPA_CHECK_MSG(!bias || (bias->ndim == 1 && bias->shape[0] == channels), msg);
}

// the output (N, C, H, W) of a conv op over contiguous copies of x, w and bias (which may be
// NULL), recorded with its integer parameters ip (nip of them)
static jepa_tensor *conv_record(jepa_ctx *ctx, int op, jepa_tensor **x, jepa_tensor **w,
                                jepa_tensor **bias, const int64_t *shape, const int64_t *ip,
                                int nip) {
    *x = jepa_contiguous(ctx, *x);
    *w = jepa_contiguous(ctx, *w);
    if (*bias) *bias = jepa_contiguous(ctx, *bias);
    jepa_tensor *src[3] = {*x, *w, *bias};
    jepa_tensor *out = jepa_op_new(ctx, op, 4, shape, 3, src);
    memcpy(out->ip, ip, sizeof(int64_t) * (size_t)nip);
    return out;
}

jepa_tensor *jepa_conv2d_layout(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *w, jepa_tensor *bias,
                                int stride_h, int stride_w, int pad_h, int pad_w, int layouts) {
    JEPA_CHECK_MSG(x->ndim == 4 && w->ndim == 4, "conv2d: x (N,C,H,W) and w (O,C,KH,KW)");
    JEPA_CHECK_MSG(layouts >= 0 && layouts <= (JEPA_CONV_X_NHWC | JEPA_CONV_OUT_NHWC),
                   "conv2d: unknown layouts");
    JEPA_CHECK_MSG(w->shape[1] == x->shape[layouts & JEPA_CONV_X_NHWC ? 3 : 1],
                   "conv2d: channels of x and w differ");
    check_bias(bias, w->shape[0], "conv2d: bias must be (O)");
    int64_t ip[5] = {stride_h, stride_w, pad_h, pad_w, layouts};
    jepa_conv_geom g = conv2d_geom(x, w, ip);
    int64_t shape[4] = {g.n, g.o, g.oh, g.ow}, shape_nhwc[4] = {g.n, g.oh, g.ow, g.o};
    jepa_tensor *out = conv_record(ctx, JEPA_OP_CONV2D, &x, &w, &bias,
                                   g.out_nhwc ? shape_nhwc : shape, ip, 5);
    float *work = jepa_ctx_floats(ctx, jepa_conv2d_workspace_floats(&g));
    jepa_conv2d_forward(out->data, x->data, w->data, bias ? bias->data : NULL, &g, work);
    return out;
}

jepa_tensor *jepa_conv2d(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *w, jepa_tensor *bias,
                         int stride_h, int stride_w, int pad_h, int pad_w) {
    return jepa_conv2d_layout(ctx, x, w, bias, stride_h, stride_w, pad_h, pad_w, 0);
}

void jepa_backward_conv2d(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *x = node->src[0], *w = node->src[1], *bias = node->src[2];
    jepa_conv_geom g = conv2d_geom(x, w, node->ip);
    int fresh = 0; // a gradient not yet written is overwritten, not zeroed and added to
    float *dx = x->requires_grad ? jepa_grad_for_write(ctx, x, &fresh) : NULL;
    float *dw = w->requires_grad ? jepa_grad_of(ctx, w) : NULL;
    if (dx || dw) {
        float *work = jepa_ctx_floats(ctx, jepa_conv2d_workspace_floats(&g));
        jepa_conv2d_backward(dx, fresh, dw, node->grad, x->data, w->data, &g, work);
    }
    if (bias && bias->requires_grad)
        jepa_conv2d_backward_bias(jepa_grad_of(ctx, bias), node->grad, &g);
}

// ip of conv_transpose2d: 0 stride, 1 pad, 2 output_padding. The geometry is that of the
// conv2d which maps the output (N,O,OH,OW) back to x (N,C,H,W) with the same w.
static jepa_conv_geom transpose_geom(const jepa_tensor *x, const jepa_tensor *w,
                                     const int64_t *ip) {
    int64_t s = ip[0], p = ip[1], extra = ip[2];
    int64_t oh = (x->shape[2] - 1) * s - 2 * p + w->shape[2] + extra;
    int64_t ow = (x->shape[3] - 1) * s - 2 * p + w->shape[3] + extra;
    JEPA_CHECK_MSG(oh > 0 && ow > 0, "conv_transpose2d: the output would be empty");
    jepa_conv_geom g = jepa_conv_geom_make(x->shape[0], w->shape[1], oh, ow, x->shape[1],
                                           w->shape[2], w->shape[3], s, s, p, p);
    JEPA_CHECK(g.oh == x->shape[2] && g.ow == x->shape[3]);
    return g;
}

jepa_tensor *jepa_conv_transpose2d(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *w, jepa_tensor *bias,
                                   int stride, int pad, int output_padding) {
    JEPA_CHECK_MSG(x->ndim == 4 && w->ndim == 4, "conv_transpose2d: x (N,C,H,W) and w (C,O,KH,KW)");
    JEPA_CHECK_MSG(w->shape[0] == x->shape[1], "conv_transpose2d: channels of x and w differ");
    JEPA_CHECK_MSG(stride > 0 && output_padding >= 0 && output_padding < stride,
                   "conv_transpose2d: output_padding must be in [0, stride)");
    check_bias(bias, w->shape[1], "conv_transpose2d: bias must be (O)");
    int64_t ip[3] = {stride, pad, output_padding};
    jepa_conv_geom g = transpose_geom(x, w, ip);
    jepa_tensor *out = conv_record(ctx, JEPA_OP_CONV_TRANSPOSE2D, &x, &w, &bias,
                                   (int64_t[]){g.n, g.c, g.h, g.w}, ip, 3);
    // the output is the input gradient of that conv2d, with x in the place of its output's
    int64_t plane = g.h * g.w;
    for (int64_t i = 0; i < g.n * g.c; i++) {
        float b = bias ? bias->data[i % g.c] : 0.0f;
        for (int64_t j = 0; j < plane; j++) out->data[i * plane + j] = b;
    }
    float *work = jepa_ctx_floats(ctx, jepa_conv2d_workspace_floats(&g));
    jepa_conv2d_backward(out->data, 0, NULL, x->data, NULL, w->data, &g, work);
    return out;
}

void jepa_backward_conv_transpose2d(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *x = node->src[0], *w = node->src[1], *bias = node->src[2];
    jepa_conv_geom g = transpose_geom(x, w, node->ip);
    float *work = jepa_ctx_floats(ctx, jepa_conv2d_workspace_floats(&g));
    if (x->requires_grad) {
        // dx = that conv2d applied to the output's gradient
        int64_t n = jepa_numel(x);
        float *dx = jepa_grad_of(ctx, x), *tmp = jepa_ctx_floats(ctx, n);
        jepa_conv2d_forward(tmp, node->grad, w->data, NULL, &g, work);
        for (int64_t i = 0; i < n; i++) dx[i] += tmp[i];
    }
    // dw: its weight gradient, x standing for its output's gradient
    if (w->requires_grad)
        jepa_conv2d_backward(NULL, 0, jepa_grad_of(ctx, w), x->data, node->grad, NULL, &g, work);
    if (bias && bias->requires_grad) {
        jepa_conv_geom out = g; // the output seen as a conv2d output (N,O,OH,OW)
        out.o = g.c;
        out.oh = g.h;
        out.ow = g.w;
        jepa_conv2d_backward_bias(jepa_grad_of(ctx, bias), node->grad, &out);
    }
}

// ip of the pools: 0 kernel, 1 stride, 2 pad
static jepa_conv_geom pool_geom(const jepa_tensor *x, const int64_t *ip) {
    JEPA_CHECK_MSG(x->ndim == 4, "pool: x must be (N,C,H,W)");
    return jepa_pool_geom_make(x->shape[0], x->shape[1], x->shape[2], x->shape[3], ip[0], ip[1],
                               ip[2]);
}

static jepa_tensor *pool_op(jepa_ctx *ctx, int op, jepa_tensor *x, int kernel, int stride, int pad,
                            jepa_conv_geom *g) {
    int64_t ip[3] = {kernel, stride, pad};
    *g = pool_geom(x, ip);
    x = jepa_contiguous(ctx, x);
    jepa_tensor *out = jepa_op_new(ctx, op, 4, (int64_t[]){g->n, g->c, g->oh, g->ow}, 1, &x);
    memcpy(out->ip, ip, sizeof ip);
    return out;
}

jepa_tensor *jepa_max_pool2d(jepa_ctx *ctx, jepa_tensor *x, int kernel, int stride, int pad) {
    jepa_conv_geom g;
    jepa_tensor *out = pool_op(ctx, JEPA_OP_MAX_POOL2D, x, kernel, stride, pad, &g);
    // the argmax indices are saved as int32 in the arena
    out->saved = jepa_ctx_floats(ctx, jepa_numel(out));
    jepa_max_pool2d_forward(out->data, (int32_t *)out->saved, out->src[0]->data, &g);
    return out;
}

void jepa_backward_max_pool2d(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *x = node->src[0];
    if (!x->requires_grad) return;
    jepa_conv_geom g = pool_geom(x, node->ip);
    jepa_max_pool2d_backward(jepa_grad_of(ctx, x), node->grad, (const int32_t *)node->saved, &g);
}

jepa_tensor *jepa_avg_pool2d(jepa_ctx *ctx, jepa_tensor *x, int kernel, int stride, int pad) {
    jepa_conv_geom g;
    jepa_tensor *out = pool_op(ctx, JEPA_OP_AVG_POOL2D, x, kernel, stride, pad, &g);
    jepa_avg_pool2d_forward(out->data, out->src[0]->data, &g);
    return out;
}

void jepa_backward_avg_pool2d(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *x = node->src[0];
    if (!x->requires_grad) return;
    jepa_conv_geom g = pool_geom(x, node->ip);
    jepa_avg_pool2d_backward(jepa_grad_of(ctx, x), node->grad, &g);
}
