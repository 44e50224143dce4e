// The dropout mask as a pure function of (seed, stream, element index), and the masked copy.
// The optimized kernel draws Philox blocks 16 at a time with vectorized rounds, one block per 4
// elements, groups spread over threads; the _ref twin calls jepa_philox4x32_10 for every element.
#include "jepa/rng.h"
#include "jepa/threads.h"
#include "tensor/elementwise.h"

// Philox block `block` of stream `stream` under seed, as jepa_rng_u32 lays it out
static void mask_block(uint64_t seed, uint64_t stream, uint64_t block, uint32_t out[4]) {
    uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), (uint32_t)stream,
                       (uint32_t)(stream >> 32)};
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    jepa_philox4x32_10(ctr, key, out);
}

// a word read as a uniform in [0, 1) with 24 bits (as jepa_rng_uniform), kept when >= p
static int word_keeps(uint32_t word, float p) {
    return (float)(word >> 8) * 0x1p-24f >= p;
}

int jepa_dropout_keep(uint64_t seed, uint64_t stream, int64_t i, float p) {
    uint32_t w[4];
    mask_block(seed, stream, (uint64_t)i / 4, w);
    return word_keeps(w[i % 4], p);
}

// Philox blocks computed side by side, so the rounds vectorize
#define LANES 16

// words[4 j + w] = word w of Philox block first + j of (seed, stream): the bijection of
// jepa_philox4x32_10 (its reference), written over lanes of blocks
static void philox_lanes(uint64_t seed, uint64_t stream, uint64_t first, uint32_t *words) {
    uint32_t c0[LANES], c1[LANES], c2[LANES], c3[LANES];
    for (int j = 0; j < LANES; j++) {
        uint64_t block = first + (uint64_t)j;
        c0[j] = (uint32_t)block;
        c1[j] = (uint32_t)(block >> 32);
        c2[j] = (uint32_t)stream;
        c3[j] = (uint32_t)(stream >> 32);
    }
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
#pragma omp simd
        for (int j = 0; j < LANES; j++) {
            uint64_t p0 = (uint64_t)0xD2511F53u * c0[j], p1 = (uint64_t)0xCD9E8D57u * c2[j];
            uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[j] ^ k0;
            uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3[j] ^ k1;
            c1[j] = (uint32_t)p1;
            c3[j] = (uint32_t)p0;
            c0[j] = n0;
            c2[j] = n2;
        }
        // the key schedule: bumped by the Weyl constants between rounds
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    for (int j = 0; j < LANES; j++) {
        words[4 * j] = c0[j];
        words[4 * j + 1] = c1[j];
        words[4 * j + 2] = c2[j];
        words[4 * j + 3] = c3[j];
    }
}

void jepa_dropout_kernel(float *out, const float *x, int64_t n, float p, uint64_t seed,
                         uint64_t stream, float alpha) {
    // groups of LANES blocks, 4 * LANES elements each
    int64_t per = 4 * LANES, groups = (n + per - 1) / per;
#pragma omp parallel for if (n >= JEPA_PARALLEL_MIN) num_threads(jepa_threads_get())
    for (int64_t gi = 0; gi < groups; gi++) {
        uint32_t words[4 * LANES];
        philox_lanes(seed, stream, (uint64_t)gi * LANES, words);
        int64_t base = gi * per, m = n - base < per ? n - base : per;
        // element e of the group is word e % 4 of block e / 4: words[e]
#pragma omp simd
        for (int64_t e = 0; e < m; e++)
            out[base + e] += word_keeps(words[e], p) ? alpha * x[base + e] : 0.0f;
    }
}

void jepa_dropout_kernel_ref(float *out, const float *x, int64_t n, float p, uint64_t seed,
                             uint64_t stream, float alpha) {
    for (int64_t i = 0; i < n; i++)
        if (jepa_dropout_keep(seed, stream, i, p)) out[i] += alpha * x[i];
}
