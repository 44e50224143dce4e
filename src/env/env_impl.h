// For environment implementations: the vtable every environment fills, and the structs behind
// the public handles.
#ifndef JEPA_ENV_IMPL_H
#define JEPA_ENV_IMPL_H

#include <cjson/cJSON.h>

#include "env/raster.h"
#include "jepa/env.h"

typedef struct jepa_env_vtable {
    const char *name;
    // the state variables' names (state_dim of them) and which are angles (bit i: state i is
    // an angle, which wraps at 2 pi)
    const char *const *state_names;
    unsigned angle_states;
    // Read options (a JSON object, or NULL for defaults) into m->impl, set the dimensions and
    // bounds of m, and write the full options (defaults filled in) into *resolved. Unknown keys
    // and bad values fail with a message naming them.
    jepa_status (*model_init)(jepa_env_model *m, const cJSON *options, cJSON *resolved, char *err,
                              size_t err_size);
    void (*model_free)(jepa_env_model *m);
    // Allocate d->impl (all memory of an instance, so stepping never allocates).
    jepa_status (*data_init)(const jepa_env_model *m, jepa_env_data *d);
    void (*data_free)(jepa_env_data *d);
    void (*reset)(const jepa_env_model *m, jepa_env_data *d, jepa_rng *rng);
    // the action is finite and clipped to the bounds
    void (*step)(const jepa_env_model *m, jepa_env_data *d, const float *action);
    // canvas has rgb, width and height set; call jepa_canvas_init to map the world onto it
    void (*render)(const jepa_env_model *m, const jepa_env_data *d, jepa_canvas *canvas,
                   const float *goal_state);
    void (*get_state)(const jepa_env_model *m, const jepa_env_data *d, float *state);
    jepa_status (*set_state)(const jepa_env_model *m, jepa_env_data *d, const float *state);
    void (*proprio)(const jepa_env_model *m, const jepa_env_data *d, float *proprio);
    int (*success)(const jepa_env_model *m, const float *state, const float *goal);
    float (*distance)(const jepa_env_model *m, const float *state, const float *goal);
    int (*plan_features)(const jepa_env_model *m, const float *state, int is_goal, float *out);
    void (*policy)(const jepa_env_model *m, jepa_env_data *d, jepa_env_policy policy,
                   jepa_rng *rng, float *action);
} jepa_env_vtable;

struct jepa_env_model {
    const jepa_env_vtable *vt;
    int action_dim, state_dim, proprio_dim;
    float action_lo[JEPA_ENV_MAX_DIM], action_hi[JEPA_ENV_MAX_DIM];
    char *options_json; // resolved options (owned)
    void *impl;         // the environment's constants
};

struct jepa_env_data {
    const jepa_env_model *m;
    jepa_rng rng; // the episode's own stream (noise in the dynamics)
    void *impl;   // the environment's mutable state
};

// ---- option helpers for model_init ----
// Fail on a key of options not in known (NULL-terminated), naming it and the environment.
jepa_status jepa_env_check_keys(const char *env, const cJSON *options, const char *const *known,
                                char *err, size_t err_size);
// Read a number option (default def when absent) that must lie in [lo, hi]; record it in
// resolved. A non-number or out-of-range value fails with a message naming the key.
jepa_status jepa_env_opt_number(const char *env, const cJSON *options, cJSON *resolved,
                                const char *key, double def, double lo, double hi, double *out,
                                char *err, size_t err_size);
// Read a string option that must be one of choices (NULL-terminated); *out is its index.
jepa_status jepa_env_opt_choice(const char *env, const cJSON *options, cJSON *resolved,
                                const char *key, const char *const *choices, int def, int *out,
                                char *err, size_t err_size);

// The environments, each defined in its own file.
extern const jepa_env_vtable jepa_env_tworoom;
// Whether a tworoom episode (n states of state_dim floats) ever changed rooms.
int jepa_tworoom_crossed(const float *states, int n, int state_dim);
#ifdef JEPA_HAVE_CHIPMUNK
extern const jepa_env_vtable jepa_env_pusht;
#endif
#ifdef JEPA_HAVE_MUJOCO
extern const jepa_env_vtable jepa_env_pointmaze;
extern const jepa_env_vtable jepa_env_reacher;
#endif

#endif
