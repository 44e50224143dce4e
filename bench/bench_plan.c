// BM-1's plan workload: CEM (300 samples x horizon 5 x 10 iterations, top-30 elites) and MPPI
// with the same budget, on the BM-1 predictor (MLP [256 + 2] -> 512 -> ReLU -> 512 -> ReLU ->
// 256, random weights), ms per plan on 1 and 2 threads and the % of the fp32 FMA peak measured
// here. When python3 can import torch, tools/bench_torch_plan.py --serve runs beside it (run from
// the repository root) and the two take turns on each (planner, threads), ROUNDS times, so both
// see the same load on a shared machine; each figure is the best plan of all rounds, and the
// ratio is printed. Target: <= 0.8x PyTorch's time on 2 threads.
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_peak.h"
#include "jepa.h"

enum { D = 256, A = 2, HID = 512, N = 300, H = 5, ITERS = 10, ELITES = 30, REPS = 5, ROUNDS = 3 };

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
    double peak1 = measure_peak(1), peak[2] = {peak1, 2.0 * peak1};
    printf("BM-1 plan: %d samples x horizon %d x %d iterations (%d elites), MLP %d->%d->%d->%d, "
           "%.2f GFLOP per plan\n",
           N, H, ITERS, ELITES, D + A, HID, HID, D, flops * 1e-9);
    printf("fp32 FMA peak: %.1f GFLOPS per thread (measured on 1)\n", peak1 * 1e-9);
    static const int kinds[2] = {JEPA_PLANNER_CEM, JEPA_PLANNER_MPPI};
    torch_proc tp;
    int have_torch = torch_start(&tp);
    // rounds: ours, then PyTorch's, on each (threads, planner); the best of each over all rounds
    double ours[2][2], theirs[2][2];
    for (int i = 0; i < 4; i++) ours[i / 2][i % 2] = theirs[i / 2][i % 2] = 1e30;
    for (int r = 0; r < ROUNDS; r++)
        for (int t = 1; t <= 2; t++)
            for (int k = 0; k < 2; k++) {
                jepa_threads_set(t);
                double ms = plan_ms(&m, kinds[k], goal);
                if (ms < ours[k][t - 1]) ours[k][t - 1] = ms;
                if (!have_torch) continue;
                ms = torch_ms(&tp, jepa_planner_name(kinds[k]), t);
                if (ms > 0 && ms < theirs[k][t - 1]) theirs[k][t - 1] = ms;
            }
    if (have_torch) torch_stop(&tp);
    printf("%-6s %-8s %12s %8s %12s %12s\n", "plan", "threads", "jepa ms", "% peak", "torch ms",
           "jepa/torch");
    for (int t = 1; t <= 2; t++)
        for (int k = 0; k < 2; k++) {
            double ms = ours[k][t - 1], pct = 100.0 * flops / (ms * 1e-3) / peak[t - 1];
            printf("%-6s %-8d %12.2f %7.1f%%", jepa_planner_name(kinds[k]), t, ms, pct);
            if (theirs[k][t - 1] < 1e30)
                printf(" %12.2f %11.2fx\n", theirs[k][t - 1], ms / theirs[k][t - 1]);
            else
                printf(" %12s %12s\n", "-", "(no torch)");
        }
    jepa_params_free(&m.params);
    return 0;
}
