// Max and average pooling over square windows (PyTorch's floor mode): naive loops that test
// every tap (the oracles), and versions that clip each window once and thread over planes.
#include <math.h>

#include "jepa/ops_conv.h"
#include "jepa/threads.h"

jepa_conv_geom jepa_pool_geom_make(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t s,
                                   int64_t p) {
    JEPA_CHECK_MSG(2 * p <= k, "pool: padding must be at most half the kernel");
    return jepa_conv_geom_make(n, c, h, w, c, k, k, s, s, p, p);
}

void jepa_max_pool2d_forward_ref(float *out, int32_t *argmax, const float *x,
                                 const jepa_conv_geom *g) {
    for (int64_t plane = 0; plane < g->n * g->c; plane++)
        for (int64_t oh = 0; oh < g->oh; oh++)
            for (int64_t ow = 0; ow < g->ow; ow++) {
                float best = -INFINITY;
                int64_t at = -1;
                for (int64_t kh = 0; kh < g->kh; kh++)
                    for (int64_t kw = 0; kw < g->kw; kw++) {
                        int64_t ih = oh * g->stride_h - g->pad_h + kh;
                        int64_t iw = ow * g->stride_w - g->pad_w + kw;
                        if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue;
                        float v = x[(plane * g->h + ih) * g->w + iw];
                        // the first inside pixel, then any larger one or a NaN (as PyTorch)
                        if (at < 0 || v > best || isnan(v)) {
                            best = v;
                            at = ih * g->w + iw;
                        }
                    }
                int64_t o = (plane * g->oh + oh) * g->ow + ow;
                out[o] = best;
                argmax[o] = (int32_t)at;
            }
}

// the window [h0, h1) x [w0, w1) of output (oh, ow), clipped to the input
static void window(const jepa_conv_geom *g, int64_t oh, int64_t ow, int64_t *h0, int64_t *h1,
                   int64_t *w0, int64_t *w1) {
    int64_t hs = oh * g->stride_h - g->pad_h, ws = ow * g->stride_w - g->pad_w;
    *h0 = hs < 0 ? 0 : hs;
    *w0 = ws < 0 ? 0 : ws;
    *h1 = hs + g->kh < g->h ? hs + g->kh : g->h;
    *w1 = ws + g->kw < g->w ? ws + g->kw : g->w;
}

void jepa_max_pool2d_forward(float *out, int32_t *argmax, const float *x, const jepa_conv_geom *g) {
    int64_t planes = g->n * g->c;
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static)
    for (int64_t plane = 0; plane < planes; plane++) {
        const float *src = x + plane * g->h * g->w;
        for (int64_t oh = 0; oh < g->oh; oh++)
            for (int64_t ow = 0; ow < g->ow; ow++) {
                int64_t h0, h1, w0, w1;
                window(g, oh, ow, &h0, &h1, &w0, &w1);
                int64_t at = h0 * g->w + w0;
                float best = src[at];
                for (int64_t ih = h0; ih < h1; ih++)
                    for (int64_t iw = w0; iw < w1; iw++) {
                        float v = src[ih * g->w + iw];
                        if (v > best || isnan(v)) {
                            best = v;
                            at = ih * g->w + iw;
                        }
                    }
                int64_t o = (plane * g->oh + oh) * g->ow + ow;
                out[o] = best;
                argmax[o] = (int32_t)at;
            }
    }
}

void jepa_max_pool2d_backward(float *dx, const float *dout, const int32_t *argmax,
                              const jepa_conv_geom *g) {
    int64_t planes = g->n * g->c, per_out = g->oh * g->ow;
    // each plane's gradients stay inside the plane, so planes run in parallel
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static)
    for (int64_t plane = 0; plane < planes; plane++)
        for (int64_t i = 0; i < per_out; i++)
            dx[plane * g->h * g->w + argmax[plane * per_out + i]] += dout[plane * per_out + i];
}

// with floor mode no window reaches past the padding, so every divisor is KH*KW
void jepa_avg_pool2d_forward_ref(float *out, const float *x, const jepa_conv_geom *g) {
    for (int64_t plane = 0; plane < g->n * g->c; plane++)
        for (int64_t oh = 0; oh < g->oh; oh++)
            for (int64_t ow = 0; ow < g->ow; ow++) {
                double acc = 0.0;
                for (int64_t kh = 0; kh < g->kh; kh++)
                    for (int64_t kw = 0; kw < g->kw; kw++) {
                        int64_t ih = oh * g->stride_h - g->pad_h + kh;
                        int64_t iw = ow * g->stride_w - g->pad_w + kw;
                        if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue;
                        acc += (double)x[(plane * g->h + ih) * g->w + iw];
                    }
                out[(plane * g->oh + oh) * g->ow + ow] = (float)(acc / (double)(g->kh * g->kw));
            }
}

void jepa_avg_pool2d_forward(float *out, const float *x, const jepa_conv_geom *g) {
    int64_t planes = g->n * g->c;
    float scale = 1.0f / (float)(g->kh * g->kw);
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static)
    for (int64_t plane = 0; plane < planes; plane++) {
        const float *src = x + plane * g->h * g->w;
        for (int64_t oh = 0; oh < g->oh; oh++)
            for (int64_t ow = 0; ow < g->ow; ow++) {
                int64_t h0, h1, w0, w1;
                window(g, oh, ow, &h0, &h1, &w0, &w1);
                float acc = 0.0f;
                for (int64_t ih = h0; ih < h1; ih++)
                    for (int64_t iw = w0; iw < w1; iw++) acc += src[ih * g->w + iw];
                out[(plane * g->oh + oh) * g->ow + ow] = acc * scale;
            }
    }
}

void jepa_avg_pool2d_backward_ref(float *dx, const float *dout, const jepa_conv_geom *g) {
    double scale = 1.0 / (double)(g->kh * g->kw);
    // gather: each input pixel sums the windows that cover it
    for (int64_t plane = 0; plane < g->n * g->c; plane++)
        for (int64_t ih = 0; ih < g->h; ih++)
            for (int64_t iw = 0; iw < g->w; iw++) {
                double acc = 0.0;
                for (int64_t oh = 0; oh < g->oh; oh++)
                    for (int64_t ow = 0; ow < g->ow; ow++) {
                        int64_t dh = ih - (oh * g->stride_h - g->pad_h);
                        int64_t dw = iw - (ow * g->stride_w - g->pad_w);
                        if (dh >= 0 && dh < g->kh && dw >= 0 && dw < g->kw)
                            acc += (double)dout[(plane * g->oh + oh) * g->ow + ow];
                    }
                dx[(plane * g->h + ih) * g->w + iw] += (float)(acc * scale);
            }
}

void jepa_avg_pool2d_backward(float *dx, const float *dout, const jepa_conv_geom *g) {
    int64_t planes = g->n * g->c;
    float scale = 1.0f / (float)(g->kh * g->kw);
    // scatter each window's share; planes run in parallel
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static)
    for (int64_t plane = 0; plane < planes; plane++) {
        float *dst = dx + plane * g->h * g->w;
        for (int64_t oh = 0; oh < g->oh; oh++)
            for (int64_t ow = 0; ow < g->ow; ow++) {
                int64_t h0, h1, w0, w1;
                window(g, oh, ow, &h0, &h1, &w0, &w1);
                float share = dout[(plane * g->oh + oh) * g->ow + ow] * scale;
                for (int64_t ih = h0; ih < h1; ih++)
                    for (int64_t iw = w0; iw < w1; iw++) dst[ih * g->w + iw] += share;
            }
    }
}
