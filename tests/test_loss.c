// Losses: hand-computed values, gradients of both operands against finite differences, and
// the kernels against their naive twins.
#include <stdlib.h>
#include <string.h>

#include "tensor/elementwise.h"
#include "testutil.h"

typedef struct {
    jepa_loss_kind kind;
    float beta;
} loss_args;

static jepa_tensor *build_loss(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    loss_args *a = user;
    switch (a->kind) {
    case JEPA_LOSS_MSE:
        return jepa_mse_loss(ctx, in[0], in[1]);
    case JEPA_LOSS_L1:
        return jepa_l1_loss(ctx, in[0], in[1]);
    default:
        return jepa_smooth_l1_loss(ctx, in[0], in[1], a->beta);
    }
}

// a loss of a transposed view of pred, so the contiguous copy's backward runs too
static jepa_tensor *build_loss_view(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    (void)user;
    return jepa_mse_loss(ctx, jepa_transpose(ctx, in[0], 0, 1), in[1]);
}

static void test_values(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_tensor *p = jepa_new1(ctx, 3), *t = jepa_zeros(ctx, 1, (int64_t[]){3});
    float pv[3] = {0.5f, 2.0f, -3.0f};
    memcpy(p->data, pv, sizeof pv);
    // mse: (0.25 + 4 + 9) / 3; l1: 5.5 / 3
    CHECK_NEAR(jepa_mse_loss(ctx, p, t)->data[0], 13.25 / 3.0, 1e-6);
    CHECK_NEAR(jepa_l1_loss(ctx, p, t)->data[0], 5.5 / 3.0, 1e-6);
    // smooth l1, beta 1: 0.5 * 0.25 + (2 - 0.5) + (3 - 0.5) = 4.125
    jepa_tensor *s = jepa_smooth_l1_loss(ctx, p, t, 1.0f);
    CHECK(s->ndim == 0);
    CHECK_NEAR(s->data[0], 4.125 / 3.0, 1e-6);
    // beta 0 is l1
    CHECK_NEAR(jepa_smooth_l1_loss(ctx, p, t, 0.0f)->data[0], 5.5 / 3.0, 1e-6);
    // beta 4: every |d| < beta: 0.5 (0.25 + 4 + 9) / 4
    CHECK_NEAR(jepa_smooth_l1_loss(ctx, p, t, 4.0f)->data[0], 13.25 / 8.0 / 3.0, 1e-6);
    // gradients by hand: d mse / dp = 2 d / n; the target gets the negative
    jepa_requires_grad(ctx, p);
    jepa_requires_grad(ctx, t);
    CHECK(jepa_backward(ctx, jepa_mse_loss(ctx, p, t)) == JEPA_OK);
    for (int i = 0; i < 3; i++) {
        CHECK_NEAR(p->grad[i], 2.0 * pv[i] / 3.0, 1e-7);
        CHECK_NEAR(t->grad[i], -2.0 * pv[i] / 3.0, 1e-7);
    }
    jepa_ctx_free(ctx);
}

static void test_gradients(void) {
    loss_args cases[] = {{JEPA_LOSS_MSE, 0},
                         {JEPA_LOSS_L1, 0},
                         {JEPA_LOSS_SMOOTH_L1, 0.5f},
                         {JEPA_LOSS_SMOOTH_L1, 0}};
    const char *names[] = {"mse", "l1", "smooth_l1 beta 0.5", "smooth_l1 beta 0"};
    for (int c = 0; c < 4; c++) {
        jepa_tensor *in[2] = {test_tensor(3, (int64_t[]){3, 5, 7}, 10 + c, -1, 1),
                              test_tensor(3, (int64_t[]){3, 5, 7}, 20 + c, -1, 1)};
        // differences away from the kinks at 0 and at +-beta (0.1 from each)
        for (int i = 0; i < 105; i++) {
            float d = in[0]->data[i] - in[1]->data[i], a = fabsf(d);
            if (a < 0.1f)
                d = d < 0 ? -0.2f : 0.2f;
            else if (fabsf(a - 0.5f) < 0.1f)
                d = d < 0 ? -0.7f : 0.7f;
            in[1]->data[i] = in[0]->data[i] - d;
        }
        // eps 1e-2, atol 1e-5 (gradients are ~ 1/105), rtol 1e-3
        test_gradcheck(names[c], build_loss, &cases[c], in, 2, 1e-2, 1e-5, 1e-3, 500);
        test_tensor_free(in[0]);
        test_tensor_free(in[1]);
    }
    // a target without grad, a transposed pred
    jepa_tensor *v[2] = {test_tensor(2, (int64_t[]){5, 3}, 30, -1, 1),
                         test_tensor(2, (int64_t[]){3, 5}, 31, -1, 1)};
    v[1]->requires_grad = 0;
    test_gradcheck("mse of a view", build_loss_view, NULL, v, 2, 1e-2, 1e-5, 1e-3, 500);
    test_tensor_free(v[0]);
    test_tensor_free(v[1]);
}

static void test_kernels_against_naive(void) {
    int64_t n = 100003;
    jepa_tensor *p = test_tensor(1, &n, 1, -2, 2), *t = test_tensor(1, &n, 2, -2, 2);
    float *g1 = calloc((size_t)n * 2, sizeof(float)), *g2 = calloc((size_t)n * 2, sizeof(float));
    for (int kind = 0; kind < 3; kind++) {
        double s1 = jepa_loss_kernel(kind, p->data, t->data, n, 0.7f);
        double s2 = jepa_loss_kernel_ref(kind, p->data, t->data, n, 0.7f);
        // float blocks of 1024 terms <= 16 against double: ~1024 * 16 * 2^-24 per block, random
        // signs
        CHECK_NEAR(s1, s2, 1e-6 * fabs(s2));
        memset(g1, 0, sizeof(float) * (size_t)n * 2);
        memset(g2, 0, sizeof(float) * (size_t)n * 2);
        jepa_loss_backward_kernel(kind, g1, g1 + n, p->data, t->data, n, 0.7f, 0.37f);
        jepa_loss_backward_kernel_ref(kind, g2, g2 + n, p->data, t->data, n, 0.7f, 0.37f);
        // one rounding of the float difference and the scale
        CHECK(test_compare(g1, g2, n * 2, 1e-7, 1e-6) <= 1.0);
    }
    // the same bits on 1 and on 2 threads
    double on[2];
    for (int threads = 1; threads <= 2; threads++) {
        jepa_threads_set(threads);
        on[threads - 1] = jepa_loss_kernel(JEPA_LOSS_MSE, p->data, t->data, n, 0.0f);
    }
    CHECK(on[0] == on[1]);
    free(g1);
    free(g2);
    test_tensor_free(p);
    test_tensor_free(t);
}

int main(void) {
    test_values();
    test_gradients();
    test_kernels_against_naive();
    return test_finish("test_loss");
}
