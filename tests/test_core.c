// Core: Philox known answers, distribution moments against analytic values, the arena, status,
// the progress lines.
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

// Random123's tests/kat_vectors, philox4x32 10: counter[4], key[2] -> out[4]
static void test_philox_known_answers(void) {
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int i = 0; i < 3; i++) {
        uint32_t out[4];
        jepa_philox4x32_10(kat[i], kat[i] + 4, out);
        for (int j = 0; j < 4; j++) CHECK(out[j] == kat[i][6 + j]);
    }
}

static void test_rng_streams(void) {
    // draw i of (seed, stream) is the word i of the Philox blocks keyed by them
    jepa_rng rng;
    jepa_rng_init(&rng, 0x299f31d0a4093822ull, 0x0370734413198a2eull);
    jepa_rng_seek(&rng, 0x85a308d3243f6a88ull);
    CHECK(jepa_rng_u32(&rng) == 0xd16cfe09);
    CHECK(jepa_rng_u32(&rng) == 0x94fdcceb);
    CHECK(jepa_rng_u32(&rng) == 0x5001e420);
    CHECK(jepa_rng_u32(&rng) == 0x24126ea1);
    // streams differ, a stream replays
    jepa_rng a, b, c;
    jepa_rng_init(&a, 7, 0);
    jepa_rng_init(&b, 7, 1);
    jepa_rng_init(&c, 7, 0);
    int same_ab = 1, same_ac = 1;
    for (int i = 0; i < 16; i++) {
        uint32_t x = jepa_rng_u32(&a), y = jepa_rng_u32(&b), z = jepa_rng_u32(&c);
        same_ab &= x == y;
        same_ac &= x == z;
    }
    CHECK(!same_ab);
    CHECK(same_ac);
    // golden first draws of seed 42, stream 0 (frozen: a change here changes every dataset)
    jepa_rng g;
    jepa_rng_init(&g, 42, 0);
    uint32_t golden[4];
    uint32_t ctr[4] = {0, 0, 0, 0}, key[2] = {42, 0};
    jepa_philox4x32_10(ctr, key, golden);
    for (int i = 0; i < 4; i++) CHECK(jepa_rng_u32(&g) == golden[i]);
    jepa_rng_init(&g, 42, 0);
    CHECK(jepa_rng_uniform(&g) == (float)(golden[0] >> 8) * 0x1p-24f);
}

// modified Bessel functions I0, I1 by their series (the oracle for the von Mises mean length)
static double bessel_i(int order, double x) {
    double term = order == 0 ? 1.0 : x / 2.0, sum = term;
    for (int k = 1; k < 200; k++) {
        term *= (x / 2.0) * (x / 2.0) / ((double)k * (double)(k + order));
        sum += term;
    }
    return sum;
}

static void test_distributions(void) {
    enum { N = 200000 };
    jepa_rng rng;
    jepa_rng_init(&rng, 1, 2);
    double s = 0, s2 = 0, lo = 1e9, hi = -1e9;
    for (int i = 0; i < N; i++) {
        double x = jepa_rng_uniform(&rng);
        s += x;
        s2 += x * x;
        lo = fmin(lo, x);
        hi = fmax(hi, x);
    }
    CHECK(lo >= 0.0 && hi < 1.0);
    CHECK_NEAR(s / N, 0.5, 0.005);
    CHECK_NEAR(s2 / N - (s / N) * (s / N), 1.0 / 12.0, 0.002);

    s = s2 = 0;
    double s3 = 0, s4 = 0;
    for (int i = 0; i < N; i++) {
        double x = jepa_rng_normal(&rng);
        s += x;
        s2 += x * x;
        s3 += x * x * x;
        s4 += x * x * x * x;
    }
    CHECK_NEAR(s / N, 0.0, 0.01);
    CHECK_NEAR(s2 / N, 1.0, 0.015);
    CHECK_NEAR(s3 / N, 0.0, 0.03);
    CHECK_NEAR(s4 / N, 3.0, 0.06);

    // fill_normal: the same moments, its pairs uncorrelated, and its even values
    // jepa_rng_normal's from the same state
    {
        static float z[N + 1];
        jepa_rng a, b;
        jepa_rng_init(&a, 42, 7);
        jepa_rng_init(&b, 42, 7);
        jepa_rng_fill_normal(&a, z, N + 1, 0.0f, 1.0f);
        double m = 0, m2 = 0, m4 = 0, pair = 0;
        for (int i = 0; i < N; i++) {
            m += z[i];
            m2 += (double)z[i] * z[i];
            m4 += (double)z[i] * z[i] * z[i] * z[i];
        }
        for (int i = 0; i < N; i += 2) pair += (double)z[i] * z[i + 1];
        CHECK_NEAR(m / N, 0.0, 0.01);
        CHECK_NEAR(m2 / N, 1.0, 0.015);
        CHECK_NEAR(m4 / N, 3.0, 0.06);
        CHECK_NEAR(pair / (N / 2), 0.0, 0.02);
        int same = 1;
        for (int i = 0; i < 64; i += 2) same &= z[i] == jepa_rng_normal(&b);
        CHECK(same);
        // an odd count: the last value is a pair's first
        float one;
        jepa_rng_init(&a, 42, 7);
        jepa_rng_fill_normal(&a, &one, 1, 2.0f, 3.0f);
        CHECK(one == 2.0f + 3.0f * z[0]);
    }

    // truncated normal N(1, 0.4) on [0.2, 1.8]: symmetric, so the mean is 1; the variance is
    // sd^2 (1 - 2 a phi(a) / (2 Phi(a) - 1)) with a = 2
    s = s2 = 0;
    int inside = 1;
    for (int i = 0; i < N; i++) {
        double x = jepa_rng_truncnormal(&rng, 1.0f, 0.4f, 0.2f, 1.8f);
        inside &= x >= 0.2f && x <= 1.8f;
        s += x;
        s2 += x * x;
    }
    double a = 2.0, phi = exp(-a * a / 2) / sqrt(2 * M_PI), Phi = 0.5 * (1 + erf(a / sqrt(2.0)));
    double var = 0.16 * (1 - 2 * a * phi / (2 * Phi - 1));
    CHECK(inside);
    CHECK_NEAR(s / N, 1.0, 0.003);
    CHECK_NEAR(s2 / N - (s / N) * (s / N), var, 0.002);
    // a far tail: mean of N(0,1) on [3, inf) is phi(3) / (1 - Phi(3))
    s = 0;
    for (int i = 0; i < N; i++) s += jepa_rng_truncnormal(&rng, 0.0f, 1.0f, 3.0f, INFINITY);
    double tail_mean = exp(-4.5) / sqrt(2 * M_PI) / (0.5 * erfc(3.0 / sqrt(2.0)));
    CHECK_NEAR(s / N, tail_mean, 0.01);

    // von Mises(mu, kappa): E[cos(x - mu)] = I1(kappa) / I0(kappa), E[sin(x - mu)] = 0
    float kappas[3] = {0.5f, 5.0f, 50.0f};
    for (int k = 0; k < 3; k++) {
        double c = 0, sn = 0;
        int in_range = 1;
        for (int i = 0; i < N; i++) {
            double x = jepa_rng_vonmises(&rng, 1.0f, kappas[k]);
            in_range &= x > -M_PI - 1e-6 && x <= M_PI + 1e-6;
            c += cos(x - 1.0);
            sn += sin(x - 1.0);
        }
        CHECK(in_range);
        CHECK_NEAR(c / N, bessel_i(1, kappas[k]) / bessel_i(0, kappas[k]), 0.006);
        CHECK_NEAR(sn / N, 0.0, 0.006);
    }
    // below(): every value, no bias
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++) counts[jepa_rng_below(&rng, 7)]++;
    for (int i = 0; i < 7; i++) CHECK(abs(counts[i] - 10000) < 500);
}

static void test_arena(void) {
    jepa_arena *arena = jepa_arena_create(1024);
    CHECK(arena != NULL);
    // a step that allocates more than the first block, repeated: grows once, then never
    size_t capacity_after_first = 0;
    for (int step = 0; step < 1000; step++) {
        jepa_arena_reset(arena);
        for (int i = 1; i <= 20; i++) {
            unsigned char *p = jepa_arena_alloc(arena, (size_t)i * 100);
            CHECK(p != NULL && ((uintptr_t)p % 64) == 0);
            memset(p, i, (size_t)i * 100);
        }
        if (step == 1) capacity_after_first = jepa_arena_capacity(arena);
    }
    CHECK(capacity_after_first > 0);
    CHECK(jepa_arena_capacity(arena) == capacity_after_first);
    float *z = jepa_arena_calloc(arena, 64 * sizeof(float));
    int zero = 1;
    for (int i = 0; i < 64; i++) zero &= z[i] == 0.0f;
    CHECK(zero);
    jepa_arena_free(arena);
    jepa_arena_free(NULL);
}

static void test_context_reuse(void) {
    // the tensors of a step in a context: the arena stops growing after the first steps
    jepa_ctx *ctx = jepa_ctx_create(4096);
    size_t cap = 0;
    for (int step = 0; step < 1000; step++) {
        jepa_ctx_reset(ctx);
        jepa_tensor *a = jepa_zeros(ctx, 2, (int64_t[]){17, 33});
        jepa_requires_grad(ctx, a);
        jepa_tensor *b = jepa_matmul(ctx, a, a, 0, 1);
        CHECK(jepa_backward_seed(ctx, b, b->data) == JEPA_OK);
        if (step == 2) cap = jepa_arena_capacity(jepa_ctx_arena(ctx));
    }
    CHECK(jepa_arena_capacity(jepa_ctx_arena(ctx)) == cap);
    jepa_ctx_free(ctx);
}

static void test_misc(void) {
    CHECK(strcmp(jepa_status_str(JEPA_OK), "ok") == 0);
    for (int s = JEPA_OK; s <= JEPA_ERR_INTERRUPTED; s++)
        CHECK(strcmp(jepa_status_str((jepa_status)s), "unknown status") != 0);
    char err[64];
    CHECK(jepa_fail(err, sizeof err, JEPA_ERR_IO, "x.bin: %s", "missing") == JEPA_ERR_IO);
    CHECK(strcmp(err, "x.bin: missing") == 0);
    CHECK(jepa_threads_parse("4") == 4);
    CHECK(jepa_threads_parse("0") == -1);
    CHECK(jepa_threads_parse("2x") == -1);
    CHECK(jepa_threads_parse("") == -1);
    CHECK(jepa_log_level_parse("warn") == JEPA_LOG_WARN);
    CHECK(jepa_log_level_parse("loud") == -1);
    double t0 = jepa_time_now(), t1 = jepa_time_now();
    CHECK(t1 >= t0);
}

// Without a terminal, a line each tenth and at least once a minute (the clock moved back by
// hand), counted in what stderr received.
static void test_progress_lines(void) {
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f) return;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    CHECK(saved >= 0 && dup2(fileno(f), STDERR_FILENO) >= 0);
    jepa_progress p;
    jepa_progress_begin(&p, "t", 1000);
    jepa_progress_update(&p, 1, NULL);   // nothing: no tenth, no minute
    p.start -= 61.0;
    jepa_progress_update(&p, 2, NULL);   // a minute without a line
    jepa_progress_update(&p, 3, NULL);   // nothing: a line just now
    jepa_progress_update(&p, 100, NULL); // a tenth
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(f);
    int lines = 0, c;
    while ((c = fgetc(f)) != EOF) lines += c == '\n';
    fclose(f);
    CHECK(p.tty == 0 && lines == 2);
}

int main(void) {
    test_philox_known_answers();
    test_rng_streams();
    test_distributions();
    test_arena();
    test_context_reuse();
    test_misc();
    test_progress_lines();
    return test_finish("test_core");
}
