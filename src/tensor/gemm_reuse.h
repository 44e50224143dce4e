// The packed B operands that jepa_sgemm_bias_act keeps between calls inside
// jepa_sgemm_reuse_begin / _end (include/jepa/ops_linalg.h, defined in gemm_reuse.c), for either
// GEMM kernel (internal).
#ifndef JEPA_GEMM_REUSE_H
#define JEPA_GEMM_REUSE_H

#include <stddef.h>
#include <stdint.h>

// The calling thread's packed copy of op(B) for a call, named by B's address, leading dimension,
// op(B)'s shape (K, N), transpose and format (bf16 or not); floats: its size. Returns the copy
// with *ready 1 when an earlier call of the scope filled it, a buffer of that size for this call
// to fill with *ready 0, or NULL (no scope, no free slot, over the bound or out of memory).
float *jepa_gemm_reuse_lookup(const float *B, int64_t ldb, int64_t K, int64_t N, int trans_b,
                              int bf16, size_t floats, int *ready);

#endif
