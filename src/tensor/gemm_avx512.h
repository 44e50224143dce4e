// The AVX-512 SGEMM behind jepa_sgemm (internal).
#ifndef JEPA_GEMM_AVX512_H
#define JEPA_GEMM_AVX512_H

#include <stdint.h>

#if defined(__AVX512F__)
// The same contract as jepa_sgemm (include/jepa/ops_linalg.h): C (M,N) = alpha * op(A) @ op(B)
// + beta * C, row-major, any leading dimensions; beta 0 never reads C. Threads: jepa_threads_get().
void jepa_sgemm_avx512(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                       const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                       float *C, int64_t ldc);
// The contract of jepa_sgemm_bias_act: C = op(A) @ op(B) + bias (per column), then ReLU.
void jepa_sgemm_bias_act_avx512(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                const float *A, int64_t lda, const float *B, int64_t ldb,
                                const float *bias, int relu, float *C, int64_t ldc);
// jepa_sgemm_set_bf16 / jepa_sgemm_bf16_available.
int jepa_sgemm_avx512_set_bf16(int on);
int jepa_sgemm_avx512_bf16_available(void);
#endif
#endif
