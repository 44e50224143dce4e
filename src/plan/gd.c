// Gradient descent on the action sequences through the predictor: Adam on a batch of restarts
// (one rollout per step for all of them), projected onto the bounds after each step.
#include <math.h>
#include <string.h>

#include "jepa/ops_reduce.h"
#include "plan/internal.h"

#define GD_BETA1 0.9f
#define GD_BETA2 0.999f
#define GD_EPS 1e-8f
#define GD_RESTART_STD 0.3f    // restarts around an initial plan: this fraction of the half-range
#define GD_INIT_STREAM 0xFFFFF // the rng iteration index of the restarts' initial draw

// keep the best iterate of each restart
static void track_best(jepa_planner *p, const float *costs, int r, int64_t ha) {
    for (int i = 0; i < r; i++)
        if (costs[i] < p->gd_best_cost[i]) {
            p->gd_best_cost[i] = costs[i];
            memcpy(p->gd_best + i * ha, p->gd_actions + i * ha, sizeof(float) * ha);
        }
}

void jepa_plan_gd(jepa_planner *p, const jepa_plan_problem *prob, const float *init, float *out) {
    const jepa_planner_config *c = &p->cfg;
    int h = p->horizon, a = p->action_dim, r = c->gd_restarts;
    int64_t ha = (int64_t)h * a;
    jepa_rng rng;
    jepa_plan_rng(p, GD_INIT_STREAM, &rng);
    // restarts: around init (restart 0 is init itself), or uniform in the bounds
    for (int i = 0; i < r; i++)
        for (int64_t q = 0; q < ha; q++) {
            float lo = p->lo[q % a], hi = p->hi[q % a], half = 0.5f * (hi - lo);
            float *x = p->gd_actions + i * ha + q;
            if (init)
                *x = init[q] + (i == 0 ? 0.0f : GD_RESTART_STD * half * jepa_rng_normal(&rng));
            else
                *x = jepa_rng_uniform_range(&rng, lo, hi);
        }
    jepa_plan_clip(p, p->gd_actions, r);
    memset(p->gd_m, 0, sizeof(float) * r * ha);
    memset(p->gd_v, 0, sizeof(float) * r * ha);
    for (int i = 0; i < r; i++) p->gd_best_cost[i] = INFINITY;
    jepa_tensor *goal;
    for (int step = 0; step < c->gd_steps; step++) {
        // forward and backward of every restart's cost as one batch
        jepa_ctx *ctx = p->ctx;
        jepa_ctx_reset(ctx);
        int prev = jepa_ctx_set_grad(ctx, 1);
        memset(p->gd_grad, 0, sizeof(float) * r * ha);
        jepa_tensor *acts = jepa_wrap(ctx, p->gd_actions, p->gd_grad, 3, (int64_t[]){r, h, a});
        goal = jepa_wrap(ctx, (float *)prob->goal, NULL, 1, (int64_t[]){prob->latent_dim});
        jepa_tensor *z = prob->rollout(ctx, prob->user, acts);
        jepa_tensor *cost = jepa_cost_eval(ctx, &prob->cost, z, goal, acts);
        jepa_tensor_gather(p->costs, cost);
        for (int i = 0; i < r; i++)
            if (!isfinite(p->costs[i])) p->costs[i] = INFINITY;
        track_best(p, p->costs, r, ha);
        jepa_backward(ctx, jepa_sum_all(ctx, cost));
        jepa_ctx_set_grad(ctx, prev);
        // Adam with bias correction, steps in units of the half-range, then projection
        float bc1 = 1.0f - powf(GD_BETA1, (float)(step + 1));
        float bc2 = 1.0f - powf(GD_BETA2, (float)(step + 1));
        for (int64_t q = 0; q < r * ha; q++) {
            float g = p->gd_grad[q];
            if (!isfinite(g)) continue;
            p->gd_m[q] = GD_BETA1 * p->gd_m[q] + (1.0f - GD_BETA1) * g;
            p->gd_v[q] = GD_BETA2 * p->gd_v[q] + (1.0f - GD_BETA2) * g * g;
            float half = 0.5f * (p->hi[q % a] - p->lo[q % a]);
            float upd = (p->gd_m[q] / bc1) / (sqrtf(p->gd_v[q] / bc2) + GD_EPS);
            p->gd_actions[q] -= c->gd_lr * half * upd;
        }
        jepa_plan_clip(p, p->gd_actions, r);
    }
    // score the last iterates too, then hand out the best restart's best iterate
    memcpy(p->samples, p->gd_actions, sizeof(float) * r * ha);
    jepa_plan_evaluate(p, prob, r);
    track_best(p, p->costs, r, ha);
    int bi = 0;
    for (int i = 1; i < r; i++)
        if (p->gd_best_cost[i] < p->gd_best_cost[bi]) bi = i;
    memcpy(out, p->gd_best + bi * ha, sizeof(float) * ha);
}
