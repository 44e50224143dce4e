// Evaluation protocols: goal-reaching episodes with a world model and a planner in receding
// horizon, and the success table over many episodes.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jepa/eval.h"
#include "jepa/ops_shape.h"
#include "jepa/ops_view.h"
#include "jepa/progress.h"
#include "jepa/threads.h"
#include "jepa/timer.h"

#define HELD_OUT_SEED 0x5EED0FF5E7ull // goal episodes come from seeds the data never used
#define EXPERT_GOAL_STEPS 25
#define EXPERT_EPISODE_STEPS 100
#define TWOROOM_SIDE_TRIES 1000
#define MAZE_DRAWS 16
#define TASK_REDRAWS 100

// ---- tasks ----
// the start, goal and budget drawn from one episode seed
static void draw_task(const jepa_env_model *env, uint64_t ep_seed, float *start, float *goal,
                      int *max_steps) {
    const char *name = jepa_env_name(env);
    int sd = jepa_env_state_dim(env);
    jepa_env_data *d = jepa_env_data_create(env);
    JEPA_CHECK(d != NULL);
    jepa_rng rng;
    jepa_rng_init(&rng, ep_seed, 1);
    jepa_env_reset(env, d, ep_seed);
    jepa_env_get_state(env, d, start);
    memcpy(goal, start, sizeof(float) * sd);
    if (!strcmp(name, "tworoom")) {
        // start and goal uniform in opposite rooms (state: x, y, door, wall x)
        float wall = start[3];
        int left = jepa_rng_uniform(&rng) < 0.5f;
        for (int which = 0; which < 2; which++) {
            float *s = which ? goal : start;
            int side_left = which ? !left : left;
            for (int t = 0; t < TWOROOM_SIDE_TRIES; t++) {
                s[0] = side_left ? jepa_rng_uniform_range(&rng, 0.0f, wall)
                                 : jepa_rng_uniform_range(&rng, wall + 3.0f, 64.0f);
                s[1] = jepa_rng_uniform_range(&rng, 0.0f, 64.0f);
                if (jepa_env_set_state(env, d, s) == JEPA_OK) break;
            }
        }
        *max_steps = 200;
    } else if (!strcmp(name, "pointmaze")) {
        // the goal: the farthest of a few reset positions, at rest
        float cand[JEPA_ENV_MAX_DIM], best = -1.0f;
        for (int t = 0; t < MAZE_DRAWS; t++) {
            jepa_env_reset(env, d, ep_seed + 1 + (uint64_t)t);
            jepa_env_get_state(env, d, cand);
            float dist = jepa_env_distance(env, start, cand);
            if (dist > best) {
                best = dist;
                memcpy(goal, cand, sizeof(float) * sd);
            }
        }
        for (int i = 2; i < 4 && i < sd; i++) goal[i] = 0.0f;
        *max_steps = 100;
    } else {
        // pusht, reacher: the goal is the state 25 expert steps after the start. pusht starts
        // mid-episode, t0 uniform in 0..74 expert steps after reset (LeWM takes any row of a
        // 100-step expert episode with 25 steps after it), so most tasks are pushes
        float a[JEPA_ENV_MAX_DIM];
        if (!strcmp(name, "pusht")) {
            int t0 = (int)(jepa_rng_uniform(&rng) * (float)(EXPERT_EPISODE_STEPS - EXPERT_GOAL_STEPS));
            for (int t = 0; t < t0; t++) {
                jepa_env_policy_act(env, d, JEPA_POLICY_EXPERT, &rng, a);
                jepa_env_step(env, d, a);
            }
            jepa_env_get_state(env, d, start);
        }
        for (int t = 0; t < EXPERT_GOAL_STEPS; t++) {
            jepa_env_policy_act(env, d, JEPA_POLICY_EXPERT, &rng, a);
            jepa_env_step(env, d, a);
        }
        jepa_env_get_state(env, d, goal);
        *max_steps = 50;
    }
    jepa_env_data_free(d);
}

void jepa_eval_task(const jepa_env_model *env, uint64_t seed, int episode, float *start,
                    float *goal, int *max_steps) {
    uint64_t ep_seed = seed * 0x9E3779B97F4A7C15ull + (uint64_t)episode + HELD_OUT_SEED;
    // a task solved at the start is drawn again (from the next seeds of a separate range)
    draw_task(env, ep_seed, start, goal, max_steps);
    for (uint64_t t = 1; t <= TASK_REDRAWS && jepa_env_success(env, start, goal); t++)
        draw_task(env, ep_seed + (t << 40), start, goal, max_steps);
}

jepa_status jepa_eval_check(const jepa_model *m, const jepa_env_model *env, char *err,
                            size_t err_size) {
    int a = jepa_env_action_dim(env);
    if (m->env[0] && strcmp(m->env, jepa_env_name(env)) != 0)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "the checkpoint was trained on %s, not %s",
                         m->env, jepa_env_name(env));
    if (m->action_dim != a)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID,
                         "the checkpoint's action size is %d but %s's is %d", m->action_dim,
                         jepa_env_name(env), a);
    if (m->cfg.use_proprio && m->proprio_dim != jepa_env_proprio_dim(env))
        return jepa_fail(err, err_size, JEPA_ERR_INVALID,
                         "the checkpoint's proprio size is %d but %s's is %d with these options "
                         "(--env-options)",
                         m->proprio_dim, jepa_env_name(env), jepa_env_proprio_dim(env));
    return JEPA_OK;
}

// ---- the world model as a planning rollout ----
typedef struct wm_rollout {
    jepa_model *m;
    jepa_model *const *ensemble; // (n_ensemble) more predictors, beside m's
    int n_ensemble;
    int history, filled, d, sa;
    float *z;    // (history, D) latest last
    float *past; // (history - 1, SA) the actions between them
} wm_rollout;

// push a new latent and the action that led to it (NULL for the first)
static void wm_push(wm_rollout *r, const float *z, const float *action) {
    if (r->filled == r->history) {
        memmove(r->z, r->z + r->d, sizeof(float) * (r->history - 1) * r->d);
        if (r->history > 1)
            memmove(r->past, r->past + r->sa, sizeof(float) * (r->history - 2) * r->sa);
        r->filled--;
    }
    memcpy(r->z + (int64_t)r->filled * r->d, z, sizeof(float) * r->d);
    if (r->filled > 0 && action)
        memcpy(r->past + (int64_t)(r->filled - 1) * r->sa, action, sizeof(float) * r->sa);
    r->filled++;
}

static jepa_tensor *wm_rollout_fn(jepa_ctx *ctx, void *user, jepa_tensor *actions) {
    wm_rollout *r = user;
    int64_t th = r->filled;
    // the history, one row every candidate shares
    jepa_tensor *z = jepa_wrap(ctx, r->z, NULL, 3, (int64_t[]){1, th, r->d});
    jepa_tensor *past = th > 1 ? jepa_wrap(ctx, r->past, NULL, 3, (int64_t[]){1, th - 1, r->sa}) : NULL;
    if (r->n_ensemble == 0) return jepa_model_rollout(ctx, r->m, z, past, actions);
    // an ensemble: each member's latents side by side, (N, H, K*D)
    jepa_tensor *outs[1 + JEPA_EVAL_MAX_ENSEMBLE];
    for (int k = 0; k <= r->n_ensemble; k++)
        outs[k] = jepa_model_rollout(ctx, k ? r->ensemble[k - 1] : r->m, z, past, actions);
    return jepa_concat(ctx, 1 + r->n_ensemble, outs, 2);
}

// an observation (img x img x 3 bytes) as the model's input planes (3, img, img) in [0, 1]
static void frame_planes(float *dst, const uint8_t *rgb, int img) {
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < img * img; i++) dst[c * img * img + i] = rgb[i * 3 + c] / 255.0f;
}

// ---- the simulator as a planning rollout (the oracle) ----
typedef struct sim_rollout {
    const jepa_env_model *env;
    jepa_model *m;     // NULL: the latents are the states' plan features; else their encodings
    jepa_env_data **d; // (n_d) one per evaluating thread
    int n_d, fs, a, dim;
    uint64_t seed; // the dynamics noise of every candidate of a plan
    float state[JEPA_ENV_MAX_DIM];
} sim_rollout;

static jepa_tensor *sim_rollout_fn(jepa_ctx *ctx, void *user, jepa_tensor *actions) {
    sim_rollout *r = user;
    int64_t n = actions->shape[0], h = actions->shape[1], sa = actions->shape[2];
    jepa_tensor *out = NULL, *x = NULL, *prop = NULL;
    uint8_t *rgb = NULL;
    int img = r->m ? r->m->cfg.image : 0, pd = jepa_env_proprio_dim(r->env);
    if (r->m) {
        x = jepa_new4(ctx, n * h, 3, img, img);
        if (r->m->cfg.use_proprio) prop = jepa_new2(ctx, n * h, pd);
        rgb = (uint8_t *)jepa_ctx_floats(ctx, ((int64_t)img * img * 3 + 3) / 4);
    } else {
        out = jepa_new3(ctx, n, h, r->dim);
    }
    jepa_env_data *d = r->d[jepa_thread_index() % r->n_d];
    float s[JEPA_ENV_MAX_DIM];
    for (int64_t i = 0; i < n; i++) {
        jepa_env_reset(r->env, d, r->seed);
        jepa_env_set_state(r->env, d, r->state);
        for (int64_t k = 0, row = i * h; k < h; k++, row++) {
            const float *step = actions->data + row * sa;
            for (int f = 0; f < r->fs; f++) jepa_env_step(r->env, d, step + f * r->a);
            if (!r->m) {
                jepa_env_get_state(r->env, d, s);
                jepa_env_plan_features(r->env, s, 0, out->data + row * r->dim);
                continue;
            }
            jepa_env_render(r->env, d, rgb, img, img, NULL);
            frame_planes(x->data + row * 3 * img * img, rgb, img);
            if (prop) jepa_env_proprio(r->env, d, prop->data + row * pd);
        }
    }
    if (!r->m) return out;
    jepa_tensor *z = jepa_model_encode(ctx, r->m, &r->m->params, x, prop, 0);
    return jepa_reshape(ctx, z, 3, (int64_t[]){n, h, r->dim});
}

// ---- the reader: part of the proprio read from the frames (jepa_eval_config.reader) ----
typedef struct obs_reader {
    jepa_model *m;   // NULL: the env's proprio as it is
    uint64_t read;   // bit i: state value i is read
    jepa_env_data *d; // posed at the state with the readings, for its proprio
    uint8_t *rgb;    // the frame at the reader's size
    int *refused;    // readings the env refused as a state
} obs_reader;

// the proprio of d's observation (proprio_dim floats)
static void observed_proprio(jepa_ctx *ctx, const jepa_env_model *env, jepa_env_data *d,
                             const obs_reader *rd, float *prop) {
    if (!rd->m) {
        jepa_env_proprio(env, d, prop);
        return;
    }
    int img = rd->m->cfg.image;
    float s[JEPA_ENV_MAX_DIM], read[JEPA_WM_MAX_STATE];
    jepa_env_render(env, d, rd->rgb, img, img, NULL);
    jepa_tensor *x = jepa_new4(ctx, 1, 3, img, img);
    frame_planes(x->data, rd->rgb, img);
    jepa_model_read_state(ctx, rd->m, jepa_model_encode(ctx, rd->m, &rd->m->params, x, NULL, 0),
                          read);
    jepa_env_get_state(env, d, s);
    for (int i = 0; i < jepa_env_state_dim(env); i++)
        if (rd->read >> i & 1) s[i] = read[i];
    if (jepa_env_set_state(env, rd->d, s) == JEPA_OK) {
        jepa_env_proprio(env, rd->d, prop);
        return;
    }
    (*rd->refused)++;
    jepa_env_proprio(env, d, prop);
}

// render and encode the current observation (and copy it into rgb)
static void encode_obs(jepa_ctx *ctx, jepa_model *m, const jepa_env_model *env, jepa_env_data *d,
                       const obs_reader *rd, uint8_t *rgb, float *z) {
    int img = m->cfg.image;
    jepa_ctx_reset(ctx);
    jepa_ctx_set_grad(ctx, 0);
    jepa_env_render(env, d, rgb, img, img, NULL);
    jepa_tensor *x = jepa_new4(ctx, 1, 3, img, img);
    frame_planes(x->data, rgb, img);
    jepa_tensor *prop = NULL;
    if (m->cfg.use_proprio) {
        prop = jepa_new2(ctx, 1, jepa_env_proprio_dim(env));
        observed_proprio(ctx, env, d, rd, prop->data);
    }
    jepa_tensor *out = jepa_model_encode(ctx, m, &m->params, x, prop, 0);
    jepa_tensor_gather(z, out);
}

// one GIF frame: observation left, goal right
static void gif_frame(uint8_t *dst, const uint8_t *obs, const uint8_t *goal, int img) {
    for (int y = 0; y < img; y++) {
        memcpy(dst + (int64_t)y * 2 * img * 3, obs + (int64_t)y * img * 3, (size_t)img * 3);
        memcpy(dst + (int64_t)y * 2 * img * 3 + img * 3, goal + (int64_t)y * img * 3,
               (size_t)img * 3);
    }
}

// the current observation as a latent: encoded by the model, or the oracle's state features;
// rgb gets the frame, and the oracle keeps the state for its rollouts
static void observe(jepa_ctx *ctx, jepa_model *m, sim_rollout *sim, const obs_reader *rd,
                    jepa_env_data *d, int is_goal, uint8_t *rgb, float *z) {
    float s[JEPA_ENV_MAX_DIM];
    jepa_env_get_state(sim->env, d, s);
    if (!is_goal) memcpy(sim->state, s, sizeof s);
    if (m) {
        encode_obs(ctx, m, sim->env, d, rd, rgb, z);
        return;
    }
    jepa_env_render(sim->env, d, rgb, JEPA_EVAL_ORACLE_IMAGE, JEPA_EVAL_ORACLE_IMAGE, NULL);
    jepa_env_plan_features(sim->env, s, is_goal, z);
}

// whether the reader fits the model and the environment
static jepa_status check_reader(const jepa_model *m, const jepa_env_model *env,
                                const jepa_eval_config *cfg, char *err, size_t err_size) {
    const jepa_model *r = cfg->reader;
    int sd = jepa_env_state_dim(env);
    uint64_t angles = 0;
    for (int i = 0; i < sd; i++) angles |= (uint64_t)(jepa_env_state_is_angle(env, i) != 0) << i;
    const char *why = !m || cfg->oracle        ? "goes with a model, not the oracle"
                      : !m->cfg.use_proprio    ? "has nothing to feed: the model takes no proprio"
                      : r->cfg.w_state <= 0    ? "has no state read-out (trained without w_state)"
                      : r->cfg.use_proprio     ? "must read frames alone (it takes a proprio)"
                      : r->env[0] && strcmp(r->env, jepa_env_name(env))
                          ? "was trained on another environment"
                      : !cfg->read || (sd < 64 && cfg->read >> sd) ? "has no state values to read"
                                                                    : NULL;
    if (why) return jepa_fail(err, err_size, JEPA_ERR_INVALID, "the reader %s", why);
    if (r->state_dim != sd || r->state_angles != angles)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID,
                         "the reader reads %d state values, %s has %d (or other angles)",
                         r->state_dim, jepa_env_name(env), sd);
    for (int i = 0; i < sd; i++)
        if ((cfg->read >> i & 1) && !jepa_model_reads(r, i))
            return jepa_fail(err, err_size, JEPA_ERR_INVALID,
                             "the reader does not read %s (its state_mask)",
                             jepa_env_state_name(env, i));
    return JEPA_OK;
}

// the checks of a run's inputs: the model fits the environment, the ensemble and the reader fit
// the model
static jepa_status check_inputs(jepa_model *m, const jepa_env_model *env,
                                const jepa_eval_config *cfg, char *err, size_t err_size) {
    jepa_status st = m ? jepa_eval_check(m, env, err, err_size) : JEPA_OK;
    if (st == JEPA_OK && cfg->reader) st = check_reader(m, env, cfg, err, err_size);
    if (st != JEPA_OK || cfg->ensemble_size == 0) return st;
    if (!m || cfg->oracle || cfg->ensemble_size < 0 || cfg->ensemble_size > JEPA_EVAL_MAX_ENSEMBLE)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID,
                         "an ensemble takes a model, not the oracle, and 1..%d more members",
                         JEPA_EVAL_MAX_ENSEMBLE);
    char why[512];
    for (int k = 0; k < cfg->ensemble_size; k++)
        if ((st = jepa_model_same_encoder(m, cfg->ensemble[k], why, sizeof why)) != JEPA_OK)
            return jepa_fail(err, err_size, st, "ensemble member %d: %s", k + 1, why);
    return JEPA_OK;
}

// the cost of one latent z (dim) as the end of a plan of one step, scored by the planner's own
// cost (where the gap is measured, a distance alone; the actions (1, 1, pa) do not count)
static float end_cost(jepa_ctx *ctx, const jepa_cost *c, float *z, float *goal, int dim, int pa) {
    jepa_ctx_reset(ctx);
    jepa_ctx_set_grad(ctx, 0);
    jepa_cost one = *c;
    one.members = 1;
    jepa_tensor *latent = jepa_wrap(ctx, z, NULL, 3, (int64_t[]){1, 1, dim});
    jepa_tensor *g = jepa_wrap(ctx, goal, NULL, 1, (int64_t[]){dim});
    return jepa_cost_eval(ctx, &one, latent, g, jepa_new3(ctx, 1, 1, pa))->data[0];
}

// ---- held actions: the planner's steps of one env action, each held for the frameskip ----
typedef struct hold_rollout {
    jepa_rollout_fn fn; // the rollout of macro actions (N, H, fs * a)
    void *user;
    int fs, a;
} hold_rollout;

static jepa_tensor *hold_rollout_fn(jepa_ctx *ctx, void *user, jepa_tensor *actions) {
    hold_rollout *r = user;
    int64_t n = actions->shape[0], h = actions->shape[1];
    jepa_tensor *t = jepa_reshape(ctx, actions, 4, (int64_t[]){n, h, 1, r->a});
    t = jepa_contiguous(ctx, jepa_expand(ctx, t, 4, (int64_t[]){n, h, r->fs, r->a}));
    return r->fn(ctx, r->user, jepa_reshape(ctx, t, 3, (int64_t[]){n, h, (int64_t)r->fs * r->a}));
}

// ---- the agent: the protocol's planner in receding horizon, one env step at a time ----
struct jepa_eval_agent {
    jepa_model *m; // NULL: the oracle
    const jepa_env_model *env;
    jepa_eval_config cfg;
    int a, fs, sa, pa, img, horizon, dim, gap; // pa: the planner's floats a step (a held, or sa)
    float *blo, *bhi, *zg, *z, *macro;
    uint8_t *rgb, *goal_rgb; // the last observation and the goal, img x img x 3
    wm_rollout r;
    sim_rollout sim;
    hold_rollout hold;
    obs_reader rd;
    jepa_env_data *gd; // the goal's pose
    jepa_ctx *ctx;
    jepa_planner planner;
    jepa_mpc mpc;
    jepa_plan_problem prob;
    // the episode
    uint64_t ep_seed;
    int f;              // env steps of the current macro action handed out (fs: spent)
    int pending;        // the spent macro's outcome is not observed yet
    float plan_ms;      // the last plan's time
    int reached;        // a state handed to act (or to jepa_eval_agent_reached) met the goal
    jepa_eval_episode e; // task, gap sums
};

void jepa_eval_agent_free(jepa_eval_agent *ag) {
    if (!ag) return;
    jepa_mpc_free(&ag->mpc);
    jepa_planner_free(&ag->planner);
    jepa_ctx_free(ag->ctx);
    jepa_env_data_free(ag->gd);
    jepa_env_data_free(ag->rd.d);
    free(ag->rd.rgb);
    for (int t = 0; ag->sim.d && t < ag->sim.n_d; t++) jepa_env_data_free(ag->sim.d[t]);
    free(ag->sim.d);
    free(ag->blo), free(ag->bhi), free(ag->zg), free(ag->z), free(ag->macro);
    free(ag->rgb), free(ag->goal_rgb), free(ag->r.z), free(ag->r.past);
    free(ag);
}

jepa_status jepa_eval_agent_create(jepa_model *m, const jepa_env_model *env,
                                   const jepa_eval_config *cfg, jepa_eval_agent **out, char *err,
                                   size_t err_size) {
    *out = NULL;
    jepa_status st = check_inputs(m, env, cfg, err, err_size);
    if (st != JEPA_OK) return st;
    jepa_eval_agent *ag = calloc(1, sizeof *ag);
    if (!ag) return jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory");
    float lo[JEPA_ENV_MAX_DIM], hi[JEPA_ENV_MAX_DIM], feat[JEPA_ENV_MAX_DIM] = {0};
    ag->m = m, ag->env = env, ag->cfg = *cfg;
    ag->a = jepa_env_action_dim(env);
    ag->fs = m ? m->cfg.frameskip : cfg->frameskip > 0 ? cfg->frameskip : 5;
    ag->sa = m ? m->step_action_dim : ag->fs * ag->a;
    ag->img = m ? m->cfg.image : JEPA_EVAL_ORACLE_IMAGE;
    int horizon = cfg->horizon > 0 ? cfg->horizon : 5;
    ag->horizon = horizon;
    int execute = cfg->execute > 0 ? cfg->execute : horizon;
    ag->dim = m ? m->cfg.latent : jepa_env_plan_features(env, feat, 1, feat);
    int oracle = !m || cfg->oracle, sa = ag->sa, dim = ag->dim;
    ag->pa = cfg->hold ? ag->a : sa;
    // everything the episodes need, allocated once
    ag->blo = malloc(sizeof(float) * sa), ag->bhi = malloc(sizeof(float) * sa);
    ag->zg = malloc(sizeof(float) * dim), ag->z = malloc(sizeof(float) * dim);
    ag->macro = malloc(sizeof(float) * sa);
    ag->rgb = malloc((size_t)ag->img * ag->img * 3);
    ag->goal_rgb = malloc((size_t)ag->img * ag->img * 3);
    ag->r = (wm_rollout){m, cfg->ensemble, cfg->ensemble_size, m ? m->cfg.history : 1, 0, dim, sa,
                         NULL, NULL};
    ag->r.z = malloc(sizeof(float) * ag->r.history * dim);
    ag->r.past = malloc(sizeof(float) * (ag->r.history > 1 ? ag->r.history - 1 : 1) * sa);
    ag->sim = (sim_rollout){env, m, NULL, oracle ? jepa_threads_get() : 0, ag->fs, ag->a, dim, 0,
                            {0}};
    ag->sim.d = calloc((size_t)(ag->sim.n_d > 0 ? ag->sim.n_d : 1), sizeof *ag->sim.d);
    int sim_ok = ag->sim.d != NULL;
    for (int t = 0; sim_ok && t < ag->sim.n_d; t++)
        sim_ok = (ag->sim.d[t] = jepa_env_data_create(env)) != NULL;
    ag->gd = jepa_env_data_create(env);
    ag->ctx = jepa_ctx_create(0);
    ag->rd = (obs_reader){cfg->reader, cfg->read, NULL, NULL, &ag->e.refused};
    if (cfg->reader) {
        int ri = cfg->reader->cfg.image;
        ag->rd.d = jepa_env_data_create(env);
        ag->rd.rgb = malloc((size_t)ri * ri * 3);
        if (ag->rd.d) jepa_env_reset(env, ag->rd.d, 0);
    }
    if (!ag->blo || !ag->bhi || !ag->zg || !ag->z || !ag->macro || !ag->rgb || !ag->goal_rgb ||
        !ag->r.z || !ag->r.past || !sim_ok || !ag->gd || !ag->ctx ||
        (cfg->reader && (!ag->rd.d || !ag->rd.rgb))) {
        jepa_eval_agent_free(ag);
        return jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory");
    }
    jepa_env_action_bounds(env, lo, hi);
    for (int i = 0; i < sa; i++) ag->blo[i] = lo[i % ag->a], ag->bhi[i] = hi[i % ag->a];
    st = jepa_planner_init(&ag->planner, &cfg->planner, ag->horizon, ag->pa, ag->blo, ag->bhi);
    if (st == JEPA_OK)
        st = jepa_mpc_init(&ag->mpc, &ag->planner, execute < ag->horizon ? execute : ag->horizon);
    if (st != JEPA_OK) {
        jepa_eval_agent_free(ag);
        return jepa_fail(err, err_size, st, "bad planner settings (horizon %d, execute %d)",
                         horizon, execute);
    }
    ag->mpc.shrink = cfg->shrink;
    ag->mpc.respan = cfg->respan > 0 && cfg->respan < ag->horizon ? cfg->respan : 0;
    ag->prob = (jepa_plan_problem){oracle ? sim_rollout_fn : wm_rollout_fn,
                                   oracle ? (void *)&ag->sim : (void *)&ag->r, ag->zg, dim,
                                   cfg->cost, 1}; // the model's parameters, fixed
    if (cfg->hold) {
        ag->hold = (hold_rollout){ag->prob.rollout, ag->prob.user, ag->fs, ag->a};
        ag->prob.rollout = hold_rollout_fn, ag->prob.user = &ag->hold;
    }
    ag->prob.cost.members = 1 + cfg->ensemble_size;
    // the exploitation gap: a distance alone, at the last step of plans executed whole
    const jepa_cost *c = &cfg->cost;
    ag->gap = !c->all_steps && c->w_action == 0.0f && c->w_smooth == 0.0f && !c->extra &&
              ag->mpc.execute == ag->horizon;
    *out = ag;
    return JEPA_OK;
}

jepa_status jepa_eval_agent_begin(jepa_eval_agent *ag, int episode, jepa_env_data *d,
                                  int *max_steps, char *err, size_t err_size) {
    const jepa_env_model *env = ag->env;
    jepa_eval_episode *e = &ag->e;
    int budget;
    memset(e, 0, sizeof *e);
    jepa_eval_task(env, ag->cfg.seed, episode, e->start, e->goal, &budget);
    if (max_steps) *max_steps = ag->cfg.max_steps > 0 ? ag->cfg.max_steps : budget;
    // start and goal: poses set on two instances of the episode
    ag->ep_seed = ag->cfg.seed * 0x9E3779B97F4A7C15ull + (uint64_t)episode + HELD_OUT_SEED;
    jepa_env_reset(env, d, ag->ep_seed);
    jepa_env_reset(env, ag->gd, ag->ep_seed);
    if (jepa_env_set_state(env, d, e->start) != JEPA_OK ||
        jepa_env_set_state(env, ag->gd, e->goal) != JEPA_OK)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID,
                         "episode %d: the protocol's states do not fit %s", episode,
                         jepa_env_name(env));
    ag->planner.cfg.seed = ag->cfg.seed * 0x9E3779B97F4A7C15ull + (uint64_t)episode;
    jepa_mpc_reset(&ag->mpc);
    ag->r.filled = 0;
    observe(ag->ctx, ag->m, &ag->sim, &ag->rd, ag->gd, 1, ag->goal_rgb, ag->zg);
    observe(ag->ctx, ag->m, &ag->sim, &ag->rd, d, 0, ag->rgb, ag->z);
    wm_push(&ag->r, ag->z, NULL);
    ag->f = ag->fs;
    ag->pending = 0;
    ag->reached = 0;
    return JEPA_OK;
}

// observe the outcome of the macro action just spent: the history, and the gap of a plan whose
// steps all ran
static void agent_settle(jepa_eval_agent *ag, jepa_env_data *d) {
    if (!ag->pending) return;
    ag->pending = 0;
    observe(ag->ctx, ag->m, &ag->sim, &ag->rd, d, 0, ag->rgb, ag->z);
    wm_push(&ag->r, ag->z, ag->macro);
    if (ag->gap && jepa_mpc_needs_plan(&ag->mpc)) {
        ag->e.gap_plans++;
        ag->e.cost_predicted += ag->mpc.last_cost;
        ag->e.cost_reached += end_cost(ag->ctx, &ag->cfg.cost, ag->z, ag->zg, ag->dim, ag->pa);
    }
}

int jepa_eval_agent_reached(jepa_eval_agent *ag, jepa_env_data *d) {
    float state[JEPA_ENV_MAX_DIM];
    jepa_env_get_state(ag->env, d, state);
    ag->reached |= jepa_env_success(ag->env, state, ag->e.goal);
    return ag->reached;
}

void jepa_eval_agent_act(jepa_eval_agent *ag, jepa_env_data *d, float *action) {
    jepa_eval_agent_reached(ag, d);
    if (ag->f == ag->fs) {
        agent_settle(ag, d);
        int planning = jepa_mpc_needs_plan(&ag->mpc);
        double t0 = jepa_time_now();
        ag->sim.seed = ag->ep_seed ^ ((uint64_t)ag->mpc.plans + 1) * 0xD1B54A32D192ED03ull;
        jepa_mpc_act(&ag->mpc, &ag->prob, ag->macro);
        if (planning) ag->plan_ms = (float)(1e3 * (jepa_time_now() - t0));
        if (ag->pa < ag->sa) // a held action: its copies for the other env steps of the macro
            for (int f = 1; f < ag->fs; f++)
                memcpy(ag->macro + f * ag->a, ag->macro, sizeof(float) * ag->a);
        ag->f = 0;
    }
    memcpy(action, ag->macro + (int64_t)ag->f * ag->a, sizeof(float) * ag->a);
    ag->pending = ++ag->f == ag->fs;
}

// one episode on an agent and an env data of the caller's
static jepa_status agent_episode(jepa_eval_agent *ag, jepa_env_data *d, int episode,
                                 jepa_eval_episode *out, float *plan_ms, uint8_t *gif,
                                 int *gif_frames, jepa_eval_step_fn on_step, void *user, char *err,
                                 size_t err_size) {
    memset(out, 0, sizeof *out);
    int budget = 0;
    jepa_status st = jepa_eval_agent_begin(ag, episode, d, &budget, err, err_size);
    if (st != JEPA_OK) return st;
    const jepa_env_model *env = ag->env;
    float action[JEPA_ENV_MAX_DIM], state[JEPA_ENV_MAX_DIM] = {0}; // past state_dim: 0
    int img = ag->img, nf = 0, steps = 0, done_ok = 0;
    if (gif) gif_frame(gif + (int64_t)nf++ * 2 * img * img * 3, ag->rgb, ag->goal_rgb, img);
    // receding horizon until success or the budget
    while (steps < budget && !done_ok) {
        int plans = ag->mpc.plans;
        jepa_eval_agent_act(ag, d, action);
        if (plan_ms && ag->mpc.plans > plans) plan_ms[plans] = ag->plan_ms;
        jepa_env_step(env, d, action);
        steps++;
        jepa_env_get_state(env, d, state);
        if (on_step) on_step(user, steps, state, ag->mpc.last_cost);
        if (gif) {
            jepa_env_render(env, d, ag->rgb, img, img, NULL);
            gif_frame(gif + (int64_t)nf++ * 2 * img * img * 3, ag->rgb, ag->goal_rgb, img);
        }
        done_ok = jepa_eval_agent_reached(ag, d);
    }
    if (!done_ok) agent_settle(ag, d);
    *out = ag->e;
    jepa_env_get_state(env, d, state);
    out->success = done_ok;
    out->final_distance = jepa_env_distance(env, state, out->goal);
    memcpy(out->final, state, sizeof out->final);
    out->steps = steps;
    out->plans = ag->mpc.plans;
    if (gif_frames) *gif_frames = nf;
    return JEPA_OK;
}

jepa_status jepa_eval_episode_run(jepa_model *m, const jepa_env_model *env,
                                  const jepa_eval_config *cfg, int episode, jepa_eval_episode *out,
                                  float *plan_ms, uint8_t *gif, int *gif_frames,
                                  jepa_eval_step_fn on_step, void *user, char *err,
                                  size_t err_size) {
    memset(out, 0, sizeof *out);
    jepa_eval_agent *ag;
    jepa_status st = jepa_eval_agent_create(m, env, cfg, &ag, err, err_size);
    if (st != JEPA_OK) return st;
    jepa_env_data *d = jepa_env_data_create(env);
    st = d ? agent_episode(ag, d, episode, out, plan_ms, gif, gif_frames, on_step, user, err,
                           err_size)
           : jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory");
    jepa_env_data_free(d);
    jepa_eval_agent_free(ag);
    return st;
}

void jepa_wilson_interval(int k, int n, double *lo, double *hi) {
    if (n <= 0) {
        *lo = 0.0, *hi = 1.0;
        return;
    }
    const double z = 1.959963984540054;
    double p = (double)k / n, z2 = z * z / n;
    double centre = (p + z2 / 2) / (1 + z2);
    double half = z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / (1 + z2);
    *lo = centre - half < 0 ? 0 : centre - half;
    *hi = centre + half > 1 ? 1 : centre + half;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

jepa_status jepa_eval_run(jepa_model *m, const jepa_env_model *env, const jepa_eval_config *cfg,
                          jepa_eval_result *res, jepa_eval_episode *episodes, char *err,
                          size_t err_size) {
    memset(res, 0, sizeof *res);
    jepa_status st = JEPA_OK; // the inputs are checked by each thread's agent
    int n = cfg->episodes, cap = 0;
    for (int e = 0; e < n; e++) {
        float s[JEPA_ENV_MAX_DIM], g[JEPA_ENV_MAX_DIM];
        int b;
        jepa_eval_task(env, cfg->seed, e, s, g, &b);
        if (cfg->max_steps > 0) b = cfg->max_steps;
        cap = b > cap ? b : cap;
    }
    // episodes in parallel, an agent and an env data per thread; GD's backward writes the
    // model's gradients, so it runs alone
    int threads = cfg->threads > 0 ? cfg->threads : jepa_threads_get();
    int gd = cfg->planner.kind == JEPA_PLANNER_GD || cfg->planner.kind == JEPA_PLANNER_CEM_GD;
    if (gd) threads = 1;
    if (threads > n) threads = n > 0 ? n : 1;
    jepa_eval_episode *eps = calloc((size_t)n, sizeof *eps);
    float *ms = calloc((size_t)n * cap, sizeof(float));
    jepa_status *sts = calloc((size_t)n, sizeof *sts);
    char(*errs)[256] = calloc((size_t)n, sizeof *errs);
    jepa_eval_agent **agents = calloc((size_t)threads, sizeof *agents);
    jepa_env_data **datas = calloc((size_t)threads, sizeof *datas);
    if (!eps || !ms || !sts || !errs || !agents || !datas)
        st = jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory");
    for (int t = 0; st == JEPA_OK && t < threads; t++) {
        st = jepa_eval_agent_create(m, env, cfg, &agents[t], err, err_size);
        if (st == JEPA_OK && !(datas[t] = jepa_env_data_create(env)))
            st = jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory");
    }
    res->threads = threads;
    double t0 = jepa_time_now();
    if (st == JEPA_OK) {
        // progress on stderr as episodes finish (in any order), with the successes so far
        jepa_progress bar;
        int finished = 0, succeeded = 0;
        jepa_progress_begin(&bar, "eval", n);
#pragma omp parallel for schedule(dynamic) num_threads(threads)
        for (int e = 0; e < n; e++) {
            int t = jepa_thread_index();
            sts[e] = agent_episode(agents[t], datas[t], e, &eps[e], ms + (int64_t)e * cap, NULL,
                                   NULL, NULL, NULL, errs[e], sizeof errs[e]);
#pragma omp critical(eval_progress)
            {
                char extra[48];
                succeeded += eps[e].success;
                snprintf(extra, sizeof extra, "%d successes", succeeded);
                jepa_progress_update(&bar, ++finished, extra);
            }
        }
        jepa_progress_end(&bar, NULL);
    }
    res->seconds = jepa_time_now() - t0;
    for (int t = 0; t < threads && agents; t++) {
        jepa_eval_agent_free(agents[t]);
        if (datas) jepa_env_data_free(datas[t]);
    }
    free(agents), free(datas);
    // the first failure, in episode order
    for (int e = 0; e < n && st == JEPA_OK; e++)
        if (sts[e] != JEPA_OK) st = jepa_fail(err, err_size, sts[e], "%s", errs[e]);
    if (st == JEPA_OK) {
        // the table: rate with its interval, mean distance, plan time percentiles
        int np = 0;
        res->episodes = n;
        for (int e = 0; e < n; e++) {
            res->successes += eps[e].success;
            res->mean_distance += eps[e].final_distance / n;
            for (int i = 0; i < eps[e].plans; i++) ms[np++] = ms[(int64_t)e * cap + i];
            res->gap_plans += eps[e].gap_plans;
            res->cost_predicted += eps[e].cost_predicted;
            res->cost_reached += eps[e].cost_reached;
            res->refused += eps[e].refused;
        }
        res->cost_predicted = res->gap_plans ? res->cost_predicted / res->gap_plans : NAN;
        res->cost_reached = res->gap_plans ? res->cost_reached / res->gap_plans : NAN;
        res->rate = n ? (double)res->successes / n : 0.0;
        jepa_wilson_interval(res->successes, n, &res->rate_lo, &res->rate_hi);
        qsort(ms, (size_t)np, sizeof(float), cmp_float);
        res->plans = np;
        if (np) {
            res->plan_ms_median = ms[np / 2];
            res->plan_ms_p95 = ms[(int)(0.95 * (np - 1) + 0.5)];
        }
        if (episodes) memcpy(episodes, eps, sizeof *eps * n);
    }
    free(eps), free(ms), free(sts), free(errs);
    return st;
}
