// Branch-free float exp, sigmoid, tanh and normal CDF that compilers vectorize inside `omp simd`
// loops (libm's expf and erff are calls that block vectorization). Accuracy is checked against
// double-precision libm in tests/test_elementwise.c and test_activation.c.
#ifndef JEPA_TENSOR_VMATH_H
#define JEPA_TENSOR_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

// exp(x) within about 2 ulp: x = n ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2), a
// degree-6 polynomial for exp(r) (Cephes' expf coefficients), then 2^n applied in two halves so
// the results near overflow and in the subnormal range come out right. NaN stays NaN.
static inline float jepa_vexpf(float x) {
    // beyond these, the result is inf or rounds to 0 anyway
    float xc = x != x ? 0.0f : (x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x));
    // n = round(x / ln2) by the 1.5 * 2^23 trick (floorf would not vectorize)
    float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    // 2^n as two normal powers of two, n = h + (n - h)
    int32_t ni = (int32_t)n, h = ni / 2;
    uint32_t b1 = (uint32_t)(h + 127) << 23, b2 = (uint32_t)(ni - h + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    y = y * s1 * s2;
    return x != x ? x : y;
}

// 1 / (1 + exp(-x)) from exp(-|x|), which never overflows.
static inline float jepa_vsigmoidf(float x) {
    float e = jepa_vexpf(-fabsf(x));
    float inv = 1.0f / (1.0f + e);
    return x >= 0.0f ? inv : e * inv;
}

// tanh(x) on a = |x|, its sign put back (tanh(-0) = -0, NaN stays NaN): below 0.625 an odd
// polynomial, a + a^3 P(a^2) (Cephes' tanhf coefficients), where 1 - 2 / (exp(2a) + 1) would lose
// the digits of a small a; from 0.625 (1 - e) / (1 + e) with e = exp(-2a) <= 0.29, which never
// overflows and rounds to 1 from a = 9.
static inline float jepa_vtanhf(float x) {
    float a = fabsf(x), z = a * a;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = a + a * z * p;
    float e = jepa_vexpf(-2.0f * a);
    float large = (1.0f - e) / (1.0f + e);
    return copysignf(a < 0.625f ? small : large, x);
}

// The standard normal CDF Phi(x) = 0.5 erfc(-x / sqrt 2), with erfc from the Chebyshev fit of
// Numerical Recipes (erfcc, fractional error < 1.2e-7 everywhere), so Phi keeps its relative
// accuracy in the left tail; z^2 is split exactly (fma) before the exp.
static inline float jepa_vnormcdff(float x) {
    // beyond z = 13, erfc(z) < 1e-74 is 0 in float; the clamp keeps z^2 finite for x = +-inf
    float z = fabsf(x) * 0.70710678118654752f;
    z = z > 13.0f ? 13.0f : z;
    float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    float z2 = z * z, z2_low = fmaf(z, z, -z2); // z^2 = z2 + z2_low exactly
    float half_erfc = 0.5f * t * jepa_vexpf(p - z2) * (1.0f - z2_low);
    return x < 0.0f ? half_erfc : 1.0f - half_erfc;
}

#endif
