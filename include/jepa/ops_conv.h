// Convolutions and pooling over NCHW tensors (conv2d also channels last), as PyTorch defines
// them: conv2d, conv_transpose2d, max_pool2d and avg_pool2d (the ops), and the kernels under
// them: a naive `_ref` oracle and a fast version (for conv2d, register-tiled AVX-512 kernels
// that read the images in place, no im2col; threads over images).
#ifndef JEPA_OPS_CONV_H
#define JEPA_OPS_CONV_H

#include <stdint.h>

#include "jepa/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

// The geometry of one conv2d: input x (N,C,H,W), weight (O,C,KH,KW), output (N,O,OH,OW).
// x_nhwc: x (and dx) lie channels last, (N,H,W,C); out_nhwc: out (and dout) lie (N,OH,OW,O).
// Only the fast conv2d kernels and the conv2d op read them (the _ref kernels, pooling and
// conv_transpose2d are NCHW only).
typedef struct jepa_conv_geom {
    int64_t n, c, h, w;                       // input
    int64_t o, kh, kw;                        // output channels and kernel size
    int64_t oh, ow;                           // output size
    int64_t stride_h, stride_w, pad_h, pad_w; // zero padding on each side
    int x_nhwc, out_nhwc;                     // layouts (0 from jepa_conv_geom_make: NCHW)
} jepa_conv_geom;

// The geometry with the output size PyTorch gives: OH = (H + 2 pad_h - KH) / stride_h + 1.
// Aborts (JEPA_CHECK) when a size is not positive or the kernel does not fit the padded input.
jepa_conv_geom jepa_conv_geom_make(int64_t n, int64_t c, int64_t h, int64_t w, int64_t o,
                                   int64_t kh, int64_t kw, int64_t stride_h, int64_t stride_w,
                                   int64_t pad_h, int64_t pad_w);

// ---- conv2d kernels ----

// out (N,O,OH,OW) = x (N,C,H,W) correlated with w (O,C,KH,KW), plus bias (O) (NULL: none).
// Direct loops, accumulated in double: the oracle.
void jepa_conv2d_forward_ref(float *out, const float *x, const float *w, const float *bias,
                             const jepa_conv_geom *g);
// dx (N,C,H,W) += the gradient of the input from dout (N,O,OH,OW) and w (O,C,KH,KW).
void jepa_conv2d_backward_input_ref(float *dx, const float *dout, const float *w,
                                    const jepa_conv_geom *g);
// dw (O,C,KH,KW) += the gradient of the weight from dout (N,O,OH,OW) and x (N,C,H,W).
void jepa_conv2d_backward_weight_ref(float *dw, const float *dout, const float *x,
                                     const jepa_conv_geom *g);
// dbias (O) += dout (N,O,OH,OW), or (N,OH,OW,O) with g->out_nhwc, summed over N, OH and OW
// (one loop: no faster twin needed).
void jepa_conv2d_backward_bias(float *dbias, const float *dout, const jepa_conv_geom *g);

// Floats of scratch memory the fast kernels below need for g at the current thread count
// (jepa_threads_get()); the thread count must not grow between sizing and the call.
int64_t jepa_conv2d_workspace_floats(const jepa_conv_geom *g);

// The same as the _ref kernels, fast (see src/tensor/conv.c): no allocation, threads over
// images. work holds jepa_conv2d_workspace_floats(g) floats (caller-owned, e.g. from a ctx
// arena), aligned to 8 bytes at least (malloc and the arena are).
void jepa_conv2d_forward(float *out, const float *x, const float *w, const float *bias,
                         const jepa_conv_geom *g, float *work);
// dx (N,C,H,W) += input gradient (with dx_assign: dx = it, dx's old values unread) and
// dw (O,C,KH,KW) += weight gradient, in one pass over dout (N,O,OH,OW); either of dx, dw may be
// NULL (then x or w may be NULL too).
void jepa_conv2d_backward(float *dx, int dx_assign, float *dw, const float *dout, const float *x,
                          const float *w, const jepa_conv_geom *g, float *work);

// ---- conv_transpose2d kernel oracle ----

// out (N,O,OH,OW) = the transposed convolution of x (N,C,H,W) with w (C,O,KH,KW) (PyTorch's
// layout), plus bias (O) or NULL; g describes the conv2d that maps out back to x, i.e.
// g->n = N, g->c = O, g->h = OH, g->w = OW, g->o = C, g->oh = H, g->ow = W. Direct loops.
void jepa_conv_transpose2d_forward_ref(float *out, const float *x, const float *w,
                                       const float *bias, const jepa_conv_geom *g);

// ---- pooling kernels: square windows, PyTorch's floor mode ----

// The geometry of a pooling over x (N,C,H,W): kernel k, stride s, padding p (p <= k/2).
jepa_conv_geom jepa_pool_geom_make(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t s,
                                   int64_t p);

// out (N,C,OH,OW) = the max over each window (padding never wins); argmax (N,C,OH,OW) gets the
// flat index inside the image plane (ih*W + iw) of the first maximum (or of the last NaN, as
// PyTorch).
void jepa_max_pool2d_forward_ref(float *out, int32_t *argmax, const float *x,
                                 const jepa_conv_geom *g);
void jepa_max_pool2d_forward(float *out, int32_t *argmax, const float *x, const jepa_conv_geom *g);
// dx (N,C,H,W) += dout (N,C,OH,OW) routed to each window's argmax.
void jepa_max_pool2d_backward(float *dx, const float *dout, const int32_t *argmax,
                              const jepa_conv_geom *g);

// out (N,C,OH,OW) = the mean over each K*K window, padding counted as zeros
// (count_include_pad=True).
void jepa_avg_pool2d_forward_ref(float *out, const float *x, const jepa_conv_geom *g);
void jepa_avg_pool2d_forward(float *out, const float *x, const jepa_conv_geom *g);
// dx (N,C,H,W) += dout (N,C,OH,OW) spread evenly over each window.
void jepa_avg_pool2d_backward_ref(float *dx, const float *dout, const jepa_conv_geom *g);
void jepa_avg_pool2d_backward(float *dx, const float *dout, const jepa_conv_geom *g);

// ---- the ops (differentiable; outputs and scratch come from the ctx arena) ----

// x (N,C,H,W), w (O,C,KH,KW), bias (O) or NULL -> (N,O,OH,OW), OH = (H + 2 pad_h - KH) /
// stride_h + 1 (likewise OW).
jepa_tensor *jepa_conv2d(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *w, jepa_tensor *bias,
                         int stride_h, int stride_w, int pad_h, int pad_w);
// The same with layouts: JEPA_CONV_X_NHWC takes x as (N,H,W,C), JEPA_CONV_OUT_NHWC gives the
// output as (N,OH,OW,O); the weight stays (O,C,KH,KW). A chain of channels-last convs and
// norms skips the transposes the NCHW kernels make inside.
enum { JEPA_CONV_X_NHWC = 1, JEPA_CONV_OUT_NHWC = 2 };
jepa_tensor *jepa_conv2d_layout(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *w, jepa_tensor *bias,
                                int stride_h, int stride_w, int pad_h, int pad_w, int layouts);

// x (N,C,H,W), w (C,O,KH,KW) (PyTorch's layout), bias (O) or NULL -> (N,O,OH,OW) with
// OH = (H - 1) stride - 2 pad + KH + output_padding (likewise OW); output_padding < stride.
jepa_tensor *jepa_conv_transpose2d(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *w, jepa_tensor *bias,
                                   int stride, int pad, int output_padding);

// x (N,C,H,W) -> (N,C,OH,OW), OH = (H + 2 pad - kernel) / stride + 1; pad <= kernel / 2.
// Padding acts as -inf; the backward routes each gradient to its window's first maximum.
jepa_tensor *jepa_max_pool2d(jepa_ctx *ctx, jepa_tensor *x, int kernel, int stride, int pad);

// The same windows, averaged with padding counted as zeros (count_include_pad=True).
jepa_tensor *jepa_avg_pool2d(jepa_ctx *ctx, jepa_tensor *x, int kernel, int stride, int pad);

#ifdef __cplusplus
}
#endif
#endif
