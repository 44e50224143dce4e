// The fp32 FMA peak of this machine, measured (shared by the benchmark programs).
#ifndef JEPA_BENCH_PEAK_H
#define JEPA_BENCH_PEAK_H

#include <omp.h>
#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

#include "jepa.h"

// FMAs on 12 independent accumulators (enough to hide the FMA latency of 4 cycles at 2 per
// cycle), named one by one so that they stay in registers; returns the FLOPs done
#define PEAK_ITERS 20000000L
#define PEAK_REPEAT(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#if defined(__AVX512F__)
#define PEAK_LANES 16
typedef __m512 peak_vec;
#define PEAK_SET(v) _mm512_set1_ps(v)
#define PEAK_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define PEAK_ADD(a, b) _mm512_add_ps(a, b)
#define PEAK_STORE(p, v) _mm512_storeu_ps(p, v)
#elif defined(__FMA__)
#define PEAK_LANES 8
typedef __m256 peak_vec;
#define PEAK_SET(v) _mm256_set1_ps(v)
#define PEAK_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define PEAK_ADD(a, b) _mm256_add_ps(a, b)
#define PEAK_STORE(p, v) _mm256_storeu_ps(p, v)
#else
// no FMA instructions: a scalar estimate (the compiler may still vectorize nothing)
#define PEAK_LANES 1
typedef float peak_vec;
#define PEAK_SET(v) (v)
#define PEAK_FMA(a, b, c) ((a) * (b) + (c))
#define PEAK_ADD(a, b) ((a) + (b))
#define PEAK_STORE(p, v) (*(p) = (v))
#endif
static double fma_loop(long iters) {
    const peak_vec mul = PEAK_SET(0.999999f), add = PEAK_SET(1e-7f);
#define PEAK_DECLARE(i) peak_vec acc##i = PEAK_SET((float)(i)*1e-3f);
#define PEAK_STEP(i) acc##i = PEAK_FMA(acc##i, mul, add);
#define PEAK_SUM(i) sum = PEAK_ADD(sum, acc##i);
    PEAK_REPEAT(PEAK_DECLARE)
    for (long it = 0; it < iters; it++) {
        PEAK_REPEAT(PEAK_STEP)
    }
    peak_vec sum = PEAK_SET(0.0f);
    PEAK_REPEAT(PEAK_SUM)
    float lanes[PEAK_LANES];
    PEAK_STORE(lanes, sum);
    volatile float keep = lanes[0]; // the result is used, so the loop stays
    (void)keep;
    return 12.0 * PEAK_LANES * 2.0 * (double)iters;
}

// the best rate of 20 short runs of a loop on `threads` threads, in FLOP/s
static double best_rate(double (*loop)(long), int threads) {
    double best = 0.0;
    for (int rep = 0; rep < 20; rep++) {
        double flops = 0.0, t0 = jepa_time_now();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
        flops += loop(PEAK_ITERS / 16);
        double rate = flops / (jepa_time_now() - t0);
        if (rate > best) best = rate;
    }
    return best;
}

static double measure_peak(int threads) { return best_rate(fma_loop, threads); }

#if defined(__AVX512F__)
// the bf16 dot-product peak (AVX512_BF16 vdpbf16ps: 16 lanes x 2 products a step), the same way;
// call only where the CPU has it (jepa_sgemm_bf16_available)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static inline double dpbf16_loop(long iters) {
    const __m512bh x = (__m512bh)_mm512_set1_epi32(0x3a833a83); // bf16 pairs of about 1e-3
#define PEAK16_DECLARE(i) __m512 acc##i = _mm512_set1_ps((float)(i)*1e-3f);
#define PEAK16_STEP(i) acc##i = _mm512_dpbf16_ps(acc##i, x, x);
#define PEAK16_SUM(i) sum = _mm512_add_ps(sum, acc##i);
    PEAK_REPEAT(PEAK16_DECLARE)
    for (long it = 0; it < iters; it++) {
        PEAK_REPEAT(PEAK16_STEP)
    }
    __m512 sum = _mm512_setzero_ps();
    PEAK_REPEAT(PEAK16_SUM)
    float lanes[16];
    _mm512_storeu_ps(lanes, sum);
    volatile float keep = lanes[0];
    (void)keep;
    return 12.0 * 16 * 4.0 * (double)iters;
}

static inline double measure_peak_bf16(int threads) { return best_rate(dpbf16_loop, threads); }
#endif

#endif
