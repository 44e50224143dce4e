// Coloured noise for iCEM: Gaussian coefficients shaped by f^(-beta/2) in frequency, turned into
// a sequence by an inverse real DFT (horizons are short, so a direct sum is cheap).
#include <math.h>

#include "jepa/plan.h"
#include "jepa/status.h"

#define TWO_PI 6.283185307179586

void jepa_colored_noise(float *out, int64_t n, int h, float beta, jepa_rng *rng) {
    JEPA_CHECK(h >= 1 && h <= JEPA_PLAN_MAX_HORIZON);
    int nf = h / 2 + 1; // frequencies k / h, k = 0..h/2
    double scale[JEPA_PLAN_MAX_HORIZON / 2 + 1];
    // amplitude per frequency; the zero frequency takes the lowest non-zero one's scale
    double var = 0.0;
    for (int k = 0; k < nf; k++) {
        double f = (k == 0 ? 1.0 : (double)k) / h;
        scale[k] = pow(f, -0.5 * beta);
    }
    // the variance of one output sample, so the result has unit variance
    for (int k = 0; k < nf; k++) {
        int real_only = k == 0 || (h % 2 == 0 && k == h / 2);
        var += (real_only ? 1.0 : 2.0) * scale[k] * scale[k];
    }
    double norm = 1.0 / sqrt(var);
    double re[JEPA_PLAN_MAX_HORIZON / 2 + 1], im[JEPA_PLAN_MAX_HORIZON / 2 + 1];
    for (int64_t s = 0; s < n; s++) {
        // random coefficients: real ones N(0, scale^2); a conjugate pair's parts N(0, scale^2/2)
        for (int k = 0; k < nf; k++) {
            int real_only = k == 0 || (h % 2 == 0 && k == h / 2);
            double sd = real_only ? scale[k] : scale[k] * sqrt(0.5);
            re[k] = sd * jepa_rng_normal(rng);
            im[k] = real_only ? 0.0 : sd * jepa_rng_normal(rng);
        }
        // inverse real DFT: x_t = sum_k c_k (re cos - im sin), c_k = 1 or 2 (conjugate pair)
        for (int t = 0; t < h; t++) {
            double x = 0.0;
            for (int k = 0; k < nf; k++) {
                int real_only = k == 0 || (h % 2 == 0 && k == h / 2);
                double w = TWO_PI * k * t / h;
                x += (real_only ? 1.0 : 2.0) * (re[k] * cos(w) - im[k] * sin(w));
            }
            out[s * h + t] = (float)(x * norm);
        }
    }
}
