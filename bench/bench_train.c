// BM-1 training throughput (shared/BENCH.md): samples/s of a full training step (encode 5
// frames, EMA targets of frames 1..4, 4-step rollout, VICReg, backward, AdamW, EMA update) at
// batch 64 on 1 and 2 threads, the process's peak memory, and PyTorch's samples/s for the same
// model in the same run when python3 can import torch (tools/bench_torch_train.py). The two take
// turns for a few rounds, and the ratio reported is the median of the rounds' ratios (a round's
// two figures see the same state of a shared machine). A program, not a test.
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "jepa.h"

#define FLOP_PER_SAMPLE 875.5e6 // BENCH.md: conv/linear multiply-adds x 2

static double measure(jepa_model *m, jepa_adamw *opt, jepa_batch *b, jepa_ctx *ctx, int steps) {
    float terms[JEPA_WM_MAX_TERMS];
    const char *names[JEPA_WM_MAX_TERMS];
    int n_terms;
    double t0 = 0;
    for (int s = -2; s < steps; s++) { // two warm-up steps
        if (s == 0) t0 = jepa_time_now();
        jepa_ctx_reset(ctx);
        jepa_tensor *loss = jepa_model_loss(ctx, m, b, s, 1, terms, names, &n_terms);
        jepa_params_zero_grad(&m->params);
        jepa_backward(ctx, loss);
        jepa_adamw_step(opt, &m->params, (float)m->cfg.lr);
        jepa_model_update_target(m);
    }
    return (double)steps * (double)b->B / (jepa_time_now() - t0);
}

// PyTorch's samples/s for the same workload, or -1 when torch is missing
static double torch_rate(int threads, int steps) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "python3 tools/bench_torch_train.py --threads %d --steps %d 2>/dev/null",
             threads, steps);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    double rate = -1;
    char line[256];
    while (fgets(line, sizeof line, p))
        if (sscanf(line, "samples_per_s %lf", &rate) == 1) break;
    pclose(p);
    return rate;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define MAX_ROUNDS 9

int main(int argc, char **argv) {
    int steps = argc > 1 ? atoi(argv[1]) : 10, rounds = argc > 2 ? atoi(argv[2]) : 3;
    if (steps < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: bench_train [steps >= 1] [rounds 1..%d]\n", MAX_ROUNDS);
        return 2;
    }
    char err[512];
    jepa_wm_config cfg;
    if (jepa_wm_config_load(&cfg, "configs/bm1.json", err, sizeof err) != JEPA_OK) {
        fprintf(stderr, "bench_train: %s (run from the repository root)\n", err);
        return 1;
    }
    jepa_model m;
    if (jepa_model_create(&m, &cfg, 2, 0, 0, 0, err, sizeof err) != JEPA_OK) {
        fprintf(stderr, "bench_train: %s\n", err);
        return 1;
    }
    // one synthetic batch: 64 windows of 5 frames and 4 actions
    jepa_batch b = {.B = cfg.batch, .T = cfg.horizon + 1, .H = 64, .W = 64, .A = 2, .S = 0, .P = 0};
    size_t nf = (size_t)(b.B * b.T * 3 * 64 * 64), na = (size_t)(b.B * (b.T - 1) * 2);
    b.frames = malloc(sizeof(float) * nf);
    b.actions = malloc(sizeof(float) * na);
    jepa_rng rng;
    jepa_rng_init(&rng, 1, 0);
    jepa_rng_fill_uniform(&rng, b.frames, (int64_t)nf, 0.0f, 1.0f);
    jepa_rng_fill_uniform(&rng, b.actions, (int64_t)na, -1.0f, 1.0f);
    jepa_adamw opt;
    jepa_adamw_init(&opt, &m.params, 0.9f, 0.999f, 1e-8f, (float)cfg.weight_decay);
    jepa_ctx *ctx = jepa_ctx_create(0);
    printf("BM-1 training, batch %d, %lld parameters, %d timed steps, %d rounds\n", cfg.batch,
           (long long)jepa_params_trainable_count(&m.params), steps, rounds);
    printf("%-8s %6s %12s %10s %12s %14s\n", "threads", "round", "samples/s", "GFLOPS", "torch s/s",
           "jepa / torch");
    for (int threads = 1; threads <= 2; threads++) {
        jepa_threads_set(threads);
        double ratios[MAX_ROUNDS];
        int n_ratios = 0;
        for (int r = 0; r < rounds; r++) {
            double rate = measure(&m, &opt, &b, ctx, steps);
            double torch = torch_rate(threads, steps);
            printf("%-8d %6d %12.1f %10.1f", threads, r + 1, rate, rate * FLOP_PER_SAMPLE * 1e-9);
            if (torch > 0) {
                ratios[n_ratios++] = rate / torch;
                printf(" %12.1f %13.2fx\n", torch, rate / torch);
            } else {
                printf(" %12s %14s\n", "-", "(no torch)");
            }
        }
        if (n_ratios) {
            qsort(ratios, (size_t)n_ratios, sizeof ratios[0], compare_doubles);
            printf("%-8d %6s %12s %10s %12s %13.2fx  (range %.2f-%.2f)\n", threads, "median", "", "",
                   "", ratios[n_ratios / 2], ratios[0], ratios[n_ratios - 1]);
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak memory of this process: %.0f MB (BM-1 target: under 2048 MB)\n", ru.ru_maxrss / 1024.0);
    jepa_ctx_free(ctx);
    jepa_adamw_free(&opt);
    jepa_model_free(&m);
    free(b.frames);
    free(b.actions);
    return 0;
}
