// The dropout mask as a pure function of (seed, stream, element index), and the masked copy.
// The optimized kernel draws one Philox block per 4 elements, blocks spread over threads; the
// _ref twin draws a block for every element.
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

void jepa_dropout_kernel(float *out, const float *x, int64_t n, float p, uint64_t seed,
                         uint64_t stream, float alpha) {
    int64_t blocks = (n + 3) / 4;
#pragma omp parallel for if (n >= JEPA_PARALLEL_MIN) num_threads(jepa_threads_get())
    for (int64_t b = 0; b < blocks; b++) {
        uint32_t w[4];
        mask_block(seed, stream, (uint64_t)b, w);
        for (int64_t j = 0; j < 4 && 4 * b + j < n; j++)
            if (word_keeps(w[j], p)) out[4 * b + j] += alpha * x[4 * b + j];
    }
}

void jepa_dropout_kernel_ref(float *out, const float *x, int64_t n, float p, uint64_t seed,
                             uint64_t stream, float alpha) {
    for (int64_t i = 0; i < n; i++)
        if (jepa_dropout_keep(seed, stream, i, p)) out[i] += alpha * x[i];
}
