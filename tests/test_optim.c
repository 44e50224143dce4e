// Parameters and optimizers: AdamW and SGD against the update rules of torch.optim written out
// in double, the schedule at analytic points, clipping, EMA.
#include <stdlib.h>
#include <string.h>

#include "jepa/optim.h"
#include "testutil.h"

static void make_params(jepa_params *p) {
    jepa_params_init(p);
    CHECK(jepa_params_add(p, "layer.weight", 2, (int64_t[]){3, 5}, 0) == 0);
    CHECK(jepa_params_add(p, "layer.bias", 1, (int64_t[]){3}, 1) == 1);
    CHECK(jepa_params_add_buffer(p, "norm.running_mean", 1, (int64_t[]){2}) == 2);
    CHECK(jepa_params_finalize(p) == JEPA_OK);
    for (int64_t i = 0; i < p->total; i++) p->data[i] = 0.1f * (float)(i % 7) - 0.3f;
}

// the gradient fed at step t for float i (deterministic, sign-changing)
static float grad_at(int t, int64_t i) { return 0.05f * (float)((i * 7 + t * 3) % 11) - 0.25f; }

static void test_params_table(void) {
    jepa_params p;
    make_params(&p);
    CHECK(p.total == 20);
    CHECK(jepa_params_trainable_count(&p) == 18);
    CHECK(jepa_params_find(&p, "layer.bias") == 1 && jepa_params_find(&p, "nope") == -1);
    jepa_tensor *b = jepa_params_tensor(&p, 1);
    CHECK(b->data == p.data + 15 && b->grad == p.grad + 15 && b->requires_grad);
    CHECK(jepa_params_tensor(&p, 2)->grad == NULL);
    jepa_params_free(&p);
}

static void test_adamw(void) {
    const double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
    jepa_params p;
    make_params(&p);
    double w[20], m[20] = {0}, v[20] = {0};
    for (int i = 0; i < 20; i++) w[i] = p.data[i];
    jepa_adamw opt;
    CHECK(jepa_adamw_init(&opt, &p, (float)b1, (float)b2, (float)eps, (float)wd) == JEPA_OK);
    for (int t = 1; t <= 5; t++) {
        for (int64_t i = 0; i < 18; i++) p.grad[i] = grad_at(t, i);
        jepa_adamw_step(&opt, &p, (float)lr);
        // torch.optim.AdamW: p *= 1 - lr*wd; m, v; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
        for (int i = 0; i < 18; i++) {
            double g = grad_at(t, i), decay = i < 15 ? wd : 0.0;
            w[i] *= 1.0 - lr * decay;
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            double bc1 = 1 - pow(b1, t), bc2 = 1 - pow(b2, t);
            w[i] -= lr / bc1 * m[i] / (sqrt(v[i]) / sqrt(bc2) + eps);
        }
    }
    for (int i = 0; i < 20; i++) CHECK_NEAR(p.data[i], w[i], 1e-6); // float vs double, 5 steps
    // buffers untouched
    CHECK(p.data[18] == 0.1f * (float)(18 % 7) - 0.3f && p.data[19] == 0.1f * (float)(19 % 7) - 0.3f);
    jepa_adamw_free(&opt);
    jepa_params_free(&p);
}

static void test_sgd(void) {
    for (int nesterov = 0; nesterov < 2; nesterov++) {
        const double lr = 0.1, mu = 0.9, wd = 0.01;
        jepa_params p;
        make_params(&p);
        double w[20], buf[20] = {0};
        for (int i = 0; i < 20; i++) w[i] = p.data[i];
        jepa_sgd opt;
        CHECK(jepa_sgd_init(&opt, &p, (float)mu, nesterov, (float)wd) == JEPA_OK);
        for (int t = 1; t <= 5; t++) {
            for (int64_t i = 0; i < 18; i++) p.grad[i] = grad_at(t, i);
            jepa_sgd_step(&opt, &p, (float)lr);
            for (int i = 0; i < 18; i++) {
                double d = grad_at(t, i) + (i < 15 ? wd : 0.0) * w[i];
                buf[i] = t == 1 ? d : mu * buf[i] + d;
                d = nesterov ? d + mu * buf[i] : buf[i];
                w[i] -= lr * d;
            }
        }
        for (int i = 0; i < 20; i++) CHECK_NEAR(p.data[i], w[i], 1e-6);
        jepa_sgd_free(&opt);
        jepa_params_free(&p);
    }
}

static void test_schedule(void) {
    // warm-up 10 steps to 1e-3, cosine to 1e-5 at step 110
    CHECK_NEAR(jepa_lr_warmup_cosine(0, 10, 110, 1e-3f, 1e-5f), 1e-4, 1e-9);
    CHECK_NEAR(jepa_lr_warmup_cosine(9, 10, 110, 1e-3f, 1e-5f), 1e-3, 1e-9);
    CHECK_NEAR(jepa_lr_warmup_cosine(10, 10, 110, 1e-3f, 1e-5f), 1e-3, 1e-9);
    CHECK_NEAR(jepa_lr_warmup_cosine(60, 10, 110, 1e-3f, 1e-5f), 0.5 * (1e-3 + 1e-5), 1e-9);
    CHECK_NEAR(jepa_lr_warmup_cosine(110, 10, 110, 1e-3f, 1e-5f), 1e-5, 1e-12);
    CHECK_NEAR(jepa_lr_warmup_cosine(500, 10, 110, 1e-3f, 1e-5f), 1e-5, 1e-12);
}

static void test_clip_and_ema(void) {
    jepa_params p;
    make_params(&p);
    double sum = 0;
    for (int64_t i = 0; i < 18; i++) {
        p.grad[i] = grad_at(1, i) * 10.0f;
        sum += (double)p.grad[i] * p.grad[i];
    }
    float norm = jepa_clip_grad_norm(&p, 1.0f);
    CHECK_NEAR(norm, sqrt(sum), 1e-4);
    double after = 0;
    for (int64_t i = 0; i < 18; i++) after += (double)p.grad[i] * p.grad[i];
    CHECK_NEAR(sqrt(after), 1.0, 1e-5);
    // under the limit: unchanged
    float before0 = p.grad[0];
    jepa_clip_grad_norm(&p, 10.0f);
    CHECK(p.grad[0] == before0);
    // a NaN is reported and nothing is scaled
    p.grad[3] = NAN;
    CHECK(isnan(jepa_clip_grad_norm(&p, 1.0f)) && p.grad[0] == before0);

    jepa_params q;
    make_params(&q);
    for (int64_t i = 0; i < q.total; i++) q.data[i] = 1.0f;
    jepa_ema_update(&q, &p, 0.99f);
    for (int64_t i = 0; i < q.total; i++) CHECK_NEAR(q.data[i], 0.99 + 0.01 * p.data[i], 1e-6);
    jepa_params_free(&q);
    jepa_params_free(&p);
}

int main(void) {
    test_params_table();
    test_adamw();
    test_sgd();
    test_schedule();
    test_clip_and_ema();
    return test_finish("test_optim");
}
