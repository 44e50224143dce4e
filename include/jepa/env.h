// Environments: one interface for tworoom, pusht, pointmaze and reacher.
//
// As in MuJoCo, a model holds the constants (read-only once created, shared by every thread)
// and a data holds one instance's mutable state, so N threads step N datas of one model with
// no locks:
//
//   jepa_env_model *m = jepa_env_create("tworoom", "{\"door_center\": 32}", err, sizeof err);
//   jepa_env_data *d = jepa_env_data_create(m);
//   jepa_env_reset(m, d, seed);
//   jepa_env_step(m, d, action);
//   jepa_env_render(m, d, rgb, 64, 64, NULL);
#ifndef JEPA_ENV_H
#define JEPA_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "jepa/rng.h"
#include "jepa/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define JEPA_ENV_MAX_DIM 16 // the largest action, state or proprio vector of any environment

typedef struct jepa_env_model jepa_env_model;
typedef struct jepa_env_data jepa_env_data;

// Data-collection policies.
typedef enum jepa_env_policy {
    JEPA_POLICY_RANDOM = 0, // the environment's exploration policy
    JEPA_POLICY_EXPERT,     // a scripted policy that does the task (where there is one)
    JEPA_POLICY_MIXED,      // the environment's default mix of the two
} jepa_env_policy;

// Parse "random", "expert" or "mixed"; -1 otherwise.
int jepa_env_policy_parse(const char *name);

// The names of the environments this build has, NULL-terminated.
const char *const *jepa_env_names(void);

// Create a model from a name and options (a JSON object as text, or NULL for the defaults).
// An unknown name, an unknown option key or a bad value gives NULL and a one-line message in
// err that names it. The caller owns the model; free with jepa_env_free (NULL is a no-op).
jepa_env_model *jepa_env_create(const char *name, const char *options_json, char *err,
                                size_t err_size);
void jepa_env_free(jepa_env_model *m);

// The model's name and its options as a JSON object with every default filled in (owned by m).
const char *jepa_env_name(const jepa_env_model *m);
const char *jepa_env_options_json(const jepa_env_model *m);

int jepa_env_action_dim(const jepa_env_model *m);
int jepa_env_state_dim(const jepa_env_model *m);
int jepa_env_proprio_dim(const jepa_env_model *m);
// The name of state variable i, 0 <= i < state_dim ("agent_x", "block_angle", ...).
const char *jepa_env_state_name(const jepa_env_model *m, int i);
// Whether state variable i is an angle (it wraps at 2 pi).
int jepa_env_state_is_angle(const jepa_env_model *m, int i);
// Per-dimension action bounds (action_dim floats each).
void jepa_env_action_bounds(const jepa_env_model *m, float *lo, float *hi);

// One instance's state. NULL when out of memory. Free with jepa_env_data_free.
jepa_env_data *jepa_env_data_create(const jepa_env_model *m);
void jepa_env_data_free(jepa_env_data *d);

// Start an episode; everything random in it is drawn from streams of seed.
void jepa_env_reset(const jepa_env_model *m, jepa_env_data *d, uint64_t seed);

// Advance one control step. An action with a NaN or Inf is JEPA_ERR_INVALID and changes
// nothing; values outside the bounds are clipped.
jepa_status jepa_env_step(const jepa_env_model *m, jepa_env_data *d, const float *action);

// Draw the current observation into rgb (height x width x 3, uint8). goal_state (may be NULL)
// draws the goal as a faint overlay, for visualisation only. Rendering may update a cache inside
// d (tworoom keeps its static walls there): render one data from one thread at a time.
void jepa_env_render(const jepa_env_model *m, const jepa_env_data *d, uint8_t *rgb, int width,
                     int height, const float *goal_state);

// The full state (state_dim floats): enough to restore the instance exactly.
void jepa_env_get_state(const jepa_env_model *m, const jepa_env_data *d, float *state);
// Restore a state; one that the environment cannot hold (inside a wall, NaN) is
// JEPA_ERR_INVALID and changes nothing.
jepa_status jepa_env_set_state(const jepa_env_model *m, jepa_env_data *d, const float *state);

// The proprioceptive vector (proprio_dim floats).
void jepa_env_proprio(const jepa_env_model *m, const jepa_env_data *d, float *proprio);

// Whether state reaches goal by the environment's success criterion, and a distance to it.
int jepa_env_success(const jepa_env_model *m, const float *state, const float *goal);
float jepa_env_distance(const jepa_env_model *m, const float *state, const float *goal);
// What the success criterion looks at, as a point (at most JEPA_ENV_MAX_DIM floats; returns
// their number) whose squared L2 distance to the goal's point a planner on the simulator
// minimizes (jepa eval --oracle): positions, angles as a radius times (cos, sin). is_goal: the
// point of a goal state (reacher's goal is its target, not its fingertip).
int jepa_env_plan_features(const jepa_env_model *m, const float *state, int is_goal, float *out);

// The data-collection policy's next action (action_dim floats), drawn from rng; the policy's
// own memory (a heading, a sub-goal) lives in d and is reset with it.
void jepa_env_policy_act(const jepa_env_model *m, jepa_env_data *d, jepa_env_policy policy,
                         jepa_rng *rng, float *action);

#ifdef __cplusplus
}
#endif
#endif
