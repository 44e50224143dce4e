// The planner interface: configs, workspace, warm start, and the batch evaluation every
// planner shares.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jepa/ops_linalg.h"
#include "jepa/plan.h"
#include "jepa/threads.h"
#include "plan/internal.h"

static const char *const NAMES[] = {"cem", "icem", "mppi", "gd", "cem+gd"};
#define N_NAMES (int)(sizeof NAMES / sizeof NAMES[0])

int jepa_planner_parse(const char *name) {
    for (int i = 0; i < N_NAMES; i++)
        if (name && !strcmp(name, NAMES[i])) return i;
    return -1;
}

const char *jepa_planner_name(int kind) {
    return kind >= 0 && kind < N_NAMES ? NAMES[kind] : "?";
}

void jepa_planner_config_default(jepa_planner_config *cfg, int kind) {
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = kind;
    cfg->samples = 300;
    cfg->iterations = 10;
    cfg->elites = 30;
    cfg->init_std = 1.0f;
    cfg->min_std = 0.05f;
    cfg->momentum = 0.1f;
    cfg->beta = 2.0f;
    cfg->keep_elites = 0.3f;
    cfg->temperature = 0.5f;
    cfg->noise_std = 0.5f;
    cfg->gd_restarts = 8;
    cfg->gd_steps = kind == JEPA_PLANNER_CEM_GD ? 10 : 30;
    cfg->gd_lr = 0.1f;
    cfg->seed = 0;
}

jepa_status jepa_planner_init(jepa_planner *p, const jepa_planner_config *cfg, int horizon,
                              int action_dim, const float *lo, const float *hi) {
    memset(p, 0, sizeof *p);
    if (cfg->kind < 0 || cfg->kind >= N_NAMES || horizon < 1 || horizon > JEPA_PLAN_MAX_HORIZON ||
        action_dim < 1 || cfg->samples < 1 || cfg->iterations < 1 || cfg->elites < 1 ||
        cfg->elites > cfg->samples || cfg->gd_restarts < 1 || cfg->gd_steps < 0 ||
        !(cfg->temperature > 0.0f))
        return JEPA_ERR_INVALID;
    for (int i = 0; i < action_dim; i++)
        if (!(lo[i] < hi[i])) return JEPA_ERR_INVALID;
    p->cfg = *cfg;
    p->horizon = p->max_horizon = horizon;
    p->action_dim = action_dim;
    int64_t ha = (int64_t)horizon * action_dim, n = cfg->samples, r = cfg->gd_restarts;
    // every buffer, allocated once
    p->lo = malloc(sizeof(float) * action_dim);
    p->hi = malloc(sizeof(float) * action_dim);
    p->mean = malloc(sizeof(float) * ha);
    p->std = malloc(sizeof(float) * ha);
    p->warm = malloc(sizeof(float) * ha);
    p->samples = malloc(sizeof(float) * ha * (n > r ? n : r)); // GD scores its restarts here too
    p->costs = malloc(sizeof(float) * (n > r ? n : r));
    p->order = malloc(sizeof(int) * n);
    p->kept = malloc(sizeof(float) * ha * cfg->elites);
    p->gd_actions = malloc(sizeof(float) * ha * r);
    p->gd_grad = malloc(sizeof(float) * ha * r);
    p->gd_m = malloc(sizeof(float) * ha * r);
    p->gd_v = malloc(sizeof(float) * ha * r);
    p->gd_best = malloc(sizeof(float) * ha * r);
    p->gd_best_cost = malloc(sizeof(float) * r);
    p->ctx = jepa_ctx_create(0);
    // one context per evaluating thread, the first one shared with GD
    p->n_eval_ctx = jepa_threads_get();
    p->eval_ctx = calloc((size_t)p->n_eval_ctx, sizeof *p->eval_ctx);
    int ctx_ok = p->ctx && p->eval_ctx;
    for (int t = 0; ctx_ok && t < p->n_eval_ctx; t++) {
        p->eval_ctx[t] = t == 0 ? p->ctx : jepa_ctx_create(0);
        ctx_ok = p->eval_ctx[t] != NULL;
    }
    if (!p->lo || !p->hi || !p->mean || !p->std || !p->warm || !p->samples || !p->costs ||
        !p->order || !p->kept || !p->gd_actions || !p->gd_grad || !p->gd_m || !p->gd_v ||
        !p->gd_best || !p->gd_best_cost || !ctx_ok) {
        jepa_planner_free(p);
        return JEPA_ERR_NOMEM;
    }
    memcpy(p->lo, lo, sizeof(float) * action_dim);
    memcpy(p->hi, hi, sizeof(float) * action_dim);
    jepa_planner_reset(p);
    return JEPA_OK;
}

void jepa_planner_free(jepa_planner *p) {
    if (!p) return;
    free(p->lo);
    free(p->hi);
    free(p->mean);
    free(p->std);
    free(p->warm);
    free(p->samples);
    free(p->costs);
    free(p->order);
    free(p->kept);
    free(p->gd_actions);
    free(p->gd_grad);
    free(p->gd_m);
    free(p->gd_v);
    free(p->gd_best);
    free(p->gd_best_cost);
    for (int t = 1; p->eval_ctx && t < p->n_eval_ctx; t++) jepa_ctx_free(p->eval_ctx[t]);
    free(p->eval_ctx);
    jepa_ctx_free(p->ctx);
    memset(p, 0, sizeof *p);
}

void jepa_planner_reset(jepa_planner *p) {
    p->horizon = p->max_horizon;
    p->has_warm = 0;
    p->n_kept = 0;
    p->plan_index = 0;
}

jepa_status jepa_planner_set_horizon(jepa_planner *p, int horizon) {
    if (horizon < 1 || horizon > p->max_horizon) return JEPA_ERR_INVALID;
    int a = p->action_dim;
    // the warm start keeps its first steps; steps it never had are the middle of the bounds
    for (int k = p->horizon; k < horizon; k++)
        for (int j = 0; j < a; j++) p->warm[k * a + j] = 0.5f * (p->lo[j] + p->hi[j]);
    if (horizon != p->horizon) p->n_kept = 0; // iCEM's elites are laid out by the old horizon
    p->horizon = horizon;
    return JEPA_OK;
}

void jepa_planner_shift(jepa_planner *p, int executed) {
    int h = p->horizon, a = p->action_dim;
    if (!p->has_warm || executed <= 0) return;
    if (executed > h) executed = h;
    // the rest of the plan moves to the front; the tail is the middle of the bounds
    memmove(p->warm, p->warm + (int64_t)executed * a, sizeof(float) * (h - executed) * a);
    for (int k = h - executed; k < h; k++)
        for (int j = 0; j < a; j++) p->warm[k * a + j] = 0.5f * (p->lo[j] + p->hi[j]);
    // iCEM's kept elites shift the same way
    for (int e = 0; e < p->n_kept; e++) {
        float *x = p->kept + (int64_t)e * h * a;
        memmove(x, x + (int64_t)executed * a, sizeof(float) * (h - executed) * a);
        for (int k = h - executed; k < h; k++)
            for (int j = 0; j < a; j++) x[k * a + j] = 0.5f * (p->lo[j] + p->hi[j]);
    }
}

void jepa_plan_rng(const jepa_planner *p, int iteration, jepa_rng *rng) {
    jepa_rng_init(rng, p->cfg.seed, ((uint64_t)p->plan_index << 20) | (uint64_t)iteration);
}

void jepa_plan_clip(const jepa_planner *p, float *x, int rows) {
    int a = p->action_dim;
    int64_t n = (int64_t)rows * p->horizon;
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < a; j++) {
            float v = x[i * a + j];
            x[i * a + j] = v < p->lo[j] ? p->lo[j] : v > p->hi[j] ? p->hi[j] : v;
        }
}

void jepa_plan_init_distribution(jepa_planner *p) {
    int h = p->horizon, a = p->action_dim;
    for (int k = 0; k < h; k++)
        for (int j = 0; j < a; j++) {
            float mid = 0.5f * (p->lo[j] + p->hi[j]), half = 0.5f * (p->hi[j] - p->lo[j]);
            p->mean[k * a + j] = p->has_warm ? p->warm[k * a + j] : mid;
            p->std[k * a + j] = p->cfg.init_std * half;
        }
}

// the costs of candidates lo..hi into p->costs, built in ctx (grad off)
static void evaluate_batch(jepa_planner *p, const jepa_plan_problem *prob, jepa_ctx *ctx, int lo,
                           int hi) {
    int64_t n = hi - lo, ha = (int64_t)p->horizon * p->action_dim;
    jepa_tensor *acts = jepa_wrap(ctx, p->samples + lo * ha, NULL, 3,
                                  (int64_t[]){n, p->horizon, p->action_dim});
    jepa_tensor *goal = jepa_wrap(ctx, (float *)prob->goal, NULL, 1, (int64_t[]){prob->latent_dim});
    jepa_tensor *z = prob->rollout(ctx, prob->user, acts);
    int64_t members = prob->cost.members > 1 ? prob->cost.members : 1;
    JEPA_CHECK_MSG(z->ndim == 3 && z->shape[0] == n && z->shape[1] == p->horizon &&
                       z->shape[2] == members * prob->latent_dim,
                   "rollout must return (N, H, members * latent_dim)");
    jepa_tensor *c = jepa_cost_eval(ctx, &prob->cost, z, goal, acts);
    jepa_tensor_gather(p->costs + lo, c);
    // a non-finite cost never wins
    for (int i = lo; i < hi; i++)
        if (!isfinite(p->costs[i])) p->costs[i] = INFINITY;
}

// the first candidate of batch b of nb over n candidates: whole 6-row GEMM tiles, the larger
// batches (one tile more) first, so that threads taking them in turn end together
static int batch_start(int n, int nb, int b) {
    int tiles = (n + 5) / 6, small = tiles / nb, large = tiles % nb;
    int start = 6 * (b * small + (b < large ? b : large));
    return start < n ? start : n;
}

// the batches of one thread of the team, taken in turn from a shared count (dynamic, so a
// thread the OS holds back does not hold the others up), or all candidates as one batch
// (shared 0: no work-sharing, which also must not bind to a caller's parallel region). Its
// context's arena is reset once, so the tensors it makes have addresses unique to this
// evaluation, and the rollout's weights are packed once (jepa_sgemm_reuse_begin: nothing
// writes to them meanwhile), or once a plan when they are fixed (the plan's tag).
static void evaluate_thread(jepa_planner *p, const jepa_plan_problem *prob, jepa_ctx *ctx, int n,
                            int batches, int shared) {
    jepa_ctx_reset(ctx);
    int prev = jepa_ctx_set_grad(ctx, 0), prev_bf16 = jepa_sgemm_set_bf16(p->cfg.bf16);
    jepa_sgemm_reuse_begin_tagged(p->reuse_tag);
    if (shared) {
#pragma omp for schedule(dynamic, 1)
        for (int b = 0; b < batches; b++) {
            int lo = batch_start(n, batches, b), hi = batch_start(n, batches, b + 1);
            evaluate_batch(p, prob, ctx, lo, hi);
        }
    } else {
        evaluate_batch(p, prob, ctx, 0, n);
    }
    jepa_sgemm_reuse_end();
    jepa_sgemm_set_bf16(prev_bf16);
    jepa_ctx_set_grad(ctx, prev);
}

#define BATCHES_PER_THREAD 2

void jepa_plan_evaluate(jepa_planner *p, const jepa_plan_problem *prob, int n) {
    // batches of whole 6-row GEMM tiles, BATCHES_PER_THREAD per thread, in one parallel region;
    // each thread in its own context (its kernels then run on that one thread). Two a thread:
    // large enough that each packed panel of weights serves many rows, and a second one so that
    // a thread the OS holds back is made up for by the others
    int threads = jepa_threads_get();
    if (threads > p->n_eval_ctx) threads = p->n_eval_ctx;
    int batches = threads * BATCHES_PER_THREAD, tiles = (n + 5) / 6;
    if (batches > tiles) batches = tiles;
    if (threads <= 1 || batches <= 1) {
        evaluate_thread(p, prob, p->ctx, n, 1, 0);
        return;
    }
#pragma omp parallel num_threads(threads)
    evaluate_thread(p, prob, p->eval_ctx[jepa_thread_index()], n, batches, 1);
}

void jepa_plan_sort(jepa_planner *p, int n) {
    for (int i = 0; i < n; i++) p->order[i] = i;
    // insertion sort: no global state, so planners on many threads do not race
    for (int i = 1; i < n; i++) {
        int v = p->order[i], k = i - 1;
        while (k >= 0 && (p->costs[p->order[k]] > p->costs[v] ||
                          (p->costs[p->order[k]] == p->costs[v] && p->order[k] > v))) {
            p->order[k + 1] = p->order[k];
            k--;
        }
        p->order[k + 1] = v;
    }
}

float jepa_planner_plan(jepa_planner *p, const jepa_plan_problem *prob, float *actions) {
    p->reuse_tag = prob->fixed_weights ? jepa_sgemm_reuse_new_tag() : 0;
    switch (p->cfg.kind) {
    case JEPA_PLANNER_MPPI:
        jepa_plan_mppi(p, prob, actions);
        break;
    case JEPA_PLANNER_GD:
        jepa_plan_init_distribution(p);
        jepa_plan_gd(p, prob, p->has_warm ? p->mean : NULL, actions);
        break;
    case JEPA_PLANNER_CEM_GD:
        jepa_plan_cem(p, prob, actions);
        jepa_plan_gd(p, prob, actions, actions);
        break;
    default:
        jepa_plan_cem(p, prob, actions);
        break;
    }
    // its cost: CEM's refit mean and MPPI's weighted mean are no candidate the search scored,
    // so the plan is scored once more (every kind, so the cost is always the plan's own)
    int64_t ha = (int64_t)p->horizon * p->action_dim;
    memcpy(p->samples, actions, sizeof(float) * ha);
    jepa_plan_evaluate(p, prob, 1);
    float cost = p->costs[0];
    p->reuse_tag = 0; // the weights may change before the next plan
    // the plan becomes the next warm start
    memcpy(p->warm, actions, sizeof(float) * ha);
    p->has_warm = 1;
    p->plan_index++;
    return cost;
}
