// The fused linear (GEMM with a bias + ReLU epilogue): the kernel against the naive one, the op
// against matmul -> bias_add -> relu bit for bit (values and gradients), and its gradients
// against finite differences.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

// every transpose, bias or not, ReLU or not, shapes across the 6 x 64 tiles and K blocks
static void test_kernel_against_naive(void) {
    int64_t sizes[][3] = {{3, 5, 7}, {1, 1, 1}, {13, 65, 258}, {7, 130, 321}, {300, 64, 700}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int mode = 0; mode < 4; mode++) {
                    int has_bias = mode & 1, relu = mode >> 1;
                    int64_t lda = (ta ? M : K) + 1, ldb = (tb ? K : N) + 2, ldc = N + 3;
                    jepa_tensor *A = test_tensor(1, (int64_t[]){(ta ? K : M) * lda}, 1, -1, 1);
                    jepa_tensor *B = test_tensor(1, (int64_t[]){(tb ? N : K) * ldb}, 2, -1, 1);
                    jepa_tensor *bias = test_tensor(1, (int64_t[]){N}, 3, -1, 1);
                    jepa_tensor *C1 = test_tensor(1, (int64_t[]){M * ldc}, 4, -1, 1);
                    jepa_tensor *C2 = test_tensor(1, (int64_t[]){M * ldc}, 4, -1, 1);
                    const float *b = has_bias ? bias->data : NULL;
                    jepa_sgemm_bias_act(ta, tb, M, N, K, A->data, lda, B->data, ldb, b, relu,
                                        C1->data, ldc);
                    jepa_sgemm_bias_act_ref(ta, tb, M, N, K, A->data, lda, B->data, ldb, b, relu,
                                            C2->data, ldc);
                    // float32 accumulation over K terms of size <= 1: error ~ K * 2^-24; the
                    // padding between rows (ldc > N) must be left as it was, exactly
                    double tol = 1e-6 * (double)K + 1e-6;
                    CHECK(test_compare(C1->data, C2->data, M * ldc, tol, 1e-5) <= 1.0);
                    test_tensor_free(A);
                    test_tensor_free(B);
                    test_tensor_free(bias);
                    test_tensor_free(C1);
                    test_tensor_free(C2);
                }
    }
}

// ReLU maps NaN to 0 and -0 to +0, as jepa_relu; without it NaN passes through
static void test_kernel_nan(void) {
    float A[2 * 3] = {NAN, 1, 2, 0, 0, 0}, B[3 * 2] = {1, 1, 1, 1, 1, 1}, bias[2] = {0, -0.0f};
    float C[4];
    jepa_sgemm_bias_act(0, 0, 2, 2, 3, A, 3, B, 2, bias, 1, C, 2);
    CHECK(C[0] == 0.0f && C[1] == 0.0f && !signbit(C[2]) && !signbit(C[3]));
    jepa_sgemm_bias_act(0, 0, 2, 2, 3, A, 3, B, 2, bias, 0, C, 2);
    CHECK(isnan(C[0]) && isnan(C[1]));
}

// one thread and two give the same bits
static void test_kernel_threads_agree(void) {
    int64_t M = 300, N = 512, K = 258;
    jepa_tensor *A = test_tensor(2, (int64_t[]){M, K}, 5, -1, 1);
    jepa_tensor *B = test_tensor(2, (int64_t[]){N, K}, 6, -1, 1);
    jepa_tensor *bias = test_tensor(1, (int64_t[]){N}, 7, -1, 1);
    jepa_tensor *C1 = test_tensor(2, (int64_t[]){M, N}, 8, 0, 1);
    jepa_tensor *C2 = test_tensor(2, (int64_t[]){M, N}, 9, 0, 1);
    int before = jepa_threads_get();
    jepa_threads_set(1);
    jepa_sgemm_bias_act(0, 1, M, N, K, A->data, K, B->data, K, bias->data, 1, C1->data, N);
    jepa_threads_set(2);
    jepa_sgemm_bias_act(0, 1, M, N, K, A->data, K, B->data, K, bias->data, 1, C2->data, N);
    jepa_threads_set(before);
    CHECK(memcmp(C1->data, C2->data, sizeof(float) * (size_t)(M * N)) == 0);
    test_tensor_free(A);
    test_tensor_free(B);
    test_tensor_free(bias);
    test_tensor_free(C1);
    test_tensor_free(C2);
}

// in a reuse scope, B operands packed by one call serve the next ones: the same bits as without
// the scope, across blocks of columns and of K (N, K = 700: three of each in either kernel), for
// two Bs used in turn
static void test_kernel_reuse(void) {
    int64_t sizes[][3] = {{13, 700, 700}, {7, 65, 258}, {300, 512, 258}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
        for (int tb = 0; tb < 2; tb++) {
            jepa_tensor *B[2] = {test_tensor(2, (int64_t[]){N, K}, 30, -1, 1),
                                 test_tensor(2, (int64_t[]){N, K}, 31, -1, 1)};
            jepa_tensor *bias = test_tensor(1, (int64_t[]){N}, 32, -1, 1);
            jepa_tensor *X[3], *want[3][2], *got[3][2];
            int64_t ldb = tb ? K : N;
            // one thread throughout
            int before = jepa_threads_get();
            jepa_threads_set(1);
            for (int r = 0; r < 3; r++) {
                X[r] = test_tensor(2, (int64_t[]){M, K}, 33 + (uint64_t)r, -1, 1);
                for (int b = 0; b < 2; b++) {
                    want[r][b] = test_tensor(2, (int64_t[]){M, N}, 40, 0, 1);
                    got[r][b] = test_tensor(2, (int64_t[]){M, N}, 41, 0, 1);
                    jepa_sgemm_bias_act(0, tb, M, N, K, X[r]->data, K, B[b]->data, ldb,
                                        bias->data, 1, want[r][b]->data, N);
                }
            }
            jepa_sgemm_reuse_begin();
            for (int r = 0; r < 3; r++)
                for (int b = 0; b < 2; b++)
                    jepa_sgemm_bias_act(0, tb, M, N, K, X[r]->data, K, B[b]->data, ldb,
                                        bias->data, 1, got[r][b]->data, N);
            jepa_sgemm_reuse_end();
            jepa_threads_set(before);
            for (int r = 0; r < 3; r++)
                for (int b = 0; b < 2; b++) {
                    CHECK(memcmp(got[r][b]->data, want[r][b]->data,
                                 sizeof(float) * (size_t)(M * N)) == 0);
                    test_tensor_free(want[r][b]);
                    test_tensor_free(got[r][b]);
                }
            for (int r = 0; r < 3; r++) test_tensor_free(X[r]);
            test_tensor_free(B[0]);
            test_tensor_free(B[1]);
            test_tensor_free(bias);
        }
    }
}

// a tagged scope's copies outlive it: the next scope of the same tag reads them (so a B changed
// in place meanwhile, against the contract, still gives the old product, which shows the copy
// was kept), while a new tag or an untagged scope packs B again
static void test_kernel_reuse_tagged(void) {
    int64_t M = 30, N = 40, K = 50;
    jepa_tensor *X = test_tensor(2, (int64_t[]){M, K}, 50, -1, 1);
    jepa_tensor *B = test_tensor(2, (int64_t[]){N, K}, 51, -1, 1);
    jepa_tensor *B2 = test_tensor(2, (int64_t[]){N, K}, 52, -1, 1);
    jepa_tensor *C[2], *got = test_tensor(2, (int64_t[]){M, N}, 53, 0, 1);
    size_t bytes = sizeof(float) * (size_t)(M * N), bbytes = sizeof(float) * (size_t)(N * K);
    int before = jepa_threads_get();
    jepa_threads_set(1);
    for (int b = 0; b < 2; b++) { // the products with B and with B2
        C[b] = test_tensor(2, (int64_t[]){M, N}, 54, 0, 1);
        jepa_sgemm_bias_act(0, 1, M, N, K, X->data, K, (b ? B2 : B)->data, K, NULL, 0,
                            C[b]->data, N);
    }
    float *saved = malloc(bbytes);
    CHECK(saved != NULL);
    memcpy(saved, B->data, bbytes);
    uint64_t tag = jepa_sgemm_reuse_new_tag(), other = jepa_sgemm_reuse_new_tag();
    CHECK(tag != 0 && other != 0 && tag != other);
    for (int round = 0; round < 3; round++) {
        memcpy(B->data, saved, bbytes);
        jepa_sgemm_reuse_begin_tagged(tag);
        jepa_sgemm_bias_act(0, 1, M, N, K, X->data, K, B->data, K, NULL, 0, got->data, N);
        jepa_sgemm_reuse_end();
        CHECK(memcmp(got->data, C[0]->data, bytes) == 0);
        memcpy(B->data, B2->data, bbytes); // B changed in place
        // the same tag: the kept copy; another tag (round 1) or none (round 2): the new B
        if (round == 0) jepa_sgemm_reuse_begin_tagged(tag);
        if (round == 1) jepa_sgemm_reuse_begin_tagged(other);
        if (round == 2) jepa_sgemm_reuse_begin();
        jepa_sgemm_bias_act(0, 1, M, N, K, X->data, K, B->data, K, NULL, 0, got->data, N);
        jepa_sgemm_reuse_end();
        CHECK(memcmp(got->data, C[round == 0 ? 0 : 1]->data, bytes) == 0);
    }
    jepa_threads_set(before);
    free(saved);
    test_tensor_free(X);
    test_tensor_free(B);
    test_tensor_free(B2);
    test_tensor_free(C[0]);
    test_tensor_free(C[1]);
    test_tensor_free(got);
}

// a scope keeps as many operands as a model has linear layers (pusht's predictor has 17): 40
// Bs packed in one tagged scope, all changed in place, all still read from their kept copies
static void test_kernel_reuse_many(void) {
    enum { OPS = 40 };
    int64_t M = 6, N = 16, K = 8;
    jepa_tensor *X = test_tensor(2, (int64_t[]){M, K}, 60, -1, 1), *B[OPS], *C[OPS];
    jepa_tensor *got = test_tensor(2, (int64_t[]){M, N}, 61, 0, 1);
    size_t bytes = sizeof(float) * (size_t)(M * N);
    int before = jepa_threads_get();
    jepa_threads_set(1);
    uint64_t tag = jepa_sgemm_reuse_new_tag();
    jepa_sgemm_reuse_begin_tagged(tag);
    for (int i = 0; i < OPS; i++) {
        B[i] = test_tensor(2, (int64_t[]){N, K}, 62 + (uint64_t)i, -1, 1);
        C[i] = test_tensor(2, (int64_t[]){M, N}, 63, 0, 1);
        jepa_sgemm_bias_act(0, 1, M, N, K, X->data, K, B[i]->data, K, NULL, 0, C[i]->data, N);
        for (int64_t e = 0; e < N * K; e++) B[i]->data[e] += 1.0f; // changed after packing
    }
    jepa_sgemm_reuse_end();
    jepa_sgemm_reuse_begin_tagged(tag);
    for (int i = 0; i < OPS; i++) {
        jepa_sgemm_bias_act(0, 1, M, N, K, X->data, K, B[i]->data, K, NULL, 0, got->data, N);
        CHECK(memcmp(got->data, C[i]->data, bytes) == 0);
    }
    jepa_sgemm_reuse_end();
    jepa_threads_set(before);
    for (int i = 0; i < OPS; i++) test_tensor_free(B[i]), test_tensor_free(C[i]);
    test_tensor_free(X);
    test_tensor_free(got);
}

// bf16 products, fp32 sums: against the naive bf16 GEMM (the same rounded inputs, sums in
// double) to fp32 summation error, and against the fp32 GEMM to the rounding of the inputs; a
// transposed A stays fp32. One and two threads agree, and so does a reuse scope (whose fp32 and
// bf16 copies of one B do not mix).
static void test_bf16(void) {
    if (!jepa_sgemm_bf16_available()) {
        printf("  bf16: this CPU has no AVX512_BF16 (fp32 instead)\n");
        return;
    }
    int64_t sizes[][3] = {{3, 5, 7}, {1, 1, 1}, {13, 65, 258}, {7, 130, 321}, {300, 64, 701}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                int64_t lda = (ta ? M : K) + 1, ldb = (tb ? K : N) + 2, ldc = N + 3;
                jepa_tensor *A = test_tensor(1, (int64_t[]){(ta ? K : M) * lda}, 1, -1, 1);
                jepa_tensor *B = test_tensor(1, (int64_t[]){(tb ? N : K) * ldb}, 2, -1, 1);
                jepa_tensor *bias = test_tensor(1, (int64_t[]){N}, 3, -1, 1);
                jepa_tensor *C[4];
                for (int i = 0; i < 4; i++) C[i] = test_tensor(1, (int64_t[]){M * ldc}, 4, -1, 1);
                int before = jepa_sgemm_set_bf16(1);
                jepa_sgemm_bias_act(ta, tb, M, N, K, A->data, lda, B->data, ldb, bias->data, 0,
                                    C[0]->data, ldc);
                jepa_sgemm_set_bf16(before);
                jepa_sgemm_bias_act_bf16_ref(ta, tb, M, N, K, A->data, lda, B->data, ldb,
                                             bias->data, 0, C[1]->data, ldc);
                jepa_sgemm_bias_act_ref(ta, tb, M, N, K, A->data, lda, B->data, ldb, bias->data,
                                        0, C[2]->data, ldc);
                if (ta) {
                    // fp32 as the fp32 kernel: fp32 summation error, as test_kernel_against_naive
                    CHECK(test_compare(C[0]->data, C[2]->data, M * ldc, 1e-6 * (double)K + 1e-6,
                                       1e-5) <= 1.0);
                } else {
                    // the same products summed in fp32 or double: error ~ K * 2^-24
                    CHECK(test_compare(C[0]->data, C[1]->data, M * ldc, 1e-6 * (double)K + 1e-6,
                                       1e-5) <= 1.0);
                    // each rounded input is within 2^-9 (relative): each product within about
                    // 2^-8, so |bf16 - fp32| <= 2^-8 sum |a b| (+ summation error)
                    double worst = 0.0;
                    for (int64_t i = 0; i < M; i++)
                        for (int64_t j = 0; j < N; j++) {
                            double mag = 0.0;
                            for (int64_t k = 0; k < K; k++)
                                mag += fabs((double)A->data[i * lda + k] *
                                            B->data[tb ? j * ldb + k : k * ldb + j]);
                            double err = fabs((double)C[0]->data[i * ldc + j] - C[2]->data[i * ldc + j]);
                            double r = err / (mag / 256.0 + 1e-6 * (double)K + 1e-6);
                            worst = r > worst ? r : worst;
                        }
                    CHECK(worst <= 1.0);
                }
                test_tensor_free(A);
                test_tensor_free(B);
                test_tensor_free(bias);
                for (int i = 0; i < 4; i++) test_tensor_free(C[i]);
            }
    }
    // threads and reuse: bit for bit
    int64_t M = 300, N = 512, K = 259;
    jepa_tensor *A = test_tensor(2, (int64_t[]){M, K}, 5, -1, 1);
    jepa_tensor *B = test_tensor(2, (int64_t[]){N, K}, 6, -1, 1);
    jepa_tensor *bias = test_tensor(1, (int64_t[]){N}, 7, -1, 1);
    jepa_tensor *C[5];
    for (int i = 0; i < 5; i++) C[i] = test_tensor(2, (int64_t[]){M, N}, 8, 0, 1);
    int before = jepa_threads_get(), bf = jepa_sgemm_set_bf16(1);
    jepa_threads_set(2);
    jepa_sgemm_bias_act(0, 1, M, N, K, A->data, K, B->data, K, bias->data, 1, C[0]->data, N);
    jepa_threads_set(1);
    jepa_sgemm_bias_act(0, 1, M, N, K, A->data, K, B->data, K, bias->data, 1, C[1]->data, N);
    jepa_sgemm_reuse_begin();
    for (int r = 0; r < 2; r++) {
        jepa_sgemm_set_bf16(1);
        jepa_sgemm_bias_act(0, 1, M, N, K, A->data, K, B->data, K, bias->data, 1,
                            C[2 + r]->data, N);
        jepa_sgemm_set_bf16(0);
        jepa_sgemm_bias_act(0, 1, M, N, K, A->data, K, B->data, K, bias->data, 1, C[4]->data,
                            N);
    }
    jepa_sgemm_reuse_end();
    jepa_sgemm_set_bf16(bf);
    jepa_threads_set(before);
    size_t bytes = sizeof(float) * (size_t)(M * N);
    CHECK(memcmp(C[0]->data, C[1]->data, bytes) == 0);
    CHECK(memcmp(C[2]->data, C[1]->data, bytes) == 0 && memcmp(C[3]->data, C[1]->data, bytes) == 0);
    CHECK(memcmp(C[4]->data, C[1]->data, bytes) != 0); // the fp32 copy is not the bf16 one
    test_tensor_free(A);
    test_tensor_free(B);
    test_tensor_free(bias);
    for (int i = 0; i < 5; i++) test_tensor_free(C[i]);
}

typedef struct {
    int bias, relu, fused;
} lin_args;

static jepa_tensor *build_linear(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    lin_args *a = user;
    jepa_tensor *b = a->bias ? in[2] : NULL;
    if (a->fused) return jepa_linear_act(ctx, in[0], in[1], b, a->relu);
    jepa_tensor *y = jepa_matmul(ctx, in[0], in[1], 0, 1);
    if (b) y = jepa_bias_add(ctx, y, b, -1);
    return a->relu ? jepa_relu(ctx, y) : y;
}

// the fused op and the chain of three ops: the same output and gradients, bit for bit
static void test_op_matches_chain(void) {
    int64_t M = 37, N = 70, K = 258;
    for (int mode = 0; mode < 4; mode++) {
        jepa_tensor *in[3] = {test_tensor(2, (int64_t[]){M, K}, 10, -1, 1),
                              test_tensor(2, (int64_t[]){N, K}, 11, -1, 1),
                              test_tensor(1, (int64_t[]){N}, 12, -1, 1)};
        jepa_tensor *dout = test_tensor(2, (int64_t[]){M, N}, 13, -1, 1);
        float *got[2][4];
        for (int fused = 0; fused < 2; fused++) {
            lin_args a = {mode & 1, mode >> 1, fused};
            jepa_ctx *ctx = jepa_ctx_create(0);
            for (int i = 0; i < 3; i++) memset(in[i]->grad, 0, sizeof(float) * jepa_numel(in[i]));
            jepa_tensor *y = build_linear(ctx, in, &a);
            CHECK(jepa_backward_seed(ctx, y, dout->data) == JEPA_OK);
            got[fused][0] = malloc(sizeof(float) * M * N);
            memcpy(got[fused][0], y->data, sizeof(float) * M * N);
            for (int i = 0; i < 3; i++) {
                got[fused][1 + i] = malloc(sizeof(float) * jepa_numel(in[i]));
                memcpy(got[fused][1 + i], in[i]->grad, sizeof(float) * jepa_numel(in[i]));
            }
            jepa_ctx_free(ctx);
        }
        int64_t sizes[4] = {M * N, M * K, N * K, N};
        for (int i = 0; i < 4; i++) {
            CHECK(memcmp(got[0][i], got[1][i], sizeof(float) * (size_t)sizes[i]) == 0);
            free(got[0][i]);
            free(got[1][i]);
        }
        for (int i = 0; i < 3; i++) test_tensor_free(in[i]);
        test_tensor_free(dout);
    }
}

// the smallest |output| before the ReLU on these inputs
static float min_abs_output(jepa_tensor **in, lin_args *a) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    lin_args pre = {a->bias, 0, 1};
    jepa_tensor *y = build_linear(ctx, in, &pre);
    float m = INFINITY;
    for (int64_t i = 0; i < jepa_numel(y); i++) m = fminf(m, fabsf(y->data[i]));
    jepa_ctx_free(ctx);
    return m;
}

// finite differences on odd shapes, on inputs that keep away from ReLU's kink
static void test_op_gradients(void) {
    for (int mode = 0; mode < 4; mode++) {
        lin_args a = {mode & 1, mode >> 1, 1};
        jepa_tensor *in[3] = {NULL, NULL, NULL};
        // eps 1e-2 moves an output by <= 0.07 (7 terms of size <= 1): the first seeds whose
        // outputs are all further than 0.1 from 0
        for (uint64_t seed = 20; seed < 400; seed += 3) {
            for (int i = 0; i < 3; i++) test_tensor_free(in[i]);
            in[0] = test_tensor(2, (int64_t[]){3, 7}, seed, -1, 1);
            in[1] = test_tensor(2, (int64_t[]){5, 7}, seed + 1, -1, 1);
            in[2] = test_tensor(1, (int64_t[]){5}, seed + 2, -1, 1);
            if (min_abs_output(in, &a) > 0.1f) break;
        }
        CHECK(min_abs_output(in, &a) > 0.1f);
        char name[64];
        snprintf(name, sizeof name, "linear bias=%d relu=%d", a.bias, a.relu);
        // tolerances as tests/test_views_matmul.c: eps 1e-2, atol 1e-4, rtol 1e-3
        test_gradcheck(name, build_linear, &a, in, a.bias ? 3 : 2, 1e-2, 1e-4, 1e-3, 500);
        for (int i = 0; i < 3; i++) test_tensor_free(in[i]);
    }
}

int main(void) {
    test_kernel_against_naive();
    test_kernel_nan();
    test_kernel_threads_agree();
    test_kernel_reuse();
    test_kernel_reuse_tagged();
    test_kernel_reuse_many();
    test_bf16();
    test_op_matches_chain();
    test_op_gradients();
    return test_finish("test_linear_fused");
}
