// Layer, group and batch norm: values against hand-computed cases and double-precision oracles
// written here, the optimized kernels against the naive ones, gradients against finite
// differences, and batch norm's running statistics against hand-computed updates.
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

// ---- oracles in double, written independently of the kernels ----

// group norm of x (N, C, S) in G groups, affine optional; layer norm is G = 1 over (rows, D, 1)
static void oracle_group_norm(double *out, const float *x, int64_t N, int64_t C, int64_t S,
                              int64_t G, const float *w, const float *b, double eps) {
    int64_t per = C / G * S; // a group's elements are contiguous
    for (int64_t blk = 0; blk < N * G; blk++) {
        const float *xb = x + blk * per;
        double m = 0.0, v = 0.0;
        for (int64_t i = 0; i < per; i++) m += xb[i];
        m /= (double)per;
        for (int64_t i = 0; i < per; i++) v += (xb[i] - m) * (xb[i] - m);
        v /= (double)per;
        for (int64_t i = 0; i < per; i++) {
            int64_t c = blk % G * (C / G) + i / S;
            out[blk * per + i] = (xb[i] - m) / sqrt(v + eps) * (w ? w[c] : 1.0) + (b ? b[c] : 0.0);
        }
    }
}

// batch norm of x (N, C, S) with given per-channel mean and variance (NULL: the batch's own)
static void oracle_batch_norm(double *out, const float *x, int64_t N, int64_t C, int64_t S,
                              const float *w, const float *b, const float *mean, const float *var,
                              double eps) {
    for (int64_t c = 0; c < C; c++) {
        double m = 0.0, v = 0.0;
        for (int64_t n = 0; n < N; n++)
            for (int64_t s = 0; s < S; s++) m += x[(n * C + c) * S + s];
        m /= (double)(N * S);
        for (int64_t n = 0; n < N; n++)
            for (int64_t s = 0; s < S; s++) v += pow(x[(n * C + c) * S + s] - m, 2);
        v /= (double)(N * S);
        if (mean) m = mean[c];
        if (var) v = var[c];
        for (int64_t n = 0; n < N; n++)
            for (int64_t s = 0; s < S; s++) {
                int64_t i = (n * C + c) * S + s;
                out[i] = (x[i] - m) / sqrt(v + eps) * (w ? w[c] : 1.0) + (b ? b[c] : 0.0);
            }
    }
}

static double max_diff(const float *a, const double *b, int64_t n) {
    double worst = 0.0;
    for (int64_t i = 0; i < n; i++) worst = fmax(worst, fabs(a[i] - b[i]));
    return worst;
}

// ---- values ----

static void test_layer_norm_by_hand(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    float xv[4] = {1, 2, 3, 4}, wv[4] = {2, 1, 0.5f, -1}, bv[4] = {0.5f, 0, 0, 1};
    jepa_tensor *x = jepa_wrap(ctx, xv, NULL, 2, (int64_t[]){1, 4});
    jepa_tensor *w = jepa_wrap(ctx, wv, NULL, 1, (int64_t[]){4});
    jepa_tensor *b = jepa_wrap(ctx, bv, NULL, 1, (int64_t[]){4});
    // mean 2.5, biased variance 1.25, sqrt 1.1180340: x_hat = +-1.3416408, +-0.4472136
    jepa_tensor *y = jepa_layer_norm(ctx, x, NULL, NULL, 0.0f);
    const double plain[4] = {-1.3416408, -0.4472136, 0.4472136, 1.3416408};
    for (int i = 0; i < 4; i++) CHECK_NEAR(y->data[i], plain[i], 1e-6); // float rounding
    y = jepa_layer_norm(ctx, x, w, b, 0.0f);
    const double affine[4] = {-2.1832816, -0.4472136, 0.2236068, -0.3416408};
    for (int i = 0; i < 4; i++) CHECK_NEAR(y->data[i], affine[i], 1e-6);
    jepa_ctx_free(ctx);
}

static void test_values_against_oracle(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_tensor *x = test_tensor(4, (int64_t[]){3, 6, 5, 7}, 1, -2, 3);
    jepa_tensor *w = test_tensor(1, (int64_t[]){6}, 2, 0.5f, 1.5f);
    jepa_tensor *b = test_tensor(1, (int64_t[]){6}, 3, -1, 1);
    double *ref = malloc(sizeof(double) * 630);
    const float eps = 1e-5f;

    // group norm, 3 groups of 2 channels, and its normalized output: mean 0, var v/(v+eps)
    jepa_tensor *y = jepa_group_norm(ctx, x, 3, w, b, eps);
    oracle_group_norm(ref, x->data, 3, 6, 35, 3, w->data, b->data, eps);
    CHECK(max_diff(y->data, ref, 630) < 2e-6); // |out| <= ~5, float rounding
    y = jepa_group_norm(ctx, x, 3, NULL, NULL, eps);
    for (int blk = 0; blk < 9; blk++) {
        double m = 0.0, v = 0.0;
        for (int i = 0; i < 70; i++) m += y->data[blk * 70 + i] / 70.0;
        for (int i = 0; i < 70; i++) v += pow(y->data[blk * 70 + i] - m, 2) / 70.0;
        CHECK_NEAR(m, 0.0, 1e-6);
        CHECK_NEAR(v, 1.0, 1e-4); // eps / var with var ~ 0.5..2 shrinks it by < 2e-5
    }

    // layer norm over the last dimension (7) of (3, 6, 5, 7)
    jepa_tensor *w7 = test_tensor(1, (int64_t[]){7}, 5, 0.5f, 1.5f);
    jepa_tensor *b7 = test_tensor(1, (int64_t[]){7}, 6, -1, 1);
    y = jepa_layer_norm(ctx, x, w7, b7, eps);
    oracle_group_norm(ref, x->data, 90, 7, 1, 1, w7->data, b7->data, eps);
    CHECK(max_diff(y->data, ref, 630) < 2e-6);
    test_tensor_free(w7);
    test_tensor_free(b7);

    // batch norm 2-D, training: per-channel batch statistics
    y = jepa_batch_norm(ctx, x, w, b, NULL, NULL, 0.1f, eps, 1);
    oracle_batch_norm(ref, x->data, 3, 6, 35, w->data, b->data, NULL, NULL, eps);
    CHECK(max_diff(y->data, ref, 630) < 2e-6);

    // group norm with one group per channel equals instance norm: batch norm of each sample
    y = jepa_group_norm(ctx, x, 6, NULL, NULL, eps);
    for (int n = 0; n < 3; n++) {
        oracle_batch_norm(ref, x->data + n * 210, 1, 6, 35, NULL, NULL, NULL, NULL, eps);
        CHECK(max_diff(y->data + n * 210, ref, 210) < 2e-6);
    }
    free(ref);
    test_tensor_free(x);
    test_tensor_free(w);
    test_tensor_free(b);
    jepa_ctx_free(ctx);
}

static void test_batch_norm_running_stats(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    // x (N=4, C=2): channel 0 = 1, 2, 3, 6 (mean 3, biased var 3.5, unbiased 14/3);
    // channel 1 = 0, 0, 0, 4 (mean 1, biased var 3, unbiased 4)
    float xv[8] = {1, 0, 2, 0, 3, 0, 6, 4};
    jepa_tensor *x = jepa_wrap(ctx, xv, NULL, 2, (int64_t[]){4, 2});
    float rm[2] = {0, 1}, rv[2] = {1, 2};
    jepa_tensor *y = jepa_batch_norm(ctx, x, NULL, NULL, rm, rv, 0.1f, 1e-5f, 1);
    // running = 0.9 running + 0.1 batch (unbiased variance)
    CHECK_NEAR(rm[0], 0.3, 1e-6);
    CHECK_NEAR(rm[1], 1.0, 1e-6);
    CHECK_NEAR(rv[0], 0.9 + 14.0 / 30.0, 1e-6);
    CHECK_NEAR(rv[1], 1.8 + 0.4, 1e-6);
    // the output uses the biased variance: (1 - 3) / sqrt(3.5 + 1e-5)
    CHECK_NEAR(y->data[0], -2.0 / sqrt(3.5 + 1e-5), 1e-6);
    CHECK_NEAR(y->data[7], 3.0 / sqrt(3.0 + 1e-5), 1e-6);
    // a second step compounds: 0.9 * 0.3 + 0.3, 0.9 * (0.9 + 14/30) + 14/30
    jepa_batch_norm(ctx, x, NULL, NULL, rm, rv, 0.1f, 1e-5f, 1);
    CHECK_NEAR(rm[0], 0.57, 1e-6);
    CHECK_NEAR(rv[0], 0.9 * (0.9 + 14.0 / 30.0) + 14.0 / 30.0, 1e-6);
    CHECK_NEAR(rv[1], 0.9 * 2.2 + 0.4, 1e-6);

    // inference: the running statistics, left unchanged
    float wv[2] = {2, 3}, bv[2] = {0.1f, -0.2f}, m2[2] = {0.5f, -1}, v2[2] = {4, 0.25f};
    jepa_tensor *w = jepa_wrap(ctx, wv, NULL, 1, (int64_t[]){2});
    jepa_tensor *b = jepa_wrap(ctx, bv, NULL, 1, (int64_t[]){2});
    y = jepa_batch_norm(ctx, x, w, b, m2, v2, 0.1f, 1e-5f, 0);
    CHECK(m2[0] == 0.5f && m2[1] == -1.0f && v2[0] == 4.0f && v2[1] == 0.25f);
    // (1 - 0.5) / sqrt(4) * 2 + 0.1 = 0.6; (4 + 1) / sqrt(0.25) * 3 - 0.2 = 29.8 (eps 1e-5 aside)
    CHECK_NEAR(y->data[0], 0.5 / sqrt(4.00001) * 2 + 0.1, 1e-6);
    CHECK_NEAR(y->data[7], 5.0 / sqrt(0.25001) * 3 - 0.2, 1e-5); // |y| ~ 30
    CHECK_NEAR(y->data[0], 0.6, 1e-5);
    CHECK_NEAR(y->data[7], 29.8, 1e-3);
    double ref[8];
    oracle_batch_norm(ref, xv, 4, 2, 1, wv, bv, m2, v2, 1e-5);
    CHECK(max_diff(y->data, ref, 8) < 1e-5);

    // 2-D inference against the oracle
    jepa_tensor *x4 = test_tensor(4, (int64_t[]){3, 6, 5, 7}, 4, -2, 3);
    float mean6[6] = {0.1f, -0.2f, 0.3f, 0, 1, -1}, var6[6] = {0.5f, 1, 2, 0.1f, 3, 0.7f};
    double *ref4 = malloc(sizeof(double) * 630);
    y = jepa_batch_norm(ctx, x4, NULL, NULL, mean6, var6, 0.1f, 1e-5f, 0);
    oracle_batch_norm(ref4, x4->data, 3, 6, 35, NULL, NULL, mean6, var6, 1e-5);
    CHECK(max_diff(y->data, ref4, 630) < 1e-5); // |out| up to ~10
    free(ref4);
    test_tensor_free(x4);
    jepa_ctx_free(ctx);
}

// ---- optimized against naive kernels ----

static void test_kernels_against_ref(void) {
    jepa_norm_dims cases[] = {
        {8, 12, 33, 4, 0, 0, 0}, // group norm
        {16, 6, 50, 6, 1, 0, 0}, // batch norm 2-D
        {37, 64, 1, 1, 0, 0, 0}, // layer norm
        {9, 5, 1, 5, 1, 0, 0},   // batch norm 1-D
        {40, 12, 1, 4, 0, 0, 0}, // group norm of (N, C): groups along a row
        // large enough (>= 32768 elements) for the kernels' threaded paths
        {16, 32, 80, 8, 0, 0, 0},  // group norm
        {32, 16, 64, 16, 1, 0, 0}, // batch norm
        {130, 300, 1, 1, 0, 0, 0}, // layer norm, wider than one block of 256 channels
        // group norm channels last: small, threaded, channels past one chunk of 64, groups
        // wider than a chunk, and the chunk ends inside a group
        {8, 12, 33, 4, 0, 0, 1},
        {16, 32, 80, 8, 0, 0, 1},
        {4, 128, 64, 8, 0, 0, 1},
        {3, 200, 7, 2, 0, 0, 1},
        {5, 72, 9, 3, 0, 0, 1},
    };
    for (size_t t = 0; t < 2 * sizeof cases / sizeof cases[0]; t++) {
        // every case plain, then with the fused ReLU
        jepa_norm_dims dims = cases[t % (sizeof cases / sizeof cases[0])], *d = &dims;
        d->relu = t >= sizeof cases / sizeof cases[0];
        int64_t n = d->N * d->C * d->S, sets = jepa_norm_sets(d);
        jepa_tensor *x = test_tensor(1, (int64_t[]){n}, 10 + t, -2, 4);
        jepa_tensor *g = test_tensor(1, (int64_t[]){n}, 20 + t, -1, 1);
        jepa_tensor *w = test_tensor(1, (int64_t[]){d->C}, 30 + t, 0.5f, 1.5f);
        jepa_tensor *b = test_tensor(1, (int64_t[]){d->C}, 40 + t, -1, 1);
        float *stats = malloc(sizeof(float) * 6 * (size_t)sets);
        float *out = malloc(sizeof(float) * 4 * (size_t)n);
        float *grads = calloc(4 * (size_t)(d->C + n), sizeof(float));
        double *work = malloc(sizeof(double) * 2 * (size_t)(d->N * d->C));
        // statistics: one-pass double sums vs two-pass reference
        jepa_norm_stats(stats, stats + sets, x->data, d);
        jepa_norm_stats_ref(stats + 2 * sets, stats + 3 * sets, x->data, d);
        CHECK(test_compare(stats, stats + 2 * sets, 2 * sets, 1e-6, 1e-6) <= 1.0);
        // normalized outputs with affine (and the ReLU)
        jepa_norm_apply(out, x->data, stats, stats + sets, w->data, b->data, d, 1e-5f);
        jepa_norm_apply_ref(out + n, x->data, stats, stats + sets, w->data, b->data, d, 1e-5f);
        CHECK(test_compare(out, out + n, n, 1e-5, 1e-5) <= 1.0); // folded scale and shift
        // statistics and output in one pass: the same floats as the two calls
        jepa_norm_stats_apply(out + 2 * n, stats + 4 * sets, stats + 5 * sets, x->data, w->data,
                              b->data, d, 1e-5f);
        CHECK(memcmp(out, out + 2 * n, sizeof(float) * (size_t)n) == 0);
        CHECK(memcmp(stats, stats + 4 * sets, sizeof(float) * 2 * (size_t)sets) == 0);
        int64_t off = 0;
        for (int64_t i = 0; i < n; i++) off += out[i] == 0.0f;
        CHECK(d->relu ? off > n / 5 : off == 0); // the ReLU cuts a share of the outputs
        // backward, statistics learned and fixed: dx, dweight, dbias
        for (int fixed = 0; fixed < 2; fixed++) {
            float *dx1 = grads, *dx2 = grads + n, *dp1 = grads + 2 * n, *dp2 = dp1 + 2 * d->C;
            memset(grads, 0, sizeof(float) * 4 * (size_t)(d->C + n));
            jepa_norm_backward(dx1, 0, dp1, dp1 + d->C, work, g->data, x->data, out, stats,
                               stats + sets, w->data, d, 1e-5f, fixed);
            jepa_norm_backward_ref(dx2, dp2, dp2 + d->C, g->data, x->data, out, stats, stats + sets,
                                   w->data, d, 1e-5f, fixed);
            // dx is a difference of O(1) terms: absolute 1e-5
            CHECK(test_compare(dx1, dx2, n, 1e-5, 1e-4) <= 1.0);
            CHECK(test_compare(dp1, dp2, 2 * d->C, 1e-4, 1e-5) <= 1.0); // sums of ~1000 terms
            // dx alone (no affine gradients, no workspace) is the same
            memset(dx2, 0, sizeof(float) * (size_t)n);
            jepa_norm_backward(dx2, 0, NULL, NULL, NULL, g->data, x->data, out, stats, stats + sets,
                               w->data, d, 1e-5f, fixed);
            CHECK(memcmp(dx1, dx2, sizeof(float) * (size_t)n) == 0);
            // and written over NaNs instead of added to zeros, the same
            for (int64_t i = 0; i < n; i++) dx2[i] = NAN;
            jepa_norm_backward(dx2, 1, NULL, NULL, NULL, g->data, x->data, out, stats, stats + sets,
                               w->data, d, 1e-5f, fixed);
            CHECK(memcmp(dx1, dx2, sizeof(float) * (size_t)n) == 0);
        }
        free(stats);
        free(out);
        free(grads);
        free(work);
        test_tensor_free(x);
        test_tensor_free(g);
        test_tensor_free(w);
        test_tensor_free(b);
    }
}

// the fused op against its composition relu(group_norm(x)), whose gradients are checked by
// finite differences below: the same outputs and the same gradients of x, weight and bias
static void test_group_norm_relu_fused(void) {
    jepa_ctx *ctxs[2] = {jepa_ctx_create(0), jepa_ctx_create(0)}; // backward runs a whole tape
    int64_t shape[4] = {4, 8, 6, 5}, n = 4 * 8 * 30;
    jepa_tensor *data[4] = {test_tensor(4, shape, 61, -2, 3), test_tensor(1, (int64_t[]){8}, 62, 0.5f, 1.5f),
                            test_tensor(1, (int64_t[]){8}, 63, -1, 1), test_tensor(4, shape, 64, -1, 1)};
    jepa_tensor *in[2][3], *out[2];
    for (int fused = 0; fused < 2; fused++) {
        jepa_ctx *ctx = ctxs[fused];
        for (int i = 0; i < 3; i++) {
            in[fused][i] = jepa_wrap(ctx, data[i]->data, NULL, data[i]->ndim, data[i]->shape);
            jepa_requires_grad(ctx, in[fused][i]);
        }
        jepa_tensor *x = in[fused][0], *w = in[fused][1], *b = in[fused][2];
        out[fused] = fused ? jepa_group_norm_relu(ctx, x, 4, w, b, 1e-5f)
                           : jepa_relu(ctx, jepa_group_norm(ctx, x, 4, w, b, 1e-5f));
        CHECK(jepa_backward_seed(ctx, out[fused], data[3]->data) == JEPA_OK);
    }
    CHECK(memcmp(out[0]->data, out[1]->data, sizeof(float) * (size_t)n) == 0);
    CHECK(test_compare(in[1][0]->grad, in[0][0]->grad, n, 1e-6, 1e-5) <= 1.0);
    CHECK(test_compare(in[1][1]->grad, in[0][1]->grad, 8, 1e-5, 1e-5) <= 1.0);
    CHECK(test_compare(in[1][2]->grad, in[0][2]->grad, 8, 1e-5, 1e-5) <= 1.0);
    for (int i = 0; i < 4; i++) test_tensor_free(data[i]);
    jepa_ctx_free(ctxs[0]);
    jepa_ctx_free(ctxs[1]);
}

// ---- gradients ----

typedef struct {
    int kind; // 0 layer, 1 group, 2 batch train, 3 batch inference
    int groups, has_w, has_b, permute;
} norm_case;

static jepa_tensor *build_norm(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    const norm_case *c = user;
    jepa_tensor *x = in[0], *w = c->has_w ? in[1] : NULL, *b = c->has_b ? in[2] : NULL;
    if (c->permute) x = jepa_transpose(ctx, x, 0, 1); // a strided input: contiguous copy first
    static const float rmean[6] = {0.1f, -0.2f, 0.3f, 0.0f, 0.2f, -0.1f};
    static const float rvar[6] = {0.5f, 1.0f, 2.0f, 0.3f, 1.5f, 0.7f};
    float mean[6], var[6];
    memcpy(mean, rmean, sizeof mean);
    memcpy(var, rvar, sizeof var);
    switch (c->kind) {
    case 0:
        return jepa_layer_norm(ctx, x, w, b, 1e-5f);
    case 1:
        return jepa_group_norm(ctx, x, c->groups, w, b, 1e-5f);
    case 2:
        return jepa_batch_norm(ctx, x, w, b, mean, var, 0.1f, 1e-5f, 1);
    default:
        return jepa_batch_norm(ctx, x, w, b, mean, var, 0.1f, 1e-5f, 0);
    }
}

// Central differences in double of a float32 forward: truncation ~ (h / std(x))^2 matters for
// small sets (layer norm, D = 7), rounding ~ sqrt(set) * 1e-7 / h for large ones (group and
// batch norm change 35..210 outputs per step), so the step h is chosen per case and the inputs
// spread over [-3, 3]. Tolerance: 1e-4 absolute + 1e-3 relative throughout.
static void gradcheck_norm(const char *name, norm_case c, int ndim, const int64_t *shape,
                           int64_t channels, double h) {
    jepa_tensor *in[3] = {test_tensor(ndim, shape, 50, -3, 3),
                          test_tensor(1, (int64_t[]){channels}, 51, 0.5f, 1.5f),
                          test_tensor(1, (int64_t[]){channels}, 52, -1, 1)};
    test_gradcheck(name, build_norm, &c, in, 3, h, 1e-4, 1e-3, 700);
    for (int i = 0; i < 3; i++) test_tensor_free(in[i]);
}

int main(void) {
    test_layer_norm_by_hand();
    test_values_against_oracle();
    test_batch_norm_running_stats();
    test_kernels_against_ref();
    test_group_norm_relu_fused();

    int64_t x4[4] = {3, 6, 5, 7}, x3[3] = {3, 5, 7}, x2[2] = {5, 6};
    gradcheck_norm("layer_norm w b", (norm_case){0, 0, 1, 1, 0}, 3, x3, 7, 1e-2);
    gradcheck_norm("layer_norm", (norm_case){0, 0, 0, 0, 0}, 3, x3, 7, 1e-2);
    gradcheck_norm("layer_norm b only", (norm_case){0, 0, 0, 1, 0}, 3, x3, 7, 1e-2);
    gradcheck_norm("layer_norm strided", (norm_case){0, 0, 1, 1, 1}, 3, (int64_t[]){5, 3, 7}, 7,
                   1e-2);
    gradcheck_norm("group_norm 3 w b", (norm_case){1, 3, 1, 1, 0}, 4, x4, 6, 3e-2);
    gradcheck_norm("group_norm 1 w", (norm_case){1, 1, 1, 0, 0}, 4, x4, 6, 3e-2);
    gradcheck_norm("group_norm 6", (norm_case){1, 6, 0, 0, 0}, 4, x4, 6, 3e-2);
    gradcheck_norm("batch_norm 2d train w b", (norm_case){2, 0, 1, 1, 0}, 4, x4, 6, 3e-2);
    gradcheck_norm("batch_norm 2d train", (norm_case){2, 0, 0, 0, 0}, 4, x4, 6, 3e-2);
    gradcheck_norm("batch_norm 1d train w b", (norm_case){2, 0, 1, 1, 0}, 2, x2, 6, 3e-2);
    gradcheck_norm("batch_norm 2d eval w b", (norm_case){3, 0, 1, 1, 0}, 4, x4, 6, 3e-2);
    gradcheck_norm("batch_norm 1d eval w b", (norm_case){3, 0, 1, 1, 0}, 2, x2, 6, 3e-2);
    return test_finish("test_norm");
}
