// Planning in latent space: a cost on predicted latents with guardrails, and planners (CEM,
// iCEM, MPPI, gradient descent, CEM then GD) behind one interface, plus the receding-horizon
// (MPC) loop.
//
// A planning problem is a rollout callback (candidate actions (N, H, A) -> predicted latents
// (N, H, D), or an ensemble's (N, H, K*D), built from autograd ops so that GD can
// differentiate it) and a cost. The N
// candidates of an iteration go through the rollout in a few large batches, one parallel region
// with one thread per batch at a time (each thread with its own context, its kernels on one
// thread): the rollout must treat candidates independently (no statistics across the batch) and
// must not write to shared state. Then the plan does not depend on the thread count.
//
//   jepa_planner pl;
//   jepa_planner_config cfg;
//   jepa_planner_config_default(&cfg, JEPA_PLANNER_CEM);
//   jepa_planner_init(&pl, &cfg, horizon, action_dim, lo, hi);
//   jepa_plan_problem prob = {rollout, user, goal, latent_dim, cost};
//   float cost = jepa_planner_plan(&pl, &prob, actions); // actions (H, A)
//   jepa_planner_shift(&pl, executed);                   // warm start for the next plan
#ifndef JEPA_PLAN_H
#define JEPA_PLAN_H

#include <stdint.h>

#include "jepa/autograd.h"
#include "jepa/rng.h"
#include "jepa/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define JEPA_PLAN_MAX_HORIZON 256

// Predicted latents (N, H, D) of candidate actions (N, H, A), built in ctx from autograd ops.
typedef jepa_tensor *(*jepa_rollout_fn)(jepa_ctx *ctx, void *user, jepa_tensor *actions);
// A cost on predicted latents (N, H, D) -> (N) (a learned or probed constraint).
typedef jepa_tensor *(*jepa_latent_cost_fn)(jepa_ctx *ctx, void *user, jepa_tensor *latents);

typedef enum jepa_distance_kind { JEPA_DIST_L2SQ = 0, JEPA_DIST_L1 = 1 } jepa_distance_kind;

// The cost of a candidate: distance(predicted latents, goal) at the last step, or a weighted
// sum over steps, plus guardrail penalties. A zeroed struct is the squared L2 at the last step.
typedef struct jepa_cost {
    int distance;              // JEPA_DIST_L2SQ or JEPA_DIST_L1
    int all_steps;             // 0: last step only; 1: sum over steps weighted by step_weights
    const float *step_weights; // (H), or NULL for all 1 (borrowed; used when all_steps)
    float w_action;            // weight of sum_k |a_k|^2 (action magnitude)
    float w_smooth;            // weight of sum_k |a_k - a_{k-1}|^2 (smoothness)
    jepa_latent_cost_fn extra; // NULL, or a constraint on the latents, weighted by w_extra
    void *extra_user;
    float w_extra;
    int members; // 0 or 1: the latents are one prediction (N, H, D). K > 1: an ensemble's K
                 // predictions side by side (N, H, K*D); the distance is the mean of the K
                 // members' distances (for squared L2: the distance of their mean plus their
                 // spread, so candidates the members disagree on cost more), and extra sees the
                 // members' mean (N, H, D)
} jepa_cost;

// The cost of every candidate as one op graph: latents (N, H, K*D) (K = members, or 1), goal
// (D), actions (N, H, A) -> (N). Differentiable with respect to the actions (through the
// latents too).
jepa_tensor *jepa_cost_eval(jepa_ctx *ctx, const jepa_cost *cost, jepa_tensor *latents,
                            jepa_tensor *goal, jepa_tensor *actions);

// One planning problem: the rollout and its user data, the goal latent (latent_dim floats,
// borrowed for the call) and the cost (the rollout returns cost.members latents of latent_dim
// per step side by side when cost.members > 1). fixed_weights 1: the rollout's linear layers
// read the same weights throughout a plan (a model's parameters, not tensors the rollout
// computes), so their packed copies are kept from one iteration to the next
// (jepa_sgemm_reuse_begin_tagged); 0: packed again in each iteration.
typedef struct jepa_plan_problem {
    jepa_rollout_fn rollout;
    void *user;
    const float *goal;
    int latent_dim;
    jepa_cost cost;
    int fixed_weights;
} jepa_plan_problem;

typedef enum jepa_planner_kind {
    JEPA_PLANNER_CEM = 0,
    JEPA_PLANNER_ICEM,
    JEPA_PLANNER_MPPI,
    JEPA_PLANNER_GD,
    JEPA_PLANNER_CEM_GD,
} jepa_planner_kind;

// Parse "cem", "icem", "mppi", "gd", "cem+gd"; -1 otherwise.
int jepa_planner_parse(const char *name);
const char *jepa_planner_name(int kind);

typedef struct jepa_planner_config {
    int kind;          // jepa_planner_kind
    int samples;       // candidates per iteration (CEM, iCEM, MPPI)
    int iterations;    // iterations of the sampling planner
    int elites;        // CEM / iCEM: elites refit each iteration
    float init_std;    // initial std as a fraction of the half-range of the bounds
    float min_std;     // floor of the std (same units)
    float momentum;    // CEM / iCEM: new = momentum * old + (1 - momentum) * refit
    float beta;        // iCEM: exponent of the coloured noise's 1/f^beta spectrum
    float keep_elites; // iCEM: fraction of the elites carried into the next iteration
    float temperature; // MPPI: weights exp(-(cost - min) / temperature)
    float noise_std;   // MPPI: std of the perturbations (fraction of the half-range)
    int gd_restarts;   // GD: random restarts, run as one batch
    int gd_steps;      // GD: Adam steps
    float gd_lr;       // GD: Adam learning rate (fraction of the half-range)
    uint64_t seed;     // randomness keyed by (seed, plan index, iteration)
    int bf16;          // CEM/iCEM/MPPI: rollouts' linear layers in bf16 with fp32 sums where
                       // the CPU has AVX512_BF16 (jepa_sgemm_set_bf16), about twice as fast; GD
                       // stays fp32. Off by default.
} jepa_planner_config;

// Defaults from the reference systems' budgets (ENVS.md): CEM/iCEM 300 samples, 10
// iterations, 30 elites; MPPI 300 samples, 10 iterations; GD 8 restarts x 30 Adam steps;
// CEM+GD: the CEM budget then 10 GD steps.
void jepa_planner_config_default(jepa_planner_config *cfg, int kind);

// A planner's workspace: everything is allocated by init; planning allocates nothing beyond
// the reset of its own context's arena.
typedef struct jepa_planner {
    jepa_planner_config cfg;
    int horizon, action_dim; // the horizon planned now (jepa_planner_set_horizon)
    int max_horizon;         // the horizon at init, which the buffers hold
    float *lo, *hi;    // (A) bounds
    float *mean, *std; // (H, A) sampling distribution
    float *warm;       // (H, A) the previous plan, shifted
    int has_warm;
    float *samples; // (N, H, A) candidates of one iteration
    float *costs;   // (N)
    int *order;     // (N) candidate indices sorted by cost
    float *kept;    // (K, H, A) iCEM: elites carried over
    int n_kept;
    float *gd_actions, *gd_grad, *gd_m, *gd_v, *gd_best; // GD: (R, H, A) each
    float *gd_best_cost;                                 // (R)
    int64_t plan_index;                                  // plans made so far (keys the randomness)
    uint64_t reuse_tag; // during a plan of fixed weights, its tag for the packed weights; else 0
    jepa_ctx *ctx;                                       // per-iteration graph arena
    jepa_ctx **eval_ctx; // (n_eval_ctx) one per evaluating thread; eval_ctx[0] is ctx
    int n_eval_ctx;      // jepa_threads_get() at init: the most threads an evaluation uses
} jepa_planner;

// Allocate a planner for horizon H (<= JEPA_PLAN_MAX_HORIZON) and action size A with bounds
// lo, hi (A floats each, copied). Evaluations run on up to jepa_threads_get() threads (as at
// init). JEPA_ERR_NOMEM, or JEPA_ERR_INVALID for a bad config.
jepa_status jepa_planner_init(jepa_planner *p, const jepa_planner_config *cfg, int horizon,
                              int action_dim, const float *lo, const float *hi);
void jepa_planner_free(jepa_planner *p);

// Plan: write the action sequence (H, A), inside the bounds, to actions and return its cost
// (the cost of that sequence itself, scored once more after the search: CEM's and MPPI's plans
// are means, not candidates it scored). Same seed, same warm start: same plan.
float jepa_planner_plan(jepa_planner *p, const jepa_plan_problem *prob, float *actions);

// After executing `executed` steps of the last plan: the warm start becomes the plan shifted
// by that many steps, the freed tail filled with the middle of the bounds.
void jepa_planner_shift(jepa_planner *p, int executed);
// Forget the warm start and restart the plan count (a new episode); the horizon is the one of
// init again.
void jepa_planner_reset(jepa_planner *p);
// Plan the next plans over `horizon` steps (1..the horizon of init): the warm start keeps its
// first steps (a longer one is padded with the middle of the bounds). JEPA_ERR_INVALID else.
jepa_status jepa_planner_set_horizon(jepa_planner *p, int horizon);

// Coloured noise: n sequences of length h (out (n, h)) with power spectrum ~ 1/f^beta and unit
// variance, drawn from rng (beta 0: white noise). h <= JEPA_PLAN_MAX_HORIZON.
void jepa_colored_noise(float *out, int64_t n, int h, float beta, jepa_rng *rng);

// ---- receding horizon (MPC) ----
// Plans when its queue of actions is empty, queues the first `execute` actions of the plan and
// shifts the warm start by as many; each call hands out the next queued action.
// With `shrink` set (after init), the plan's end stays where the first plan put it: after k of
// a plan's h steps ran, the next plan spans the h - k steps left (all of them run when fewer
// than `execute` are left), and once the end is reached the next plan spans the full horizon
// again (or `respan` steps, when set). A cost at the last step then keeps its arrival time
// while each plan starts from a fresh observation (with a plain receding horizon the arrival
// moves away at every plan).
typedef struct jepa_mpc {
    jepa_planner *planner;
    int execute;         // actions executed per plan (1..H)
    int shrink;          // 0: every plan spans H steps; 1: the plans shrink to a fixed end
    int respan;          // shrinking: the span of the plans after the first one's end (0: H)
    float *plan;         // (H, A) the last plan
    int queued;          // actions of the last plan queued to run
    int next;            // index of the next action to hand out; == queued when the queue is empty
    float last_cost;     // the cost of the last plan
    int plans;           // plans made
    double plan_seconds; // time spent planning, total
} jepa_mpc;

jepa_status jepa_mpc_init(jepa_mpc *mpc, jepa_planner *planner, int execute);
void jepa_mpc_free(jepa_mpc *mpc);
// A new episode: empty queue, no warm start.
void jepa_mpc_reset(jepa_mpc *mpc);
// Whether the next call to jepa_mpc_act will plan (the caller refreshes its latents first).
int jepa_mpc_needs_plan(const jepa_mpc *mpc);
// The next action (A floats) to execute; plans first when the queue is empty.
void jepa_mpc_act(jepa_mpc *mpc, const jepa_plan_problem *prob, float *action);

#ifdef __cplusplus
}
#endif
#endif
