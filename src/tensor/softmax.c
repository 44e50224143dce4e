// Softmax and log-softmax along one axis, forward and backward. Every line along the axis is
// shifted by its maximum before exp, so no input overflows. The optimized versions compute in
// float with lines spread over threads; the _ref twins in double.
#include <math.h>

#include "jepa/threads.h"
#include "tensor/elementwise.h"

void jepa_softmax_kernel(float *y, const float *x, int64_t outer, int64_t n, int64_t inner,
                         int log_out) {
    int64_t lines = outer * inner;
#pragma omp parallel for if (lines * n >= JEPA_PARALLEL_MIN) num_threads(jepa_threads_get())
    for (int64_t l = 0; l < lines; l++) {
        // the line: n elements with stride inner
        int64_t base = l / inner * n * inner + l % inner;
        const float *xl = x + base;
        float *yl = y + base;
        float m = -INFINITY;
        for (int64_t k = 0; k < n; k++) m = xl[k * inner] > m ? xl[k * inner] : m;
        float s = 0.0f;
        for (int64_t k = 0; k < n; k++) {
            float e = expf(xl[k * inner] - m);
            s += e;
            if (!log_out) yl[k * inner] = e;
        }
        if (log_out) {
            // (x - m) is exact near the maximum; subtracting m + log s at once would round
            float log_s = logf(s);
            for (int64_t k = 0; k < n; k++) yl[k * inner] = (xl[k * inner] - m) - log_s;
        } else {
            float inv = 1.0f / s;
            for (int64_t k = 0; k < n; k++) yl[k * inner] *= inv;
        }
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

void jepa_softmax_backward_kernel(float *gx, const float *g, const float *y, int64_t outer,
                                  int64_t n, int64_t inner, int log_out) {
    int64_t lines = outer * inner;
#pragma omp parallel for if (lines * n >= JEPA_PARALLEL_MIN) num_threads(jepa_threads_get())
    for (int64_t l = 0; l < lines; l++) {
        int64_t base = l / inner * n * inner + l % inner;
        const float *gl = g + base, *yl = y + base;
        float *gxl = gx + base;
        // softmax: gx = y (g - sum g y); log-softmax: gx = g - softmax sum g
        float s = 0.0f;
        for (int64_t k = 0; k < n; k++)
            s += log_out ? gl[k * inner] : gl[k * inner] * yl[k * inner];
        for (int64_t k = 0; k < n; k++) {
            int64_t j = k * inner;
            gxl[j] += log_out ? gl[j] - expf(yl[j]) * s : yl[j] * (gl[j] - s);
        }
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
