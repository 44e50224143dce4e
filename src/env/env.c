// The environment registry and the checks every environment shares: options, action validity,
// clipping.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/env_impl.h"

static const jepa_env_vtable *const g_envs[] = {
    &jepa_env_tworoom,
#ifdef JEPA_HAVE_CHIPMUNK
    &jepa_env_pusht,
#endif
#ifdef JEPA_HAVE_MUJOCO
    &jepa_env_pointmaze,
    &jepa_env_reacher,
#endif
    NULL,
};

const char *const *jepa_env_names(void) {
    static const char *names[sizeof g_envs / sizeof g_envs[0]];
    for (size_t i = 0; g_envs[i]; i++) names[i] = g_envs[i]->name;
    return names;
}

int jepa_env_policy_parse(const char *name) {
    static const char *names[] = {"random", "expert", "mixed"};
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, names[i]) == 0) return i;
    return -1;
}

jepa_status jepa_env_check_keys(const char *env, const cJSON *options, const char *const *known,
                                char *err, size_t err_size) {
    for (const cJSON *item = options ? options->child : NULL; item; item = item->next) {
        int found = 0;
        for (int i = 0; known[i] && !found; i++) found = strcmp(item->string, known[i]) == 0;
        if (!found) {
            char list[256] = "";
            for (int i = 0; known[i]; i++) {
                strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, known[i], sizeof list - strlen(list) - 1);
            }
            return jepa_fail(err, err_size, JEPA_ERR_INVALID,
                             "%s: unknown option '%s' (known: %s)", env, item->string, list);
        }
    }
    return JEPA_OK;
}

jepa_status jepa_env_opt_number(const char *env, const cJSON *options, cJSON *resolved,
                                const char *key, double def, double lo, double hi, double *out,
                                char *err, size_t err_size) {
    const cJSON *item = options ? cJSON_GetObjectItemCaseSensitive(options, key) : NULL;
    double v = def;
    if (item) {
        if (!cJSON_IsNumber(item))
            return jepa_fail(err, err_size, JEPA_ERR_INVALID, "%s: option '%s' must be a number",
                             env, key);
        v = item->valuedouble;
        if (!(v >= lo && v <= hi))
            return jepa_fail(err, err_size, JEPA_ERR_INVALID,
                             "%s: option '%s' = %g is outside [%g, %g]", env, key, v, lo, hi);
    }
    *out = v;
    cJSON_AddNumberToObject(resolved, key, v);
    return JEPA_OK;
}

jepa_status jepa_env_opt_choice(const char *env, const cJSON *options, cJSON *resolved,
                                const char *key, const char *const *choices, int def, int *out,
                                char *err, size_t err_size) {
    const cJSON *item = options ? cJSON_GetObjectItemCaseSensitive(options, key) : NULL;
    int v = def;
    if (item) {
        v = -1;
        for (int i = 0; cJSON_IsString(item) && choices[i]; i++)
            if (strcmp(item->valuestring, choices[i]) == 0) v = i;
        if (v < 0) {
            char list[256] = "";
            for (int i = 0; choices[i]; i++) {
                strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, choices[i], sizeof list - strlen(list) - 1);
            }
            return jepa_fail(err, err_size, JEPA_ERR_INVALID, "%s: option '%s' must be one of: %s",
                             env, key, list);
        }
    }
    *out = v;
    cJSON_AddStringToObject(resolved, key, choices[v]);
    return JEPA_OK;
}

jepa_env_model *jepa_env_create(const char *name, const char *options_json, char *err,
                                size_t err_size) {
    const jepa_env_vtable *vt = NULL;
    for (size_t i = 0; g_envs[i] && !vt; i++)
        if (name && strcmp(name, g_envs[i]->name) == 0) vt = g_envs[i];
    if (!vt) {
        char list[128] = "";
        for (size_t i = 0; g_envs[i]; i++) {
            strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, g_envs[i]->name, sizeof list - strlen(list) - 1);
        }
        jepa_fail(err, err_size, JEPA_ERR_INVALID, "unknown environment '%s' (this build has: %s)",
                  name ? name : "(null)", list);
        return NULL;
    }
    cJSON *options = NULL;
    if (options_json && *options_json) {
        options = cJSON_Parse(options_json);
        if (!cJSON_IsObject(options)) {
            cJSON_Delete(options);
            jepa_fail(err, err_size, JEPA_ERR_INVALID, "%s: options are not a JSON object: %s",
                      vt->name, options_json);
            return NULL;
        }
    }
    jepa_env_model *m = calloc(1, sizeof *m);
    cJSON *resolved = cJSON_CreateObject();
    jepa_status st = m && resolved ? JEPA_OK : JEPA_ERR_NOMEM;
    if (st == JEPA_OK) {
        m->vt = vt;
        st = vt->model_init(m, options, resolved, err, err_size);
    } else {
        jepa_fail(err, err_size, st, "%s: out of memory", vt->name);
    }
    if (st == JEPA_OK) {
        JEPA_CHECK(m->action_dim > 0 && m->action_dim <= JEPA_ENV_MAX_DIM);
        JEPA_CHECK(m->state_dim > 0 && m->state_dim <= JEPA_ENV_MAX_DIM);
        JEPA_CHECK(m->proprio_dim >= 0 && m->proprio_dim <= JEPA_ENV_MAX_DIM);
        m->options_json = cJSON_PrintUnformatted(resolved);
        if (!m->options_json) st = jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory");
    }
    cJSON_Delete(options);
    cJSON_Delete(resolved);
    if (st != JEPA_OK) {
        if (m && m->impl) vt->model_free(m);
        free(m);
        return NULL;
    }
    return m;
}

void jepa_env_free(jepa_env_model *m) {
    if (!m) return;
    m->vt->model_free(m);
    cJSON_free(m->options_json);
    free(m);
}

const char *jepa_env_name(const jepa_env_model *m) { return m->vt->name; }
const char *jepa_env_options_json(const jepa_env_model *m) { return m->options_json; }
int jepa_env_action_dim(const jepa_env_model *m) { return m->action_dim; }
int jepa_env_state_dim(const jepa_env_model *m) { return m->state_dim; }
int jepa_env_proprio_dim(const jepa_env_model *m) { return m->proprio_dim; }

const char *jepa_env_state_name(const jepa_env_model *m, int i) {
    JEPA_CHECK_MSG(i >= 0 && i < m->state_dim, "jepa_env_state_name: no such state variable");
    return m->vt->state_names[i];
}

int jepa_env_state_is_angle(const jepa_env_model *m, int i) {
    JEPA_CHECK_MSG(i >= 0 && i < m->state_dim, "jepa_env_state_is_angle: no such state variable");
    return (int)((m->vt->angle_states >> i) & 1u);
}

void jepa_env_action_bounds(const jepa_env_model *m, float *lo, float *hi) {
    memcpy(lo, m->action_lo, sizeof(float) * (size_t)m->action_dim);
    memcpy(hi, m->action_hi, sizeof(float) * (size_t)m->action_dim);
}

jepa_env_data *jepa_env_data_create(const jepa_env_model *m) {
    jepa_env_data *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->m = m;
    if (m->vt->data_init(m, d) != JEPA_OK) {
        free(d);
        return NULL;
    }
    jepa_rng_init(&d->rng, 0, 0);
    return d;
}

void jepa_env_data_free(jepa_env_data *d) {
    if (!d) return;
    d->m->vt->data_free(d);
    free(d);
}

void jepa_env_reset(const jepa_env_model *m, jepa_env_data *d, uint64_t seed) {
    // stream 0 draws the initial state, stream 1 is the episode's dynamics noise
    jepa_rng init;
    jepa_rng_init(&init, seed, 0);
    jepa_rng_init(&d->rng, seed, 1);
    m->vt->reset(m, d, &init);
}

jepa_status jepa_env_step(const jepa_env_model *m, jepa_env_data *d, const float *action) {
    float clipped[JEPA_ENV_MAX_DIM];
    for (int i = 0; i < m->action_dim; i++) {
        if (!isfinite(action[i])) return JEPA_ERR_INVALID;
        float a = action[i];
        clipped[i] = a < m->action_lo[i] ? m->action_lo[i] : (a > m->action_hi[i] ? m->action_hi[i] : a);
    }
    m->vt->step(m, d, clipped);
    return JEPA_OK;
}

void jepa_env_render(const jepa_env_model *m, const jepa_env_data *d, uint8_t *rgb, int width,
                     int height, const float *goal_state) {
    JEPA_CHECK(width > 0 && height > 0);
    jepa_canvas canvas = {rgb, width, height, 0, 0, 1, 1};
    m->vt->render(m, d, &canvas, goal_state);
}

void jepa_env_get_state(const jepa_env_model *m, const jepa_env_data *d, float *state) {
    m->vt->get_state(m, d, state);
}

jepa_status jepa_env_set_state(const jepa_env_model *m, jepa_env_data *d, const float *state) {
    for (int i = 0; i < m->state_dim; i++)
        if (!isfinite(state[i])) return JEPA_ERR_INVALID;
    return m->vt->set_state(m, d, state);
}

void jepa_env_proprio(const jepa_env_model *m, const jepa_env_data *d, float *proprio) {
    m->vt->proprio(m, d, proprio);
}

int jepa_env_success(const jepa_env_model *m, const float *state, const float *goal) {
    return m->vt->success(m, state, goal);
}

float jepa_env_distance(const jepa_env_model *m, const float *state, const float *goal) {
    return m->vt->distance(m, state, goal);
}

int jepa_env_plan_features(const jepa_env_model *m, const float *state, int is_goal, float *out) {
    return m->vt->plan_features(m, state, is_goal, out);
}

void jepa_env_policy_act(const jepa_env_model *m, jepa_env_data *d, jepa_env_policy policy,
                         jepa_rng *rng, float *action) {
    m->vt->policy(m, d, policy, rng, action);
}
