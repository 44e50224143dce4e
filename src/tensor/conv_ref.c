// Convolution geometry and the naive direct-loop kernels (the oracles of conv.c).
#include <string.h>

#include "jepa/ops_conv.h"

jepa_conv_geom jepa_conv_geom_make(int64_t n, int64_t c, int64_t h, int64_t w, int64_t o,
                                   int64_t kh, int64_t kw, int64_t stride_h, int64_t stride_w,
                                   int64_t pad_h, int64_t pad_w) {
    JEPA_CHECK_MSG(n > 0 && c > 0 && h > 0 && w > 0 && o > 0 && kh > 0 && kw > 0,
                   "conv: sizes must be positive");
    JEPA_CHECK_MSG(stride_h > 0 && stride_w > 0 && pad_h >= 0 && pad_w >= 0,
                   "conv: stride must be positive and padding not negative");
    JEPA_CHECK_MSG(kh <= 64 && kw <= 64, "conv: kernels are at most 64 wide");
    JEPA_CHECK_MSG(h + 2 * pad_h >= kh && w + 2 * pad_w >= kw,
                   "conv: the kernel is larger than the padded input");
    jepa_conv_geom g = {n, c, h, w, o, kh, kw, 0, 0, stride_h, stride_w, pad_h, pad_w, 0, 0};
    g.oh = (h + 2 * pad_h - kh) / stride_h + 1;
    g.ow = (w + 2 * pad_w - kw) / stride_w + 1;
    return g;
}

void jepa_conv2d_forward_ref(float *out, const float *x, const float *w, const float *bias,
                             const jepa_conv_geom *g) {
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t o = 0; o < g->o; o++)
            for (int64_t oh = 0; oh < g->oh; oh++)
                for (int64_t ow = 0; ow < g->ow; ow++) {
                    double acc = bias ? (double)bias[o] : 0.0;
                    // every tap that lands inside the input (the padding is zero)
                    for (int64_t c = 0; c < g->c; c++)
                        for (int64_t kh = 0; kh < g->kh; kh++) {
                            int64_t ih = oh * g->stride_h - g->pad_h + kh;
                            if (ih < 0 || ih >= g->h) continue;
                            for (int64_t kw = 0; kw < g->kw; kw++) {
                                int64_t iw = ow * g->stride_w - g->pad_w + kw;
                                if (iw < 0 || iw >= g->w) continue;
                                acc += (double)x[((n * g->c + c) * g->h + ih) * g->w + iw] *
                                       (double)w[((o * g->c + c) * g->kh + kh) * g->kw + kw];
                            }
                        }
                    out[((n * g->o + o) * g->oh + oh) * g->ow + ow] = (float)acc;
                }
}

void jepa_conv2d_backward_input_ref(float *dx, const float *dout, const float *w,
                                    const jepa_conv_geom *g) {
    // gather: each input pixel sums over the (output, tap) pairs that read it
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t c = 0; c < g->c; c++)
            for (int64_t ih = 0; ih < g->h; ih++)
                for (int64_t iw = 0; iw < g->w; iw++) {
                    double acc = 0.0;
                    for (int64_t kh = 0; kh < g->kh; kh++) {
                        int64_t th = ih + g->pad_h - kh; // = oh * stride_h
                        if (th < 0 || th % g->stride_h) continue;
                        int64_t oh = th / g->stride_h;
                        if (oh >= g->oh) continue;
                        for (int64_t kw = 0; kw < g->kw; kw++) {
                            int64_t tw = iw + g->pad_w - kw;
                            if (tw < 0 || tw % g->stride_w) continue;
                            int64_t ow = tw / g->stride_w;
                            if (ow >= g->ow) continue;
                            for (int64_t o = 0; o < g->o; o++)
                                acc += (double)dout[((n * g->o + o) * g->oh + oh) * g->ow + ow] *
                                       (double)w[((o * g->c + c) * g->kh + kh) * g->kw + kw];
                        }
                    }
                    dx[((n * g->c + c) * g->h + ih) * g->w + iw] += (float)acc;
                }
}

void jepa_conv2d_backward_weight_ref(float *dw, const float *dout, const float *x,
                                     const jepa_conv_geom *g) {
    for (int64_t o = 0; o < g->o; o++)
        for (int64_t c = 0; c < g->c; c++)
            for (int64_t kh = 0; kh < g->kh; kh++)
                for (int64_t kw = 0; kw < g->kw; kw++) {
                    double acc = 0.0;
                    // every output position whose tap (kh, kw) lands inside the input
                    for (int64_t n = 0; n < g->n; n++)
                        for (int64_t oh = 0; oh < g->oh; oh++) {
                            int64_t ih = oh * g->stride_h - g->pad_h + kh;
                            if (ih < 0 || ih >= g->h) continue;
                            for (int64_t ow = 0; ow < g->ow; ow++) {
                                int64_t iw = ow * g->stride_w - g->pad_w + kw;
                                if (iw < 0 || iw >= g->w) continue;
                                acc += (double)dout[((n * g->o + o) * g->oh + oh) * g->ow + ow] *
                                       (double)x[((n * g->c + c) * g->h + ih) * g->w + iw];
                            }
                        }
                    dw[((o * g->c + c) * g->kh + kh) * g->kw + kw] += (float)acc;
                }
}

void jepa_conv2d_backward_bias(float *dbias, const float *dout, const jepa_conv_geom *g) {
    int64_t plane = g->oh * g->ow;
    // channels last: output channel o of pixel i at i * O + o
    int64_t step = g->out_nhwc ? g->o : 1;
    for (int64_t o = 0; o < g->o; o++) {
        double acc = 0.0;
        for (int64_t n = 0; n < g->n; n++) {
            const float *d = dout + n * g->o * plane + (g->out_nhwc ? o : o * plane);
            for (int64_t i = 0; i < plane; i++) acc += (double)d[i * step];
        }
        dbias[o] += (float)acc;
    }
}

void jepa_conv_transpose2d_forward_ref(float *out, const float *x, const float *w,
                                       const float *bias, const jepa_conv_geom *g) {
    // in the transposed view: x has g->o channels of g->oh x g->ow, out has g->c of g->h x g->w
    int64_t cin = g->o, cout = g->c, plane = g->h * g->w;
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t o = 0; o < cout; o++)
            for (int64_t i = 0; i < plane; i++)
                out[(n * cout + o) * plane + i] = bias ? bias[o] : 0.0f;
    // scatter: every input pixel adds its kernel-weighted copy into the output
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t c = 0; c < cin; c++)
            for (int64_t ih = 0; ih < g->oh; ih++)
                for (int64_t iw = 0; iw < g->ow; iw++) {
                    float v = x[((n * cin + c) * g->oh + ih) * g->ow + iw];
                    for (int64_t kh = 0; kh < g->kh; kh++) {
                        int64_t oh = ih * g->stride_h - g->pad_h + kh;
                        if (oh < 0 || oh >= g->h) continue;
                        for (int64_t kw = 0; kw < g->kw; kw++) {
                            int64_t ow = iw * g->stride_w - g->pad_w + kw;
                            if (ow < 0 || ow >= g->w) continue;
                            for (int64_t o = 0; o < cout; o++)
                                out[((n * cout + o) * g->h + oh) * g->w + ow] +=
                                    v * w[((c * cout + o) * g->kh + kh) * g->kw + kw];
                        }
                    }
                }
}
