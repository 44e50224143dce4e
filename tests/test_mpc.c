// MPC with a perfect model: the latent is the state of a damped double integrator and the
// rollout is its true dynamics, so receding-horizon planning must bring it to the goal.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jepa.h"
#include "testutil.h"

#define S 4 // state (px, py, vx, vy)
#define A 2
#define DAMP 0.8f
#define GAIN 0.5f

// v' = DAMP v + GAIN a, p' = p + v' as matrices: s' = s M^T + a B^T
static float M[S * S] = {1, 0, DAMP, 0, 0, 1, 0, DAMP, 0, 0, DAMP, 0, 0, 0, 0, DAMP};
static float B[S * A] = {GAIN, 0, 0, GAIN, GAIN, 0, 0, GAIN};

static void true_step(float *s, const float *a) {
    float n[S];
    for (int i = 0; i < S; i++) {
        n[i] = 0;
        for (int j = 0; j < S; j++) n[i] += M[i * S + j] * s[j];
        for (int j = 0; j < A; j++) n[i] += B[i * A + j] * a[j];
    }
    memcpy(s, n, sizeof n);
}

// the rollout from the current state (user) for actions (N, H, A) -> (N, H, S)
static jepa_tensor *rollout(jepa_ctx *ctx, void *user, jepa_tensor *actions) {
    int64_t n = actions->shape[0], h = actions->shape[1];
    jepa_tensor *m = jepa_wrap(ctx, M, NULL, 2, (int64_t[]){S, S});
    jepa_tensor *b = jepa_wrap(ctx, B, NULL, 2, (int64_t[]){S, A});
    jepa_tensor *s0 = jepa_wrap(ctx, user, NULL, 2, (int64_t[]){1, S});
    jepa_tensor *z = jepa_contiguous(ctx, jepa_expand(ctx, s0, 2, (int64_t[]){n, S}));
    jepa_tensor *steps[JEPA_PLAN_MAX_HORIZON];
    for (int64_t k = 0; k < h; k++) {
        jepa_tensor *a = jepa_reshape(
            ctx, jepa_contiguous(ctx, jepa_slice(ctx, actions, 1, k, k + 1)), 2, (int64_t[]){n, A});
        z = jepa_add(ctx, jepa_matmul(ctx, z, m, 0, 1), jepa_matmul(ctx, a, b, 0, 1));
        steps[k] = jepa_reshape(ctx, z, 3, (int64_t[]){n, 1, S});
    }
    return jepa_concat(ctx, (int)h, steps, 1);
}

static void run(int kind) {
    float lo[A] = {-1, -1}, hi[A] = {1, 1};
    float state[S] = {0, 0, 0, 0}, goal[S] = {3.0f, -2.0f, 0, 0};
    jepa_planner_config cfg;
    jepa_planner_config_default(&cfg, kind);
    cfg.seed = 4;
    jepa_planner p;
    jepa_mpc mpc;
    CHECK(jepa_planner_init(&p, &cfg, 6, A, lo, hi) == JEPA_OK);
    CHECK(jepa_mpc_init(&mpc, &p, 2) == JEPA_OK);
    jepa_plan_problem prob = {rollout, state, goal, S, {0}, 0};
    prob.cost.all_steps = 1; // every step counts: get there and stay
    int reached = -1;
    for (int t = 0; t < 40; t++) {
        float a[A];
        jepa_mpc_act(&mpc, &prob, a);
        for (int j = 0; j < A; j++) CHECK(a[j] >= lo[j] && a[j] <= hi[j]);
        true_step(state, a);
        float d = hypotf(state[0] - goal[0], state[1] - goal[1]);
        if (d < 0.1f && reached < 0) reached = t + 1;
    }
    float d = hypotf(state[0] - goal[0], state[1] - goal[1]);
    printf("  %-6s reached within 0.1 after %d steps; final distance %.4f, %d plans\n",
           jepa_planner_name(kind), reached, d, mpc.plans);
    CHECK(reached > 0);
    CHECK(d < 0.15f);           // and stays near it (MPPI jitters at its noise floor)
    CHECK(mpc.plans == 40 / 2); // one plan per 2 executed steps
    jepa_mpc_free(&mpc);
    jepa_planner_free(&p);
}

// 12 steps of shrinking plans from the origin: the horizon of each of the 6 plans, and the
// distance to the goal after step 6
static float shrink_run(jepa_mpc *mpc, jepa_plan_problem *prob, int *horizons) {
    const float *goal = prob->goal;
    float *state = prob->user; // the rollout's start
    float at6 = -1;
    int n = 0;
    memset(state, 0, sizeof(float) * S);
    jepa_mpc_reset(mpc);
    for (int t = 0; t < 12; t++) {
        float a[A];
        int plans = mpc->plans;
        jepa_mpc_act(mpc, prob, a);
        if (mpc->plans > plans && n < 6) horizons[n++] = mpc->planner->horizon;
        true_step(state, a);
        if (t == 5) at6 = hypotf(state[0] - goal[0], state[1] - goal[1]);
    }
    printf("  shrink (respan %d): horizons %d %d %d %d %d %d; distance at step 6 %.4f\n",
           mpc->respan, horizons[0], horizons[1], horizons[2], horizons[3], horizons[4],
           horizons[5], at6);
    CHECK(n == 6 && mpc->plans == 6);
    return at6;
}

// shrinking plans (jepa_mpc.shrink) keep the end the first plan set: with H 6 and 2 steps run
// per plan the horizons go 6, 4, 2, 6, ... (6, 4, 2, 4, 2, 4 with respan 4); with a cost at the
// last step only, the state at step 6 is at the goal (a plain receding horizon would move the
// arrival 2 steps further at every plan); a shrunk plan starts from the last one's unexecuted
// steps
static void shrink(void) {
    float lo[A] = {-1, -1}, hi[A] = {1, 1};
    float state[S], goal[S] = {1.5f, -1.0f, 0, 0};
    jepa_planner_config cfg;
    jepa_planner_config_default(&cfg, JEPA_PLANNER_CEM);
    cfg.seed = 8;
    cfg.iterations = 20;
    jepa_planner p;
    jepa_mpc mpc;
    CHECK(jepa_planner_init(&p, &cfg, 6, A, lo, hi) == JEPA_OK);
    CHECK(jepa_mpc_init(&mpc, &p, 2) == JEPA_OK);
    mpc.shrink = 1;
    jepa_plan_problem prob = {rollout, state, goal, S, {0}, 0}; // the last step's distance
    int horizons[6];
    float at6 = shrink_run(&mpc, &prob, horizons);
    for (int k = 0; k < 6; k++) CHECK(horizons[k] == 6 - 2 * (k % 3));
    CHECK(at6 >= 0 && at6 < 0.05f);
    mpc.respan = 4;
    at6 = shrink_run(&mpc, &prob, horizons);
    for (int k = 0; k < 6; k++) CHECK(horizons[k] == (k == 0 ? 6 : 4 - 2 * ((k - 1) % 2)));
    CHECK(at6 >= 0 && at6 < 0.05f);
    // the warm start keeps its first steps when the horizon shrinks, is padded with the middle
    // of the bounds when it grows, and the horizon never passes init's
    jepa_planner_reset(&p);
    CHECK(p.horizon == 6);
    float plan[6 * A];
    jepa_planner_plan(&p, &prob, plan);
    jepa_planner_shift(&p, 2);
    CHECK(jepa_planner_set_horizon(&p, 4) == JEPA_OK);
    CHECK(memcmp(p.warm, plan + 2 * A, sizeof(float) * 4 * A) == 0);
    CHECK(jepa_planner_set_horizon(&p, 6) == JEPA_OK);
    CHECK(p.warm[4 * A] == 0.0f && p.warm[6 * A - 1] == 0.0f);
    CHECK(jepa_planner_set_horizon(&p, 7) == JEPA_ERR_INVALID && p.horizon == 6);
    CHECK(jepa_planner_set_horizon(&p, 0) == JEPA_ERR_INVALID);
    jepa_mpc_free(&mpc);
    jepa_planner_free(&p);
}

// an evaluation config with a small CEM budget and the seed, the rest zeroed
static void small_cem(jepa_eval_config *ec, int samples, int elites, int iterations,
                      uint64_t seed) {
    memset(ec, 0, sizeof *ec);
    jepa_planner_config_default(&ec->planner, JEPA_PLANNER_CEM);
    ec->planner.samples = samples;
    ec->planner.elites = elites;
    ec->planner.iterations = iterations;
    ec->seed = seed;
}

// run ec's episodes on 1 thread into eps and *r, then on 2: the same episodes, bit for bit
static void run_on_1_and_2_threads(jepa_model *m, const jepa_env_model *env, jepa_eval_config *ec,
                                   jepa_eval_result *r, jepa_eval_episode *eps) {
    char err[256] = "";
    jepa_eval_episode *again = calloc((size_t)ec->episodes, sizeof *again);
    jepa_eval_result r2;
    CHECK(again != NULL);
    ec->threads = 1;
    CHECK(jepa_eval_run(m, env, ec, r, eps, err, sizeof err) == JEPA_OK);
    ec->threads = 2;
    CHECK(again && jepa_eval_run(m, env, ec, &r2, again, err, sizeof err) == JEPA_OK);
    CHECK(again && memcmp(eps, again, sizeof *eps * (size_t)ec->episodes) == 0);
    free(again);
}

// the evaluation protocol with a small random world model: episodes on 1 and 2 threads give
// identical results, and the protocol's goal lies in the other room
static void eval_determinism(void) {
    char err[256] = "";
    jepa_model m;
    CHECK(test_tiny_model(&m, 2, 2, 0));
    jepa_env_model *env = jepa_env_create("tworoom", NULL, err, sizeof err);
    jepa_eval_config ec;
    small_cem(&ec, 32, 4, 2, 3);
    ec.episodes = 4;
    ec.max_steps = 10;
    jepa_eval_episode e1[4];
    jepa_eval_result r1;
    run_on_1_and_2_threads(&m, env, &ec, &r1, e1); // bit for bit, whatever the thread count
    CHECK(r1.plans == 4 * 2); // 10 steps, a plan per 5: two plans per episode
    for (int e = 0; e < 4; e++) {
        float wall = e1[e].start[3]; // tworoom state: x, y, door, wall x
        CHECK((e1[e].start[0] < wall) != (e1[e].goal[0] < wall));
        CHECK(e1[e].steps == 10 || e1[e].success);
    }
    jepa_env_free(env);
    // every environment's protocol runs (a 2-step episode), with a goal away from the start
    for (const char *const *name = jepa_env_names(); *name; name++) {
        env = jepa_env_create(*name, NULL, err, sizeof err);
        CHECK(env != NULL);
        if (!env || jepa_env_action_dim(env) != 2) {
            jepa_env_free(env);
            continue;
        }
        ec.episodes = 1;
        ec.max_steps = 2;
        jepa_eval_episode ep;
        CHECK(jepa_eval_run(&m, env, &ec, &r1, &ep, err, sizeof err) == JEPA_OK);
        printf("  %-9s start-goal distance %.3f, after 2 steps %.3f\n", *name,
               jepa_env_distance(env, ep.start, ep.goal), ep.final_distance);
        CHECK(!jepa_env_success(env, ep.start, ep.goal)); // not solved at the start
        jepa_env_free(env);
    }
    jepa_model_free(&m);
}

// the oracle's first plan, as executed, must end where its rollout said: the plan's cost is
// the squared distance of the latent it reaches (one CEM sample kept as the plan: one elite, no
// momentum) for the deterministic environments. The latent: the state's plan features, or
// (with a model) the encoding of its frame.
typedef struct cost_check {
    const jepa_env_model *env;
    jepa_model *m;     // NULL: plan features
    const float *goal; // the goal state
    int at;            // the step that ends the first plan
    float plan, actual; // its cost, and the squared latent distance reached
} cost_check;

// the latent of a state (a goal's: is_goal)
static int latent_of(const cost_check *c, const float *state, int is_goal, float *z) {
    if (!c->m) return jepa_env_plan_features(c->env, state, is_goal, z);
    int img = c->m->cfg.image;
    jepa_env_data *d = jepa_env_data_create(c->env);
    jepa_env_reset(c->env, d, 1);
    CHECK(jepa_env_set_state(c->env, d, state) == JEPA_OK);
    uint8_t rgb[64 * 64 * 3];
    CHECK(img <= 64);
    jepa_env_render(c->env, d, rgb, img, img, NULL);
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_ctx_set_grad(ctx, 0);
    jepa_tensor *x = jepa_new4(ctx, 1, 3, img, img);
    for (int ch = 0; ch < 3; ch++)
        for (int i = 0; i < img * img; i++) x->data[ch * img * img + i] = rgb[i * 3 + ch] / 255.0f;
    jepa_tensor_gather(z, jepa_model_encode(ctx, c->m, &c->m->params, x, NULL, 0));
    jepa_ctx_free(ctx);
    jepa_env_data_free(d);
    return c->m->cfg.latent;
}

static void on_step(void *user, int step, const float *state, float plan_cost) {
    cost_check *c = user;
    if (step != c->at) return;
    float f[JEPA_ENV_MAX_DIM], g[JEPA_ENV_MAX_DIM];
    int n = latent_of(c, state, 0, f);
    latent_of(c, c->goal, 1, g);
    c->plan = plan_cost, c->actual = 0;
    for (int i = 0; i < n; i++) c->actual += (f[i] - g[i]) * (f[i] - g[i]);
}

// one oracle episode of env: the first plan's cost against the latent reached
static void oracle_cost(const char *name, jepa_model *m, jepa_eval_config *ec) {
    char err[256] = "";
    jepa_env_model *env = jepa_env_create(name, NULL, err, sizeof err);
    CHECK(env != NULL);
    if (!env) return;
    jepa_eval_episode ep;
    float start[JEPA_ENV_MAX_DIM], goal[JEPA_ENV_MAX_DIM];
    int budget, fs = m ? m->cfg.frameskip : ec->frameskip;
    jepa_eval_task(env, ec->seed, 0, start, goal, &budget);
    cost_check c = {env, m, goal, ec->horizon * fs, -1, -2};
    ec->max_steps = c.at;
    CHECK(jepa_eval_episode_run(m, env, ec, 0, &ep, NULL, NULL, NULL, on_step, &c, err,
                                sizeof err) == JEPA_OK);
    printf("  oracle%s %-9s first plan's cost %.4f, reached %.4f; the episode's gap %.4f, %.4f\n",
           m ? " (encoder)" : "", name, c.plan, c.actual, ep.cost_predicted, ep.cost_reached);
    CHECK(ep.success || fabsf(c.plan - c.actual) <= 1e-4f * (1 + c.actual));
    // the episode's exploitation gap is that plan's: predicted and reached alike
    CHECK(ep.success || (ep.gap_plans == 1 && ep.cost_predicted == c.plan &&
                         fabs(ep.cost_reached - c.actual) <= 1e-4 * (1 + c.actual)));
    jepa_env_free(env);
}

static void oracle(void) {
    char err[256] = "";
    jepa_eval_config ec;
    small_cem(&ec, 16, 1, 1, 5);
    ec.planner.momentum = 0;
    ec.horizon = ec.execute = 3;
    ec.frameskip = 2;
    for (const char *const *name = jepa_env_names(); *name; name++)
        if (strcmp(*name, "tworoom")) oracle_cost(*name, NULL, &ec); // tworoom: dynamics noise
    // held actions (--hold): what the plan's rollout held is what runs
    ec.hold = 1;
    oracle_cost("pusht", NULL, &ec);
    oracle_cost("reacher", NULL, &ec);
    ec.hold = 0;
    // the encoder's latents on the simulator (a small random model, pusht's 2-D actions)
    jepa_model m;
    CHECK(test_tiny_model(&m, 2, 0, 0));
    ec.oracle = 1;
    oracle_cost("pusht", &m, &ec);
    // the same episodes on 1 and 2 threads
    jepa_env_model *env = jepa_env_create("pusht", NULL, err, sizeof err);
    ec.episodes = 2;
    ec.max_steps = 4;
    jepa_eval_episode e1[4]; // room for tworoom's 4 below
    jepa_eval_result r1;
    run_on_1_and_2_threads(&m, env, &ec, &r1, e1);
    jepa_env_free(env);
    jepa_model_free(&m);
    // the oracle reaches tworoom's goals (MPPI and frameskip as make demo), the same on 1 and 2
    // threads
    env = jepa_env_create("tworoom", NULL, err, sizeof err);
    ec.oracle = 0;
    jepa_planner_config_default(&ec.planner, JEPA_PLANNER_MPPI);
    ec.planner.samples = 200;
    ec.episodes = 4;
    ec.seed = 11;
    ec.horizon = 20;
    ec.execute = 2;
    ec.frameskip = 4;
    ec.max_steps = 0;
    ec.cost.all_steps = 1;
    run_on_1_and_2_threads(NULL, env, &ec, &r1, e1);
    printf("  oracle tworoom: %d of 4 reached\n", r1.successes);
    CHECK(r1.successes >= 3);
    jepa_env_free(env);
}

// a model whose tensors are all m's but the predictor's (drawn from another seed), as a run
// with --init and freeze_encoder makes
static void member_of(jepa_model *m, jepa_model *member) {
    jepa_wm_config cfg = m->cfg;
    char err[256] = "";
    cfg.seed = m->cfg.seed + 1;
    CHECK(jepa_model_create(member, &cfg, m->action_dim, m->proprio_dim, m->state_dim,
                            m->state_angles, err, sizeof err) ==
          JEPA_OK);
    for (int i = 0; i < m->params.count; i++) {
        const jepa_param *p = &m->params.items[i];
        if (strncmp(p->name, "predictor.", 10) != 0)
            memcpy(member->params.data + p->offset, p->tensor.data,
                   sizeof(float) * (size_t)jepa_numel(&p->tensor));
    }
}

// ensembles: a member must share the model's encoder; the members' mean cost plans the same
// episodes on 1 and 2 threads, and differs from the model's alone; the gap is measured only
// where plans run whole with a distance alone as the cost
static void ensemble(void) {
    char err[512] = "";
    jepa_model m, a, b, stranger;
    CHECK(test_tiny_model(&m, 2, 0, 0));
    member_of(&m, &a);
    member_of(&a, &b); // seed + 2: a third predictor
    CHECK(jepa_model_same_encoder(&m, &a, err, sizeof err) == JEPA_OK);
    jepa_wm_config cfg = m.cfg;
    cfg.seed += 7;
    CHECK(jepa_model_create(&stranger, &cfg, 2, 0, 0, 0, err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_same_encoder(&m, &stranger, err, sizeof err) == JEPA_ERR_INVALID);
    printf("  ensemble, another encoder: %s\n", err);
    CHECK(strstr(err, "encoder differs") && strstr(err, "'encoder."));
    jepa_env_model *env = jepa_env_create("pusht", NULL, err, sizeof err);
    jepa_eval_config ec;
    small_cem(&ec, 24, 4, 2, 9);
    ec.episodes = 2;
    ec.horizon = ec.execute = 2;
    ec.max_steps = 4 * m.cfg.frameskip; // 2 plans of 2 model steps each
    jepa_eval_result alone, both;
    jepa_eval_episode e1[2], e2[2];
    run_on_1_and_2_threads(&m, env, &ec, &alone, e1);
    jepa_model *members[2] = {&a, &b};
    ec.ensemble = members;
    ec.ensemble_size = 2;
    run_on_1_and_2_threads(&m, env, &ec, &both, e2);
    printf("  ensemble of 3: %d plans, predicted %.4f, reached %.4f (alone: %.4f, %.4f)\n",
           both.gap_plans, both.cost_predicted, both.cost_reached, alone.cost_predicted,
           alone.cost_reached);
    CHECK(alone.gap_plans == 4 && both.gap_plans == 4); // no success: every plan runs whole
    CHECK(both.cost_predicted != alone.cost_predicted);
    // a member that does not fit, and the oracle, are refused by name
    members[1] = &stranger;
    CHECK(jepa_eval_run(&m, env, &ec, &both, NULL, err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "ensemble member 2") != NULL);
    ec.ensemble_size = 1;
    ec.oracle = 1;
    CHECK(jepa_eval_run(&m, env, &ec, &both, NULL, err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "not the oracle") != NULL);
    // no gap where plans do not run whole, or where the cost has more than a distance
    ec.ensemble_size = ec.oracle = 0;
    ec.execute = 1;
    CHECK(jepa_eval_run(&m, env, &ec, &both, NULL, err, sizeof err) == JEPA_OK);
    CHECK(both.gap_plans == 0 && isnan(both.cost_predicted));
    ec.execute = 2;
    ec.cost.w_smooth = 0.1f;
    CHECK(jepa_eval_run(&m, env, &ec, &both, NULL, err, sizeof err) == JEPA_OK);
    CHECK(both.gap_plans == 0);
    jepa_env_free(env);
    jepa_model_free(&m);
    jepa_model_free(&a);
    jepa_model_free(&b);
    jepa_model_free(&stranger);
}

// jepa collect's plan policy: episode i of a collection is the protocol's episode i, stepped by
// the same planner, so its states are the evaluation's step for step (the evaluation stops at a
// success or its budget; the collection goes on to its own length)
typedef struct state_log {
    float *states; // (steps, dim): the state after each step
    int dim;
} state_log;

static void log_state(void *user, int step, const float *state, float plan_cost) {
    (void)plan_cost;
    state_log *l = user;
    memcpy(l->states + (int64_t)(step - 1) * l->dim, state, sizeof(float) * l->dim);
}

// collect `episodes` x `steps` of env with the plan policy of (m, ec) into dir on `threads`
// threads; *reached (may be NULL) gets the episodes that reached their goal
static jepa_status collect_plan_into(const char *env, jepa_model *m, const jepa_eval_config *ec,
                                     int episodes, int steps, int threads, const char *dir,
                                     int64_t *reached, char *err) {
    jepa_eval_collect_plan plan = {m, *ec};
    jepa_collect_agent agent = jepa_eval_collect_agent(&plan);
    jepa_collect_config cc = {.env = env, .episodes = episodes, .steps = steps,
                              .seed = ec->seed, .policy = JEPA_POLICY_MIXED, .size = 16,
                              .agent = &agent};
    jepa_collect_result res;
    jepa_threads_set(threads);
    jepa_status st = jepa_collect(&cc, dir, &res, err, 256);
    jepa_threads_set(1);
    if (reached) *reached = st == JEPA_OK ? res.reached : -1;
    return st;
}

static void collect_plan(void) {
    enum { EPISODES = 3, STEPS = 12 };
    char err[256] = "";
    jepa_model m, bad;
    CHECK(test_tiny_model(&m, 2, 2, 0));
    jepa_env_model *env = jepa_env_create("tworoom", NULL, err, sizeof err);
    int sd = jepa_env_state_dim(env);
    jepa_eval_config ec;
    small_cem(&ec, 16, 2, 2, 77);
    for (int oracle = 0; oracle < 2; oracle++) {
        jepa_model *pm = oracle ? NULL : &m;
        const char *d1 = oracle ? "plan_oracle1" : "plan1", *d2 = oracle ? "plan_oracle2" : "plan2";
        CHECK(collect_plan_into("tworoom", pm, &ec, EPISODES, STEPS, 1, test_path(d1, NULL), NULL,
                                err) == JEPA_OK);
        CHECK(collect_plan_into("tworoom", pm, &ec, EPISODES, STEPS, 2, test_path(d2, NULL), NULL,
                                err) == JEPA_OK);
        // the same bytes on 1 and 2 threads
        CHECK(test_same_file(test_path(d1, "actions.npy"), test_path(d2, "actions.npy")));
        CHECK(test_same_file(test_path(d1, "states.npy"), test_path(d2, "states.npy")));
        jepa_npy states;
        CHECK(jepa_npy_map(&states, test_path(d1, "states.npy"), err, sizeof err) == JEPA_OK);
        const float *got = states.data;
        // each episode against the evaluation's (planned with the same budget per plan)
        float logged[STEPS * JEPA_ENV_MAX_DIM];
        state_log log = {logged, sd};
        int compared = 0, same = 1;
        jepa_eval_config e = ec;
        e.max_steps = STEPS;
        for (int i = 0; i < EPISODES; i++) {
            jepa_eval_episode ep;
            CHECK(jepa_eval_episode_run(pm, env, &e, i, &ep, NULL, NULL, NULL, log_state, &log,
                                        err, sizeof err) == JEPA_OK);
            const float *row = got + (int64_t)i * (STEPS + 1) * sd;
            same &= memcmp(row, ep.start, sizeof(float) * sd) == 0;
            for (int t = 0; t < ep.steps; t++, compared++)
                same &= memcmp(row + (int64_t)(t + 1) * sd, logged + (int64_t)t * sd,
                               sizeof(float) * sd) == 0;
        }
        printf("  collect --policy plan%s: %d episodes x %d steps, %d steps the same as jepa "
               "eval's: %s\n",
               oracle ? " --oracle" : "", EPISODES, STEPS, compared, same ? "yes" : "NO");
        CHECK(same && compared >= EPISODES);
        jepa_npy_close(&states);
    }
    // the episodes that reached their goal, counted by the collection: those the evaluation
    // (the same budget) calls a success (the state oracle on reacher reaches some)
    jepa_env_model *reacher = jepa_env_create("reacher", NULL, err, sizeof err);
    jepa_eval_config oc;
    small_cem(&oc, 16, 2, 2, 5);
    oc.episodes = 6;
    oc.max_steps = 30;
    jepa_eval_result res;
    int64_t reached = -1;
    CHECK(jepa_eval_run(NULL, reacher, &oc, &res, NULL, err, sizeof err) == JEPA_OK);
    CHECK(collect_plan_into("reacher", NULL, &oc, 6, 30, 2, test_path("plan_reacher", NULL),
                            &reached, err) == JEPA_OK);
    printf("  collect --policy plan --oracle on reacher: %lld of 6 episodes reached their goal; "
           "jepa eval: %d\n",
           (long long)reached, res.successes);
    CHECK(reached == res.successes && reached > 0);
    jepa_env_free(reacher);
    // settings the planner refuses: one line naming them, and no agent
    jepa_eval_config big = ec;
    big.horizon = JEPA_PLAN_MAX_HORIZON + 1;
    jepa_eval_agent *ag = NULL;
    CHECK(jepa_eval_agent_create(&m, env, &big, &ag, err, sizeof err) != JEPA_OK && !ag &&
          strstr(err, "bad planner settings (horizon 257"));
    printf("  an agent with horizon %d: %s\n", big.horizon, err);
    // a model that does not fit the environment: refused by name, nothing written
    CHECK(test_tiny_model(&bad, 3, 2, 0));
    const char *refused = test_path("plan_refused", NULL);
    CHECK(collect_plan_into("tworoom", &bad, &ec, 1, 4, 1, refused, NULL, err) ==
          JEPA_ERR_INVALID);
    printf("  collect --policy plan with a 3-action model: %s\n", err);
    CHECK(strstr(err, "action size is 3") != NULL && !test_exists(refused));
    jepa_model_free(&bad);
    jepa_model_free(&m);
    jepa_env_free(env);
}

// a tiny reader of pusht's state (the values of mask, 0: all; a hidden layer of `hidden`) whose
// read-out is the constant `state` (its last weights zero, its bias the state's normalized
// features, under the normalization shift, scale)
static void constant_reader(jepa_model *r, const float *state, float shift, float scale,
                            int mask, int hidden) {
    char err[256] = "";
    jepa_wm_config cfg;
    test_tiny_config(&cfg);
    cfg.w_state = 1.0;
    cfg.state_mask = mask;
    cfg.state_hidden = hidden;
    CHECK(jepa_model_create(r, &cfg, 2, 0, 13, 1u << 4, err, sizeof err) == JEPA_OK);
    test_constant_readout(r, state, shift, scale);
}

// --reader: a model's state read-out replaces state values before the proprio is formed
static void reader(void) {
    char err[256] = "";
    // the read-out un-normalizes its features and turns (cos, sin) back into the angle
    float want[13] = {310, 190, 250, 280, 2.5f, 1, -2, 3, -4, 0.5f, 0, 0, 0}, got[2 * 13];
    jepa_model r;
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_ctx_set_grad(ctx, 0);
    for (int part = 0; part < 2; part++) { // every value, linear; the block's pose, a hidden layer
        int mask = part ? 28 : 0;
        constant_reader(&r, want, 3.0f, 0.5f, mask, part ? 4 : 0);
        CHECK(r.state_features == (part ? 4 : 14));
        jepa_ctx_reset(ctx);
        jepa_tensor *z = jepa_new2(ctx, 2, r.cfg.latent);
        for (int64_t i = 0; i < jepa_numel(z); i++) z->data[i] = (float)i;
        jepa_model_read_state(ctx, &r, z, got);
        int ok = 1;
        for (int k = 0; k < 2 * 13; k++) {
            int i = k % 13;
            ok &= mask && !(mask >> i & 1) ? isnan(got[k])
                                            : fabsf(got[k] - want[i]) <= 1e-4f + 1e-5f * fabsf(want[i]);
        }
        printf("  read-out of a constant state (%s): block angle %.6f (want 2.5), block x %.4f "
               "(want 250), agent x %.1f: %s\n", part ? "the block's pose" : "every value",
               got[4], got[2], got[0], ok ? "ok" : "WRONG");
        CHECK(ok);
        jepa_model_free(&r);
    }
    jepa_ctx_free(ctx);
    // a mask past the state's values is refused by name
    jepa_wm_config cfg;
    test_tiny_config(&cfg);
    cfg.w_state = 1.0;
    cfg.state_mask = 1 << 13;
    CHECK(jepa_model_create(&r, &cfg, 2, 0, 13, 1u << 4, err, sizeof err) == JEPA_ERR_INVALID &&
          strstr(err, "'state_mask' 8192 names values past the data's 13 states"));
    printf("  %s\n", err);
    // pusht with the block's pose as proprio: the pose read from the frames
    jepa_env_model *env = jepa_env_create("pusht", "{\"proprio\":\"agent_pose\"}", err, sizeof err);
    jepa_model m, plain;
    CHECK(env && test_tiny_model(&m, 2, 8, 1) && test_tiny_model(&plain, 2, 8, 0));
    jepa_eval_config ec;
    small_cem(&ec, 16, 2, 2, 11);
    ec.episodes = 1;
    ec.max_steps = 10;
    uint64_t pose = 1u << 2 | 1u << 3 | 1u << 4; // block_x, block_y, block_angle
    jepa_eval_episode base, far, near;
    CHECK(jepa_eval_episode_run(&m, env, &ec, 0, &base, NULL, NULL, NULL, NULL, NULL, err,
                                sizeof err) == JEPA_OK);
    // a reading pusht refuses as a state (the block 10,000 px away): the simulator's pose is
    // used, each time counted, and the episode is the one without a reader
    float away[13] = {0, 0, 1e4f, 1e4f, 0.3f};
    constant_reader(&r, away, 0.0f, 1.0f, 28, 4);
    ec.reader = &r, ec.read = pose;
    CHECK(jepa_eval_episode_run(&m, env, &ec, 0, &far, NULL, NULL, NULL, NULL, NULL, err,
                                sizeof err) == JEPA_OK);
    printf("  a reading pusht refuses: %d of %d observations refused; the same episode: %s\n",
           far.refused, 2 + far.steps - far.success,
           memcmp(far.final, base.final, sizeof far.final) ? "NO" : "yes");
    // observed: the goal, the start and each step's outcome but a success's
    CHECK(far.refused == 2 + far.steps - far.success && far.steps == base.steps &&
          memcmp(far.final, base.final, sizeof far.final) == 0);
    jepa_model_free(&r);
    // a pose it takes: none refused, and the plans see it (another episode)
    float there[13] = {0, 0, 300, 200, 0.5f};
    constant_reader(&r, there, 0.0f, 1.0f, 28, 4);
    ec.reader = &r;
    CHECK(jepa_eval_episode_run(&m, env, &ec, 0, &near, NULL, NULL, NULL, NULL, NULL, err,
                                sizeof err) == JEPA_OK);
    printf("  a reading pusht takes: %d refused; another episode: %s\n", near.refused,
           memcmp(near.final, base.final, sizeof near.final) ? "yes" : "NO");
    CHECK(near.refused == 0 && memcmp(near.final, base.final, sizeof near.final) != 0);
    // what does not fit: refused by name, no agent
    struct {
        jepa_model *m, *reader;
        int oracle;
        uint64_t read;
        const char *says;
    } bad[] = {{&m, &m, 0, pose, "no state read-out"},
               {&plain, &r, 0, pose, "takes no proprio"},
               {&m, &r, 1, pose, "not the oracle"},
               {&m, &r, 0, 0, "no state values to read"},
               {&m, &r, 0, 1ull << 13, "no state values to read"},
               {&m, &r, 0, pose | 1, "does not read agent_x"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        jepa_eval_config b = ec;
        b.reader = bad[i].reader, b.oracle = bad[i].oracle, b.read = bad[i].read;
        jepa_eval_agent *ag = NULL;
        CHECK(jepa_eval_agent_create(bad[i].m, env, &b, &ag, err, sizeof err) == JEPA_ERR_INVALID &&
              !ag && strstr(err, bad[i].says));
        printf("  %s\n", err);
    }
    jepa_env_model *tworoom = jepa_env_create("tworoom", NULL, err, sizeof err);
    jepa_model m2;
    CHECK(tworoom && test_tiny_model(&m2, 2, 2, 1));
    jepa_eval_agent *ag = NULL;
    ec.read = 1;
    CHECK(jepa_eval_agent_create(&m2, tworoom, &ec, &ag, err, sizeof err) == JEPA_ERR_INVALID &&
          !ag && strstr(err, "reads 13 state values, tworoom has 4"));
    printf("  %s\n", err);
    jepa_model_free(&m2);
    jepa_env_free(tworoom);
    jepa_model_free(&r);
    jepa_model_free(&plain);
    jepa_model_free(&m);
    jepa_env_free(env);
}

int main(void) {
    jepa_threads_set(1);
    for (int kind = JEPA_PLANNER_CEM; kind <= JEPA_PLANNER_CEM_GD; kind++) run(kind);
    shrink();
    eval_determinism();
    oracle();
    ensemble();
    reader();
    if (test_tmpdir("mpc")) collect_plan();
    else CHECK(0);
    test_tmpdir_remove();
    return test_finish("test_mpc");
}
