// Philox-4x32-10 and the distributions drawn from it.
#include "jepa/rng.h"

#include <math.h>

#include "jepa/status.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u
#define PI_F 3.14159265358979323846f

void jepa_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        // the key is bumped before every round but the first
        if (round > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

void jepa_rng_init(jepa_rng *rng, uint64_t seed, uint64_t stream) {
    rng->seed = seed;
    rng->stream = stream;
    rng->counter = 0;
    rng->used = 4;
}

void jepa_rng_seek(jepa_rng *rng, uint64_t counter) {
    rng->counter = counter;
    rng->used = 4;
}

uint32_t jepa_rng_u32(jepa_rng *rng) {
    if (rng->used >= 4) {
        uint32_t ctr[4] = {(uint32_t)rng->counter, (uint32_t)(rng->counter >> 32),
                           (uint32_t)rng->stream, (uint32_t)(rng->stream >> 32)};
        uint32_t key[2] = {(uint32_t)rng->seed, (uint32_t)(rng->seed >> 32)};
        jepa_philox4x32_10(ctr, key, rng->block);
        rng->counter++;
        rng->used = 0;
    }
    return rng->block[rng->used++];
}

float jepa_rng_uniform(jepa_rng *rng) { return (float)(jepa_rng_u32(rng) >> 8) * 0x1p-24f; }

float jepa_rng_uniform_range(jepa_rng *rng, float lo, float hi) {
    return lo + (hi - lo) * jepa_rng_uniform(rng);
}

// uniform in (0, 1): never 0, so its logarithm is finite
static double uniform_open(jepa_rng *rng) {
    return ((double)(jepa_rng_u32(rng) >> 8) + 0.5) * 0x1p-24;
}

// Box-Muller from two uniforms: radius r and angle w; r cos w and r sin w are independent
// standard normals
static void box_muller(jepa_rng *rng, double *r, double *w) {
    double u1 = uniform_open(rng), u2 = uniform_open(rng);
    *r = sqrt(-2.0 * log(u1));
    *w = 2.0 * 3.14159265358979323846 * u2;
}

float jepa_rng_normal(jepa_rng *rng) {
    double r, w;
    box_muller(rng, &r, &w);
    return (float)(r * cos(w));
}

// standard normal restricted to [a, b] with 0 <= a < b (b may be infinite)
static double truncnormal_right(jepa_rng *rng, double a, double b) {
    if (isinf(b) || b - a > 1.0 / (a + 1e-12)) {
        // Robert (1995): exponential proposal with the optimal rate
        double alpha = 0.5 * (a + sqrt(a * a + 4.0));
        for (;;) {
            double x = a - log(uniform_open(rng)) / alpha;
            if (x > b) continue;
            double d = x - alpha;
            if (uniform_open(rng) <= exp(-0.5 * d * d)) return x;
        }
    }
    // uniform proposal on a short interval
    for (;;) {
        double x = a + (b - a) * uniform_open(rng);
        if (uniform_open(rng) <= exp(0.5 * (a * a - x * x))) return x;
    }
}

float jepa_rng_truncnormal(jepa_rng *rng, float mean, float std, float lo, float hi) {
    JEPA_CHECK(lo < hi && std > 0.0f);
    double a = ((double)lo - mean) / std, b = ((double)hi - mean) / std, x;
    if (a >= 0.0) x = truncnormal_right(rng, a, b);
    else if (b <= 0.0) x = -truncnormal_right(rng, -b, -a);
    else if (b - a > 2.0) {
        // the interval holds most of the mass: plain rejection
        do x = jepa_rng_normal(rng);
        while (x < a || x > b);
    } else {
        for (;;) {
            x = a + (b - a) * uniform_open(rng);
            if (uniform_open(rng) <= exp(-0.5 * x * x)) break;
        }
    }
    float y = (float)(mean + std * x);
    return y < lo ? lo : (y > hi ? hi : y);
}

float jepa_rng_vonmises(jepa_rng *rng, float mu, float kappa) {
    JEPA_CHECK(kappa >= 0.0f);
    double theta;
    if (kappa < 1e-6f) {
        theta = 2.0 * PI_F * uniform_open(rng) - PI_F;
    } else {
        double k = kappa, t = 1.0 + sqrt(1.0 + 4.0 * k * k);
        double rho = (t - sqrt(2.0 * t)) / (2.0 * k);
        double r = (1.0 + rho * rho) / (2.0 * rho), f;
        for (;;) {
            double z = cos(3.14159265358979323846 * uniform_open(rng));
            f = (1.0 + r * z) / (r + z);
            double c = k * (r - f), u2 = uniform_open(rng);
            if (c * (2.0 - c) - u2 > 0.0 || log(c / u2) + 1.0 - c >= 0.0) break;
        }
        double sign = uniform_open(rng) < 0.5 ? -1.0 : 1.0;
        theta = mu + sign * acos(f > 1.0 ? 1.0 : (f < -1.0 ? -1.0 : f));
    }
    // wrap into (-pi, pi]
    theta = fmod(theta + 3.14159265358979323846, 2.0 * 3.14159265358979323846);
    if (theta <= 0.0) theta += 2.0 * 3.14159265358979323846;
    return (float)(theta - 3.14159265358979323846);
}

uint32_t jepa_rng_below(jepa_rng *rng, uint32_t n) {
    JEPA_CHECK(n > 0);
    uint32_t limit = (uint32_t)(0x100000000ull - 0x100000000ull % n);
    for (;;) {
        uint32_t x = jepa_rng_u32(rng);
        if (limit == 0 || x < limit) return x % n;
    }
}

void jepa_rng_fill_uniform(jepa_rng *rng, float *out, int64_t n, float lo, float hi) {
    for (int64_t i = 0; i < n; i++) out[i] = jepa_rng_uniform_range(rng, lo, hi);
}

void jepa_rng_fill_normal(jepa_rng *rng, float *out, int64_t n, float mean, float std) {
    // both of Box-Muller's values from each pair of uniforms (cos, as jepa_rng_normal, then
    // sin): half the uniforms and logarithms (the planners draw samples x horizon x actions of
    // them an iteration)
    for (int64_t i = 0; i < n; i += 2) {
        double r, w;
        box_muller(rng, &r, &w);
        out[i] = mean + std * (float)(r * cos(w));
        if (i + 1 < n) out[i + 1] = mean + std * (float)(r * sin(w));
    }
}
