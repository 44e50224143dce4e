// The planning cost: distance of predicted latents to the goal, plus guardrail penalties, for
// all candidates at once as one op graph.
#include "jepa/ops_elementwise.h"
#include "jepa/ops_reduce.h"
#include "jepa/ops_view.h"
#include "jepa/plan.h"
#include "jepa/status.h"

// per-element distance: squared or absolute difference
static jepa_tensor *elementwise_distance(jepa_ctx *ctx, int kind, jepa_tensor *d) {
    return kind == JEPA_DIST_L1 ? jepa_abs(ctx, d) : jepa_square(ctx, d);
}

jepa_tensor *jepa_cost_eval(jepa_ctx *ctx, const jepa_cost *cost, jepa_tensor *latents,
                            jepa_tensor *goal, jepa_tensor *actions) {
    int64_t k = cost->members > 1 ? cost->members : 1;
    JEPA_CHECK(latents->ndim == 3 && actions->ndim == 3 && goal->ndim == 1);
    JEPA_CHECK(goal->shape[0] * k == latents->shape[2] && actions->shape[0] == latents->shape[0]);
    int64_t n = latents->shape[0], h = latents->shape[1], d = goal->shape[0];
    static const int axes12[2] = {1, 2}, axes23[2] = {2, 3}, axes123[3] = {1, 2, 3};
    static const int axis1[1] = {1}, axis2[1] = {2};
    // (N, H, K, D): the members apart; the goal broadcasts over them
    jepa_tensor *members = jepa_reshape(ctx, latents, 4, (int64_t[]){n, h, k, d});
    jepa_tensor *total;
    // goal distance: at the last step, or weighted over every step
    if (!cost->all_steps) {
        jepa_tensor *last = jepa_slice(ctx, members, 1, h - 1, h);
        jepa_tensor *e = elementwise_distance(ctx, cost->distance, jepa_sub(ctx, last, goal));
        total = jepa_sum(ctx, e, 3, axes123, 0);
    } else {
        jepa_tensor *e = elementwise_distance(ctx, cost->distance, jepa_sub(ctx, members, goal));
        jepa_tensor *per_step = jepa_sum(ctx, e, 2, axes23, 0); // (N, H)
        if (cost->step_weights) {
            jepa_tensor *w = jepa_new1(ctx, h);
            for (int64_t s = 0; s < h; s++) w->data[s] = cost->step_weights[s];
            per_step = jepa_mul(ctx, per_step, w);
        }
        total = jepa_sum(ctx, per_step, 1, axis1, 0);
    }
    if (k > 1) total = jepa_scale(ctx, total, 1.0f / (float)k);
    // action magnitude
    if (cost->w_action != 0.0f) {
        jepa_tensor *mag = jepa_sum(ctx, jepa_square(ctx, actions), 2, axes12, 0);
        total = jepa_add(ctx, total, jepa_scale(ctx, mag, cost->w_action));
    }
    // smoothness: differences of consecutive actions
    if (cost->w_smooth != 0.0f && h > 1) {
        jepa_tensor *diff =
            jepa_sub(ctx, jepa_slice(ctx, actions, 1, 1, h), jepa_slice(ctx, actions, 1, 0, h - 1));
        jepa_tensor *sm = jepa_sum(ctx, jepa_square(ctx, diff), 2, axes12, 0);
        total = jepa_add(ctx, total, jepa_scale(ctx, sm, cost->w_smooth));
    }
    // a plugged-in constraint on the latents
    if (cost->extra) {
        jepa_tensor *mean = k > 1 ? jepa_mean(ctx, members, 1, axis2, 0) : latents;
        jepa_tensor *c = cost->extra(ctx, cost->extra_user, mean);
        JEPA_CHECK_MSG(c->ndim == 1 && c->shape[0] == n, "latent cost must return (N)");
        total = jepa_add(ctx, total, jepa_scale(ctx, c, cost->w_extra));
    }
    return total;
}
