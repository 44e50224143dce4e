// Softmax and log-softmax along one axis, forward and backward. Every line along the axis is
// shifted by its maximum before exp, so no input overflows. The optimized versions compute in
// float with lines spread over threads and contiguous lines vectorized; the _ref twins in double.
#include <math.h>

#include "jepa/threads.h"
#include "tensor/elementwise.h"
#include "tensor/vmath.h"

// one line of n elements with stride st; inlined with st = 1 for contiguous lines, so the loops
// vectorize (exp included, from vmath.h)
static inline void softmax_line(float *yl, const float *xl, int64_t n, int64_t st, int log_out) {
    float m = -INFINITY, s = 0.0f;
#pragma omp simd reduction(max : m)
    for (int64_t k = 0; k < n; k++) m = xl[k * st] > m ? xl[k * st] : m;
    if (log_out) {
#pragma omp simd reduction(+ : s)
        for (int64_t k = 0; k < n; k++) s += jepa_vexpf(xl[k * st] - m);
        // (x - m) is exact near the maximum; subtracting m + log s at once would round
        float log_s = logf(s);
#pragma omp simd
        for (int64_t k = 0; k < n; k++) yl[k * st] = (xl[k * st] - m) - log_s;
    } else {
#pragma omp simd reduction(+ : s)
        for (int64_t k = 0; k < n; k++) {
            float e = jepa_vexpf(xl[k * st] - m);
            yl[k * st] = e;
            s += e;
        }
        float inv = 1.0f / s;
#pragma omp simd
        for (int64_t k = 0; k < n; k++) yl[k * st] *= inv;
    }
}

void jepa_softmax_kernel(float *y, const float *x, int64_t outer, int64_t n, int64_t inner,
                         int log_out) {
    int64_t lines = outer * inner;
#pragma omp parallel for if (lines * n >= JEPA_PARALLEL_MIN) num_threads(jepa_threads_get())
    for (int64_t l = 0; l < lines; l++) {
        // the line: n elements with stride inner
        int64_t base = l / inner * n * inner + l % inner;
        if (inner == 1)
            softmax_line(y + base, x + base, n, 1, log_out);
        else
            softmax_line(y + base, x + base, n, inner, log_out);
    }
}

void jepa_softmax_kernel_ref(float *y, const float *x, int64_t outer, int64_t n, int64_t inner,
                             int log_out) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *xl = x + o * n * inner + i;
            float *yl = y + o * n * inner + i;
            double m = -INFINITY, s = 0.0;
            for (int64_t k = 0; k < n; k++) m = fmax(m, xl[k * inner]);
            for (int64_t k = 0; k < n; k++) s += exp(xl[k * inner] - m);
            for (int64_t k = 0; k < n; k++)
                yl[k * inner] =
                    (float)(log_out ? xl[k * inner] - m - log(s) : exp(xl[k * inner] - m) / s);
        }
}

// softmax: gx = y (g - sum g y); log-softmax: gx = g - softmax sum g (one line, stride st)
static inline void softmax_backward_line(float *gxl, const float *gl, const float *yl, int64_t n,
                                         int64_t st, int log_out) {
    float s = 0.0f;
    if (log_out) {
#pragma omp simd reduction(+ : s)
        for (int64_t k = 0; k < n; k++) s += gl[k * st];
#pragma omp simd
        for (int64_t k = 0; k < n; k++) gxl[k * st] += gl[k * st] - jepa_vexpf(yl[k * st]) * s;
    } else {
#pragma omp simd reduction(+ : s)
        for (int64_t k = 0; k < n; k++) s += gl[k * st] * yl[k * st];
#pragma omp simd
        for (int64_t k = 0; k < n; k++) gxl[k * st] += yl[k * st] * (gl[k * st] - s);
    }
}

void jepa_softmax_backward_kernel(float *gx, const float *g, const float *y, int64_t outer,
                                  int64_t n, int64_t inner, int log_out) {
    int64_t lines = outer * inner;
#pragma omp parallel for if (lines * n >= JEPA_PARALLEL_MIN) num_threads(jepa_threads_get())
    for (int64_t l = 0; l < lines; l++) {
        int64_t base = l / inner * n * inner + l % inner;
        if (inner == 1)
            softmax_backward_line(gx + base, g + base, y + base, n, 1, log_out);
        else
            softmax_backward_line(gx + base, g + base, y + base, n, inner, log_out);
    }
}

void jepa_softmax_backward_kernel_ref(float *gx, const float *g, const float *y, int64_t outer,
                                      int64_t n, int64_t inner, int log_out) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * n * inner + i;
            double s = 0.0;
            for (int64_t k = 0; k < n; k++) {
                int64_t j = base + k * inner;
                s += log_out ? (double)g[j] : (double)g[j] * y[j];
            }
            for (int64_t k = 0; k < n; k++) {
                int64_t j = base + k * inner;
                double d = log_out ? g[j] - exp((double)y[j]) * s : y[j] * (g[j] - s);
                gx[j] = (float)(gx[j] + d);
            }
        }
}
