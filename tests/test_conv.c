// conv2d, conv_transpose2d, max_pool2d, avg_pool2d: tiny cases computed by hand, the im2col +
// GEMM kernels against the direct loops on many shapes (BM-1's layers among them), and every
// gradient against finite differences.
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

// ---- hand-computed cases ----

static void test_tiny_by_hand(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    // x = 1..9 as 3x3, w = [[1,2],[3,4]]
    jepa_tensor *x = jepa_new4(ctx, 1, 1, 3, 3), *w = jepa_new4(ctx, 1, 1, 2, 2);
    jepa_tensor *b = jepa_new1(ctx, 1);
    for (int i = 0; i < 9; i++) x->data[i] = (float)(i + 1);
    for (int i = 0; i < 4; i++) w->data[i] = (float)(i + 1);
    b->data[0] = 0.5f;
    // stride 1, no padding: 1*1+2*2+3*4+4*5 = 37, then 47, 67, 77; plus the bias
    jepa_tensor *y = jepa_conv2d(ctx, x, w, b, 1, 1, 0, 0);
    float want1[4] = {37.5f, 47.5f, 67.5f, 77.5f};
    CHECK(y->shape[2] == 2 && y->shape[3] == 2);
    for (int i = 0; i < 4; i++) CHECK_NEAR(y->data[i], want1[i], 1e-5);
    // stride 2, pad 1: corners see 1*4; 2*3+3*4; 4*2+7*4; 5*1+6*2+8*3+9*4
    y = jepa_conv2d(ctx, x, w, NULL, 2, 2, 1, 1);
    float want2[4] = {4.0f, 18.0f, 36.0f, 77.0f};
    CHECK(y->shape[2] == 2 && y->shape[3] == 2);
    for (int i = 0; i < 4; i++) CHECK_NEAR(y->data[i], want2[i], 1e-5);

    // transposed: x = [[1,2],[3,4]], w = ones(2x2); stride 1 sums overlapping copies
    jepa_tensor *xt = jepa_new4(ctx, 1, 1, 2, 2), *ones = jepa_new4(ctx, 1, 1, 2, 2);
    for (int i = 0; i < 4; i++) {
        xt->data[i] = (float)(i + 1);
        ones->data[i] = 1.0f;
    }
    y = jepa_conv_transpose2d(ctx, xt, ones, NULL, 1, 0, 0);
    float want3[9] = {1, 3, 2, 4, 10, 6, 3, 7, 4};
    CHECK(y->shape[2] == 3 && y->shape[3] == 3);
    for (int i = 0; i < 9; i++) CHECK_NEAR(y->data[i], want3[i], 1e-5);
    // stride 2 copies each pixel into its own 2x2 block; output_padding 1 adds a zero edge
    y = jepa_conv_transpose2d(ctx, xt, ones, NULL, 2, 0, 1);
    CHECK(y->shape[2] == 5 && y->shape[3] == 5);
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 5; c++)
            CHECK_NEAR(y->data[r * 5 + c], r < 4 && c < 4 ? (float)((r / 2) * 2 + c / 2 + 1) : 0.0f,
                       1e-6);

    // pools over x = 1..16 as 4x4, kernel 3, stride 2, pad 1
    jepa_tensor *xp = jepa_new4(ctx, 1, 1, 4, 4);
    for (int i = 0; i < 16; i++) xp->data[i] = (float)(i + 1);
    y = jepa_max_pool2d(ctx, xp, 3, 2, 1);
    float want4[4] = {6, 8, 14, 16};
    CHECK(y->shape[2] == 2 && y->shape[3] == 2);
    for (int i = 0; i < 4; i++) CHECK_NEAR(y->data[i], want4[i], 0.0);
    // padding counts as zeros: (1+2+5+6)/9, (2+3+4+6+7+8)/9, (5+6+9+10+13+14)/9, 99/9
    y = jepa_avg_pool2d(ctx, xp, 3, 2, 1);
    float want5[4] = {14.0f / 9, 30.0f / 9, 57.0f / 9, 11.0f};
    for (int i = 0; i < 4; i++) CHECK_NEAR(y->data[i], want5[i], 1e-5);
    // max pool where every pixel is negative: the padding (-inf) never wins
    for (int i = 0; i < 16; i++) xp->data[i] = -(float)(i + 1);
    y = jepa_max_pool2d(ctx, xp, 3, 2, 1);
    float want6[4] = {-1, -2, -5, -6};
    for (int i = 0; i < 4; i++) CHECK_NEAR(y->data[i], want6[i], 0.0);
    jepa_ctx_free(ctx);
}

// ---- optimized kernels against the direct loops ----

// every value finite (test_compare lets a NaN pass when a finite value follows it)
static int all_finite(const float *a, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(a[i])) return 0;
    return 1;
}

// float32 sums of K products of numbers below 1 against double sums: error ~ K * 2^-24
static double sum_tol(int64_t k) {
    return 1e-6 * (double)k + 1e-6;
}

// dst (n, hw, c) = src (n, c, hw): images made channels last
static void to_nhwc(float *dst, const float *src, int64_t n, int64_t c, int64_t hw) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t p = 0; p < hw; p++) dst[(i * hw + p) * c + ch] = src[(i * c + ch) * hw + p];
}

// the fast kernels with x (and dx) channels last when layouts has JEPA_CONV_X_NHWC, out (and
// dout) when it has JEPA_CONV_OUT_NHWC, against the NCHW direct loops on the same values
static void compare_conv(int64_t n, int64_t c, int64_t h, int64_t w, int64_t o, int64_t kh,
                         int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int layouts) {
    jepa_conv_geom g = jepa_conv_geom_make(n, c, h, w, o, kh, kw, sh, sw, ph, pw);
    int64_t nx = n * c * h * w, nw = o * c * kh * kw, ny = n * o * g.oh * g.ow;
    jepa_tensor *x = test_tensor(1, &nx, 31, -1, 1), *wt = test_tensor(1, &nw, 32, -1, 1);
    jepa_tensor *b = test_tensor(1, &o, 33, -1, 1), *dy = test_tensor(1, &ny, 34, -1, 1);
    // the fast kernels' inputs in their layouts (xl, dyl), and the refs' results in them
    g.x_nhwc = (layouts & JEPA_CONV_X_NHWC) != 0;
    g.out_nhwc = (layouts & JEPA_CONV_OUT_NHWC) != 0;
    float *xl = malloc(sizeof(float) * (size_t)nx), *dyl = malloc(sizeof(float) * (size_t)ny);
    float *planar = malloc(sizeof(float) * (size_t)(nx > ny ? nx : ny));
    if (g.x_nhwc) to_nhwc(xl, x->data, n, c, h * w);
    else memcpy(xl, x->data, sizeof(float) * (size_t)nx);
    if (g.out_nhwc) to_nhwc(dyl, dy->data, n, o, g.oh * g.ow);
    else memcpy(dyl, dy->data, sizeof(float) * (size_t)ny);
    float *y1 = malloc(sizeof(float) * (size_t)ny), *y2 = malloc(sizeof(float) * (size_t)ny);
    float *dx1 = malloc(sizeof(float) * (size_t)nx), *dx2 = malloc(sizeof(float) * (size_t)nx);
    float *dw1 = malloc(sizeof(float) * (size_t)nw), *dw2 = malloc(sizeof(float) * (size_t)nw);
    for (int threads = 1; threads <= 2; threads++) {
        jepa_threads_set(threads);
        float *work = malloc(sizeof(float) * (size_t)jepa_conv2d_workspace_floats(&g));
        for (int64_t i = 0; i < ny; i++) y1[i] = NAN; // every output must be written
        jepa_conv2d_forward(y1, xl, wt->data, b->data, &g, work);
        jepa_conv2d_forward_ref(planar, x->data, wt->data, b->data, &g);
        if (g.out_nhwc) to_nhwc(y2, planar, n, o, g.oh * g.ow);
        else memcpy(y2, planar, sizeof(float) * (size_t)ny);
        // the backward adds: start both from the same nonzero values
        for (int64_t i = 0; i < nx; i++) dx1[i] = planar[i] = 0.25f;
        for (int64_t i = 0; i < nw; i++) dw1[i] = dw2[i] = -0.5f;
        jepa_conv2d_backward(dx1, 0, dw1, dyl, xl, wt->data, &g, work);
        jepa_conv2d_backward_input_ref(planar, dy->data, wt->data, &g);
        jepa_conv2d_backward_weight_ref(dw2, dy->data, x->data, &g);
        if (g.x_nhwc) to_nhwc(dx2, planar, n, c, h * w);
        else memcpy(dx2, planar, sizeof(float) * (size_t)nx);
        double ey = test_compare(y1, y2, ny, sum_tol(c * kh * kw), 1e-5);
        double ex = test_compare(dx1, dx2, nx, sum_tol(o * kh * kw), 1e-5);
        double ew = test_compare(dw1, dw2, nw, sum_tol(n * g.oh * g.ow), 1e-5);
        CHECK(all_finite(y1, ny) && all_finite(dx1, nx) && all_finite(dw1, nw));
        CHECK(ey <= 1.0 && ex <= 1.0 && ew <= 1.0);
        if (!(ey <= 1.0 && ex <= 1.0 && ew <= 1.0))
            fprintf(stderr,
                    "  conv %lldx%lldx%lldx%lld o%lld k%lldx%lld s%lldx%lld p%lldx%lld t%d "
                    "layouts %d: %.3g %.3g %.3g\n",
                    (long long)n, (long long)c, (long long)h, (long long)w, (long long)o,
                    (long long)kh, (long long)kw, (long long)sh, (long long)sw, (long long)ph,
                    (long long)pw, threads, layouts, ey, ex, ew);
        // inside another parallel region (nested regions get one thread): the same results
        if (threads == 2) {
            for (int64_t i = 0; i < ny; i++) y1[i] = NAN;
            for (int64_t i = 0; i < nx; i++) dx1[i] = 0.25f;
            for (int64_t i = 0; i < nw; i++) dw1[i] = -0.5f;
#pragma omp parallel num_threads(2)
            {
#pragma omp single
                {
                    jepa_conv2d_forward(y1, xl, wt->data, b->data, &g, work);
                    jepa_conv2d_backward(dx1, 0, dw1, dyl, xl, wt->data, &g, work);
                }
            }
            CHECK(test_compare(y1, y2, ny, sum_tol(c * kh * kw), 1e-5) <= 1.0 &&
                  all_finite(y1, ny));
            CHECK(test_compare(dx1, dx2, nx, sum_tol(o * kh * kw), 1e-5) <= 1.0);
            CHECK(test_compare(dw1, dw2, nw, sum_tol(n * g.oh * g.ow), 1e-5) <= 1.0);
        }
        // only the input gradient, then only the weight gradient
        for (int64_t i = 0; i < nx; i++) dx1[i] = 0.25f;
        jepa_conv2d_backward(dx1, 0, NULL, dyl, NULL, wt->data, &g, work);
        CHECK(test_compare(dx1, dx2, nx, sum_tol(o * kh * kw), 1e-5) <= 1.0);
        // written over: dx's old values (NaN) are not read, and every one is written
        for (int64_t i = 0; i < nx; i++) dx1[i] = NAN;
        jepa_conv2d_backward(dx1, 1, NULL, dyl, NULL, wt->data, &g, work);
        for (int64_t i = 0; i < nx; i++) dx1[i] += 0.25f;
        CHECK(all_finite(dx1, nx) && test_compare(dx1, dx2, nx, sum_tol(o * kh * kw), 1e-5) <= 1.0);
        // and with the weight gradient in the same pass
        for (int64_t i = 0; i < nx; i++) dx1[i] = NAN;
        for (int64_t i = 0; i < nw; i++) dw1[i] = -0.5f;
        jepa_conv2d_backward(dx1, 1, dw1, dyl, xl, wt->data, &g, work);
        for (int64_t i = 0; i < nx; i++) dx1[i] += 0.25f;
        CHECK(all_finite(dx1, nx) && test_compare(dx1, dx2, nx, sum_tol(o * kh * kw), 1e-5) <= 1.0);
        CHECK(test_compare(dw1, dw2, nw, sum_tol(n * g.oh * g.ow), 1e-5) <= 1.0);
        for (int64_t i = 0; i < nw; i++) dw1[i] = -0.5f;
        jepa_conv2d_backward(NULL, 0, dw1, dyl, xl, NULL, &g, work);
        CHECK(test_compare(dw1, dw2, nw, sum_tol(n * g.oh * g.ow), 1e-5) <= 1.0);
        free(work);
    }
    free(y1);
    free(y2);
    free(dx1);
    free(dx2);
    free(dw1);
    free(dw2);
    free(xl);
    free(dyl);
    free(planar);
    test_tensor_free(x);
    test_tensor_free(wt);
    test_tensor_free(b);
    test_tensor_free(dy);
}

static void test_conv_against_ref(void) {
    // odd sizes, every stride/padding mix, 1x1 and non-square kernels, batches that split
    // into uneven groups of images
    int64_t shapes[][11] = {
        {2, 3, 7, 5, 4, 3, 3, 1, 1, 0, 0},
        {2, 3, 7, 5, 4, 3, 3, 2, 2, 1, 1},
        {2, 3, 7, 5, 4, 4, 4, 1, 1, 1, 1},
        {2, 3, 7, 5, 4, 4, 4, 2, 2, 0, 0},
        {3, 2, 6, 9, 5, 3, 2, 2, 1, 1, 0},
        {1, 4, 5, 5, 3, 1, 1, 1, 1, 0, 0},
        {5, 3, 3, 3, 2, 3, 3, 3, 3, 2, 2},
        {7, 5, 4, 4, 6, 2, 2, 2, 2, 0, 0},
        {9, 2, 8, 8, 3, 5, 5, 2, 2, 2, 2},
        {4, 1, 1, 6, 2, 1, 3, 1, 2, 0, 1},
        // few channels with 32-pixel outputs (the column path of the input gradient), a wide
        // row split into stride phases, and channel counts past one 32-wide block
        {3, 2, 8, 16, 5, 3, 3, 1, 1, 1, 1},
        {2, 5, 9, 80, 13, 3, 4, 2, 3, 1, 2},
        {2, 40, 6, 5, 35, 3, 3, 1, 1, 1, 1},
        // a kernel smaller than its stride: some input pixels get no gradient
        {2, 3, 7, 5, 4, 1, 1, 2, 2, 0, 0},
        {2, 34, 7, 6, 4, 2, 1, 3, 2, 1, 0},
        // one image on two threads: its output channel blocks are split between them
        {1, 6, 9, 9, 70, 3, 3, 1, 1, 1, 1},
        {1, 20, 6, 7, 70, 3, 3, 2, 2, 1, 1},
        // 3 channels, stride 2, 4 kernel columns (the input gradient by stride phases): even
        // kernel heights 2 and 6, paddings 0 to 3, phase rows of 19, 3 and 17 pixels (runs of
        // 16 and less), run counts that leave a tile short
        {3, 3, 6, 38, 5, 2, 4, 2, 2, 0, 2},
        {2, 3, 10, 6, 7, 6, 4, 2, 2, 3, 0},
        {5, 3, 4, 34, 4, 4, 4, 2, 2, 1, 1},
        // the four BM-1 encoder layers at batch 2 or 4 (4x4, stride 2, pad 1)
        {2, 3, 64, 64, 32, 4, 4, 2, 2, 1, 1},
        {2, 32, 32, 32, 64, 4, 4, 2, 2, 1, 1},
        {4, 64, 16, 16, 128, 4, 4, 2, 2, 1, 1},
        {4, 128, 8, 8, 128, 4, 4, 2, 2, 1, 1},
        // more images than one sub-batch a thread: the forward hands out three (8, 8 and 4)
        {20, 3, 64, 64, 32, 4, 4, 2, 2, 1, 1},
        // few output channels from many (the keypoint autoencoder's last layers): the forward
        // by output-channel panels, the weight gradient by output-channel rows from x transposed
        // channels last; one image on two threads, its two panels split between them
        {2, 32, 32, 32, 3, 5, 5, 1, 1, 2, 2},
        {3, 32, 12, 12, 16, 3, 3, 1, 1, 1, 1},
        {1, 40, 9, 9, 14, 3, 3, 1, 1, 1, 1},
    };
    int before = test_failures;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int64_t *s = shapes[i];
        // NCHW, then x, out and both channels last
        for (int layouts = 0; layouts < 4; layouts++)
            compare_conv(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10],
                         layouts);
    }
    printf("conv2d fast vs ref on %zu shapes x 4 layouts: %s\n", sizeof shapes / sizeof shapes[0],
           test_failures == before ? "ok" : "FAILED");
}

// conv (out channels last) -> group norm + ReLU channels last -> conv (x channels last), BM-1's
// encoder chain, against the same chain in NCHW (whose ops the gradient checks below cover):
// the same output and the same gradients of the input and of every parameter
static void test_channels_last_chain(void) {
    int64_t xs[4] = {3, 3, 16, 12}, w1s[4] = {16, 3, 4, 4}, w2s[4] = {6, 16, 3, 3};
    jepa_tensor *data[8] = {test_tensor(4, xs, 71, -1, 1),  test_tensor(4, w1s, 72, -0.3f, 0.3f),
                            test_tensor(1, (int64_t[]){16}, 73, -0.2f, 0.2f),
                            test_tensor(1, (int64_t[]){16}, 74, 0.5f, 1.5f),
                            test_tensor(1, (int64_t[]){16}, 75, -0.5f, 0.5f),
                            test_tensor(4, w2s, 76, -0.3f, 0.3f),
                            test_tensor(1, (int64_t[]){6}, 77, -0.2f, 0.2f),
                            test_tensor(4, (int64_t[]){3, 6, 8, 6}, 78, -1, 1)};
    jepa_ctx *ctxs[2] = {jepa_ctx_create(0), jepa_ctx_create(0)};
    jepa_tensor *in[2][7], *out[2];
    for (int nhwc = 0; nhwc < 2; nhwc++) {
        jepa_ctx *ctx = ctxs[nhwc];
        for (int i = 0; i < 7; i++) {
            in[nhwc][i] = jepa_wrap(ctx, data[i]->data, NULL, data[i]->ndim, data[i]->shape);
            jepa_requires_grad(ctx, in[nhwc][i]);
        }
        jepa_tensor **t = in[nhwc];
        jepa_tensor *h = jepa_conv2d_layout(ctx, t[0], t[1], t[2], 2, 2, 1, 1,
                                            nhwc ? JEPA_CONV_OUT_NHWC : 0);
        h = nhwc ? jepa_group_norm_relu_nhwc(ctx, h, 4, t[3], t[4], 1e-5f)
                 : jepa_group_norm_relu(ctx, h, 4, t[3], t[4], 1e-5f);
        out[nhwc] = jepa_conv2d_layout(ctx, h, t[5], t[6], 1, 1, 1, 1, nhwc ? JEPA_CONV_X_NHWC : 0);
        CHECK(out[nhwc]->ndim == 4 && out[nhwc]->shape[1] == 6 && out[nhwc]->shape[2] == 8);
        CHECK(jepa_backward_seed(ctx, out[nhwc], data[7]->data) == JEPA_OK);
    }
    CHECK(test_compare(out[1]->data, out[0]->data, jepa_numel(out[0]), 1e-5, 1e-5) <= 1.0);
    for (int i = 0; i < 7; i++)
        CHECK(test_compare(in[1][i]->grad, in[0][i]->grad, jepa_numel(in[0][i]), 1e-5, 1e-4) <= 1.0);
    for (int i = 0; i < 8; i++) test_tensor_free(data[i]);
    jepa_ctx_free(ctxs[0]);
    jepa_ctx_free(ctxs[1]);
}

static void test_conv_transpose_against_ref(void) {
    // (N, C, H, W, O, K, stride, pad, output_padding)
    int64_t shapes[][9] = {{2, 3, 7, 5, 4, 3, 1, 0, 0},
                           {2, 3, 7, 5, 4, 4, 2, 1, 0},
                           {2, 3, 7, 5, 4, 3, 2, 1, 1},
                           {3, 5, 4, 4, 2, 4, 2, 1, 0},
                           {1, 2, 3, 6, 3, 5, 3, 2, 2}};
    jepa_ctx *ctx = jepa_ctx_create(0);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int64_t *s = shapes[i];
        jepa_tensor *x = test_tensor(4, (int64_t[]){s[0], s[1], s[2], s[3]}, 41, -1, 1);
        jepa_tensor *w = test_tensor(4, (int64_t[]){s[1], s[4], s[5], s[5]}, 42, -1, 1);
        jepa_tensor *b = test_tensor(1, &s[4], 43, -1, 1);
        jepa_ctx_reset(ctx);
        jepa_tensor *y = jepa_conv_transpose2d(ctx, x, w, b, (int)s[6], (int)s[7], (int)s[8]);
        int64_t oh = (s[2] - 1) * s[6] - 2 * s[7] + s[5] + s[8];
        int64_t ow = (s[3] - 1) * s[6] - 2 * s[7] + s[5] + s[8];
        CHECK(y->shape[1] == s[4] && y->shape[2] == oh && y->shape[3] == ow);
        jepa_conv_geom g =
            jepa_conv_geom_make(s[0], s[4], oh, ow, s[1], s[5], s[5], s[6], s[6], s[7], s[7]);
        float *ref = malloc(sizeof(float) * (size_t)jepa_numel(y));
        jepa_conv_transpose2d_forward_ref(ref, x->data, w->data, b->data, &g);
        // each output sums at most C*K*K products of numbers below 1
        CHECK(test_compare(y->data, ref, jepa_numel(y), sum_tol(s[1] * s[5] * s[5]), 1e-5) <= 1.0);
        free(ref);
        test_tensor_free(x);
        test_tensor_free(w);
        test_tensor_free(b);
    }
    jepa_ctx_free(ctx);
}

static void test_pools_against_ref(void) {
    // (N, C, H, W, K, stride, pad)
    int64_t shapes[][7] = {{2, 3, 7, 5, 2, 2, 0},
                           {2, 3, 7, 5, 3, 2, 1},
                           {2, 3, 7, 5, 3, 1, 1},
                           {1, 2, 9, 4, 4, 3, 2},
                           {3, 1, 5, 5, 5, 1, 2}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int64_t *s = shapes[i];
        jepa_conv_geom g = jepa_pool_geom_make(s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
        int64_t nx = s[0] * s[1] * s[2] * s[3], ny = s[0] * s[1] * g.oh * g.ow;
        jepa_tensor *x = test_tensor(1, &nx, 51, -1, 1), *dy = test_tensor(1, &ny, 52, -1, 1);
        // values on a grid of 0.25, so windows hold ties (the first maximum wins), and a NaN
        for (int64_t j = 0; j < nx; j++) x->data[j] = floorf(x->data[j] * 4.0f) / 4.0f;
        x->data[nx / 2] = NAN;
        float *y1 = malloc(sizeof(float) * (size_t)ny), *y2 = malloc(sizeof(float) * (size_t)ny);
        int32_t *a1 = malloc(sizeof(int32_t) * (size_t)ny),
                *a2 = malloc(sizeof(int32_t) * (size_t)ny);
        float *dx1 = calloc((size_t)nx, sizeof(float)), *dx2 = calloc((size_t)nx, sizeof(float));
        jepa_max_pool2d_forward(y1, a1, x->data, &g);
        jepa_max_pool2d_forward_ref(y2, a2, x->data, &g);
        int same = 1;
        for (int64_t j = 0; j < ny; j++)
            same &= a1[j] == a2[j] && (y1[j] == y2[j] || (isnan(y1[j]) && isnan(y2[j])));
        CHECK(same);
        x->data[nx / 2] = 0.5f;
        jepa_avg_pool2d_forward(y1, x->data, &g);
        jepa_avg_pool2d_forward_ref(y2, x->data, &g);
        // sums of at most 25 numbers below 1, in float against double
        CHECK(test_compare(y1, y2, ny, 1e-6, 1e-5) <= 1.0);
        jepa_avg_pool2d_backward(dx1, dy->data, &g);
        jepa_avg_pool2d_backward_ref(dx2, dy->data, &g);
        CHECK(test_compare(dx1, dx2, nx, 1e-6, 1e-5) <= 1.0);
        free(y1);
        free(y2);
        free(a1);
        free(a2);
        free(dx1);
        free(dx2);
        test_tensor_free(x);
        test_tensor_free(dy);
    }
}

// ---- gradients against finite differences ----

typedef struct {
    int kind; // 0 conv2d, 1 conv_transpose2d, 2 max pool, 3 avg pool, 4 non-square conv2d
    int kernel, stride, pad, extra; // extra: output_padding
    int bias;
} op_args;

static jepa_tensor *build(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    op_args *a = user;
    switch (a->kind) {
    case 0:
        return jepa_conv2d(ctx, in[0], in[1], a->bias ? in[2] : NULL, a->stride, a->stride, a->pad,
                           a->pad);
    case 1:
        return jepa_conv_transpose2d(ctx, in[0], in[1], a->bias ? in[2] : NULL, a->stride, a->pad,
                                     a->extra);
    case 2:
        return jepa_max_pool2d(ctx, in[0], a->kernel, a->stride, a->pad);
    case 3:
        return jepa_avg_pool2d(ctx, in[0], a->kernel, a->stride, a->pad);
    default:
        return jepa_conv2d(ctx, in[0], in[1], NULL, 1, 2, 0, 1);
    }
}

static void test_conv_gradients(void) {
    // N=2, C=3, H=7, W=5, O=4: kernels 3 and 4, strides 1 and 2, padding 0 and 1
    for (int kernel = 3; kernel <= 4; kernel++)
        for (int stride = 1; stride <= 2; stride++)
            for (int pad = 0; pad <= 1; pad++) {
                op_args a = {0, kernel, stride, pad, 0, (kernel + stride + pad) % 2};
                jepa_tensor *in[3] = {test_tensor(4, (int64_t[]){2, 3, 7, 5}, 61, -1, 1),
                                      test_tensor(4, (int64_t[]){4, 3, kernel, kernel}, 62, -1, 1),
                                      test_tensor(1, (int64_t[]){4}, 63, -1, 1)};
                char name[64];
                snprintf(name, sizeof name, "conv2d k%d s%d p%d%s", kernel, stride, pad,
                         a.bias ? " bias" : "");
                // linear in each input: float rounding is the only error (eps 1e-2)
                test_gradcheck(name, build, &a, in, a.bias ? 3 : 2, 1e-2, 1e-4, 1e-3, 500);
                for (int i = 0; i < 3; i++) test_tensor_free(in[i]);
            }
    // 3 channels, even sizes: the input gradient by stride phases (k4 s2 p1, as BM-1)
    op_args ph = {0, 4, 2, 1, 0, 0};
    jepa_tensor *pin[2] = {test_tensor(4, (int64_t[]){2, 3, 6, 8}, 66, -1, 1),
                           test_tensor(4, (int64_t[]){4, 3, 4, 4}, 67, -1, 1)};
    test_gradcheck("conv2d k4 s2 p1 6x8 phases", build, &ph, pin, 2, 1e-2, 1e-4, 1e-3, 500);
    test_tensor_free(pin[0]);
    test_tensor_free(pin[1]);
    // a non-square kernel (3x2), stride (1,2) and padding (0,1)
    op_args a = {4, 0, 0, 0, 0, 0};
    jepa_tensor *in[2] = {test_tensor(4, (int64_t[]){2, 3, 7, 5}, 64, -1, 1),
                          test_tensor(4, (int64_t[]){4, 3, 3, 2}, 65, -1, 1)};
    test_gradcheck("conv2d k3x2 s1x2 p0x1", build, &a, in, 2, 1e-2, 1e-4, 1e-3, 500);
    test_tensor_free(in[0]);
    test_tensor_free(in[1]);
}

static void test_conv_transpose_gradients(void) {
    // x (2,3,7,5), w (3,4,K,K): kernels 3 and 4, strides 1 and 2, padding 0 and 1, and an
    // output_padding of 1 where the stride allows it
    for (int kernel = 3; kernel <= 4; kernel++)
        for (int stride = 1; stride <= 2; stride++)
            for (int pad = 0; pad <= 1; pad++) {
                op_args a = {
                    1, kernel, stride, pad, stride == 2 && pad == 1, (kernel + stride + pad) % 2};
                jepa_tensor *in[3] = {test_tensor(4, (int64_t[]){2, 3, 7, 5}, 71, -1, 1),
                                      test_tensor(4, (int64_t[]){3, 4, kernel, kernel}, 72, -1, 1),
                                      test_tensor(1, (int64_t[]){4}, 73, -1, 1)};
                char name[64];
                snprintf(name, sizeof name, "conv_transpose2d k%d s%d p%d op%d%s", kernel, stride,
                         pad, a.extra, a.bias ? " bias" : "");
                test_gradcheck(name, build, &a, in, a.bias ? 3 : 2, 1e-2, 1e-4, 1e-3, 500);
                for (int i = 0; i < 3; i++) test_tensor_free(in[i]);
            }
}

static void test_pool_gradients(void) {
    for (int kind = 2; kind <= 3; kind++)
        for (int kernel = 2; kernel <= 3; kernel++)
            for (int stride = 1; stride <= 2; stride++)
                for (int pad = 0; pad <= 1; pad++) {
                    op_args a = {kind, kernel, stride, pad, 0, 0};
                    jepa_tensor *x = test_tensor(4, (int64_t[]){2, 3, 7, 5}, 81, -1, 1);
                    // distinct values 0.05 apart, shuffled: no window has a near tie, so a
                    // step of eps = 1e-2 never moves a maximum
                    int64_t n = jepa_numel(x);
                    for (int64_t i = 0; i < n; i++)
                        x->data[i] = 0.05f * (float)((i * 97) % n) - 5.0f;
                    char name[64];
                    snprintf(name, sizeof name, "%s k%d s%d p%d",
                             kind == 2 ? "max_pool2d" : "avg_pool2d", kernel, stride, pad);
                    test_gradcheck(name, build, &a, &x, 1, 1e-2, 1e-4, 1e-3, 500);
                    test_tensor_free(x);
                }
}

int main(void) {
    test_tiny_by_hand();
    test_conv_against_ref();
    test_channels_last_chain();
    test_conv_transpose_against_ref();
    test_pools_against_ref();
    jepa_threads_set(2);
    test_conv_gradients();
    test_conv_transpose_gradients();
    test_pool_gradients();
    return test_finish("test_conv");
}
