// SGEMM with AVX-512: op(B) packed into panels of up to 64 columns, op(A) read in place (either
// transpose), a register tile of 6 rows x up to 64 columns; threads split C into whole tiles.
// An optional epilogue adds a bias per column and applies ReLU as the tile is stored.
#include "gemm_avx512.h"
#include "gemm_reuse.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "jepa/status.h"
#include "jepa/threads.h"

#define MR 6    // rows of a tile (one broadcast each)
#define NR 64   // columns of a tile (four AVX-512 vectors)
#define KC 320  // most depth of a block (K is cut into equal blocks, 256 for K = 512)
#define NC 512  // columns of a packed B block (KC x NC floats = 640 KB of the 1 MB L2)
#define MIN_WORK (64 * 64 * 32) // multiply-adds per thread below which one thread does it all

// each thread's packed B block, allocated once at its first call
// 64-byte aligned memory (C11's aligned_alloc wants a size that is a multiple of the alignment)
static void *alloc64(size_t bytes) {
    return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

static _Thread_local float *tl_bpack;

// one vector of a tile row into C: c = alpha * acc + beta * c (+ bias) (ReLU), only the lanes in
// m (beta 0 reads nothing; bias NULL adds nothing). ReLU is max(v, 0), NaN -> 0 as jepa_relu.
static inline void store_vec(float *c, __m512 acc, __mmask16 m, float alpha, float beta,
                             const float *bias, int relu) {
    __m512 v = _mm512_mul_ps(_mm512_set1_ps(alpha), acc);
    if (beta != 0.0f) v = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(m, c), v);
    if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias));
    if (relu) v = _mm512_max_ps(v, _mm512_setzero_ps()); // max_ps gives the second on NaN
    _mm512_mask_storeu_ps(c, m, v);
}

static inline __mmask16 lane_mask(int64_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

// the R x 16V tile: C (R, n) = alpha * (a @ b) + beta * C over one block of kc steps, a (row r,
// step k at a[r * rs + k * ks]), b the packed panel (kc, 16V); n <= 16V columns are stored. R and V are constants, so the compiler
// drops the rows and vectors a variant does not have. The epilogue: bias (n floats) or NULL, relu.
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define DECL(i) __m512 c##i##0 = zero, c##i##1 = zero, c##i##2 = zero, c##i##3 = zero;
#define FMA_VEC(i, v)                                                                              \
    if ((v) < vecs) c##i##v = _mm512_fmadd_ps(x, b##v, c##i##v);
#define STEP(i)                                                                                    \
    if ((i) < rows) {                                                                              \
        __m512 x = _mm512_set1_ps(a[(i) * rs]);                                                    \
        FMA_VEC(i, 0) FMA_VEC(i, 1) FMA_VEC(i, 2) FMA_VEC(i, 3)                                    \
    }
#define STORE_VEC(i, v)                                                                            \
    if ((v) < vecs)                                                                                \
        store_vec(c + (i) * ldc + 16 * (v), c##i##v, lane_mask(n - 16 * (v)), alpha, beta,         \
                  bias ? bias + 16 * (v) : NULL, relu);
#define STORE(i)                                                                                   \
    if ((i) < rows) {                                                                              \
        STORE_VEC(i, 0) STORE_VEC(i, 1) STORE_VEC(i, 2) STORE_VEC(i, 3)                            \
    }
#define LOAD_B(v) __m512 b##v = (v) < vecs ? _mm512_load_ps(b + 16 * (v)) : zero;
#define KERNEL(R, V)                                                                               \
    static void kernel_##R##_##V(int64_t kc, const float *a, int64_t rs, int64_t ks,             \
                                 const float *b, float *c, int64_t ldc, int64_t n, float alpha,    \
                                 float beta, const float *bias, int relu) {                        \
        const __m512 zero = _mm512_setzero_ps();                                                   \
        const int rows = R, vecs = V;                                                              \
        ROWS(DECL)                                                                                 \
        for (int64_t k = 0; k < kc; k++, a += ks, b += 16 * vecs) {                                \
            LOAD_B(0) LOAD_B(1) LOAD_B(2) LOAD_B(3)                                                \
            ROWS(STEP)                                                                             \
        }                                                                                          \
        ROWS(STORE)                                                                                \
    }
#define KERNELS(R) KERNEL(R, 1) KERNEL(R, 2) KERNEL(R, 3) KERNEL(R, 4)
KERNELS(1)
KERNELS(2)
KERNELS(3)
KERNELS(4)
KERNELS(5)
KERNELS(6)

typedef void (*kernel_fn)(int64_t, const float *, int64_t, int64_t, const float *, float *,
                          int64_t, int64_t, float, float, const float *, int);
#define KERNEL_ROW(R) {kernel_##R##_1, kernel_##R##_2, kernel_##R##_3, kernel_##R##_4},
// kernels[rows - 1][vectors - 1]
static const kernel_fn kernels[MR][4] = {
    KERNEL_ROW(1) KERNEL_ROW(2) KERNEL_ROW(3) KERNEL_ROW(4) KERNEL_ROW(5) KERNEL_ROW(6)};

// a 16 x 16 block transposed: src rows j < rows (row stride ld, nk <= 16 floats each, zero past
// them) into dst[k * w + j] for k < nk; every step written out so nothing leaves the registers
#define LOAD_ROW(j)                                                                                \
    __m512 r##j = (j) < rows ? _mm512_maskz_loadu_ps(mk, src + (j) * ld) : _mm512_setzero_ps();
#define PAIR_PS(x, y)                                                                              \
    __m512 t##x = _mm512_unpacklo_ps(r##x, r##y), t##y = _mm512_unpackhi_ps(r##x, r##y);
#define UNPACK_PD(op, x, y) _mm512_castpd_ps(op(_mm512_castps_pd(x), _mm512_castps_pd(y)))
// u_a..u_d, lane l: the four rows a..d at columns 4l, 4l+1, 4l+2, 4l+3
#define QUAD_PD(a, b, c, d)                                                                        \
    __m512 u##a = UNPACK_PD(_mm512_unpacklo_pd, t##a, t##c);                                      \
    __m512 u##b = UNPACK_PD(_mm512_unpackhi_pd, t##a, t##c);                                      \
    __m512 u##c = UNPACK_PD(_mm512_unpacklo_pd, t##b, t##d);                                      \
    __m512 u##d = UNPACK_PD(_mm512_unpackhi_pd, t##b, t##d);
#define PUT_COL(k, v)                                                                              \
    if ((k) < nk) _mm512_store_ps(dst + (k) * w, v);
// columns m, m + 4, m + 8, m + 12 from the 128-bit lanes of u_m, u_m+4, u_m+8, u_m+12
#define LANES(m, m4, m8, m12)                                                                      \
    {                                                                                              \
        __m512 vlo = _mm512_shuffle_f32x4(u##m, u##m4, 0x88);                                     \
        __m512 vhi = _mm512_shuffle_f32x4(u##m, u##m4, 0xdd);                                     \
        __m512 wlo = _mm512_shuffle_f32x4(u##m8, u##m12, 0x88);                                   \
        __m512 whi = _mm512_shuffle_f32x4(u##m8, u##m12, 0xdd);                                   \
        PUT_COL(m, _mm512_shuffle_f32x4(vlo, wlo, 0x88))                                           \
        PUT_COL(m8, _mm512_shuffle_f32x4(vlo, wlo, 0xdd))                                          \
        PUT_COL(m4, _mm512_shuffle_f32x4(vhi, whi, 0x88))                                          \
        PUT_COL(m12, _mm512_shuffle_f32x4(vhi, whi, 0xdd))                                         \
    }
static void transpose_block(float *dst, int64_t w, const float *src, int64_t ld, int64_t rows,
                            int64_t nk) {
    __mmask16 mk = lane_mask(nk);
    LOAD_ROW(0) LOAD_ROW(1) LOAD_ROW(2) LOAD_ROW(3) LOAD_ROW(4) LOAD_ROW(5) LOAD_ROW(6)
    LOAD_ROW(7) LOAD_ROW(8) LOAD_ROW(9) LOAD_ROW(10) LOAD_ROW(11) LOAD_ROW(12) LOAD_ROW(13)
    LOAD_ROW(14) LOAD_ROW(15)
    PAIR_PS(0, 1) PAIR_PS(2, 3) PAIR_PS(4, 5) PAIR_PS(6, 7)
    PAIR_PS(8, 9) PAIR_PS(10, 11) PAIR_PS(12, 13) PAIR_PS(14, 15)
    QUAD_PD(0, 1, 2, 3) QUAD_PD(4, 5, 6, 7) QUAD_PD(8, 9, 10, 11) QUAD_PD(12, 13, 14, 15)
    LANES(0, 4, 8, 12) LANES(1, 5, 9, 13) LANES(2, 6, 10, 14) LANES(3, 7, 11, 15)
}

// op(B) rows k0..k0+kc, columns j0..j0+n (n <= 64) into the panel dst (kc, w), w = n rounded up
// to whole vectors, zero past n
static void pack_panel(float *dst, int trans_b, const float *B, int64_t ldb, int64_t k0,
                       int64_t kc, int64_t j0, int64_t n) {
    int64_t w = (n + 15) / 16 * 16;
    if (!trans_b) {
        // op(B)[k][j] = B[k * ldb + j]: copy rows
        __mmask16 m0 = lane_mask(n), m1 = lane_mask(n - 16), m2 = lane_mask(n - 32);
        __mmask16 m3 = lane_mask(n - 48);
        for (int64_t k = 0; k < kc; k++) {
            const float *src = B + (k0 + k) * ldb + j0;
            float *d = dst + k * w;
            _mm512_store_ps(d, _mm512_maskz_loadu_ps(m0, src));
            if (w > 16) _mm512_store_ps(d + 16, _mm512_maskz_loadu_ps(m1, src + 16));
            if (w > 32) _mm512_store_ps(d + 32, _mm512_maskz_loadu_ps(m2, src + 32));
            if (w > 48) _mm512_store_ps(d + 48, _mm512_maskz_loadu_ps(m3, src + 48));
        }
        return;
    }
    // op(B)[k][j] = B[j * ldb + k]: transpose 16 x 16 blocks
    for (int64_t jb = 0; jb < w; jb += 16)
        for (int64_t kb = 0; kb < kc; kb += 16)
            transpose_block(dst + kb * w + jb, w, B + (j0 + jb) * ldb + k0 + kb, ldb, n - jb,
                            kc - kb < 16 ? kc - kb : 16);
}

// one GEMM call: C = alpha * op(A) @ op(B) + beta * C, then + bias (N floats, or NULL) and ReLU;
// packed: all of op(B) packed (or to be packed when !packed_ready), or NULL
typedef struct gemm_call {
    int trans_a, trans_b;
    int64_t K;
    float alpha, beta;
    const float *A, *B, *bias;
    int64_t lda, ldb, ldc;
    float *C;
    int relu;
    void *packed; // floats, or bf16 pairs (uint16_t) when bf16
    int packed_ready;
    int bf16;          // products in bf16 (B packed in pairs of K rows, A converted) , sums in fp32
    const uint16_t *a16; // bf16: op(A) (M, K rounded up to even) converted, row stride lda16
    int64_t lda16;
} gemm_call;

// the calling thread's packed copy of op(B) for this call (jepa_gemm_reuse_lookup): a whole
// op(B) (K, N) packed as gemm_range reads it: for each block of NC columns jc and each block of K
// rows pc, the panels of that block at packed + K * jc + pc * (its width rounded up to whole
// vectors), in floats; in bf16 the same with K rounded up to even, in uint16_t
static void reuse_lookup(gemm_call *g, int64_t N) {
    // in floats: K x N, or (K rounded up to even) x N halves
    size_t need = (size_t)(g->bf16 ? (g->K + 1) / 2 : g->K) * (size_t)((N + 15) / 16 * 16);
    g->packed = jepa_gemm_reuse_lookup(g->B, g->ldb, g->K, N, g->trans_b, g->bf16, need,
                                       &g->packed_ready);
}

// ---- bf16 products with fp32 sums (AVX512_BF16), chosen per thread ----
//
// vdpbf16ps adds a[2k] b[2k] + a[2k+1] b[2k+1] into each fp32 lane: B's panels hold, per pair of
// K rows, each column's two values side by side (one 32-bit word), and a tile row broadcasts the
// pair of A's values for the same two steps. Compiled for AVX512_BF16 whatever the build's
// -march, and used only when the CPU has it.
#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

static _Thread_local int tl_bf16;
static _Thread_local uint16_t *tl_bpack16, *tl_a16;
static _Thread_local size_t tl_a16_cap;

int jepa_sgemm_avx512_bf16_available(void) { return __builtin_cpu_supports("avx512bf16") != 0; }

int jepa_sgemm_avx512_set_bf16(int on) {
    int before = tl_bf16;
    tl_bf16 = on != 0;
    return before;
}

// 16 floats to bf16 (round to nearest even), in the low halves of 16 32-bit lanes
BF16_TARGET static inline __m512i bf16_lanes(__m512 x) {
    return _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(x));
}

// a packed fp32 panel (kc, w) into bf16 pairs (kc rounded up to even / 2, w, 2): rows 2p and
// 2p + 1 of each column in one 32-bit word (the odd row past kc is 0)
BF16_TARGET static void panel_to_bf16(uint16_t *dst, const float *src, int64_t kc, int64_t w) {
    for (int64_t k = 0; k < kc; k += 2)
        for (int64_t j = 0; j < w; j += 16) {
            __m512i lo = bf16_lanes(_mm512_load_ps(src + k * w + j));
            __m512i hi = k + 1 < kc ? bf16_lanes(_mm512_load_ps(src + (k + 1) * w + j))
                                    : _mm512_setzero_si512();
            _mm512_store_si512(dst + k * w + 2 * j, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
        }
}

// A (M, K) row-major into bf16 rows of K rounded up to even (a 0 past K), row stride ld16
BF16_TARGET static void rows_to_bf16(uint16_t *dst, int64_t ld16, const float *A, int64_t lda,
                                     int64_t M, int64_t K) {
    for (int64_t i = 0; i < M; i++) {
        for (int64_t k = 0; k < K; k += 16) {
            __mmask16 m = lane_mask(K - k);
            __m256bh v = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, A + i * lda + k));
            _mm256_mask_storeu_epi16(dst + i * ld16 + k, m, (__m256i)v);
        }
        if (K % 2) dst[i * ld16 + K] = 0;
    }
}

// the R x 16V tile in bf16: as KERNEL, over kp pairs of steps; a (row r, pair p at
// a[r * rs + 2 p]) and b (pair p at b + p * 32V) in bf16
#define BSTEP(i)                                                                                   \
    if ((i) < rows) {                                                                              \
        int32_t pair;                                                                              \
        memcpy(&pair, a + (i) * rs, sizeof pair);                                                  \
        __m512bh x = (__m512bh)_mm512_set1_epi32(pair);                                            \
        BDOT(i, 0) BDOT(i, 1) BDOT(i, 2) BDOT(i, 3)                                                \
    }
#define BDOT(i, v)                                                                                 \
    if ((v) < vecs) c##i##v = _mm512_dpbf16_ps(c##i##v, x, b##v);
#define BLOAD(v) __m512bh b##v = (__m512bh)((v) < vecs ? _mm512_load_si512(b + 32 * (v)) : _mm512_setzero_si512());
#define KERNEL_BF16(R, V)                                                                          \
    BF16_TARGET static void kernel16_##R##_##V(int64_t kp, const uint16_t *a, int64_t rs,         \
                                               const uint16_t *b, float *c, int64_t ldc,          \
                                               int64_t n, float alpha, float beta,                \
                                               const float *bias, int relu) {                     \
        const __m512 zero = _mm512_setzero_ps();                                                   \
        const int rows = R, vecs = V;                                                              \
        ROWS(DECL)                                                                                 \
        for (int64_t p = 0; p < kp; p++, a += 2, b += 32 * vecs) {                                 \
            BLOAD(0) BLOAD(1) BLOAD(2) BLOAD(3)                                                    \
            ROWS(BSTEP)                                                                            \
        }                                                                                          \
        ROWS(STORE)                                                                                \
    }
#define KERNELS_BF16(R) KERNEL_BF16(R, 1) KERNEL_BF16(R, 2) KERNEL_BF16(R, 3) KERNEL_BF16(R, 4)
KERNELS_BF16(1)
KERNELS_BF16(2)
KERNELS_BF16(3)
KERNELS_BF16(4)
KERNELS_BF16(5)
KERNELS_BF16(6)

typedef void (*kernel16_fn)(int64_t, const uint16_t *, int64_t, const uint16_t *, float *, int64_t,
                            int64_t, float, float, const float *, int);
#define KERNEL16_ROW(R) {kernel16_##R##_1, kernel16_##R##_2, kernel16_##R##_3, kernel16_##R##_4},
static const kernel16_fn kernels16[MR][4] = {
    KERNEL16_ROW(1) KERNEL16_ROW(2) KERNEL16_ROW(3) KERNEL16_ROW(4) KERNEL16_ROW(5) KERNEL16_ROW(6)};

// C rows i0..i1, columns j0..j1, on the calling thread
static void gemm_range(const gemm_call *g, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    if (!tl_bpack) {
        tl_bpack = alloc64(sizeof(float) * KC * NC);
        JEPA_CHECK_MSG(tl_bpack, "out of memory for the GEMM packing buffers");
    }
    if (g->bf16 && !tl_bpack16) {
        tl_bpack16 = alloc64(sizeof(uint16_t) * (KC + 1) * NC);
        JEPA_CHECK_MSG(tl_bpack16, "out of memory for the GEMM packing buffers");
    }
    float *bpack = tl_bpack;
    int64_t K = g->K, ldc = g->ldc;
    // K in equal blocks of at most KC steps (multiples of 8), so no block is a short remainder
    int64_t blocks = (K + KC - 1) / KC, step = ((K + blocks - 1) / blocks + 7) / 8 * 8;
    for (int64_t jc = j0; jc < j1; jc += NC) {
        int64_t nc = j1 - jc < NC ? j1 - jc : NC;
        for (int64_t pc = 0; pc < K; pc += step) {
            int64_t kc = K - pc < step ? K - pc : step;
            // the first block of K applies beta, the next ones add to it, the last one the epilogue
            float beta_k = pc == 0 ? g->beta : 1.0f;
            int last = pc + kc == K;
            // this block's panels: packed here, or kept from an earlier call (then all of B's
            // columns are this call's, j0 = 0); in bf16, kc2 halves per column
            int64_t ncw = (nc + 15) / 16 * 16, kc2 = (kc + 1) / 2 * 2;
            float *bp = g->packed && !g->bf16 ? (float *)g->packed + K * jc + pc * ncw : bpack;
            uint16_t *bp16 = g->packed && g->bf16
                                 ? (uint16_t *)g->packed + (K + 1) / 2 * 2 * jc + pc * ncw
                                 : tl_bpack16;
            if (!g->packed_ready)
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    int64_t w = nc - jr < NR ? nc - jr : NR;
                    pack_panel(bp + jr * kc, g->trans_b, g->B, g->ldb, pc, kc, jc + jr, w);
                    if (g->bf16) panel_to_bf16(bp16 + jr * kc2, bp + jr * kc, kc, (w + 15) / 16 * 16);
                }
            for (int64_t ir = i0; ir < i1; ir += MR) {
                int64_t mr = i1 - ir < MR ? i1 - ir : MR;
                const float *a;
                int64_t rs, ks;
                if (g->trans_a) {
                    a = g->A + pc * g->lda + ir, rs = 1, ks = g->lda;
                } else {
                    a = g->A + ir * g->lda + pc, rs = g->lda, ks = 1;
                }
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    int64_t n = nc - jr < NR ? nc - jr : NR;
                    const float *bias = last && g->bias ? g->bias + jc + jr : NULL;
                    float *c = g->C + ir * ldc + jc + jr;
                    if (g->bf16)
                        kernels16[mr - 1][(n + 15) / 16 - 1](
                            kc2 / 2, g->a16 + ir * g->lda16 + pc, g->lda16, bp16 + jr * kc2, c,
                            ldc, n, g->alpha, beta_k, bias, last && g->relu);
                    else
                        kernels[mr - 1][(n + 15) / 16 - 1](kc, a, rs, ks, bp + jr * kc, c, ldc, n,
                                                           g->alpha, beta_k, bias,
                                                           last && g->relu);
                }
            }
        }
    }
}

// the whole call, on jepa_threads_get() threads; reuse: op(B) may be kept packed (in a scope)
static void gemm_run(gemm_call *g, int64_t M, int64_t N, int reuse) {
    int64_t K = g->K;
    if (M == 0 || N == 0 || K == 0) return; // jepa_sgemm handles them
    // one thread per MIN_WORK multiply-adds at least; split the columns of C into whole tiles
    // (each thread packs only its own part of B) unless they are too few to share evenly, then
    // the rows (each thread packs all of B)
    // (inside a parallel region, such as the planner's batches, the calling thread alone)
    int64_t threads = omp_in_parallel() ? 1 : jepa_threads_get(), work = M * N * K / MIN_WORK;
    if (threads > work) threads = work > 1 ? work : 1;
    int64_t tiles_n = (N + NR - 1) / NR, tiles_m = (M + MR - 1) / MR;
    int split_n = tiles_n % threads == 0 || tiles_n >= 4 * threads || tiles_n >= tiles_m;
    int64_t tiles = split_n ? tiles_n : tiles_m;
    if (threads > tiles) threads = tiles;
    // bf16 (this thread's choice, the CPU permitting, op(A) in place): A converted once here
    if (reuse && tl_bf16 && !g->trans_a && jepa_sgemm_avx512_bf16_available()) {
        int64_t ld16 = (K + 1) / 2 * 2;
        if (tl_a16_cap < (size_t)(M * ld16)) {
            free(tl_a16);
            tl_a16 = alloc64(sizeof(uint16_t) * (size_t)(M * ld16 + 32));
            JEPA_CHECK_MSG(tl_a16, "out of memory for the GEMM's bf16 buffer");
            tl_a16_cap = (size_t)(M * ld16);
        }
        rows_to_bf16(tl_a16, ld16, g->A, g->lda, M, K);
        g->bf16 = 1, g->a16 = tl_a16, g->lda16 = ld16;
    }
    if (threads <= 1) {
        if (reuse) reuse_lookup(g, N);
        gemm_range(g, 0, M, 0, N);
        return;
    }
    // each thread owns whole tiles of C, so the result does not depend on the split
#pragma omp parallel for num_threads((int)threads) schedule(static)
    for (int64_t t = 0; t < threads; t++) {
        int64_t lo = tiles * t / threads, hi = tiles * (t + 1) / threads;
        if (split_n)
            gemm_range(g, 0, M, lo * NR, hi * NR < N ? hi * NR : N);
        else
            gemm_range(g, lo * MR, hi * MR < M ? hi * MR : M, 0, N);
    }
}

void jepa_sgemm_avx512(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                       const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                       float *C, int64_t ldc) {
    gemm_call g = {trans_a, trans_b, K, alpha, beta, A, B, NULL, lda, ldb, ldc, C, 0, NULL, 0,
                   0, NULL, 0};
    gemm_run(&g, M, N, 0);
}

void jepa_sgemm_bias_act_avx512(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                const float *A, int64_t lda, const float *B, int64_t ldb,
                                const float *bias, int relu, float *C, int64_t ldc) {
    gemm_call g = {trans_a, trans_b, K, 1.0f, 0.0f, A, B, bias, lda, ldb, ldc, C, relu, NULL, 0,
                   0, NULL, 0};
    gemm_run(&g, M, N, 1);
}
#endif
