// Evaluation protocols: episodes of goal-reaching with a world model and a planner in receding
// horizon, per environment as ENVS.md describes, and the success table.
//
//   tworoom:   start and goal uniform in opposite rooms, 200 steps, success within 4.5 px
//   pointmaze: start and goal in cells far apart (the farthest of 16 draws), 100 steps
//   pusht:     start = 0..74 expert steps into a held-out 100-step episode, goal = the state 25
//              expert steps later, 50 steps (LeWM's protocol)
//   reacher:   goal = the state 25 expert steps after reset (fingertip on the target), 50 steps
#ifndef JEPA_EVAL_H
#define JEPA_EVAL_H

#include <stdint.h>

#include "jepa/collect.h"
#include "jepa/env.h"
#include "jepa/plan.h"
#include "jepa/wm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jepa_eval_config {
    int episodes;                // episodes to run
    uint64_t seed;               // episode e uses streams of (seed, e); the planner seed too
    jepa_planner_config planner; // the planner (its seed is set per episode)
    int horizon;                 // model steps planned (0: 5)
    int execute;                 // model steps executed per plan (0: the horizon)
    int shrink;                  // 1: the plans shrink to a fixed end (jepa_mpc.shrink)
    int respan;                  // shrinking: the later plans' span (jepa_mpc.respan; 0: horizon)
    int hold;                    // 1: a planned step is one env action held for the frameskip
    int max_steps;               // env steps per episode (0: the protocol's budget)
    jepa_cost cost;              // the planning cost (zeroed: squared L2 at the last step)
    int threads;                 // episodes run in parallel (0: jepa_threads_get())
    int oracle;                  // plan on the simulator (always with no model; see below)
    int frameskip;               // the oracle with no model: env steps per planned step (0: 5)
    // An ensemble: more models whose predictors plan beside the model's, on its encodings (each
    // must pass jepa_model_same_encoder with it); the cost is the members' mean distance
    // (jepa_cost.members). Not with the oracle.
    jepa_model *const *ensemble;
    int ensemble_size; // 0..JEPA_EVAL_MAX_ENSEMBLE
    // A reader: a model of the same env with a state read-out (cfg.w_state > 0) that sees frames
    // alone (no proprio). Each observation's frame, drawn at the reader's image size, is read
    // out, and the state values in `read` (bit i: value i) replace the simulator's before the
    // env's proprio is formed: a model that takes part of the state as proprio (pusht's
    // proprio=agent_pose: the block's pose) gets that part from the frames. A reading the env
    // refuses as a state keeps the simulator's values for that observation, and is counted
    // (jepa_eval_episode.refused). The model must use the proprio; not with the oracle.
    jepa_model *reader; // NULL: the env's proprio as it is
    uint64_t read;
} jepa_eval_config;

#define JEPA_EVAL_MAX_ENSEMBLE 8

typedef struct jepa_eval_episode {
    int success;          // the success criterion held at some step
    float final_distance; // the environment's distance to the goal at the end
    int steps;            // env steps taken (stops at success)
    int plans;            // plans made
    float start[JEPA_ENV_MAX_DIM], goal[JEPA_ENV_MAX_DIM];
    float final[JEPA_ENV_MAX_DIM]; // the state at the end
    // The exploitation gap, where the cost is a distance alone at the last step and every plan
    // is executed whole (execute = horizon): over the plans whose steps all ran before a success
    // (gap_plans), the sum of the cost each plan predicted for its end (cost_predicted) and of
    // the same distance from the latent of the observation its actions reached (cost_reached).
    // A reached cost far above the predicted one: the search found where the model is wrong.
    int gap_plans;
    double cost_predicted, cost_reached;
    int refused; // the reader's readings the env refused (jepa_eval_config.reader)
} jepa_eval_episode;

// Called after each env step of an episode (may be NULL): step, the state, the last plan's cost.
typedef void (*jepa_eval_step_fn)(void *user, int step, const float *state, float plan_cost);

// Whether a checkpoint's model fits an environment (action size; proprio size when the model
// uses it): JEPA_ERR_INVALID with a message naming both sizes otherwise. Frames are rendered at
// the model's image size, so any image size fits.
jepa_status jepa_eval_check(const jepa_model *m, const jepa_env_model *env, char *err,
                            size_t err_size);

// The protocol's start and goal states (state_dim floats each) and step budget for episode e.
void jepa_eval_task(const jepa_env_model *env, uint64_t seed, int episode, float *start,
                    float *goal, int *max_steps);

// The oracle: with no model (m NULL) or cfg->oracle, the episodes plan on the simulator itself.
// Each candidate is stepped from the current state (its dynamics noise from a stream fixed per
// plan). With no model its "latents" are jepa_env_plan_features of the states it reaches,
// against the goal's: what a planner and its budget reach with perfect predictions and the
// success test's distance as the cost (a reference; a learned distance may guide better). With a
// model they are the model's encodings of the frames it reaches, against the goal frame's: how
// well the encoder's latent distance guides the planner, with the predictor taken out (the
// model's frameskip, not cfg->frameskip). The state oracle draws its observations (GIF frames)
// JEPA_EVAL_ORACLE_IMAGE pixels square.
#define JEPA_EVAL_ORACLE_IMAGE 64

// Run one episode (m NULL: the oracle). plan_ms (may be NULL) receives each plan's time in ms
// (capacity: the budget's env steps); gif (may be NULL) receives one frame per env step, the
// observation beside the goal (budget + 1 frames of 2*image x image x 3), and *gif_frames their
// number.
jepa_status jepa_eval_episode_run(jepa_model *m, const jepa_env_model *env,
                                  const jepa_eval_config *cfg, int episode, jepa_eval_episode *out,
                                  float *plan_ms, uint8_t *gif, int *gif_frames,
                                  jepa_eval_step_fn on_step, void *user, char *err,
                                  size_t err_size);

// An agent: the protocol's planner in receding horizon, one env step at a time, for a caller
// that steps the environment itself (jepa_eval_episode_run; jepa collect's plan policy). It
// holds one planner and everything an episode needs, allocated by create; one per thread.
typedef struct jepa_eval_agent jepa_eval_agent;
// Check that m (NULL: the oracle) and cfg's ensemble fit env, as jepa_eval_run does, and
// allocate. cfg is copied; m, the ensemble and env must outlive the agent.
jepa_status jepa_eval_agent_create(jepa_model *m, const jepa_env_model *env,
                                   const jepa_eval_config *cfg, jepa_eval_agent **out, char *err,
                                   size_t err_size);
// Begin the protocol's episode `episode` of cfg->seed: d (env's data) is reset and posed at the
// task's start, the goal observed, the planner's warm start and history forgotten. *max_steps
// (may be NULL) gets the step budget (cfg->max_steps when set).
jepa_status jepa_eval_agent_begin(jepa_eval_agent *ag, int episode, jepa_env_data *d,
                                  int *max_steps, char *err, size_t err_size);
// The next env action (action_dim floats, inside the bounds) for d, which must have been
// stepped with every action handed out since begin; plans when the last plan's executed steps
// are spent, observing d first.
void jepa_eval_agent_act(jepa_eval_agent *ag, jepa_env_data *d, float *action);
// Whether the episode met its goal: in a state act saw, or in d's now.
int jepa_eval_agent_reached(jepa_eval_agent *ag, jepa_env_data *d);
void jepa_eval_agent_free(jepa_eval_agent *ag);

// jepa collect's policy "plan" (jepa_collect_config.agent): episode i of the collection is the
// protocol's episode i of cfg.seed, its start posed and its goal planned for by an agent, for
// the collection's steps whatever the budget (on past a success). The tasks are those jepa eval
// draws with the same seed: collect with seeds you do not evaluate on. plan must outlive the
// collection.
typedef struct jepa_eval_collect_plan {
    jepa_model *m; // NULL: the oracle
    jepa_eval_config cfg;
} jepa_eval_collect_plan;
jepa_collect_agent jepa_eval_collect_agent(jepa_eval_collect_plan *plan);

typedef struct jepa_eval_result {
    int episodes, successes;
    double rate, rate_lo, rate_hi; // success rate with its 95 % Wilson interval
    double mean_distance;          // mean final distance
    int plans;
    int gap_plans;                        // the exploitation gap over every episode's plans
    double cost_predicted, cost_reached; // their means (NAN when gap_plans is 0)
    int refused;                          // the reader's readings the env refused, in all
    // wall-clock figures: they vary from run to run, unlike everything above
    double plan_ms_median, plan_ms_p95;
    double seconds; // wall time of the whole evaluation
    int threads;    // episodes run in parallel
} jepa_eval_result;

// Run every episode (in parallel, one env data and one planner per thread); per-episode
// results in episodes (cfg->episodes entries, may be NULL); m NULL: the oracle. The same seed
// gives the same results whatever the thread count.
jepa_status jepa_eval_run(jepa_model *m, const jepa_env_model *env, const jepa_eval_config *cfg,
                          jepa_eval_result *res, jepa_eval_episode *episodes, char *err,
                          size_t err_size);

// The 95 % Wilson score interval of k successes in n trials.
void jepa_wilson_interval(int k, int n, double *lo, double *hi);

#ifdef __cplusplus
}
#endif
#endif
