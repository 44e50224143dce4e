// Matrix multiplication: the GEMM kernels (optimized and a naive reference) and the matmul op.
#ifndef JEPA_OPS_LINALG_H
#define JEPA_OPS_LINALG_H

#include <stdint.h>

#include "jepa/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

// C = alpha * op(A) @ op(B) + beta * C, row-major; op(X) = X^T when trans_x.
// C (M,N) with row stride ldc; op(A) (M,K); op(B) (K,N); beta 0 never reads C. Uses our AVX-512
// kernel (src/tensor/gemm_avx512.c) when built with AVX-512, OpenBLAS otherwise; threads come
// from jepa_threads_get() (with AVX-512 the result does not depend on their number).
void jepa_sgemm(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                int64_t ldc);

// The same, computed naively (the oracle and fallback).
void jepa_sgemm_ref(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                    const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                    int64_t ldc);

// out = op(a) @ op(b), batched over leading dimensions.
// a (..., M, K) or (..., K, M) when trans_a; b (..., K, N) or (..., N, K) when trans_b, with the
// same leading dimensions as a, or 2-D and shared by every batch item. out (..., M, N).
jepa_tensor *jepa_matmul(jepa_ctx *ctx, jepa_tensor *a, jepa_tensor *b, int trans_a, int trans_b);

#ifdef __cplusplus
}
#endif
#endif
