// Unary kernels (math and activations), forward and backward. The optimized versions compute
// in float with one loop per kind, vectorized where the body allows and threaded over large
// sizes; the _ref twins compute every element in double with libm.
#include <math.h>

#include "jepa/threads.h"
#include "tensor/elementwise.h"

#define SQRT1_2 0.70710678118654752440        // 1/sqrt(2)
#define INV_SQRT_2PI 0.39894228040143267794   // 1/sqrt(2 pi)
#define SQRT_2_OVER_PI 0.79788456080286535588 // sqrt(2/pi)
#define GELU_CUBIC 0.044715

// ---- float formulas (optimized) ----

static float sigmoidf(float x) {
    // exp of a non-positive number only, so it never overflows
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

static float gelu_tanh_inner(float x) {
    return (float)SQRT_2_OVER_PI * (x + (float)GELU_CUBIC * x * x * x);
}

static float unary_f(jepa_unary_kind kind, float x, float p) {
    switch (kind) {
    case JEPA_UNARY_SCALE:
        return p * x;
    case JEPA_UNARY_ADD_SCALAR:
        return x + p;
    case JEPA_UNARY_EXP:
        return expf(x);
    case JEPA_UNARY_LOG:
        return logf(x);
    case JEPA_UNARY_SQRT:
        return sqrtf(x);
    case JEPA_UNARY_SQUARE:
        return x * x;
    case JEPA_UNARY_ABS:
        return fabsf(x);
    case JEPA_UNARY_COS:
        return cosf(x);
    case JEPA_UNARY_SIN:
        return sinf(x);
    case JEPA_UNARY_CLAMP_MIN:
        return x >= p ? x : p;
    case JEPA_UNARY_RELU:
        return x > 0.0f ? x : 0.0f;
    case JEPA_UNARY_GELU:
        return 0.5f * x * (1.0f + erff(x * (float)SQRT1_2));
    case JEPA_UNARY_GELU_TANH:
        return 0.5f * x * (1.0f + tanhf(gelu_tanh_inner(x)));
    case JEPA_UNARY_SILU:
        return x * sigmoidf(x);
    case JEPA_UNARY_TANH:
        return tanhf(x);
    case JEPA_UNARY_SIGMOID:
        return sigmoidf(x);
    }
    return 0.0f;
}

// dy/dx at x, with y = f(x) already known
static float unary_df(jepa_unary_kind kind, float x, float y, float p) {
    switch (kind) {
    case JEPA_UNARY_SCALE:
        return p;
    case JEPA_UNARY_ADD_SCALAR:
        return 1.0f;
    case JEPA_UNARY_EXP:
        return y;
    case JEPA_UNARY_LOG:
        return 1.0f / x;
    case JEPA_UNARY_SQRT:
        return 0.5f / y;
    case JEPA_UNARY_SQUARE:
        return 2.0f * x;
    case JEPA_UNARY_ABS:
        return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
    case JEPA_UNARY_COS:
        return -sinf(x);
    case JEPA_UNARY_SIN:
        return cosf(x);
    case JEPA_UNARY_CLAMP_MIN:
        return x >= p ? 1.0f : 0.0f;
    case JEPA_UNARY_RELU:
        return x > 0.0f ? 1.0f : 0.0f;
    case JEPA_UNARY_GELU:
        return 0.5f * (1.0f + erff(x * (float)SQRT1_2)) +
               x * (float)INV_SQRT_2PI * expf(-0.5f * x * x);
    case JEPA_UNARY_GELU_TANH: {
        float t = tanhf(gelu_tanh_inner(x));
        return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * (float)SQRT_2_OVER_PI *
                                       (1.0f + 3.0f * (float)GELU_CUBIC * x * x);
    }
    case JEPA_UNARY_SILU: {
        float s = sigmoidf(x);
        return s * (1.0f + x * (1.0f - s));
    }
    case JEPA_UNARY_TANH:
        return 1.0f - y * y;
    case JEPA_UNARY_SIGMOID:
        return y * (1.0f - y);
    }
    return 0.0f;
}

// ---- double formulas (reference) ----

static double sigmoid_d(double x) {
    return x >= 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

static double unary_d(jepa_unary_kind kind, double x, double p) {
    switch (kind) {
    case JEPA_UNARY_SCALE:
        return p * x;
    case JEPA_UNARY_ADD_SCALAR:
        return x + p;
    case JEPA_UNARY_EXP:
        return exp(x);
    case JEPA_UNARY_LOG:
        return log(x);
    case JEPA_UNARY_SQRT:
        return sqrt(x);
    case JEPA_UNARY_SQUARE:
        return x * x;
    case JEPA_UNARY_ABS:
        return fabs(x);
    case JEPA_UNARY_COS:
        return cos(x);
    case JEPA_UNARY_SIN:
        return sin(x);
    case JEPA_UNARY_CLAMP_MIN:
        return x >= p ? x : p;
    case JEPA_UNARY_RELU:
        return x > 0.0 ? x : 0.0;
    case JEPA_UNARY_GELU:
        return 0.5 * x * (1.0 + erf(x * SQRT1_2));
    case JEPA_UNARY_GELU_TANH:
        return 0.5 * x * (1.0 + tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)));
    case JEPA_UNARY_SILU:
        return x * sigmoid_d(x);
    case JEPA_UNARY_TANH:
        return tanh(x);
    case JEPA_UNARY_SIGMOID:
        return sigmoid_d(x);
    }
    return 0.0;
}

static double unary_dd(jepa_unary_kind kind, double x, double p) {
    switch (kind) {
    case JEPA_UNARY_SCALE:
        return p;
    case JEPA_UNARY_ADD_SCALAR:
        return 1.0;
    case JEPA_UNARY_EXP:
        return exp(x);
    case JEPA_UNARY_LOG:
        return 1.0 / x;
    case JEPA_UNARY_SQRT:
        return 0.5 / sqrt(x);
    case JEPA_UNARY_SQUARE:
        return 2.0 * x;
    case JEPA_UNARY_ABS:
        return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0);
    case JEPA_UNARY_COS:
        return -sin(x);
    case JEPA_UNARY_SIN:
        return cos(x);
    case JEPA_UNARY_CLAMP_MIN:
        return x >= p ? 1.0 : 0.0;
    case JEPA_UNARY_RELU:
        return x > 0.0 ? 1.0 : 0.0;
    case JEPA_UNARY_GELU:
        return 0.5 * (1.0 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * exp(-0.5 * x * x);
    case JEPA_UNARY_GELU_TANH: {
        double t = tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x));
        return 0.5 * (1.0 + t) +
               0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * x * x);
    }
    case JEPA_UNARY_SILU: {
        double s = sigmoid_d(x);
        return s * (1.0 + x * (1.0 - s));
    }
    case JEPA_UNARY_TANH:
        return 1.0 - tanh(x) * tanh(x);
    case JEPA_UNARY_SIGMOID:
        return sigmoid_d(x) * (1.0 - sigmoid_d(x));
    }
    return 0.0;
}

// ---- kernels ----

// the loop bodies that vectorize get their own loop; the rest share one through unary_f
void jepa_unary_kernel(jepa_unary_kind kind, float *y, const float *x, int64_t n, float p) {
    int par = n >= JEPA_PARALLEL_MIN;
    switch (kind) {
    case JEPA_UNARY_SCALE:
#pragma omp parallel for simd if (par) num_threads(jepa_threads_get())
        for (int64_t i = 0; i < n; i++) y[i] = p * x[i];
        break;
    case JEPA_UNARY_ADD_SCALAR:
#pragma omp parallel for simd if (par) num_threads(jepa_threads_get())
        for (int64_t i = 0; i < n; i++) y[i] = x[i] + p;
        break;
    case JEPA_UNARY_SQUARE:
#pragma omp parallel for simd if (par) num_threads(jepa_threads_get())
        for (int64_t i = 0; i < n; i++) y[i] = x[i] * x[i];
        break;
    case JEPA_UNARY_RELU:
#pragma omp parallel for simd if (par) num_threads(jepa_threads_get())
        for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    default:
#pragma omp parallel for if (par) num_threads(jepa_threads_get())
        for (int64_t i = 0; i < n; i++) y[i] = unary_f(kind, x[i], p);
    }
}

void jepa_unary_kernel_ref(jepa_unary_kind kind, float *y, const float *x, int64_t n, float p) {
    for (int64_t i = 0; i < n; i++) y[i] = (float)unary_d(kind, x[i], p);
}

void jepa_unary_backward_kernel(jepa_unary_kind kind, float *gx, const float *g, const float *x,
                                const float *y, int64_t n, float p) {
    int par = n >= JEPA_PARALLEL_MIN;
    switch (kind) {
    case JEPA_UNARY_SCALE:
#pragma omp parallel for simd if (par) num_threads(jepa_threads_get())
        for (int64_t i = 0; i < n; i++) gx[i] += p * g[i];
        break;
    case JEPA_UNARY_RELU:
#pragma omp parallel for simd if (par) num_threads(jepa_threads_get())
        for (int64_t i = 0; i < n; i++) gx[i] += x[i] > 0.0f ? g[i] : 0.0f;
        break;
    default:
#pragma omp parallel for if (par) num_threads(jepa_threads_get())
        for (int64_t i = 0; i < n; i++) gx[i] += g[i] * unary_df(kind, x[i], y[i], p);
    }
}

void jepa_unary_backward_kernel_ref(jepa_unary_kind kind, float *gx, const float *g, const float *x,
                                    const float *y, int64_t n, float p) {
    (void)y; // the reference derives everything from x
    for (int64_t i = 0; i < n; i++) gx[i] = (float)((double)gx[i] + g[i] * unary_dd(kind, x[i], p));
}
