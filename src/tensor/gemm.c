// GEMM: our AVX-512 kernel (or, without AVX-512, the portable one) for speed, a naive triple loop
// as the oracle. Both sum each element of C in an order that does not depend on the threads.
#include "jepa/ops_linalg.h"

#include <stdint.h>
#include <string.h>

#if defined(__AVX512F__)
#include "gemm_avx512.h"
#else
#include "gemm_portable.h"
#endif

// the epilogue on a computed C (M, N): + bias per column, then ReLU (NaN -> 0, as jepa_relu)
static void bias_act(int64_t M, int64_t N, const float *bias, int relu, float *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            float v = C[i * ldc + j] + (bias ? bias[j] : 0.0f);
            C[i * ldc + j] = relu ? (v > 0.0f ? v : 0.0f) : v;
        }
}

// K = 0, nothing to multiply: C = beta * C (beta 0 reads nothing), then the epilogue
static void no_products(int64_t M, int64_t N, float beta, float *C, int64_t ldc,
                        const float *bias, int relu) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++)
            C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
    bias_act(M, N, bias, relu, C, ldc);
}

void jepa_sgemm(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                int64_t ldc) {
    if (M == 0 || N == 0) return;
    if (K == 0) {
        no_products(M, N, beta, C, ldc, NULL, 0);
        return;
    }
#if defined(__AVX512F__)
    jepa_sgemm_avx512(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#else
    jepa_sgemm_portable(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

void jepa_sgemm_bias_act(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, const float *A,
                         int64_t lda, const float *B, int64_t ldb, const float *bias, int relu,
                         float *C, int64_t ldc) {
    if (M == 0 || N == 0) return;
    if (K == 0) {
        no_products(M, N, 0.0f, C, ldc, bias, relu);
        return;
    }
#if defined(__AVX512F__)
    jepa_sgemm_bias_act_avx512(trans_a, trans_b, M, N, K, A, lda, B, ldb, bias, relu, C, ldc);
#else
    jepa_sgemm_bias_act_portable(trans_a, trans_b, M, N, K, A, lda, B, ldb, bias, relu, C, ldc);
#endif
}

int jepa_sgemm_set_bf16(int on) {
#if defined(__AVX512F__)
    return jepa_sgemm_avx512_set_bf16(on);
#else
    (void)on;
    return 0;
#endif
}

int jepa_sgemm_bf16_available(void) {
#if defined(__AVX512F__)
    return jepa_sgemm_avx512_bf16_available();
#else
    return 0;
#endif
}

// x rounded to the nearest bf16 (ties to even), as vcvtneps2bf16 (NaN stays NaN)
static float bf16_round(float x) {
    if (x != x) return x;
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u += 0x7FFFu + ((u >> 16) & 1u);
    u &= 0xFFFF0000u;
    memcpy(&x, &u, sizeof x);
    return x;
}

void jepa_sgemm_bias_act_bf16_ref(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                  const float *A, int64_t lda, const float *B, int64_t ldb,
                                  const float *bias, int relu, float *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            // products of the rounded inputs, summed in double
            double acc = 0.0;
            for (int64_t k = 0; k < K; k++) {
                float a = trans_a ? A[k * lda + i] : A[i * lda + k];
                float b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
                acc += (double)bf16_round(a) * (double)bf16_round(b);
            }
            C[i * ldc + j] = (float)acc;
        }
    bias_act(M, N, bias, relu, C, ldc);
}

void jepa_sgemm_bias_act_ref(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                             const float *A, int64_t lda, const float *B, int64_t ldb,
                             const float *bias, int relu, float *C, int64_t ldc) {
    jepa_sgemm_ref(trans_a, trans_b, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
    bias_act(M, N, bias, relu, C, ldc);
}

void jepa_sgemm_ref(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                    const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                    int64_t ldc) {
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            // accumulate in double so the oracle is more exact than what it checks
            double acc = 0.0;
            for (int64_t k = 0; k < K; k++) {
                float a = trans_a ? A[k * lda + i] : A[i * lda + k];
                float b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
                acc += (double)a * (double)b;
            }
            float *c = &C[i * ldc + j];
            *c = (float)(alpha * acc + (beta == 0.0f ? 0.0 : (double)beta * *c));
        }
    }
}
