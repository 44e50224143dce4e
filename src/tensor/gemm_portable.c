// SGEMM for CPUs without AVX-512, in GNU C vectors (AVX2 + FMA registers under -march=native):
// op(B) packed into panels of 16 columns, A read in place (A^T packed into tiles of 6 rows), a
// register tile of 6 rows x 16 columns. Each element of C is summed over K in one order (K cut
// into blocks that depend on K alone, each block summed step by step), whatever the tile it falls
// in and however C is split between threads or calls: results do not depend on the thread count
// or the batch, which OpenBLAS's do. An optional epilogue adds a bias per column and applies ReLU.
#include "gemm_portable.h"
#include "gemm_reuse.h"

#if !defined(__AVX512F__)
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "jepa/status.h"
#include "jepa/threads.h"

typedef float vec8 __attribute__((vector_size(32)));

#define MR 6   // rows of a tile
#define NR 16  // columns of a tile (two vectors of 8)
#define KC 264 // most depth of a block (K is cut into equal blocks; BM-1's 258 is one)
#define NC 256 // columns of a packed B block (KC x NC floats = 264 KB, in L2)
#define MC 96  // rows of A swept per panel of B (MC x KC floats = 99 KB, in L2)
#define MIN_WORK (64 * 64 * 32) // multiply-adds per thread below which one thread does it all

static _Thread_local float *tl_bpack, *tl_apack;

// op(A) = A^T, rows i0..i1 (at most MC), steps k0..k0+kc into tiles of MR rows, each (kc, MR):
// a step's rows lie side by side in A too, but the steps lie lda apart, and with lda a power of
// two they would all fall into the same cache sets; packed, the kernel reads them in one stream.
// (Without transpose the kernel reads A in place: a tile's rows are MR streams in order.)
static void pack_rows_t(float *dst, const float *A, int64_t lda, int64_t i0, int64_t i1,
                        int64_t k0, int64_t kc) {
    for (int64_t ir = i0; ir < i1; ir += MR) {
        int64_t mr = i1 - ir < MR ? i1 - ir : MR;
        float *p = dst + (ir - i0) * kc;
        const float *a = A + k0 * lda + ir;
        for (int64_t k = 0; k < kc; k++) memcpy(p + k * MR, a + k * lda, sizeof(float) * mr);
    }
}

// 8 x 8 floats transposed: dst[k * ldd + j] = src[j * lds + k]
static void transpose_8x8(float *dst, int64_t ldd, const float *src, int64_t lds) {
    vec8 r[8], t[8], s[8];
    for (int j = 0; j < 8; j++) memcpy(&r[j], src + j * lds, sizeof r[j]);
    for (int j = 0; j < 8; j += 2) { // pairs of rows interleaved
        t[j] = __builtin_shufflevector(r[j], r[j + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[j + 1] = __builtin_shufflevector(r[j], r[j + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int j = 0; j < 8; j += 4) // then pairs of pairs: columns k and k + 4 of 4 rows
        for (int h = 0; h < 2; h++) {
            vec8 a = t[j + h], b = t[j + h + 2];
            s[j + 2 * h] = __builtin_shufflevector(a, b, 0, 1, 8, 9, 4, 5, 12, 13);
            s[j + 2 * h + 1] = __builtin_shufflevector(a, b, 2, 3, 10, 11, 6, 7, 14, 15);
        }
    for (int k = 0; k < 4; k++) { // the halves of the two groups of 4 rows joined
        vec8 lo = __builtin_shufflevector(s[k], s[k + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        vec8 hi = __builtin_shufflevector(s[k], s[k + 4], 4, 5, 6, 7, 12, 13, 14, 15);
        memcpy(dst + k * ldd, &lo, sizeof lo);
        memcpy(dst + (k + 4) * ldd, &hi, sizeof hi);
    }
}

// op(B) rows k0..k0+kc, columns j0..j0+n into panels of NR columns (kc, NR) each, zero past n
static void pack_block(float *dst, int trans_b, const float *B, int64_t ldb, int64_t k0,
                       int64_t kc, int64_t j0, int64_t n) {
    for (int64_t jr = 0; jr < n; jr += NR) {
        float *p = dst + jr * kc;
        int64_t w = n - jr < NR ? n - jr : NR;
        if (trans_b) { // op(B)[k][j] = B[j * ldb + k]: whole 8 x 8 blocks transposed in vectors
            const float *b = B + (j0 + jr) * ldb + k0;
            int64_t k8 = w == NR ? kc / 8 * 8 : 0;
            for (int64_t k = 0; k < k8; k += 8)
                for (int64_t j = 0; j < NR; j += 8)
                    transpose_8x8(p + k * NR + j, NR, b + j * ldb + k, ldb);
            // the rest (a short panel's, such as attention's few keys, is all of it): zeros in
            // vectors (a memset of so few bytes is slower), then B's rows of the w columns, each
            // read in order
            const vec8 zero = {0};
            if (w < NR)
                for (int64_t k = k8; k < kc; k++) {
                    memcpy(p + k * NR, &zero, sizeof zero);
                    memcpy(p + k * NR + 8, &zero, sizeof zero);
                }
            for (int64_t j = 0; j < w; j++)
                for (int64_t k = k8; k < kc; k++) p[k * NR + j] = b[j * ldb + k];
            continue;
        }
        for (int64_t k = 0; k < kc; k++) {
            float *d = p + k * NR;
            const float *b = B + (k0 + k) * ldb + j0 + jr;
            if (w == NR) {
                memcpy(d, b, sizeof(float) * NR);
                continue;
            }
            for (int64_t j = 0; j < w; j++) d[j] = b[j];
            for (int64_t j = w; j < NR; j++) d[j] = 0.0f;
        }
    }
}

// what a tile's sums become in C: c = alpha * acc + beta * c (+ bias[j]) (ReLU: NaN and -0 ->
// +0); beta 0 reads nothing. The kernels take it by pointer: passed in registers, alpha and beta
// would hold two of the sixteen vector registers through the loop, and one accumulator would
// live on the stack.
typedef struct tile_out {
    float alpha, beta;
    const float *bias;
    int relu;
} tile_out;

typedef int vec8i __attribute__((vector_size(32)));

// a tile row's 16 sums into C's n <= 16 columns, in vectors (a short row through a copy)
static inline void store_row(float *c, vec8 lo, vec8 hi, int64_t n, const tile_out *o) {
    float row[NR], add[NR];
    float *d = n == NR ? c : row;
    if (n < NR) { // the short row's columns past n: zero (they are not stored)
        memset(row, 0, sizeof row);
        if (o->beta != 0.0f) memcpy(row, c, sizeof(float) * n);
    }
    vec8 v0 = o->alpha * lo, v1 = o->alpha * hi;
    if (o->beta != 0.0f) {
        vec8 c0, c1;
        memcpy(&c0, d, sizeof c0);
        memcpy(&c1, d + 8, sizeof c1);
        v0 += o->beta * c0;
        v1 += o->beta * c1;
    }
    if (o->bias) {
        const float *b = o->bias;
        if (n < NR) {
            memset(add, 0, sizeof add);
            b = memcpy(add, o->bias, sizeof(float) * n);
        }
        vec8 b0, b1;
        memcpy(&b0, b, sizeof b0);
        memcpy(&b1, b + 8, sizeof b1);
        v0 += b0;
        v1 += b1;
    }
    if (o->relu) {
        const vec8 zero = {0};
        v0 = (vec8)((vec8i)v0 & (v0 > zero));
        v1 = (vec8)((vec8i)v1 & (v1 > zero));
    }
    memcpy(d, &v0, sizeof v0);
    memcpy(d + 8, &v1, sizeof v1);
    if (n < NR) memcpy(c, row, sizeof(float) * n);
}

// the R x 16 tile over one block of kc steps: a the tile of A (row r of step k at a[r * rs +
// k * ks]: packed, rs 1 and ks MR; in place, rs lda and ks 1), b the packed panel (kc, 16). R is
// a constant, so the compiler drops the rows a variant does not have.
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define DECL(i) vec8 c##i##0 = {0}, c##i##1 = {0};
#define STEP(i)                                                                                    \
    if ((i) < rows) {                                                                              \
        float x = a[(i) * rs];                                                                     \
        c##i##0 += x * b0;                                                                         \
        c##i##1 += x * b1;                                                                         \
    }
#define STORE(i)                                                                                   \
    if ((i) < rows) store_row(c + (i) * ldc, c##i##0, c##i##1, n, o);
#define KERNEL(R)                                                                                  \
    static void kernel_##R(int64_t kc, const float *a, int64_t rs, int64_t ks, const float *b,     \
                           float *c, int64_t ldc, int64_t n, const tile_out *o) {                  \
        const int rows = R;                                                                        \
        ROWS(DECL)                                                                                 \
        _Pragma("GCC unroll 4") /* 4 steps a pass: less loop overhead per FMA */                   \
        for (int64_t k = 0; k < kc; k++, a += ks, b += NR) {                                       \
            vec8 b0, b1;                                                                           \
            memcpy(&b0, b, sizeof b0);                                                             \
            memcpy(&b1, b + 8, sizeof b1);                                                         \
            ROWS(STEP)                                                                             \
        }                                                                                          \
        ROWS(STORE)                                                                                \
    }
KERNEL(1)
KERNEL(2)
KERNEL(3)
KERNEL(4)
KERNEL(5)
KERNEL(6)

typedef void (*kernel_fn)(int64_t, const float *, int64_t, int64_t, const float *, float *,
                          int64_t, int64_t, const tile_out *);
static const kernel_fn kernels[MR] = {kernel_1, kernel_2, kernel_3, kernel_4, kernel_5, kernel_6};

// one GEMM call: C = alpha * op(A) @ op(B) + beta * C, then + bias (N floats, or NULL) and ReLU;
// packed: all of op(B) packed (or to be packed when !packed_ready; jepa_gemm_reuse_lookup), or
// NULL: for each block of NC columns jc and each block of K rows pc, the panels of that block at
// packed + K * jc + pc * (its width rounded up to whole panels)
typedef struct gemm_call {
    int trans_a, trans_b;
    int64_t K;
    float alpha, beta;
    const float *A, *B, *bias;
    int64_t lda, ldb, ldc;
    float *C;
    int relu;
    float *packed;
    int packed_ready;
} gemm_call;

// C rows i0..i1, columns j0..j1, on the calling thread
static void gemm_range(const gemm_call *g, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    if (!tl_bpack) {
        tl_bpack = aligned_alloc(64, sizeof(float) * KC * NC);
        tl_apack = aligned_alloc(64, sizeof(float) * KC * MC);
        JEPA_CHECK_MSG(tl_bpack && tl_apack, "out of memory for the GEMM packing buffers");
    }
    int64_t K = g->K, ldc = g->ldc;
    // K in equal blocks of at most KC steps: the same blocks for every element of C
    int64_t blocks = (K + KC - 1) / KC, step = (K + blocks - 1) / blocks;
    for (int64_t jc = j0; jc < j1; jc += NC) {
        int64_t nc = j1 - jc < NC ? j1 - jc : NC;
        for (int64_t pc = 0; pc < K; pc += step) {
            int64_t kc = K - pc < step ? K - pc : step;
            // the first block of K applies beta, the next ones add to it, the last one the epilogue
            float beta_k = pc == 0 ? g->beta : 1.0f;
            int last = pc + kc == K;
            // this block's panels: packed here, or kept from an earlier call (then all of B's
            // columns are this call's, j0 = 0)
            float *bp = g->packed ? g->packed + K * jc + pc * ((nc + NR - 1) / NR * NR) : tl_bpack;
            if (!g->packed_ready) pack_block(bp, g->trans_b, g->B, g->ldb, pc, kc, jc, nc);
            // a block of MC rows of op(A) stays in L2 while each panel of B (in L1) sweeps it
            for (int64_t ic = i0; ic < i1; ic += MC) {
                int64_t ie = i1 - ic < MC ? i1 : ic + MC;
                // tile ir's A: packed (rows 1 apart, steps MR), or in place (lda, 1)
                const float *ab = g->trans_a ? tl_apack : g->A + ic * g->lda + pc;
                int64_t rs = g->trans_a ? 1 : g->lda, ks = g->trans_a ? MR : 1;
                int64_t tile_rows = g->trans_a ? kc : g->lda; // floats a row: tile ir at (ir - ic)
                if (g->trans_a) pack_rows_t(tl_apack, g->A, g->lda, ic, ie, pc, kc);
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    int64_t n = nc - jr < NR ? nc - jr : NR;
                    tile_out o = {g->alpha, beta_k, last && g->bias ? g->bias + jc + jr : NULL,
                                  last && g->relu};
                    for (int64_t ir = ic; ir < ie; ir += MR) {
                        int64_t mr = ie - ir < MR ? ie - ir : MR;
                        kernels[mr - 1](kc, ab + (ir - ic) * tile_rows, rs, ks, bp + jr * kc,
                                        g->C + ir * ldc + jc + jr, ldc, n, &o);
                    }
                }
            }
        }
    }
}

// the whole call, on jepa_threads_get() threads (inside a parallel region, the caller's alone);
// reuse: op(B) may be kept packed (in a scope, on one thread)
static void gemm_run(gemm_call *g, int64_t M, int64_t N, int reuse) {
    if (M == 0 || N == 0 || g->K == 0) return; // jepa_sgemm handles them
    // split C into whole tiles along its longer side: each thread packs its share of that
    // operand and all of the other, so the smaller one is the one packed by every thread (unless
    // the longer side has too few tiles to share)
    int64_t threads = omp_in_parallel() ? 1 : jepa_threads_get(), work = M * N * g->K / MIN_WORK;
    if (threads > work) threads = work > 1 ? work : 1;
    int64_t tiles_n = (N + NR - 1) / NR, tiles_m = (M + MR - 1) / MR;
    int split_n = N > M ? tiles_n >= threads || tiles_n >= tiles_m
                        : tiles_m < threads && tiles_n > tiles_m;
    int64_t tiles = split_n ? tiles_n : tiles_m;
    if (threads > tiles) threads = tiles;
    if (threads <= 1) {
        if (reuse)
            g->packed = jepa_gemm_reuse_lookup(g->B, g->ldb, g->K, N, g->trans_b, 0,
                                               (size_t)(g->K * ((N + NR - 1) / NR * NR)),
                                               &g->packed_ready);
        gemm_range(g, 0, M, 0, N);
        return;
    }
#pragma omp parallel for num_threads((int)threads) schedule(static)
    for (int64_t t = 0; t < threads; t++) {
        int64_t lo = tiles * t / threads, hi = tiles * (t + 1) / threads;
        if (split_n)
            gemm_range(g, 0, M, lo * NR, hi * NR < N ? hi * NR : N);
        else
            gemm_range(g, lo * MR, hi * MR < M ? hi * MR : M, 0, N);
    }
}

void jepa_sgemm_portable(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                         const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                         float *C, int64_t ldc) {
    gemm_call g = {trans_a, trans_b, K, alpha, beta, A, B, NULL, lda, ldb, ldc, C, 0, NULL, 0};
    gemm_run(&g, M, N, 0);
}

void jepa_sgemm_bias_act_portable(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                  const float *A, int64_t lda, const float *B, int64_t ldb,
                                  const float *bias, int relu, float *C, int64_t ldc) {
    gemm_call g = {trans_a, trans_b, K, 1.0f, 0.0f, A, B, bias, lda, ldb, ldc, C, relu, NULL, 0};
    gemm_run(&g, M, N, 1);
}
#endif
