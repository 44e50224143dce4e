// Activations: values against golden numbers and double-precision formulas, gradients against
// finite differences, softmax identities, kernels against their naive twins.
#include <stdlib.h>
#include <string.h>

#include "tensor/elementwise.h"
#include "testutil.h"

enum { RELU, GELU, GELU_TANH, SILU, TANH, SIGMOID, SOFTMAX, LOG_SOFTMAX };

typedef struct {
    int which, axis;
} act_args;

static jepa_tensor *build_act(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    act_args *a = user;
    switch (a->which) {
    case RELU:
        return jepa_relu(ctx, in[0]);
    case GELU:
        return jepa_gelu(ctx, in[0], 0);
    case GELU_TANH:
        return jepa_gelu(ctx, in[0], 1);
    case SILU:
        return jepa_silu(ctx, in[0]);
    case TANH:
        return jepa_tanh(ctx, in[0]);
    case SIGMOID:
        return jepa_sigmoid(ctx, in[0]);
    case SOFTMAX:
        return jepa_softmax(ctx, in[0], a->axis);
    default:
        return jepa_log_softmax(ctx, in[0], a->axis);
    }
}

// the activations in double, written out from their definitions
static double oracle(int which, double x) {
    double phi = 0.5 * (1.0 + erf(x / sqrt(2.0)));
    double sig = 1.0 / (1.0 + exp(-x));
    switch (which) {
    case RELU:
        return x > 0 ? x : 0;
    case GELU:
        return x * phi;
    case GELU_TANH:
        return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case SILU:
        return x * sig;
    case TANH:
        return tanh(x);
    default:
        return sig;
    }
}

static void test_elementwise_activations(void) {
    const char *names[] = {"relu", "gelu", "gelu tanh", "silu", "tanh", "sigmoid"};
    jepa_ctx *ctx = jepa_ctx_create(0);
    // golden values: Phi(1) = 0.841344746068543, 1 / (1 + e^-1) = 0.731058578630005,
    // tanh(1) = 0.761594155955765, PyTorch gelu(1, approximate='tanh') = 0.841191990607477
    jepa_tensor *one = jepa_new1(ctx, 2);
    one->data[0] = 1.0f;
    one->data[1] = -1.0f;
    CHECK_NEAR(jepa_gelu(ctx, one, 0)->data[0], 0.841344746068543, 1e-7);
    CHECK_NEAR(jepa_gelu(ctx, one, 0)->data[1], -0.158655253931457, 1e-7);
    CHECK_NEAR(jepa_gelu(ctx, one, 1)->data[0], 0.841191990607477, 1e-7);
    CHECK_NEAR(jepa_silu(ctx, one)->data[0], 0.731058578630005, 1e-7);
    CHECK_NEAR(jepa_sigmoid(ctx, one)->data[1], 0.268941421369995, 1e-7);
    CHECK_NEAR(jepa_tanh(ctx, one)->data[0], 0.761594155955765, 1e-7);
    CHECK(jepa_relu(ctx, one)->data[1] == 0.0f);
    // far tails: no overflow, no NaN
    one->data[0] = 200.0f;
    one->data[1] = -200.0f;
    jepa_tensor *sg = jepa_sigmoid(ctx, one), *si = jepa_silu(ctx, one);
    CHECK(sg->data[0] == 1.0f && sg->data[1] >= 0.0f && sg->data[1] < 1e-30f);
    CHECK(si->data[0] == 200.0f && si->data[1] <= 0.0f && si->data[1] > -1e-30f);
    for (int which = RELU; which <= SIGMOID; which++) {
        jepa_tensor *x = test_tensor(3, (int64_t[]){3, 5, 7}, 10 + which, -3, 3);
        test_avoid_zero(x, 0.05f); // relu's kink
        jepa_ctx_reset(ctx);
        act_args a = {which, 0};
        jepa_tensor *y = build_act(ctx, &x, &a);
        int bad = 0;
        for (int i = 0; i < 105; i++) {
            double want = oracle(which, x->data[i]);
            // float math against double: a few ulps of the value, or of 1 near 0
            bad += !(fabs(y->data[i] - want) <= 5e-7 * fabs(want) + 2e-7);
        }
        if (bad) fprintf(stderr, "%s: %d values off\n", names[which], bad);
        CHECK(bad == 0);
        // eps 1e-2, atol 1e-4, rtol 1e-3
        test_gradcheck(names[which], build_act, &a, &x, 1, 1e-2, 1e-4, 1e-3, 500);
        test_tensor_free(x);
    }
    jepa_ctx_free(ctx);
}

static void test_softmax(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    // rows sum to 1, match the formula in double, log-softmax = log(softmax)
    jepa_tensor *x = jepa_new3(ctx, 3, 5, 7);
    for (int i = 0; i < 105; i++) x->data[i] = 3.0f * sinf(1.7f * (float)i);
    for (int axis = 0; axis < 3; axis++) {
        jepa_tensor *s = jepa_softmax(ctx, x, axis - 3 * (axis == 2)); // -1 for the last
        jepa_tensor *l = jepa_log_softmax(ctx, x, axis);
        int64_t st[3] = {35, 7, 1}, n = x->shape[axis];
        int bad = 0;
        for (int i = 0; i < 105; i++) {
            int64_t pos = i / st[axis] % n;
            if (pos != 0) continue; // i starts a line along axis
            double total = 0.0, m = -INFINITY, z = 0.0;
            for (int64_t k = 0; k < n; k++) m = fmax(m, x->data[i + k * st[axis]]);
            for (int64_t k = 0; k < n; k++) z += exp(x->data[i + k * st[axis]] - m);
            for (int64_t k = 0; k < n; k++) {
                int64_t j = i + k * st[axis];
                total += s->data[j];
                double want = exp(x->data[j] - m) / z;
                bad += !(fabs(s->data[j] - want) <= 1e-6 * want + 1e-9);
                bad += !(fabs(l->data[j] - log(want)) <= 2e-6 * (1.0 + fabs(log(want))));
            }
            bad += !(fabs(total - 1.0) <= 1e-6);
        }
        CHECK(bad == 0);
    }
    // shifted by the maximum: huge inputs give the softmax of their differences
    jepa_tensor *big = jepa_new1(ctx, 3);
    big->data[0] = 1000.0f;
    big->data[1] = 1001.0f;
    big->data[2] = -1000.0f;
    jepa_tensor *bs = jepa_softmax(ctx, big, 0), *bl = jepa_log_softmax(ctx, big, 0);
    // 1 / (1 + e) = 0.268941421369995, log of it = -1.313261687518223
    CHECK_NEAR(bs->data[0], 0.268941421369995, 1e-7);
    CHECK_NEAR(bl->data[0], -1.313261687518223, 1e-6);
    CHECK(bs->data[2] == 0.0f && isfinite(bl->data[2]));
    jepa_ctx_free(ctx);

    for (int which = SOFTMAX; which <= LOG_SOFTMAX; which++)
        for (int axis = -1; axis < 3; axis++) {
            jepa_tensor *xin = test_tensor(3, (int64_t[]){3, 5, 7}, 20 + axis, -2, 2);
            act_args a = {which, axis};
            char name[40];
            snprintf(name, sizeof name, "%s axis %d", which == SOFTMAX ? "softmax" : "log_softmax",
                     axis);
            // eps 1e-2, atol 1e-4, rtol 1e-3
            test_gradcheck(name, build_act, &a, &xin, 1, 1e-2, 1e-4, 1e-3, 500);
            test_tensor_free(xin);
        }
}

static void test_softmax_kernel_against_naive(void) {
    // (outer, n, inner) with inner 1 (threads over rows) and inner > 1 (strided lines)
    int64_t dims[2][3] = {{301, 129, 1}, {7, 33, 151}};
    for (int c = 0; c < 2; c++) {
        int64_t n = dims[c][0] * dims[c][1] * dims[c][2];
        jepa_tensor *x = test_tensor(1, &n, 30 + c, -8, 8), *g = test_tensor(1, &n, 40 + c, -1, 1);
        float *y1 = malloc(sizeof(float) * (size_t)n), *y2 = malloc(sizeof(float) * (size_t)n);
        float *g1 = calloc((size_t)n, sizeof(float)), *g2 = calloc((size_t)n, sizeof(float));
        for (int log_out = 0; log_out < 2; log_out++) {
            jepa_softmax_kernel(y1, x->data, dims[c][0], dims[c][1], dims[c][2], log_out);
            jepa_softmax_kernel_ref(y2, x->data, dims[c][0], dims[c][1], dims[c][2], log_out);
            // float against double: a sum of up to 129 exps, a few ulps each
            double e = test_compare(y1, y2, n, 1e-8, 2e-6);
            memset(g1, 0, sizeof(float) * (size_t)n);
            memset(g2, 0, sizeof(float) * (size_t)n);
            jepa_softmax_backward_kernel(g1, g->data, y2, dims[c][0], dims[c][1], dims[c][2],
                                         log_out);
            jepa_softmax_backward_kernel_ref(g2, g->data, y2, dims[c][0], dims[c][1], dims[c][2],
                                             log_out);
            // sums of up to 129 terms of size <= 1 in float
            double eg = test_compare(g1, g2, n, 2e-6, 2e-5);
            if (!(e <= 1.0 && eg <= 1.0))
                fprintf(stderr, "softmax %d/%d: %g %g\n", c, log_out, e, eg);
            CHECK(e <= 1.0 && eg <= 1.0);
        }
        free(y1);
        free(y2);
        free(g1);
        free(g2);
        test_tensor_free(x);
        test_tensor_free(g);
    }
}

int main(void) {
    test_elementwise_activations();
    test_softmax();
    test_softmax_kernel_against_naive();
    return test_finish("test_activation");
}
