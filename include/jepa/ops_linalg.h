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
// kernel (src/tensor/gemm_avx512.c) when built with AVX-512, the portable one
// (src/tensor/gemm_portable.c) otherwise; threads come from jepa_threads_get(), and the result
// does not depend on their number.
void jepa_sgemm(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                int64_t ldc);

// The same, computed naively (the oracle and fallback).
void jepa_sgemm_ref(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                    const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                    int64_t ldc);

// C = op(A) @ op(B) + bias, then max(0, .) when relu (NaN -> 0, as jepa_relu): the bias and the
// ReLU are applied as the GEMM stores C (no second pass over it). bias (N) or NULL; the other
// arguments as jepa_sgemm with alpha 1, beta 0.
void jepa_sgemm_bias_act(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, const float *A,
                         int64_t lda, const float *B, int64_t ldb, const float *bias, int relu,
                         float *C, int64_t ldc);
// The same, computed naively (the oracle).
void jepa_sgemm_bias_act_ref(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                             const float *A, int64_t lda, const float *B, int64_t ldb,
                             const float *bias, int relu, float *C, int64_t ldc);
// A scope on the calling thread (scopes nest) in which jepa_sgemm_bias_act keeps its B operands
// packed and reuses them: a call whose B has the address, transpose, shape and leading dimension
// of an earlier one in the scope skips the packing. Inside it, nothing may write to a B operand
// or free it. For loops that run the same weights many times (the planner's rollouts, whose
// linear layers call jepa_sgemm_bias_act). Up to 64 operands and 64 MB per thread are kept; the
// buffers stay allocated for later scopes.
void jepa_sgemm_reuse_begin(void);
void jepa_sgemm_reuse_end(void);
// The same scope, whose packed copies outlive it: a later outermost scope with the same non-zero
// tag, on this thread, starts with them (another tag, or an untagged scope, forgets them first).
// For a caller that runs the same weights in many scopes (a plan's iterations, each a parallel
// region): for as long as it uses the tag, its B operands keep their contents at their addresses.
// A tag is used once (jepa_sgemm_reuse_new_tag): the next use of the weights takes a new one.
void jepa_sgemm_reuse_begin_tagged(uint64_t tag);
// A tag no caller has had before (thread-safe; never 0).
uint64_t jepa_sgemm_reuse_new_tag(void);
// Inference in bf16 on the calling thread: while on, jepa_sgemm_bias_act rounds op(A) and
// op(B) to bf16 (nearest even) and sums their products in fp32 (AVX512_BF16 vdpbf16ps), about
// twice the fp32 rate; each output then carries a relative error of about 2^-8 of the sum of
// |a b| (tests/test_linear_fused.c). It stays fp32 where the CPU lacks AVX512_BF16
// (jepa_sgemm_bf16_available), for a transposed A, and for jepa_sgemm. Not for training: the
// gradients stay fp32 but would follow bf16 forward values. Returns the previous setting.
int jepa_sgemm_set_bf16(int on);
// 1 when this CPU has AVX512_BF16 and the build has AVX-512 (the bf16 kernel is compiled for
// AVX512_BF16 whatever -march says, and chosen at run time), else 0.
int jepa_sgemm_bf16_available(void);
// jepa_sgemm_bias_act in bf16, computed naively: rounded inputs, products summed in double.
void jepa_sgemm_bias_act_bf16_ref(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                  const float *A, int64_t lda, const float *B, int64_t ldb,
                                  const float *bias, int relu, float *C, int64_t ldc);

// out = op(a) @ op(b), batched over leading dimensions.
// a (..., M, K) or (..., K, M) when trans_a; b (..., K, N) or (..., N, K) when trans_b, with the
// same leading dimensions as a, or 2-D and shared by every batch item. out (..., M, N).
jepa_tensor *jepa_matmul(jepa_ctx *ctx, jepa_tensor *a, jepa_tensor *b, int trans_a, int trans_b);

// out = x @ w^T + b, then max(0, .) when relu, as one op (one GEMM pass; bias and ReLU in its
// epilogue). x (M, K), w (N, K), b (N) or NULL -> out (M, N). The same values as jepa_matmul,
// jepa_bias_add and jepa_relu in turn, and the same gradients.
jepa_tensor *jepa_linear_act(jepa_ctx *ctx, jepa_tensor *x, jepa_tensor *w, jepa_tensor *b,
                             int relu);

#ifdef __cplusplus
}
#endif
#endif
