// BM-1's plan workload: CEM (300 samples x horizon 5 x 10 iterations, top-30 elites) and MPPI
// with the same budget, on the BM-1 predictor (MLP [256 + 2] -> 512 -> ReLU -> 512 -> ReLU ->
// 256, random weights), ms per plan on 1 and 2 threads (best of several plans). When python3
// can import torch, tools/bench_torch_plan.py runs in the same process tree and the ratio is
// printed (run from the repository root). Target: <= 0.8x PyTorch's time on 2 threads.
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jepa.h"

enum { D = 256, A = 2, HID = 512, N = 300, H = 5, ITERS = 10, ELITES = 30, REPS = 7 };

typedef struct bm1 {
    jepa_params params;
    jepa_mlp mlp;
    float z0[D];
} bm1;

// z_{k+1} = mlp([z_k, a_k]) for every candidate: actions (N, H, A) -> (N, H, D)
static jepa_tensor *bm1_rollout(jepa_ctx *ctx, void *user, jepa_tensor *actions) {
    bm1 *m = user;
    int64_t n = actions->shape[0];
    jepa_tensor *z = jepa_wrap(ctx, m->z0, NULL, 2, (int64_t[]){1, D});
    z = jepa_contiguous(ctx, jepa_expand(ctx, z, 2, (int64_t[]){n, D}));
    jepa_tensor *steps[H];
    for (int k = 0; k < H; k++) {
        jepa_tensor *a = jepa_reshape(
            ctx, jepa_contiguous(ctx, jepa_slice(ctx, actions, 1, k, k + 1)), 2, (int64_t[]){n, A});
        jepa_tensor *in[2] = {z, a};
        z = jepa_mlp_forward(ctx, &m->params, &m->mlp, jepa_concat(ctx, 2, in, 1));
        steps[k] = jepa_reshape(ctx, z, 3, (int64_t[]){n, 1, D});
    }
    return jepa_concat(ctx, H, steps, 1);
}

static double plan_ms(bm1 *m, int kind, const float *goal) {
    float lo[A] = {-1, -1}, hi[A] = {1, 1}, out[H * A];
    jepa_planner_config cfg;
    jepa_planner_config_default(&cfg, kind);
    cfg.samples = N;
    cfg.iterations = ITERS;
    cfg.elites = ELITES;
    jepa_planner p;
    if (jepa_planner_init(&p, &cfg, H, A, lo, hi) != JEPA_OK) return -1;
    jepa_plan_problem prob = {bm1_rollout, m, goal, D, {0}};
    double best = 1e30;
    for (int r = 0; r <= REPS; r++) {
        jepa_planner_reset(&p);
        double t0 = jepa_time_now();
        jepa_planner_plan(&p, &prob, out);
        double t = 1e3 * (jepa_time_now() - t0);
        if (r > 0 && t < best) best = t; // the first plan warms the arena up
    }
    jepa_planner_free(&p);
    return best;
}

int main(void) {
    bm1 m;
    jepa_params_init(&m.params);
    int64_t dims[4] = {D + A, HID, HID, D};
    jepa_mlp_init(&m.mlp, &m.params, "pred", 3, dims, jepa_act_parse("relu"), 0);
    if (jepa_params_finalize(&m.params) != JEPA_OK) return 1;
    jepa_params_reset(&m.params, 0);
    float goal[D];
    jepa_rng rng;
    jepa_rng_init(&rng, 1, 0);
    jepa_rng_fill_normal(&rng, m.z0, D, 0, 1);
    jepa_rng_fill_normal(&rng, goal, D, 0, 1);
    // ours, 1 and 2 threads
    double ours[2][2];
    static const int kinds[2] = {JEPA_PLANNER_CEM, JEPA_PLANNER_MPPI};
    printf("BM-1 plan: %d samples x horizon %d x %d iterations (%d elites), MLP %d->%d->%d->%d\n",
           N, H, ITERS, ELITES, D + A, HID, HID, D);
    for (int t = 1; t <= 2; t++) {
        jepa_threads_set(t);
        for (int k = 0; k < 2; k++) {
            ours[k][t - 1] = plan_ms(&m, kinds[k], goal);
            printf("jepa  %-4s %d thread%s %8.2f ms per plan\n", jepa_planner_name(kinds[k]), t,
                   t > 1 ? "s" : " ", ours[k][t - 1]);
        }
    }
    // PyTorch in the same run, when it is there
    FILE *py = popen("python3 -c 'import torch' 2>/dev/null && "
                     "python3 tools/bench_torch_plan.py 1 2 2>/dev/null",
                     "r");
    char line[256], name[16];
    int threads;
    double ms;
    while (py && fgets(line, sizeof line, py))
        if (sscanf(line, "torch %15s %d %lf", name, &threads, &ms) == 3 && threads >= 1 &&
            threads <= 2) {
            int k = strcmp(name, "cem") == 0 ? 0 : 1;
            printf("torch %-4s %d thread%s %8.2f ms per plan   ratio jepa/torch %.2fx\n", name,
                   threads, threads > 1 ? "s" : " ", ms, ours[k][threads - 1] / ms);
        }
    if (py) pclose(py);
    jepa_params_free(&m.params);
    return 0;
}
