// Scaled dot-product attention: a hand-computed case, every mask against a double-precision
// oracle written here, the fused kernels against the naive ones across tile boundaries, and
// gradients of q, k and v against finite differences.
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

// ---- the oracle: PyTorch's definition, in double ----

// whether query i sees key j (PyTorch's is_causal is top-left aligned: j <= i)
static int oracle_sees(int mask, int block, int64_t i, int64_t j) {
    if (mask == JEPA_MASK_CAUSAL) return j <= i;
    if (mask == JEPA_MASK_BLOCK_CAUSAL) return j / block <= i / block;
    return 1;
}

// out (BH,Tq,Dv) = softmax(q k^T / sqrt(D) masked) v
static void oracle_attention(double *out, const float *q, const float *k, const float *v,
                             int64_t BH, int64_t Tq, int64_t Tk, int64_t D, int64_t Dv, int mask,
                             int block) {
    double *w = malloc(sizeof(double) * (size_t)Tk);
    for (int64_t b = 0; b < BH; b++)
        for (int64_t i = 0; i < Tq; i++) {
            double mx = -1e300, z = 0.0;
            for (int64_t j = 0; j < Tk; j++) {
                double s = 0.0;
                for (int64_t e = 0; e < D; e++)
                    s += (double)q[(b * Tq + i) * D + e] * k[(b * Tk + j) * D + e];
                w[j] = s / sqrt((double)D);
                if (oracle_sees(mask, block, i, j)) mx = fmax(mx, w[j]);
            }
            for (int64_t j = 0; j < Tk; j++) {
                w[j] = oracle_sees(mask, block, i, j) ? exp(w[j] - mx) : 0.0;
                z += w[j];
            }
            for (int64_t e = 0; e < Dv; e++) {
                double acc = 0.0;
                for (int64_t j = 0; j < Tk; j++) acc += w[j] / z * v[(b * Tk + j) * Dv + e];
                out[(b * Tq + i) * Dv + e] = acc;
            }
        }
    free(w);
}

static void test_by_hand(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    // D = 4, scale 1/2: q = 1, k0 = 0, k1 = ln(3)/2 -> scores 0, ln 3 -> p = 1/4, 3/4
    float ln3 = (float)log(3.0), h = 0.5f * ln3;
    float qv[8] = {1, 1, 1, 1, 1, 1, 1, 1}, kv[8] = {0, 0, 0, 0, h, h, h, h};
    float vv[4] = {2, -1, 6, 3};
    jepa_tensor *q = jepa_wrap(ctx, qv, NULL, 4, (int64_t[]){1, 1, 2, 4});
    jepa_tensor *k = jepa_wrap(ctx, kv, NULL, 4, (int64_t[]){1, 1, 2, 4});
    jepa_tensor *v = jepa_wrap(ctx, vv, NULL, 4, (int64_t[]){1, 1, 2, 2});
    jepa_tensor *y = jepa_attention(ctx, q, k, v, JEPA_MASK_NONE, 0);
    // 2/4 + 18/4 = 5, -1/4 + 9/4 = 2, for both queries
    CHECK_NEAR(y->data[0], 5.0, 1e-6);
    CHECK_NEAR(y->data[1], 2.0, 1e-6);
    CHECK_NEAR(y->data[2], 5.0, 1e-6);
    // causal: query 0 sees key 0 only (v0), query 1 both
    y = jepa_attention(ctx, q, k, v, JEPA_MASK_CAUSAL, 0);
    CHECK_NEAR(y->data[0], 2.0, 1e-6);
    CHECK_NEAR(y->data[1], -1.0, 1e-6);
    CHECK_NEAR(y->data[2], 5.0, 1e-6);
    CHECK_NEAR(y->data[3], 2.0, 1e-6);
    // block causal with frames of 2 tokens: both queries are in frame 0 and see both keys
    y = jepa_attention(ctx, q, k, v, JEPA_MASK_BLOCK_CAUSAL, 2);
    CHECK_NEAR(y->data[0], 5.0, 1e-6);
    // the saved logsumexp: log(e^0 + e^ln3) = log 4
    CHECK_NEAR(y->saved[0], log(4.0), 1e-6);
    jepa_ctx_free(ctx);
}

// the visible-prefix rule agrees with the masks' definitions, Tq != Tk both ways
static void test_visible(void) {
    for (int mask = 0; mask < 3; mask++)
        for (int block = 1; block <= 4; block++) {
            jepa_attention_dims d = {.BH = 1, .Tq = 9, .Tk = 6, .D = 1, .Dv = 1, .mask = mask, .block = block};
            for (int64_t i = 0; i < 9; i++) {
                int64_t n = 0;
                for (int64_t j = 0; j < 6; j++) n += oracle_sees(mask, block, i, j);
                CHECK(jepa_attention_visible(&d, i) == n);
            }
        }
}

typedef struct {
    int64_t B, H, Tq, Tk, D, Dv;
    int mask, block;
} att_case;

static void test_against_oracle(void) {
    att_case cases[] = {
        {2, 3, 7, 9, 5, 4, JEPA_MASK_NONE, 0},
        {2, 3, 7, 7, 5, 5, JEPA_MASK_CAUSAL, 0},
        {2, 3, 5, 9, 5, 4, JEPA_MASK_CAUSAL, 0},
        {2, 3, 9, 5, 5, 4, JEPA_MASK_CAUSAL, 0},
        {2, 3, 7, 7, 5, 5, JEPA_MASK_BLOCK_CAUSAL, 2},
        {2, 3, 7, 7, 5, 5, JEPA_MASK_BLOCK_CAUSAL, 3},
        {1, 2, 70, 130, 8, 6, JEPA_MASK_NONE, 0},
        {1, 2, 150, 150, 8, 6, JEPA_MASK_CAUSAL, 0},
        {1, 2, 150, 150, 8, 6, JEPA_MASK_BLOCK_CAUSAL, 16},
    };
    jepa_ctx *ctx = jepa_ctx_create(0);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        att_case a = cases[c];
        jepa_ctx_reset(ctx);
        jepa_tensor *q = test_tensor(4, (int64_t[]){a.B, a.H, a.Tq, a.D}, 1 + c, -2, 2);
        jepa_tensor *k = test_tensor(4, (int64_t[]){a.B, a.H, a.Tk, a.D}, 2 + c, -2, 2);
        jepa_tensor *v = test_tensor(4, (int64_t[]){a.B, a.H, a.Tk, a.Dv}, 3 + c, -1, 1);
        jepa_tensor *y = jepa_attention(ctx, q, k, v, a.mask, a.block);
        int64_t n = jepa_numel(y);
        double *ref = malloc(sizeof(double) * (size_t)n);
        oracle_attention(ref, q->data, k->data, v->data, a.B * a.H, a.Tq, a.Tk, a.D, a.Dv, a.mask,
                         a.block);
        double worst = 0.0;
        for (int64_t i = 0; i < n; i++) worst = fmax(worst, fabs(y->data[i] - ref[i]));
        CHECK(worst < 2e-6); // |v| <= 1, float exp and sums: a few ulps
        if (!(worst < 2e-6)) fprintf(stderr, "  case %zu: max error %g\n", c, worst);
        free(ref);
        test_tensor_free(q);
        test_tensor_free(k);
        test_tensor_free(v);
    }
    jepa_ctx_free(ctx);
}

// ---- fused against naive kernels, over several tiles of 64 ----

static void test_fused_against_naive(void) {
    jepa_attention_dims cases[] = {
        {.BH = 3, .Tq = 150, .Tk = 130, .D = 40, .Dv = 24, .mask = JEPA_MASK_NONE, .block = 1},
        {.BH = 3, .Tq = 150, .Tk = 150, .D = 40, .Dv = 24, .mask = JEPA_MASK_CAUSAL, .block = 1},
        {.BH = 3, .Tq = 100, .Tk = 200, .D = 16, .Dv = 16, .mask = JEPA_MASK_CAUSAL, .block = 1},
        {.BH = 3, .Tq = 150, .Tk = 150, .D = 40, .Dv = 24, .mask = JEPA_MASK_BLOCK_CAUSAL, .block = 16},
        {.BH = 3, .Tq = 131, .Tk = 131, .D = 33, .Dv = 17, .mask = JEPA_MASK_BLOCK_CAUSAL, .block = 3},
        {.BH = 2, .Tq = 1, .Tk = 1, .D = 5, .Dv = 3, .mask = JEPA_MASK_NONE, .block = 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const jepa_attention_dims *d = &cases[c];
        int64_t nq = d->BH * d->Tq * d->D, nk = d->BH * d->Tk * d->D, nv = d->BH * d->Tk * d->Dv;
        int64_t no = d->BH * d->Tq * d->Dv, nl = d->BH * d->Tq;
        jepa_tensor *q = test_tensor(1, (int64_t[]){nq}, 10 + c, -1.5f, 1.5f);
        jepa_tensor *k = test_tensor(1, (int64_t[]){nk}, 20 + c, -1.5f, 1.5f);
        jepa_tensor *v = test_tensor(1, (int64_t[]){nv}, 30 + c, -1, 1);
        jepa_tensor *g = test_tensor(1, (int64_t[]){no}, 40 + c, -1, 1);
        float *out = malloc(sizeof(float) * 2 * (size_t)(no + nl));
        float *out_ref = out + no, *lse = out + 2 * no, *lse_ref = lse + nl;
        float *scratch = malloc(sizeof(float) * 2 * (size_t)(d->Tq * d->Tk));
        float *grads = calloc(2 * (size_t)(nq + nk + nv), sizeof(float));
        float *dq = grads, *dk = dq + nq, *dv = dk + nk;
        float *dq_ref = dv + nv, *dk_ref = dq_ref + nq, *dv_ref = dk_ref + nk;

        jepa_attention_forward(out, lse, q->data, k->data, v->data, d);
        jepa_attention_forward_ref(out_ref, lse_ref, q->data, k->data, v->data, d, scratch);
        CHECK(test_compare(out, out_ref, no, 1e-6, 1e-5) <= 1.0); // float online softmax
        CHECK(test_compare(lse, lse_ref, nl, 1e-6, 1e-6) <= 1.0);
        jepa_attention_backward(dq, dk, dv, g->data, out, lse, q->data, k->data, v->data, d);
        jepa_attention_backward_ref(dq_ref, dk_ref, dv_ref, g->data, q->data, k->data, v->data, d,
                                    scratch);
        // sums over up to 200 keys / queries of O(1) float terms
        CHECK(test_compare(dq, dq_ref, nq, 1e-5, 1e-4) <= 1.0);
        CHECK(test_compare(dk, dk_ref, nk, 1e-5, 1e-4) <= 1.0);
        CHECK(test_compare(dv, dv_ref, nv, 1e-5, 1e-4) <= 1.0);
        // only dv asked for: the same dv added again, dq and dk untouched
        jepa_attention_backward(NULL, NULL, dv, g->data, out, lse, q->data, k->data, v->data, d);
        for (int64_t i = 0; i < nv; i++) dv_ref[i] *= 2.0f;
        CHECK(test_compare(dv, dv_ref, nv, 2e-5, 1e-4) <= 1.0);
        free(out);
        free(scratch);
        free(grads);
        test_tensor_free(q);
        test_tensor_free(k);
        test_tensor_free(v);
        test_tensor_free(g);
    }
}

// ---- gradients ----

typedef struct {
    int mask, block, permute;
} grad_case;

static jepa_tensor *build_attention(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    const grad_case *c = user;
    jepa_tensor *q = in[0];
    // q stored as (B, T, H, D), as a projection writes it, and permuted to (B, H, T, D)
    if (c->permute) q = jepa_permute(ctx, q, (int[]){0, 2, 1, 3});
    return jepa_attention(ctx, q, in[1], in[2], c->mask, c->block);
}

static void gradcheck_attention(const char *name, grad_case c, int64_t Tq, int64_t Tk, int64_t Dv,
                                int v_only) {
    const int64_t B = 2, H = 3, D = 5;
    int64_t qshape[4] = {B, H, Tq, D};
    if (c.permute) qshape[1] = Tq, qshape[2] = H;
    jepa_tensor *in[3] = {test_tensor(4, qshape, 60, -1.5f, 1.5f),
                          test_tensor(4, (int64_t[]){B, H, Tk, D}, 61, -1.5f, 1.5f),
                          test_tensor(4, (int64_t[]){B, H, Tk, Dv}, 62, -1, 1)};
    if (v_only) in[0]->requires_grad = in[1]->requires_grad = 0;
    // float32 forward, central differences in double with step 1e-2: 1e-4 absolute + 1e-3
    // relative (softmax curvature at these score scales keeps truncation below 1e-5)
    test_gradcheck(name, build_attention, &c, in, 3, 1e-2, 1e-4, 1e-3, 500);
    for (int i = 0; i < 3; i++) test_tensor_free(in[i]);
}

// ---- the qkv op: the same as splitting heads, attention and merging heads, without copies ----

// (B,T,3E) -> the composition of views the qkv op replaces
static jepa_tensor *attention_by_views(jepa_ctx *ctx, jepa_tensor *qkv, int64_t H, int mask, int block) {
    int64_t B = qkv->shape[0], T = qkv->shape[1], E = qkv->shape[2] / 3;
    jepa_tensor *x = jepa_permute(ctx, jepa_reshape(ctx, qkv, 5, (int64_t[]){B, T, 3, H, E / H}),
                                  (int[]){2, 0, 3, 1, 4});
    jepa_tensor *part[3];
    for (int i = 0; i < 3; i++)
        part[i] = jepa_reshape(ctx, jepa_slice(ctx, x, 0, i, i + 1), 4, (int64_t[]){B, H, T, E / H});
    jepa_tensor *o = jepa_permute(ctx, jepa_attention(ctx, part[0], part[1], part[2], mask, block),
                                  (int[]){0, 2, 1, 3});
    return jepa_reshape(ctx, o, 3, (int64_t[]){B, T, E});
}

static void test_qkv_against_views(int64_t B, int64_t T, int64_t E, int H, int mask, int block) {
    jepa_tensor *qkv = test_tensor(3, (int64_t[]){B, T, 3 * E}, 70, -1.5f, 1.5f);
    jepa_tensor *up = test_tensor(3, (int64_t[]){B, T, E}, 71, -1, 1);
    float *grad[2], *out[2];
    for (int path = 0; path < 2; path++) {
        jepa_ctx *ctx = jepa_ctx_create(0);
        jepa_tensor *x = jepa_wrap(ctx, qkv->data, NULL, 3, qkv->shape);
        jepa_requires_grad(ctx, x);
        jepa_tensor *y = path ? attention_by_views(ctx, x, H, mask, block)
                              : jepa_attention_qkv(ctx, x, H, mask, block);
        CHECK(jepa_backward_seed(ctx, y, up->data) == JEPA_OK);
        out[path] = malloc(sizeof(float) * (size_t)(B * T * E));
        grad[path] = malloc(sizeof(float) * (size_t)(B * T * 3 * E));
        memcpy(out[path], y->data, sizeof(float) * (size_t)(B * T * E));
        memcpy(grad[path], x->grad, sizeof(float) * (size_t)(B * T * 3 * E));
        jepa_ctx_free(ctx);
    }
    // the same kernels on the same numbers in another layout: equal up to summation order
    CHECK(test_compare(out[0], out[1], B * T * E, 1e-6, 1e-5) <= 1.0);
    CHECK(test_compare(grad[0], grad[1], B * T * 3 * E, 1e-6, 1e-5) <= 1.0);
    for (int path = 0; path < 2; path++) free(out[path]), free(grad[path]);
    test_tensor_free(qkv);
    test_tensor_free(up);
}

static jepa_tensor *build_qkv(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    const grad_case *c = user;
    return jepa_attention_qkv(ctx, in[0], 3, c->mask, c->block);
}

int main(void) {
    test_by_hand();
    test_visible();
    test_against_oracle();
    test_fused_against_naive();

    gradcheck_attention("attention none Tq7 Tk9", (grad_case){JEPA_MASK_NONE, 0, 0}, 7, 9, 4, 0);
    gradcheck_attention("attention causal", (grad_case){JEPA_MASK_CAUSAL, 0, 0}, 7, 7, 5, 0);
    gradcheck_attention("attention causal Tq9 Tk7", (grad_case){JEPA_MASK_CAUSAL, 0, 0}, 9, 7, 5,
                        0);
    gradcheck_attention("attention block 2", (grad_case){JEPA_MASK_BLOCK_CAUSAL, 2, 0}, 7, 7, 5, 0);
    gradcheck_attention("attention block 3", (grad_case){JEPA_MASK_BLOCK_CAUSAL, 3, 0}, 7, 7, 5, 0);
    gradcheck_attention("attention strided q", (grad_case){JEPA_MASK_BLOCK_CAUSAL, 3, 1}, 7, 7, 5,
                        0);
    gradcheck_attention("attention v only", (grad_case){JEPA_MASK_CAUSAL, 0, 0}, 7, 7, 5, 1);
    // two 64-query tiles and a partial one; one head, and three heads of odd width
    test_qkv_against_views(2, 150, 48, 4, JEPA_MASK_NONE, 1);
    test_qkv_against_views(3, 131, 21, 3, JEPA_MASK_CAUSAL, 1);
    test_qkv_against_views(2, 70, 10, 1, JEPA_MASK_BLOCK_CAUSAL, 7);
    // (B, T, 3E) = (2, 7, 3 * 15) with 3 heads of 5; tolerances as for the split op above
    jepa_tensor *qkv = test_tensor(3, (int64_t[]){2, 7, 45}, 72, -1.5f, 1.5f);
    test_gradcheck("attention_qkv block 3", build_qkv, &(grad_case){JEPA_MASK_BLOCK_CAUSAL, 3, 0}, &qkv,
                   1, 1e-2, 1e-4, 1e-3, 500);
    test_gradcheck("attention_qkv none", build_qkv, &(grad_case){JEPA_MASK_NONE, 0, 0}, &qkv, 1, 1e-2,
                   1e-4, 1e-3, 500);
    test_tensor_free(qkv);
    return test_finish("test_attention");
}
