// A counter-based RNG: Philox-4x32-10, keyed by (seed, stream, counter).
//
// Draw i of stream s under seed k is a pure function of (k, s, i), so results do not depend on
// thread scheduling: give each thread, episode or tensor its own stream. The whole state is four
// integers, saved in checkpoints.
#ifndef JEPA_RNG_H
#define JEPA_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jepa_rng {
    uint64_t seed;    // the key
    uint64_t stream;  // high half of the counter
    uint64_t counter; // index of the next 128-bit block
    uint32_t block[4];
    int used; // words of block already handed out (4: block must be regenerated)
} jepa_rng;

// The raw Philox-4x32-10 bijection (Salmon et al., SC'11): out = philox(ctr, key).
void jepa_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

// Start stream `stream` of `seed` at its first draw.
void jepa_rng_init(jepa_rng *rng, uint64_t seed, uint64_t stream);

// Jump to block `counter` of the current stream (each block holds 4 words).
void jepa_rng_seek(jepa_rng *rng, uint64_t counter);

uint32_t jepa_rng_u32(jepa_rng *rng);
// Uniform in [0, 1), 24 bits.
float jepa_rng_uniform(jepa_rng *rng);
// Uniform in [lo, hi).
float jepa_rng_uniform_range(jepa_rng *rng, float lo, float hi);
// Standard normal (Box-Muller; two words per draw).
float jepa_rng_normal(jepa_rng *rng);
// Normal(mean, std) restricted to [lo, hi] (lo < hi; either may be +-INFINITY), exact.
float jepa_rng_truncnormal(jepa_rng *rng, float mean, float std, float lo, float hi);
// Von Mises(mu, kappa) on (-pi, pi] (Best and Fisher 1979); kappa >= 0.
float jepa_rng_vonmises(jepa_rng *rng, float mu, float kappa);
// An integer uniform in [0, n), n > 0 (rejection: no modulo bias).
uint32_t jepa_rng_below(jepa_rng *rng, uint32_t n);

// Fill n floats. The normals come in pairs from one pair of uniforms (Box-Muller's cos and sin):
// out[0], out[2], ... are the values jepa_rng_normal would draw from the same state.
void jepa_rng_fill_uniform(jepa_rng *rng, float *out, int64_t n, float lo, float hi);
void jepa_rng_fill_normal(jepa_rng *rng, float *out, int64_t n, float mean, float std);

#ifdef __cplusplus
}
#endif
#endif
