// BM-1's plan workload: CEM (300 samples x horizon 5 x 10 iterations, top-30 elites) and MPPI
// with the same budget, on the BM-1 predictor (MLP [256 + 2] -> 512 -> ReLU -> 512 -> ReLU ->
// 256, random weights), ms per plan on 1 and 2 threads and the % of the fp32 FMA peak measured
// here. When python3 can import torch, tools/bench_torch_plan.py --serve runs beside it (run from
// the repository root) and the two take turns on each (planner, threads), ROUNDS times, so both
// see the same load on a shared machine; each figure is the best plan of all rounds, and the
// ratio and both sides' % of the peak are printed. Target: <= 0.8x PyTorch's time on 2 threads.
// Where the CPU has AVX512_BF16, the same plans with bf16 GEMMs (cfg.bf16) too, against PyTorch's
// in bf16 and in fp32, their % of the bf16 peak (measured too), and bf16's effect on the plans'
// costs.
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_peak.h"
#include "jepa.h"

enum { D = 256, A = 2, HID = 512, N = 300, H = 5, ITERS = 10, ELITES = 30, REPS = 5, ROUNDS = 3 };
enum { GOALS = 20 }; // goals of the bf16 accuracy check

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

// a planner of a kind for BM-1 (fp32, or bf16 GEMMs), seeded
static int planner_make(jepa_planner *p, int kind, int bf16, uint64_t seed) {
    float lo[A] = {-1, -1}, hi[A] = {1, 1};
    jepa_planner_config cfg;
    jepa_planner_config_default(&cfg, kind);
    cfg.samples = N;
    cfg.iterations = ITERS;
    cfg.elites = ELITES;
    cfg.bf16 = bf16;
    cfg.seed = seed;
    return jepa_planner_init(p, &cfg, H, A, lo, hi) == JEPA_OK;
}

// best ms per plan of REPS plans (after one that warms the arena up)
static double plan_ms(bm1 *m, int kind, int bf16, const float *goal) {
    float out[H * A];
    jepa_planner p;
    if (!planner_make(&p, kind, bf16, 0)) return -1;
    jepa_plan_problem prob = {bm1_rollout, m, goal, D, {0}, 1};
    double best = 1e30;
    for (int r = 0; r <= REPS; r++) {
        jepa_planner_reset(&p);
        double t0 = jepa_time_now();
        jepa_planner_plan(&p, &prob, out);
        double t = 1e3 * (jepa_time_now() - t0);
        if (r > 0 && t < best) best = t;
    }
    jepa_planner_free(&p);
    return best;
}

// the fp32 model's cost |z_H - goal|^2 of one action sequence (H, A)
static double fp32_cost(bm1 *m, const float *actions, const float *goal) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_ctx_set_grad(ctx, 0);
    jepa_tensor *a = jepa_wrap(ctx, (float *)actions, NULL, 3, (int64_t[]){1, H, A});
    jepa_tensor *z = jepa_contiguous(ctx, bm1_rollout(ctx, m, a));
    double c = 0.0;
    for (int i = 0; i < D; i++) {
        double d = (double)z->data[(H - 1) * D + i] - goal[i];
        c += d * d;
    }
    jepa_ctx_free(ctx);
    return c;
}

// bf16's effect on planning, over GOALS goals: the bf16 model's error on the cost of its own
// plan, and that plan's cost against the fp32 plan's, both costs from the fp32 model
static void bf16_accuracy(bm1 *m, int kind) {
    double model_err = 0.0, gap = 0.0, worse = 0.0, da = 0.0;
    int same = 0;
    jepa_rng rng;
    jepa_rng_init(&rng, 2, 0);
    for (int g = 0; g < GOALS; g++) {
        float goal[D], plan[2][H * A], cost16 = 0.0f;
        jepa_rng_fill_normal(&rng, goal, D, 0, 1);
        jepa_plan_problem prob = {bm1_rollout, m, goal, D, {0}, 1};
        for (int b = 0; b < 2; b++) {
            jepa_planner p;
            if (!planner_make(&p, kind, b, (uint64_t)g)) return;
            float c = jepa_planner_plan(&p, &prob, plan[b]);
            if (b) cost16 = c;
            jepa_planner_free(&p);
        }
        double c32 = fp32_cost(m, plan[0], goal), c16 = fp32_cost(m, plan[1], goal);
        same += memcmp(plan[0], plan[1], sizeof plan[0]) == 0;
        for (int i = 0; i < H * A; i++) da = fmax(da, fabs((double)plan[0][i] - plan[1][i]));
        // CEM's cost is its best sample's, not the plan's: MPPI's is the mean's (sample 0)
        if (kind == JEPA_PLANNER_MPPI) model_err += fabs(cost16 - c16) / c16 / GOALS;
        gap += (c16 - c32) / c32 / GOALS;
        worse += fabs(c16 - c32) / c32 / GOALS;
    }
    printf("bf16 %-4s, %d goals: %d plans equal to fp32's, actions within %.1e; plan cost (fp32 "
           "model) vs the fp32 plan's %+.1e%% on average (mean |difference| %.1e%%)",
           jepa_planner_name(kind), GOALS, same, da, 100.0 * gap, 100.0 * worse);
    if (kind == JEPA_PLANNER_MPPI)
        printf("; the bf16 model's cost of its plan off by %.1e%%", 100.0 * model_err);
    printf("\n");
}

// ---- PyTorch beside us: tools/bench_torch_plan.py --serve on two pipes ----

typedef struct torch_proc {
    FILE *to, *from;
    pid_t pid;
} torch_proc;

// start it and wait for its "ready"; 0 when python3 or torch is missing
static int torch_start(torch_proc *t) {
    int in[2], out[2];
    if (pipe(in) != 0) return 0;
    if (pipe(out) != 0) {
        close(in[0]);
        close(in[1]);
        return 0;
    }
    t->pid = fork();
    if (t->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execlp("sh", "sh", "-c",
               "python3 -c 'import torch' 2>/dev/null && "
               "exec python3 tools/bench_torch_plan.py --serve 2>/dev/null",
               (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    t->to = fdopen(in[1], "w");
    t->from = fdopen(out[0], "r");
    char line[64];
    if (t->pid > 0 && t->to && t->from && fgets(line, sizeof line, t->from) &&
        strncmp(line, "ready", 5) == 0)
        return 1;
    if (t->to) fclose(t->to);
    if (t->from) fclose(t->from);
    if (t->pid > 0) waitpid(t->pid, NULL, 0);
    return 0;
}

// PyTorch's best ms per plan (of its several plans), or -1
static double torch_ms(torch_proc *t, const char *planner, int threads) {
    char line[128], name[16];
    int th;
    double ms;
    fprintf(t->to, "%s %d\n", planner, threads);
    fflush(t->to);
    if (fgets(line, sizeof line, t->from) &&
        sscanf(line, "torch %15s %d %lf", name, &th, &ms) == 3 && th == threads)
        return ms;
    return -1;
}

// end of input: it exits
static void torch_stop(torch_proc *t) {
    fclose(t->to);
    fclose(t->from);
    waitpid(t->pid, NULL, 0);
}

// a plan's name in the table and to PyTorch: "cem", "cem-bf16", ...
static const char *plan_name(int kind, int bf16) {
    static char name[16];
    snprintf(name, sizeof name, "%s%s", jepa_planner_name(kind), bf16 ? "-bf16" : "");
    return name;
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
    // multiply-adds x 2 of the MLP per candidate step, for every candidate, step and iteration
    double flops = 2.0 * N * H * ITERS * ((D + A) * HID + HID * HID + HID * D);
    // the 2-thread peak is twice the 1-thread one: the cores are alike, and on a shared machine
    // a 2-thread FMA loop measures the other workers' load more than the cores
    // (the best of 10 x 20 short loops: on a busy machine few of them run undisturbed)
    double peak1 = 0.0;
    for (int i = 0; i < 10; i++) peak1 = fmax(peak1, measure_peak(1));
    double peak[2] = {peak1, 2.0 * peak1};
    printf("BM-1 plan: %d samples x horizon %d x %d iterations (%d elites), MLP %d->%d->%d->%d, "
           "%.2f GFLOP per plan\n",
           N, H, ITERS, ELITES, D + A, HID, HID, D, flops * 1e-9);
    printf("fp32 FMA peak: %.1f GFLOPS per thread (measured on 1)\n", peak1 * 1e-9);
    static const int kinds[2] = {JEPA_PLANNER_CEM, JEPA_PLANNER_MPPI};
    int bf16 = jepa_sgemm_bf16_available();
    double peak16 = 0.0; // the bf16 peak per thread, where the CPU has it
#if defined(__AVX512F__)
    for (int i = 0; bf16 && i < 10; i++) peak16 = fmax(peak16, measure_peak_bf16(1));
#endif
    torch_proc tp;
    int have_torch = torch_start(&tp);
    // rounds: ours, then PyTorch's, in fp32 and then bf16 where the CPU has it, on each (threads,
    // planner); the best of each over all rounds. ours / theirs[precision][planner][threads - 1]
    double ours[2][2][2], theirs[2][2][2];
    for (int i = 0; i < 8; i++) ours[i / 4][i / 2 % 2][i % 2] = 1e30;
    memcpy(theirs, ours, sizeof theirs);
    for (int r = 0; r < ROUNDS; r++)
        for (int t = 1; t <= 2; t++)
            for (int k = 0; k < 2; k++)
                for (int b = 0; b <= bf16; b++) {
                    jepa_threads_set(t);
                    double ms = plan_ms(&m, kinds[k], b, goal);
                    if (ms < ours[b][k][t - 1]) ours[b][k][t - 1] = ms;
                    if (!have_torch) continue;
                    ms = torch_ms(&tp, plan_name(kinds[k], b), t);
                    if (ms > 0 && ms < theirs[b][k][t - 1]) theirs[b][k][t - 1] = ms;
                }
    if (have_torch) torch_stop(&tp);
    // each row against PyTorch in the same precision; a bf16 row against PyTorch's fp32 too
    printf("%-10s %-8s %10s %12s %10s %12s %11s %12s\n", "plan", "threads", "jepa ms",
           "% fp32 peak", "torch ms", "% fp32 peak", "jepa/torch", "/torch fp32");
    for (int t = 1; t <= 2; t++)
        for (int b = 0; b <= bf16; b++)
            for (int k = 0; k < 2; k++) {
                double ms = ours[b][k][t - 1], same = theirs[b][k][t - 1];
                double fp32 = theirs[0][k][t - 1];
                printf("%-10s %-8d %10.2f %11.1f%%", plan_name(kinds[k], b), t, ms,
                       100.0 * flops / (ms * 1e-3) / peak[t - 1]);
                if (same < 1e30)
                    printf(" %10.2f %11.1f%% %10.2fx", same,
                           100.0 * flops / (same * 1e-3) / peak[t - 1], ms / same);
                else
                    printf(" %10s %12s %11s", "-", "-", "(no torch)");
                if (b && fp32 < 1e30) printf(" %11.2fx", ms / fp32);
                printf("\n");
            }
    if (peak16 > 0.0) {
        printf("bf16 peak (vdpbf16ps): %.1f GFLOPS per thread (measured on 1); the bf16 plans at",
               peak16 * 1e-9);
        for (int t = 1; t <= 2; t++)
            for (int k = 0; k < 2; k++) {
                double ms = ours[1][k][t - 1], them = theirs[1][k][t - 1];
                printf(" %s %d: %.0f %%", plan_name(kinds[k], 1), t,
                       100.0 * flops / (ms * 1e-3) / (t * peak16));
                if (them < 1e30)
                    printf(" (PyTorch %.0f %%)", 100.0 * flops / (them * 1e-3) / (t * peak16));
                printf(t == 2 && k == 1 ? " of it\n" : ",");
            }
    }
    if (bf16) {
        jepa_threads_set(2);
        for (int k = 0; k < 2; k++) bf16_accuracy(&m, kinds[k]);
    } else {
        printf("bf16: this CPU has no AVX512_BF16 (no bf16 rows)\n");
    }
    jepa_params_free(&m.params);
    return 0;
}
