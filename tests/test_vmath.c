// The vectorizable exp, sigmoid, tanh and normal CDF of src/tensor/vmath.h against double-precision
// libm over dense sweeps, and at the edges (overflow, underflow, infinities, NaN).
#include <float.h>

#include "tensor/vmath.h"
#include "testutil.h"

// the largest relative error of f against the double oracle over [lo, hi) in steps, counting
// only results in float's normal range (subnormals carry fewer bits by definition)
static double sweep(float (*f)(float), double (*oracle)(double), float lo, float hi, float step) {
    double worst = 0.0;
    for (float x = lo; x < hi; x += step) {
        double want = oracle(x), got = f(x);
        if (fabs(want) < FLT_MIN) continue;
        double e = fabs(got - want) / fabs(want);
        if (!(e <= worst)) worst = e;
    }
    return worst;
}

static double exp_d(double x) {
    return exp(x);
}
static double sigmoid_d(double x) {
    return 1.0 / (1.0 + exp(-x));
}
static double tanh_d(double x) {
    return tanh(x);
}
static double normcdf_d(double x) {
    return 0.5 * erfc(-x / sqrt(2.0));
}
static float vexp(float x) {
    return jepa_vexpf(x);
}
static float vsigmoid(float x) {
    return jepa_vsigmoidf(x);
}
static float vtanh(float x) {
    return jepa_vtanhf(x);
}
static float vnormcdf(float x) {
    return jepa_vnormcdff(x);
}

int main(void) {
    // exp: within 2 ulp (2^-23 = 1.19e-7 relative) over its whole normal range
    double e_exp = sweep(vexp, exp_d, -87.3f, 88.7f, 1.3e-4f);
    printf("exp: worst relative error %.3g\n", e_exp);
    CHECK(e_exp <= 2.4e-7);
    CHECK(jepa_vexpf(0.0f) == 1.0f && jepa_vexpf(89.0f) == INFINITY &&
          jepa_vexpf(INFINITY) == INFINITY);
    CHECK(jepa_vexpf(-104.0f) == 0.0f && jepa_vexpf(-INFINITY) == 0.0f && isnan(jepa_vexpf(NAN)));
    // the subnormal range: within one subnormal step (2^-149) of the double result
    CHECK_NEAR(jepa_vexpf(-100.0f), exp(-100.0), 0x1p-149);
    CHECK_NEAR(jepa_vexpf(-90.0f), exp(-90.0), 0x1p-149);
    // near overflow: FLT_MAX is exp(88.7228)
    CHECK_NEAR(jepa_vexpf(88.7f) / exp((double)88.7f), 1.0, 2.4e-7);

    // sigmoid: a few ulp everywhere (exp, one add, one division)
    double e_sig = sweep(vsigmoid, sigmoid_d, -87.0f, 87.0f, 1e-3f);
    printf("sigmoid: worst relative error %.3g\n", e_sig);
    CHECK(e_sig <= 3.6e-7);
    CHECK(jepa_vsigmoidf(INFINITY) == 1.0f && jepa_vsigmoidf(-INFINITY) == 0.0f);
    CHECK(jepa_vsigmoidf(0.0f) == 0.5f && isnan(jepa_vsigmoidf(NAN)));

    // tanh: a few ulp everywhere, across the switch at 0.625 and down to subnormal arguments
    double e_tanh = sweep(vtanh, tanh_d, -12.0f, 12.0f, 1e-4f);
    double e_small = sweep(vtanh, tanh_d, 1e-30f, 1e-3f, 1.7e-7f);
    printf("tanh: worst relative error %.3g on [-12, 12), %.3g on [1e-30, 1e-3)\n", e_tanh,
           e_small);
    CHECK(e_tanh <= 3.6e-7 && e_small <= 1.2e-7);
    CHECK(jepa_vtanhf(INFINITY) == 1.0f && jepa_vtanhf(-INFINITY) == -1.0f);
    CHECK(jepa_vtanhf(0.0f) == 0.0f && !signbit(jepa_vtanhf(0.0f)) && signbit(jepa_vtanhf(-0.0f)));
    CHECK(isnan(jepa_vtanhf(NAN)) && jepa_vtanhf(1e-40f) == 1e-40f);

    // normal CDF: the fit's 1.2e-7 plus float rounding of z^2 in the exp's argument; relative
    // accuracy holds into the left tail
    double e_cdf = sweep(vnormcdf, normcdf_d, -4.0f, 9.0f, 1e-4f);
    double e_tail = sweep(vnormcdf, normcdf_d, -12.0f, -4.0f, 1e-4f);
    printf("normal cdf: worst relative error %.3g on [-4, 9), %.3g on [-12, -4)\n", e_cdf, e_tail);
    CHECK(e_cdf <= 2e-6 && e_tail <= 2e-5);
    CHECK_NEAR(jepa_vnormcdff(0.0f), 0.5, 1.2e-7);
    CHECK(jepa_vnormcdff(INFINITY) == 1.0f && jepa_vnormcdff(-INFINITY) == 0.0f);
    CHECK(jepa_vnormcdff(-20.0f) == 0.0f && isnan(jepa_vnormcdff(NAN)));
    return test_finish("test_vmath");
}
