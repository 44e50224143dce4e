// Unary kernels (math and activations), forward and backward. The optimized versions compute
// in float with one loop per kind, threaded over large sizes and vectorized (exp, sigmoid and
// the normal CDF from vmath.h; log, sqrt, cos, sin and tanh stay libm calls); the _ref twins
// compute every element in double with libm.
#include <math.h>

#include "jepa/threads.h"
#include "tensor/elementwise.h"
#include "tensor/vmath.h"

#define SQRT1_2 0.70710678118654752440        // 1/sqrt(2)
#define INV_SQRT_2PI 0.39894228040143267794   // 1/sqrt(2 pi)
#define SQRT_2_OVER_PI 0.79788456080286535588 // sqrt(2/pi)
#define GELU_CUBIC 0.044715

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

// one threaded, vectorized loop per kind: y[i] = EXPR of v = x[i]
#define UNARY_LOOP(EXPR)                                                                           \
    _Pragma("omp parallel for simd if (parallel: par) num_threads(jepa_threads_get())")           \
    for (int64_t i = 0; i < n; i++) {                                                              \
        float v = x[i];                                                                            \
        y[i] = EXPR;                                                                               \
    }                                                                                              \
    break;

// the tanh-approximate GELU's argument, sqrt(2/pi) (v + 0.044715 v^3), doubled
#define GELU_TANH_2U(v) (2.0f * (float)SQRT_2_OVER_PI * ((v) + (float)GELU_CUBIC * (v) * (v) * (v)))

void jepa_unary_kernel(jepa_unary_kind kind, float *y, const float *x, int64_t n, float p) {
    int par = n >= JEPA_PARALLEL_MIN;
    switch (kind) {
    case JEPA_UNARY_SCALE:
        UNARY_LOOP(p * v)
    case JEPA_UNARY_ADD_SCALAR:
        UNARY_LOOP(v + p)
    case JEPA_UNARY_EXP:
        UNARY_LOOP(jepa_vexpf(v))
    case JEPA_UNARY_LOG:
        UNARY_LOOP(logf(v))
    case JEPA_UNARY_SQRT:
        UNARY_LOOP(sqrtf(v))
    case JEPA_UNARY_SQUARE:
        UNARY_LOOP(v * v)
    case JEPA_UNARY_ABS:
        UNARY_LOOP(fabsf(v))
    case JEPA_UNARY_COS:
        UNARY_LOOP(cosf(v))
    case JEPA_UNARY_SIN:
        UNARY_LOOP(sinf(v))
    case JEPA_UNARY_CLAMP_MIN:
        UNARY_LOOP(v >= p ? v : p)
    case JEPA_UNARY_RELU:
        UNARY_LOOP(v > 0.0f ? v : 0.0f)
    case JEPA_UNARY_GELU:
        UNARY_LOOP(v * jepa_vnormcdff(v))
    // 0.5 (1 + tanh u) = sigmoid(2u), without tanh's cancellation for negative u
    case JEPA_UNARY_GELU_TANH:
        UNARY_LOOP(v * jepa_vsigmoidf(GELU_TANH_2U(v)))
    case JEPA_UNARY_SILU:
        UNARY_LOOP(v * jepa_vsigmoidf(v))
    case JEPA_UNARY_TANH:
        UNARY_LOOP(jepa_vtanhf(v))
    case JEPA_UNARY_SIGMOID:
        UNARY_LOOP(jepa_vsigmoidf(v))
    }
}

void jepa_unary_kernel_ref(jepa_unary_kind kind, float *y, const float *x, int64_t n, float p) {
    for (int64_t i = 0; i < n; i++) y[i] = (float)unary_d(kind, x[i], p);
}

// gx[i] += g[i] * DERIV, with v = x[i] and w = y[i]
#define GRAD_LOOP(DERIV)                                                                           \
    _Pragma("omp parallel for simd if (parallel: par) num_threads(jepa_threads_get())")           \
    for (int64_t i = 0; i < n; i++) {                                                              \
        float v = x[i], w = y[i];                                                                  \
        (void)v, (void)w;                                                                          \
        gx[i] += g[i] * (DERIV);                                                                   \
    }                                                                                              \
    break;

// d/dv v sigmoid(s): with s = sigmoid(v), s (1 + v (1 - s))
static inline float silu_grad(float v) {
    float s = jepa_vsigmoidf(v);
    return s * (1.0f + v * (1.0f - s));
}

// d/dv v Phi(v) = Phi(v) + v phi(v)
static inline float gelu_grad(float v) {
    return jepa_vnormcdff(v) + v * (float)INV_SQRT_2PI * jepa_vexpf(-0.5f * v * v);
}

// d/dv v sigmoid(2u) = s + 2 v s (1 - s) u', with s = sigmoid(2u)
static inline float gelu_tanh_grad(float v) {
    float s = jepa_vsigmoidf(GELU_TANH_2U(v));
    float du = (float)SQRT_2_OVER_PI * (1.0f + 3.0f * (float)GELU_CUBIC * v * v);
    return s + 2.0f * v * s * (1.0f - s) * du;
}

void jepa_unary_backward_kernel(jepa_unary_kind kind, float *gx, const float *g, const float *x,
                                const float *y, int64_t n, float p) {
    int par = n >= JEPA_PARALLEL_MIN;
    switch (kind) {
    case JEPA_UNARY_SCALE:
        GRAD_LOOP(p)
    case JEPA_UNARY_ADD_SCALAR:
        GRAD_LOOP(1.0f)
    case JEPA_UNARY_EXP:
        GRAD_LOOP(w)
    case JEPA_UNARY_LOG:
        GRAD_LOOP(1.0f / v)
    case JEPA_UNARY_SQRT:
        GRAD_LOOP(0.5f / w)
    case JEPA_UNARY_SQUARE:
        GRAD_LOOP(2.0f * v)
    case JEPA_UNARY_ABS:
        GRAD_LOOP(v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f))
    case JEPA_UNARY_COS:
        GRAD_LOOP(-sinf(v))
    case JEPA_UNARY_SIN:
        GRAD_LOOP(cosf(v))
    case JEPA_UNARY_CLAMP_MIN:
        GRAD_LOOP(v >= p ? 1.0f : 0.0f)
    case JEPA_UNARY_RELU:
        GRAD_LOOP(v > 0.0f ? 1.0f : 0.0f)
    case JEPA_UNARY_GELU:
        GRAD_LOOP(gelu_grad(v))
    case JEPA_UNARY_GELU_TANH:
        GRAD_LOOP(gelu_tanh_grad(v))
    case JEPA_UNARY_SILU:
        GRAD_LOOP(silu_grad(v))
    case JEPA_UNARY_TANH:
        GRAD_LOOP(1.0f - w * w)
    case JEPA_UNARY_SIGMOID:
        GRAD_LOOP(w * (1.0f - w))
    }
}

void jepa_unary_backward_kernel_ref(jepa_unary_kind kind, float *gx, const float *g, const float *x,
                                    const float *y, int64_t n, float p) {
    (void)y; // the reference derives everything from x
    for (int64_t i = 0; i < n; i++) gx[i] = (float)((double)gx[i] + g[i] * unary_dd(kind, x[i], p));
}
