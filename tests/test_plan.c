// Planners on a known problem: a linear predictor z_{k+1} = M z_k + B a_k and a quadratic cost,
// whose optimum is a regularized least-squares solution computed here in double.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jepa.h"
#include "testutil.h"

#define D 4
#define A 2
#define H 3
#define LAMBDA 0.1f // w_action: makes the optimum unique

typedef struct linear_sys {
    float m[D * D], b[D * A], z0[D];
} linear_sys;

// the predictor as autograd ops: actions (N, H, A) -> latents (N, H, D)
static jepa_tensor *linear_rollout(jepa_ctx *ctx, void *user, jepa_tensor *actions) {
    linear_sys *s = user;
    int64_t n = actions->shape[0], h = actions->shape[1];
    jepa_tensor *m = jepa_wrap(ctx, s->m, NULL, 2, (int64_t[]){D, D});
    jepa_tensor *b = jepa_wrap(ctx, s->b, NULL, 2, (int64_t[]){D, A});
    jepa_tensor *z0 = jepa_wrap(ctx, s->z0, NULL, 2, (int64_t[]){1, D});
    jepa_tensor *z = jepa_contiguous(ctx, jepa_expand(ctx, z0, 2, (int64_t[]){n, D}));
    jepa_tensor *steps[64];
    for (int64_t k = 0; k < h; k++) {
        jepa_tensor *a = jepa_reshape(
            ctx, jepa_contiguous(ctx, jepa_slice(ctx, actions, 1, k, k + 1)), 2, (int64_t[]){n, A});
        z = jepa_add(ctx, jepa_matmul(ctx, z, m, 0, 1), jepa_matmul(ctx, a, b, 0, 1));
        steps[k] = jepa_reshape(ctx, z, 3, (int64_t[]){n, 1, D});
    }
    return jepa_concat(ctx, (int)h, steps, 1);
}

static void make_system(linear_sys *s, uint64_t seed) {
    jepa_rng rng;
    jepa_rng_init(&rng, seed, 0);
    for (int i = 0; i < D * D; i++)
        s->m[i] = (i % (D + 1) == 0 ? 0.9f : 0.0f) + 0.1f * jepa_rng_normal(&rng);
    for (int i = 0; i < D * A; i++) s->b[i] = jepa_rng_normal(&rng);
    for (int i = 0; i < D; i++) s->z0[i] = jepa_rng_normal(&rng);
}

// z_H = c + G a (a flattened (H*A)); in double
static void affine_map(const linear_sys *s, double *c, double g[D][H * A]) {
    double p[D][D], t[D][D];
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) p[i][j] = i == j;
    // G's block k is M^(H-1-k) B: build from the last step backwards
    for (int k = H - 1; k >= 0; k--) {
        for (int i = 0; i < D; i++)
            for (int j = 0; j < A; j++) {
                double v = 0;
                for (int l = 0; l < D; l++) v += p[i][l] * s->b[l * A + j];
                g[i][k * A + j] = v;
            }
        for (int i = 0; i < D; i++)
            for (int j = 0; j < D; j++) {
                double v = 0;
                for (int l = 0; l < D; l++) v += p[i][l] * s->m[l * D + j];
                t[i][j] = v;
            }
        memcpy(p, t, sizeof p);
    }
    for (int i = 0; i < D; i++) {
        c[i] = 0;
        for (int l = 0; l < D; l++) c[i] += p[i][l] * s->z0[l];
    }
}

// minimize |c + G a - goal|^2 + lambda |a|^2 by the normal equations (Gauss-Jordan)
static void optimum(const linear_sys *s, const float *goal, double *a_opt) {
    enum { U = H * A };
    double c[D], g[D][U], m[U][U + 1];
    affine_map(s, c, g);
    for (int i = 0; i < U; i++) {
        for (int j = 0; j < U; j++) {
            double v = i == j ? LAMBDA : 0.0;
            for (int l = 0; l < D; l++) v += g[l][i] * g[l][j];
            m[i][j] = v;
        }
        double r = 0;
        for (int l = 0; l < D; l++) r += g[l][i] * (goal[l] - c[l]);
        m[i][U] = r;
    }
    for (int col = 0; col < U; col++) {
        int piv = col;
        for (int r = col + 1; r < U; r++)
            if (fabs(m[r][col]) > fabs(m[piv][col])) piv = r;
        for (int j = 0; j <= U; j++) {
            double t = m[col][j];
            m[col][j] = m[piv][j];
            m[piv][j] = t;
        }
        for (int r = 0; r < U; r++) {
            if (r == col) continue;
            double f = m[r][col] / m[col][col];
            for (int j = col; j <= U; j++) m[r][j] -= f * m[col][j];
        }
    }
    for (int i = 0; i < U; i++) a_opt[i] = m[i][U] / m[i][i];
}

// the cost in double, independently of the library
static double true_cost(const linear_sys *s, const float *goal, const double *a) {
    double c[D], g[D][H * A], v = 0;
    affine_map(s, c, g);
    for (int i = 0; i < D; i++) {
        double z = c[i];
        for (int j = 0; j < H * A; j++) z += g[i][j] * a[j];
        v += (z - goal[i]) * (z - goal[i]);
    }
    for (int j = 0; j < H * A; j++) v += LAMBDA * a[j] * a[j];
    return v;
}

static const float LO[A] = {-1.0f, -1.0f}, HI[A] = {1.0f, 1.0f};

static jepa_plan_problem make_problem(linear_sys *s, const float *goal) {
    jepa_plan_problem prob;
    memset(&prob, 0, sizeof prob);
    prob.rollout = linear_rollout;
    prob.user = s;
    prob.goal = goal;
    prob.latent_dim = D;
    prob.cost.w_action = LAMBDA;
    return prob;
}

// plan with a fresh planner of a kind (budget raised for the sharper tests)
static float plan_once(int kind, uint64_t seed, jepa_plan_problem *prob, const float *lo,
                       const float *hi, float *out) {
    jepa_planner_config cfg;
    jepa_planner_config_default(&cfg, kind);
    cfg.seed = seed;
    cfg.iterations = 30;
    cfg.temperature = 0.01f;
    cfg.noise_std = 0.2f;
    cfg.gd_steps = 200;
    cfg.gd_lr = 0.05f;
    jepa_planner p;
    CHECK(jepa_planner_init(&p, &cfg, H, A, lo, hi) == JEPA_OK);
    float c = jepa_planner_plan(&p, prob, out);
    jepa_planner_free(&p);
    return c;
}

static void test_optimum(void) {
    linear_sys s;
    make_system(&s, 7);
    // a reachable goal, so the optimum lies inside the bounds
    double a_true[H * A], c[D], g[D][H * A], a_opt[H * A], a_plan[H * A];
    float goal[D];
    affine_map(&s, c, g);
    jepa_rng rng;
    jepa_rng_init(&rng, 3, 0);
    for (int j = 0; j < H * A; j++) a_true[j] = jepa_rng_uniform_range(&rng, -0.5f, 0.5f);
    for (int i = 0; i < D; i++) {
        double z = c[i];
        for (int j = 0; j < H * A; j++) z += g[i][j] * a_true[j];
        goal[i] = (float)z;
    }
    optimum(&s, goal, a_opt);
    for (int j = 0; j < H * A; j++) CHECK(fabs(a_opt[j]) < 1.0);
    double best = true_cost(&s, goal, a_opt);
    jepa_plan_problem prob = make_problem(&s, goal);
    // the sampling planners stop at their std floor (5 % of the half-range), and where the cost
    // is flat they drift: over seeds 1-16 CEM ends 0.03-0.17 from the optimum per coordinate and
    // 0.6e-3 to 7.4e-3 above its cost, so one seed's result is a draw. They are judged by their
    // means over SEEDS seeds: within 0.15 per coordinate and 4e-3 in cost (a fifth of the
    // optimum's), none past 1.5e-2; GD, deterministic from its start, within 0.01 / 1e-4 at seed 1
    enum { SEEDS = 8 };
    for (int kind = JEPA_PLANNER_CEM; kind <= JEPA_PLANNER_CEM_GD; kind++) {
        int gd = kind == JEPA_PLANNER_GD || kind == JEPA_PLANNER_CEM_GD;
        double err_sum = 0, gap_sum = 0, gap_max = 0;
        int seeds = gd ? 1 : SEEDS;
        for (int seed = 1; seed <= seeds; seed++) {
            float out[H * A];
            float returned = plan_once(kind, (uint64_t)seed, &prob, LO, HI, out);
            double err = 0;
            for (int j = 0; j < H * A; j++) {
                a_plan[j] = out[j];
                err = fmax(err, fabs(out[j] - a_opt[j]));
            }
            double gap = true_cost(&s, goal, a_plan) - best;
            CHECK(gap >= -1e-6);
            err_sum += err;
            gap_sum += gap;
            gap_max = fmax(gap_max, gap);
            // the cost returned is the returned plan's own (CEM's and MPPI's are means, which
            // the search never scored), against the cost computed in double
            double own = true_cost(&s, goal, a_plan);
            CHECK(fabs(returned - own) <= 1e-4 * (1 + own));
        }
        double err = err_sum / seeds, gap = gap_sum / seeds;
        printf("  %-6s max |a - a*| = %.2e, cost gap = %.2e, worst %.2e (optimum %.4f; %s)\n",
               jepa_planner_name(kind), err, gap, gap_max, best,
               gd ? "seed 1" : "the mean of 8 seeds");
        CHECK(err < (gd ? 0.01 : 0.15));
        CHECK(gap < (gd ? 1e-4 : 4e-3) && gap_max < (gd ? 1e-4 : 1.5e-2));
    }
}

static void test_determinism_and_bounds(void) {
    linear_sys s;
    make_system(&s, 11);
    float goal[D] = {0.4f, -0.3f, 0.2f, 0.1f};
    float far[D] = {30.0f, -30.0f, 30.0f, -30.0f}; // unreachable: the plan presses on the bounds
    float lo[A] = {-0.3f, -1.0f}, hi[A] = {0.7f, 0.2f};
    jepa_plan_problem prob = make_problem(&s, goal), prob_far = make_problem(&s, far);
    for (int kind = JEPA_PLANNER_CEM; kind <= JEPA_PLANNER_CEM_GD; kind++) {
        float a[H * A], b[H * A], c[H * A];
        plan_once(kind, 5, &prob, lo, hi, a);
        plan_once(kind, 5, &prob, lo, hi, b);
        plan_once(kind, 6, &prob, lo, hi, c);
        CHECK(memcmp(a, c, sizeof a) != 0); // another seed: another plan
        plan_once(kind, 5, &prob_far, lo, hi, a);
        plan_once(kind, 5, &prob_far, lo, hi, b);
        CHECK(memcmp(a, b, sizeof a) == 0); // same seed: the same plan, bit for bit
        (void)c;
        for (int k = 0; k < H; k++)
            for (int j = 0; j < A; j++) CHECK(a[k * A + j] >= lo[j] && a[k * A + j] <= hi[j]);
    }
}

// an MLP predictor z_{k+1} = mlp([z_k, a_k]) (fused linear + ReLU layers)
typedef struct mlp_sys {
    jepa_params params;
    jepa_mlp mlp;
    float z0[D];
} mlp_sys;

static jepa_tensor *mlp_rollout(jepa_ctx *ctx, void *user, jepa_tensor *actions) {
    mlp_sys *m = user;
    int64_t n = actions->shape[0], h = actions->shape[1];
    jepa_tensor *z = jepa_wrap(ctx, m->z0, NULL, 2, (int64_t[]){1, D});
    z = jepa_contiguous(ctx, jepa_expand(ctx, z, 2, (int64_t[]){n, D}));
    jepa_tensor *steps[64];
    for (int64_t k = 0; k < h; k++) {
        jepa_tensor *a = jepa_reshape(
            ctx, jepa_contiguous(ctx, jepa_slice(ctx, actions, 1, k, k + 1)), 2, (int64_t[]){n, A});
        jepa_tensor *in[2] = {z, a};
        z = jepa_mlp_forward(ctx, &m->params, &m->mlp, jepa_concat(ctx, 2, in, 1));
        steps[k] = jepa_reshape(ctx, z, 3, (int64_t[]){n, 1, D});
    }
    return jepa_concat(ctx, (int)h, steps, 1);
}

static void mlp_sys_init(mlp_sys *m, uint64_t seed) {
    jepa_params_init(&m->params);
    int64_t dims[4] = {D + A, 24, 24, D};
    jepa_mlp_init(&m->mlp, &m->params, "pred", 3, dims, JEPA_ACT_RELU, 0);
    CHECK(jepa_params_finalize(&m->params) == JEPA_OK);
    jepa_params_reset(&m->params, seed);
    for (int i = 0; i < D; i++) m->z0[i] = 0.3f * (float)(i - 1);
}

static jepa_status small_planner(jepa_planner *p, int kind) {
    jepa_planner_config cfg;
    jepa_planner_config_default(&cfg, kind);
    cfg.samples = 37;
    cfg.elites = 5;
    cfg.iterations = 3;
    cfg.gd_steps = 3;
    return jepa_planner_init(p, &cfg, H, A, LO, HI);
}

// the candidates are evaluated in batches on several threads: 1 and 2 threads plan the same,
// bit for bit (37 candidates: batches of unequal sizes), with the weights packed in every
// iteration or once a plan (fixed_weights)
static void test_threads_agree(void) {
    mlp_sys m;
    mlp_sys_init(&m, 3);
    float goal[D] = {0.2f, -0.1f, 0.3f, 0.0f};
    jepa_plan_problem prob = {mlp_rollout, &m, goal, D, {0}, 0};
    int before = jepa_threads_get();
    for (int kind = JEPA_PLANNER_CEM; kind <= JEPA_PLANNER_CEM_GD; kind++) {
        float out[4][H * A], cost[4];
        for (int v = 0; v < 4; v++) {
            jepa_threads_set(v % 2 + 1);
            prob.fixed_weights = v / 2;
            jepa_planner p;
            CHECK(small_planner(&p, kind) == JEPA_OK);
            cost[v] = jepa_planner_plan(&p, &prob, out[v]);
            jepa_planner_free(&p);
        }
        for (int v = 1; v < 4; v++)
            CHECK(memcmp(out[0], out[v], sizeof out[0]) == 0 && cost[0] == cost[v]);
    }
    jepa_threads_set(before);
    jepa_params_free(&m.params);
}

// fixed_weights keeps the packed weights over one plan only: after the weights change in place
// (as between training steps), the next plan of the same planner reads the new ones, on 1 and
// 2 threads (checked against a fresh planner that packs them in every iteration)
static void test_fixed_weights_per_plan(void) {
    mlp_sys m;
    mlp_sys_init(&m, 3);
    float goal[D] = {0.2f, -0.1f, 0.3f, 0.0f};
    int before = jepa_threads_get();
    for (int t = 1; t <= 2; t++) {
        jepa_threads_set(t);
        jepa_params_reset(&m.params, 3);
        jepa_plan_problem prob = {mlp_rollout, &m, goal, D, {0}, 1};
        jepa_planner p, fresh;
        CHECK(small_planner(&p, JEPA_PLANNER_CEM) == JEPA_OK);
        CHECK(small_planner(&fresh, JEPA_PLANNER_CEM) == JEPA_OK);
        float out[H * A], want[H * A];
        float first = jepa_planner_plan(&p, &prob, out);
        jepa_params_reset(&m.params, 4); // new values at the same addresses
        jepa_planner_reset(&p);
        float cost = jepa_planner_plan(&p, &prob, out);
        prob.fixed_weights = 0;
        float cost_want = jepa_planner_plan(&fresh, &prob, want);
        CHECK(cost != first); // the weights' change shows in the cost
        CHECK(memcmp(out, want, sizeof out) == 0 && cost == cost_want);
        jepa_planner_free(&p);
        jepa_planner_free(&fresh);
    }
    jepa_threads_set(before);
    jepa_params_free(&m.params);
}

// an ensemble of linear systems: each one's latents side by side, (N, H, members * D)
static jepa_tensor *ensemble_rollout(jepa_ctx *ctx, linear_sys *s, int members,
                                     jepa_tensor *actions) {
    jepa_tensor *z[4];
    for (int k = 0; k < members; k++) z[k] = linear_rollout(ctx, &s[k], actions);
    return members == 1 ? z[0] : jepa_concat(ctx, members, z, 2);
}

// gradient of the cost through the rollout, against finite differences
typedef struct grad_case {
    linear_sys *s; // (cost.members, or 1) systems
    jepa_cost cost;
    float *goal;
} grad_case;

static jepa_tensor *build_cost(jepa_ctx *ctx, jepa_tensor **inputs, void *user) {
    grad_case *g = user;
    jepa_tensor *z = ensemble_rollout(ctx, g->s, g->cost.members ? g->cost.members : 1, inputs[0]);
    jepa_tensor *goal = jepa_wrap(ctx, g->goal, NULL, 1, (int64_t[]){D});
    return jepa_cost_eval(ctx, &g->cost, z, goal, inputs[0]);
}

// a plugged-in constraint: sum of squares of the latents
static jepa_tensor *extra_cost(jepa_ctx *ctx, void *user, jepa_tensor *z) {
    static const int axes[2] = {1, 2};
    (void)user;
    return jepa_sum(ctx, jepa_square(ctx, z), 2, axes, 0);
}

static void test_gradient(void) {
    linear_sys s[3];
    for (int k = 0; k < 3; k++) make_system(&s[k], 13 + (uint64_t)k);
    float goal[D] = {0.3f, -0.2f, 0.5f, 0.1f}, w[H] = {0.5f, 1.0f, 2.0f};
    static const char *const names[4] = {"cost l2 last", "cost l1 all steps",
                                         "cost l2 last, 3 members", "cost l1 all steps, 3 members"};
    for (int variant = 0; variant < 4; variant++) {
        grad_case g = {s, {0}, goal};
        g.cost.members = variant < 2 ? 0 : 3;
        g.cost.distance = variant % 2 ? JEPA_DIST_L1 : JEPA_DIST_L2SQ;
        g.cost.all_steps = variant % 2;
        g.cost.step_weights = w;
        g.cost.w_action = 0.3f;
        g.cost.w_smooth = 0.7f;
        g.cost.extra = extra_cost;
        g.cost.w_extra = 0.05f;
        jepa_tensor *x = test_tensor(3, (int64_t[]){5, H, A}, 21 + variant, -1.0f, 1.0f);
        // eps 1e-2, atol 1e-4, rtol 1e-3 as the op tests; L1 has kinks far from these points
        CHECK(test_gradcheck(names[variant], build_cost, &g, &x, 1, 1e-2, 1e-4, 1e-3, 0));
        test_tensor_free(x);
    }
}

// an ensemble's cost is the mean of its members' costs; for the squared L2 at the last step,
// the distance of their mean plus their spread (computed here in double); a plugged-in
// constraint sees their mean
static void test_ensemble_cost(void) {
    enum { N = 6, K = 3 };
    linear_sys s[K];
    for (int k = 0; k < K; k++) make_system(&s[k], 40 + (uint64_t)k);
    float goal[D] = {0.2f, 0.4f, -0.3f, 0.0f}, w[H] = {1.0f, 0.5f, 2.0f};
    jepa_tensor *x = test_tensor(3, (int64_t[]){N, H, A}, 77, -1.0f, 1.0f);
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_ctx_set_grad(ctx, 0);
    jepa_tensor *g = jepa_wrap(ctx, goal, NULL, 1, (int64_t[]){D});
    float z[K][N * H * D];
    for (int k = 0; k < K; k++) jepa_tensor_gather(z[k], linear_rollout(ctx, &s[k], x));
    for (int variant = 0; variant < 3; variant++) {
        jepa_cost one = {0};
        one.distance = variant == 1 ? JEPA_DIST_L1 : JEPA_DIST_L2SQ;
        one.all_steps = variant == 1;
        one.step_weights = w;
        one.w_action = 0.2f;
        jepa_cost all = one;
        all.members = K;
        float each[K][N], mean_cost[N], with_extra[N];
        for (int k = 0; k < K; k++)
            jepa_tensor_gather(each[k], jepa_cost_eval(ctx, &one, linear_rollout(ctx, &s[k], x), g, x));
        jepa_tensor_gather(mean_cost, jepa_cost_eval(ctx, &all, ensemble_rollout(ctx, s, K, x), g, x));
        all.extra = extra_cost, all.w_extra = 0.5f;
        if (variant == 2)
            jepa_tensor_gather(with_extra, jepa_cost_eval(ctx, &all, ensemble_rollout(ctx, s, K, x), g, x));
        double worst = 0;
        for (int i = 0; i < N; i++) {
            double want = (each[0][i] + each[1][i] + each[2][i]) / K, got = mean_cost[i];
            if (variant == 0) {
                // at the last step: |mean - goal|^2 + sum over members of |z_k - mean|^2 / K
                double by_hand = 0;
                for (int j = 0; j < D; j++) {
                    int64_t at = ((int64_t)i * H + H - 1) * D + j;
                    double m = (z[0][at] + z[1][at] + z[2][at]) / K;
                    by_hand += (m - goal[j]) * (m - goal[j]);
                    for (int k = 0; k < K; k++) by_hand += (z[k][at] - m) * (z[k][at] - m) / K;
                }
                const float *a = x->data + (int64_t)i * H * A;
                for (int j = 0; j < H * A; j++) by_hand += 0.2 * a[j] * a[j];
                worst = fmax(worst, fabs(by_hand - got) / (1 + fabs(by_hand)));
            }
            if (variant == 2) {
                // the constraint on the members' mean latents, every step
                double extra = 0;
                for (int k = 0; k < H; k++)
                    for (int j = 0; j < D; j++) {
                        int64_t at = ((int64_t)i * H + k) * D + j;
                        double m = (z[0][at] + z[1][at] + z[2][at]) / K;
                        extra += m * m;
                    }
                want = got + 0.5 * extra, got = with_extra[i];
            }
            worst = fmax(worst, fabs(want - got) / (1 + fabs(want)));
        }
        printf("  ensemble cost (%s): largest relative error %.2e\n",
               variant == 0 ? "l2 last, by hand too" : variant == 1 ? "l1 all steps" : "extra", worst);
        CHECK(worst < 1e-5);
    }
    jepa_ctx_free(ctx);
    test_tensor_free(x);
}

static void test_warm_shift(void) {
    linear_sys s;
    make_system(&s, 17);
    float goal[D] = {0.5f, 0.5f, -0.5f, 0.2f};
    float lo[A] = {-1.0f, 0.0f}, hi[A] = {1.0f, 2.0f};
    jepa_plan_problem prob = make_problem(&s, goal);
    jepa_planner_config cfg;
    jepa_planner_config_default(&cfg, JEPA_PLANNER_CEM);
    jepa_planner p;
    CHECK(jepa_planner_init(&p, &cfg, H, A, lo, hi) == JEPA_OK);
    float plan[H * A];
    jepa_planner_plan(&p, &prob, plan);
    jepa_planner_shift(&p, 2);
    CHECK(p.has_warm);
    // step 0 of the warm start is step 2 of the plan; the freed tail is the middle of the bounds
    for (int j = 0; j < A; j++) CHECK(p.warm[j] == plan[2 * A + j]);
    for (int k = 1; k < H; k++)
        for (int j = 0; j < A; j++) CHECK(p.warm[k * A + j] == 0.5f * (lo[j] + hi[j]));
    jepa_planner_reset(&p);
    CHECK(!p.has_warm && p.plan_index == 0);
    jepa_planner_free(&p);
}

// periodogram slope of coloured noise: log power against log frequency ~ -beta
static void test_colored_noise(void) {
    enum { N = 2000, L = 64 };
    static float x[N * L];
    float betas[3] = {0.0f, 1.0f, 2.0f};
    for (int b = 0; b < 3; b++) {
        jepa_rng rng;
        jepa_rng_init(&rng, 99, (uint64_t)b);
        jepa_colored_noise(x, N, L, betas[b], &rng);
        double var = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        int nk = 0;
        for (int i = 0; i < N * L; i++) var += (double)x[i] * x[i];
        var /= N * L;
        for (int k = 1; k < L / 2; k++) {
            double p = 0;
            for (int s = 0; s < N; s++) {
                double re = 0, im = 0;
                for (int t = 0; t < L; t++) {
                    re += x[s * L + t] * cos(2 * M_PI * k * t / L);
                    im -= x[s * L + t] * sin(2 * M_PI * k * t / L);
                }
                p += re * re + im * im;
            }
            double lx = log((double)k / L), ly = log(p / N);
            sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly, nk++;
        }
        double slope = (nk * sxy - sx * sy) / (nk * sxx - sx * sx);
        printf("  beta %.1f: spectrum slope %.3f, variance %.3f\n", betas[b], slope, var);
        CHECK(fabs(slope + betas[b]) < 0.15); // the requested slope within 0.15
        CHECK(fabs(var - 1.0) < 0.05);        // unit variance within 5 %
    }
}

// a checkpoint for 3-D actions on a 2-D environment: a clear error, not a crash
static void test_mismatch(void) {
    char err[256] = "";
    jepa_model m;
    CHECK(test_tiny_model(&m, 3, 0, 0));
    jepa_env_model *env = jepa_env_create("tworoom", NULL, err, sizeof err);
    CHECK(env != NULL);
    CHECK(jepa_eval_check(&m, env, err, sizeof err) == JEPA_ERR_INVALID);
    printf("  mismatch: %s\n", err);
    CHECK(strstr(err, "action size is 3") != NULL && strstr(err, "is 2") != NULL);
    jepa_env_free(env);
    jepa_model_free(&m);
    // a proprio of 8 (pusht's agent and block pose) on pusht's default proprio of 4: refused,
    // naming the option that sets it; with that option it fits
    CHECK(test_tiny_model(&m, 2, 8, 1));
    env = jepa_env_create("pusht", NULL, err, sizeof err);
    CHECK(jepa_eval_check(&m, env, err, sizeof err) == JEPA_ERR_INVALID);
    printf("  mismatch: %s\n", err);
    CHECK(strstr(err, "proprio size is 8") != NULL && strstr(err, "--env-options") != NULL);
    jepa_env_free(env);
    env = jepa_env_create("pusht", "{\"proprio\": \"agent_pose\"}", err, sizeof err);
    CHECK(jepa_eval_check(&m, env, err, sizeof err) == JEPA_OK);
    jepa_env_free(env);
    jepa_model_free(&m);
}

int main(void) {
    jepa_threads_set(1);
    test_optimum();
    test_determinism_and_bounds();
    test_threads_agree();
    test_fixed_weights_per_plan();
    test_gradient();
    test_ensemble_cost();
    test_warm_shift();
    test_colored_noise();
    test_mismatch();
    return test_finish("test_plan");
}
