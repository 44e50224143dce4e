// FNV-1a, 64-bit: the checksum behind the tests' golden frames.
#ifndef JEPA_TEST_FNV1A_H
#define JEPA_TEST_FNV1A_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t test_fnv1a(const void *data, size_t n, uint64_t hash) {
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) hash = (hash ^ p[i]) * 0x100000001b3ull;
    return hash;
}
#define TEST_FNV1A_INIT 0xcbf29ce484222325ull

#endif
