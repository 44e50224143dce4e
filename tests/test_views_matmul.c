// Views and matmul: values against naive loops, gradients against finite differences, and
// the BLAS GEMM against the naive one.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct {
    int ta, tb;
} mm_args;

static jepa_tensor *build_matmul(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    mm_args *m = user;
    return jepa_matmul(ctx, in[0], in[1], m->ta, m->tb);
}

// permute, slice, transpose, reshape and expand in one chain, so every view's backward runs
static jepa_tensor *build_views(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    (void)user;
    jepa_tensor *x = in[0];                                      // (3, 5, 7)
    jepa_tensor *p = jepa_permute(ctx, x, (int[]){2, 0, 1});     // (7, 3, 5)
    jepa_tensor *s = jepa_slice(ctx, p, 0, 1, 6);                // (5, 3, 5)
    jepa_tensor *t = jepa_transpose(ctx, s, -1, 1);              // (5, 5, 3)
    jepa_tensor *r = jepa_reshape(ctx, t, 2, (int64_t[]){-1, 3}); // (25, 3) copy then view
    jepa_tensor *e = jepa_expand(ctx, jepa_slice(ctx, in[1], 0, 0, 1), 2, (int64_t[]){3, 4});
    return jepa_matmul(ctx, r, e, 0, 0); // (25, 4)
}

static void test_gemm_against_naive(void) {
    // odd sizes, every transpose combination, strided leading dimensions, beta 0 and 1
    int64_t sizes[][3] = {{3, 5, 7}, {1, 1, 1}, {17, 31, 13}, {64, 64, 64}, {100, 3, 129}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int beta = 0; beta < 2; beta++) {
                    int64_t lda = (ta ? M : K) + 2, ldb = (tb ? K : N) + 1, ldc = N + 3;
                    jepa_tensor *A = test_tensor(1, (int64_t[]){(ta ? K : M) * lda}, 1, -1, 1);
                    jepa_tensor *B = test_tensor(1, (int64_t[]){(tb ? N : K) * ldb}, 2, -1, 1);
                    jepa_tensor *C1 = test_tensor(1, (int64_t[]){M * ldc}, 3, -1, 1);
                    jepa_tensor *C2 = test_tensor(1, (int64_t[]){M * ldc}, 3, -1, 1);
                    jepa_sgemm(ta, tb, M, N, K, 0.5f, A->data, lda, B->data, ldb, (float)beta,
                               C1->data, ldc);
                    jepa_sgemm_ref(ta, tb, M, N, K, 0.5f, A->data, lda, B->data, ldb,
                                   (float)beta, C2->data, ldc);
                    // float32 accumulation over K terms of size <= 1: error ~ K * 2^-24
                    double tol = 1e-6 * (double)K + 1e-6;
                    CHECK(test_compare(C1->data, C2->data, M * ldc, tol, 1e-5) <= 1.0);
                    test_tensor_free(A);
                    test_tensor_free(B);
                    test_tensor_free(C1);
                    test_tensor_free(C2);
                }
    }
}

// shapes that cross the kernel's tiles (6 rows x 1-4 vectors) and blocks (K 256, N 512), every
// row count 1..6 of the last tile, every transpose
static void test_gemm_block_edges(void) {
    int64_t dims[] = {1, 14, 33, 34, 97, 257}; // last tile of 1, 2, 3, 4, 1, 5 rows
    int64_t depths[] = {1, 31, 257, 600};
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (size_t e = 0; e < sizeof dims / sizeof dims[0]; e++)
            for (size_t f = 0; f < sizeof depths / sizeof depths[0]; f++) {
                int64_t M = dims[d], N = dims[(d + e) % 6], K = depths[f];
                if (M * N * K > 257 * 97 * 600) N = dims[e % 3]; // keep the naive loops short
                int ta = (int)(e & 1), tb = (int)((d + f) & 1);
                float alpha = 0.75f, beta = (e + f) % 3 == 0 ? 0.0f : -0.5f;
                int64_t lda = (ta ? M : K) + 5, ldb = (tb ? K : N) + 3, ldc = N + 7;
                jepa_tensor *A = test_tensor(1, (int64_t[]){(ta ? K : M) * lda}, 11, -1, 1);
                jepa_tensor *B = test_tensor(1, (int64_t[]){(tb ? N : K) * ldb}, 12, -1, 1);
                jepa_tensor *C1 = test_tensor(1, (int64_t[]){M * ldc}, 13, -1, 1);
                jepa_tensor *C2 = test_tensor(1, (int64_t[]){M * ldc}, 13, -1, 1);
                jepa_sgemm(ta, tb, M, N, K, alpha, A->data, lda, B->data, ldb, beta, C1->data,
                           ldc);
                jepa_sgemm_ref(ta, tb, M, N, K, alpha, A->data, lda, B->data, ldb, beta,
                               C2->data, ldc);
                // float32 accumulation over K terms of size <= 1: error ~ K * 2^-24; the padding
                // between rows (ldc > N) must stay as it was
                double tol = 1e-6 * (double)K + 1e-6;
                CHECK(test_compare(C1->data, C2->data, M * ldc, tol, 1e-5) <= 1.0);
                test_tensor_free(A);
                test_tensor_free(B);
                test_tensor_free(C1);
                test_tensor_free(C2);
            }
}

// beta 0 must not read C: a C full of NaN comes out finite and equal to the naive product (N
// crosses the kernel's 512-column block)
static void test_gemm_beta0_ignores_nan(void) {
    int64_t M = 33, N = 600, K = 300;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            jepa_tensor *A = test_tensor(1, (int64_t[]){M * K}, 21, -1, 1);
            jepa_tensor *B = test_tensor(1, (int64_t[]){K * N}, 22, -1, 1);
            jepa_tensor *C1 = test_tensor(1, (int64_t[]){M * N}, 23, -1, 1);
            jepa_tensor *C2 = test_tensor(1, (int64_t[]){M * N}, 23, -1, 1);
            for (int64_t i = 0; i < M * N; i++) C1->data[i] = NAN;
            jepa_sgemm(ta, tb, M, N, K, 1.0f, A->data, ta ? M : K, B->data, tb ? K : N, 0.0f,
                       C1->data, N);
            jepa_sgemm_ref(ta, tb, M, N, K, 1.0f, A->data, ta ? M : K, B->data, tb ? K : N, 0.0f,
                           C2->data, N);
            int finite = 1;
            for (int64_t i = 0; i < M * N; i++) finite &= isfinite(C1->data[i]) != 0;
            CHECK(finite);
            // tolerance as above: K * 2^-24 per unit term
            CHECK(test_compare(C1->data, C2->data, M * N, 1e-6 * (double)K + 1e-6, 1e-5) <= 1.0);
            test_tensor_free(A);
            test_tensor_free(B);
            test_tensor_free(C1);
            test_tensor_free(C2);
        }
}

// two threads split C between them and give bit for bit what one thread gives
static void test_gemm_threads_agree(void) {
    int64_t shapes[][3] = {{97, 257, 300}, {600, 31, 70}, {40, 700, 200}}; // split M, M, N
    for (size_t s = 0; s < 3; s++) {
        int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        jepa_tensor *A = test_tensor(1, (int64_t[]){M * K}, 31, -1, 1);
        jepa_tensor *B = test_tensor(1, (int64_t[]){K * N}, 32, -1, 1);
        jepa_tensor *C1 = test_tensor(1, (int64_t[]){M * N}, 33, -1, 1);
        jepa_tensor *C2 = test_tensor(1, (int64_t[]){M * N}, 33, -1, 1);
        int before = jepa_threads_get();
        jepa_threads_set(1);
        jepa_sgemm(0, 1, M, N, K, 1.0f, A->data, K, B->data, K, 1.0f, C1->data, N);
        jepa_threads_set(2);
        jepa_sgemm(0, 1, M, N, K, 1.0f, A->data, K, B->data, K, 1.0f, C2->data, N);
        jepa_threads_set(before);
        CHECK(memcmp(C1->data, C2->data, sizeof(float) * (size_t)(M * N)) == 0);
        test_tensor_free(A);
        test_tensor_free(B);
        test_tensor_free(C1);
        test_tensor_free(C2);
    }
}

static void test_view_values(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_tensor *x = jepa_new3(ctx, 3, 5, 7);
    for (int i = 0; i < 105; i++) x->data[i] = (float)i;
    jepa_tensor *p = jepa_permute(ctx, x, (int[]){2, 0, 1});
    // p[k, i, j] = x[i, j, k]
    CHECK(p->shape[0] == 7 && p->shape[1] == 3 && p->shape[2] == 5);
    CHECK(p->data[jepa_offset(p, (int64_t[]){4, 2, 3})] == (float)(2 * 35 + 3 * 7 + 4));
    CHECK(!jepa_is_contiguous(p));
    jepa_tensor *c = jepa_contiguous(ctx, p);
    CHECK(jepa_is_contiguous(c) && c->data[(4 * 3 + 2) * 5 + 3] == (float)(2 * 35 + 3 * 7 + 4));
    jepa_tensor *s = jepa_slice(ctx, x, 1, 2, 4); // (3, 2, 7)
    CHECK(s->data[jepa_offset(s, (int64_t[]){1, 1, 6})] == (float)(35 + 3 * 7 + 6));
    jepa_tensor *r = jepa_reshape(ctx, x, 2, (int64_t[]){15, -1});
    CHECK(r->shape[1] == 7 && r->data == x->data); // a view, no copy
    jepa_tensor *e = jepa_expand(ctx, jepa_slice(ctx, x, 0, 0, 1), 4, (int64_t[]){2, 3, 5, 7});
    CHECK(e->data[jepa_offset(e, (int64_t[]){1, 2, 4, 6})] == (float)(4 * 7 + 6));
    jepa_ctx_free(ctx);
}

// gathers big enough to be split between threads (rows of 1001 floats of a permuted view,
// rows of 3 strided floats, a contiguous tensor in 4 blocks with a short last one): every
// element where jepa_offset says, on 1 and 2 threads
static void test_gather_in_chunks(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    int64_t A = 3, B = 70, C = 1001, n = A * B * C;
    jepa_tensor *x = jepa_new3(ctx, A, B, C);
    for (int64_t i = 0; i < n; i++) x->data[i] = (float)i;
    jepa_tensor *views[3] = {jepa_permute(ctx, x, (int[]){1, 0, 2}),
                             jepa_permute(ctx, x, (int[]){2, 1, 0}), x};
    float *out = malloc(sizeof(float) * (size_t)n);
    int before = jepa_threads_get();
    for (int threads = 1; threads <= 2; threads++) {
        jepa_threads_set(threads);
        for (int v = 0; v < 3; v++) {
            const jepa_tensor *t = views[v];
            for (int64_t i = 0; i < n; i++) out[i] = NAN;
            jepa_tensor_gather(out, t);
            int64_t bad = 0;
            for (int64_t i = 0; i < n; i++) {
                int64_t index[3] = {i / (t->shape[1] * t->shape[2]), i / t->shape[2] % t->shape[1],
                                    i % t->shape[2]};
                bad += out[i] != t->data[jepa_offset(t, index)];
            }
            CHECK(bad == 0);
        }
    }
    jepa_threads_set(before);
    free(out);
    jepa_ctx_free(ctx);
}

static void test_no_grad_records_nothing(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_tensor *a = jepa_zeros(ctx, 2, (int64_t[]){4, 4});
    jepa_requires_grad(ctx, a);
    jepa_ctx_set_grad(ctx, 0);
    jepa_tensor *b = jepa_matmul(ctx, a, jepa_transpose(ctx, a, 0, 1), 0, 0);
    CHECK(jepa_ctx_tape_size(ctx) == 0 && !b->requires_grad);
    jepa_ctx_set_grad(ctx, 1);
    b = jepa_matmul(ctx, a, a, 0, 0);
    CHECK(jepa_ctx_tape_size(ctx) == 1 && b->requires_grad);
    jepa_ctx_free(ctx);
}

static void test_gradients_accumulate(void) {
    // two backward passes add: grad = 2 x the single-pass grad
    jepa_tensor *a = test_tensor(2, (int64_t[]){3, 5}, 4, -1, 1);
    jepa_tensor *b = test_tensor(2, (int64_t[]){5, 7}, 5, -1, 1);
    float once[15];
    jepa_ctx *ctx = jepa_ctx_create(0);
    float ones[21];
    for (int i = 0; i < 21; i++) ones[i] = 1.0f;
    for (int pass = 0; pass < 2; pass++) {
        jepa_ctx_reset(ctx);
        jepa_tensor *c = jepa_matmul(ctx, a, b, 0, 0);
        CHECK(jepa_backward_seed(ctx, c, ones) == JEPA_OK);
        if (pass == 0) memcpy(once, a->grad, sizeof once);
    }
    for (int i = 0; i < 15; i++) CHECK_NEAR(a->grad[i], 2.0f * once[i], 1e-5);
    jepa_ctx_free(ctx);
    test_tensor_free(a);
    test_tensor_free(b);
}

int main(void) {
    test_gemm_against_naive();
    test_gemm_block_edges();
    test_gemm_beta0_ignores_nan();
    test_gemm_threads_agree();
    test_view_values();
    test_gather_in_chunks();
    test_no_grad_records_nothing();
    test_gradients_accumulate();

    // matmul: every transpose, batched and with a shared 2-D right operand
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            mm_args m = {ta, tb};
            jepa_tensor *in[2] = {
                test_tensor(3, (int64_t[]){2, ta ? 5 : 3, ta ? 3 : 5}, 10, -1, 1),
                test_tensor(3, (int64_t[]){2, tb ? 7 : 5, tb ? 5 : 7}, 11, -1, 1)};
            char name[32];
            snprintf(name, sizeof name, "matmul ta=%d tb=%d", ta, tb);
            test_gradcheck(name, build_matmul, &m, in, 2, 1e-2, 1e-4, 1e-3, 500);
            jepa_tensor *shared[2] = {in[0],
                                      test_tensor(2, (int64_t[]){tb ? 7 : 5, tb ? 5 : 7}, 12, -1, 1)};
            snprintf(name, sizeof name, "matmul shared ta=%d tb=%d", ta, tb);
            test_gradcheck(name, build_matmul, &m, shared, 2, 1e-2, 1e-4, 1e-3, 500);
            test_tensor_free(in[0]);
            test_tensor_free(in[1]);
            test_tensor_free(shared[1]);
        }
    jepa_tensor *v[2] = {test_tensor(3, (int64_t[]){3, 5, 7}, 20, -1, 1),
                         test_tensor(2, (int64_t[]){2, 4}, 21, -1, 1)};
    test_gradcheck("views", build_views, NULL, v, 2, 1e-2, 1e-4, 1e-3, 1000);
    test_tensor_free(v[0]);
    test_tensor_free(v[1]);
    return test_finish("test_views_matmul");
}
