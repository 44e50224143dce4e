// World-model checkpoints: weights, the EMA target, the optimizer moments and the training
// state in one safetensors file.
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jepa/safetensors.h"
#include "jepa/wm.h"
#include "wm/internal.h"

// the entries of one table under a prefix and a suffix, e.g. "optim." + name + ".m"
static int add_entries(jepa_st_entry *e, char (*names)[128], int at, const jepa_params *p,
                       const float *base, const char *prefix, const char *suffix) {
    for (int i = 0; i < p->count; i++) {
        const jepa_param *it = &p->items[i];
        snprintf(names[at], 128, "%s%s%s", prefix, it->name, suffix);
        e[at] = (jepa_st_entry){names[at], it->tensor.ndim, it->tensor.shape, base + it->offset};
        at++;
    }
    return at;
}

jepa_status jepa_model_save(const jepa_model *m, const jepa_adamw *opt,
                            const jepa_train_state *state, const char *path, char *err, size_t n) {
    int count = m->params.count;
    jepa_st_entry *e = malloc(sizeof *e * (size_t)(4 * count));
    char(*names)[128] = malloc(128 * (size_t)(4 * count));
    char *config = jepa_wm_config_json(&m->cfg);
    cJSON *meta = cJSON_CreateObject();
    if (!e || !names || !config || !meta) {
        free(e);
        free(names);
        cJSON_free(config);
        cJSON_Delete(meta);
        return jepa_fail(err, n, JEPA_ERR_NOMEM, "%s: out of memory", path);
    }
    int at = add_entries(e, names, 0, &m->params, m->params.data, "", "");
    if (m->has_target) at = add_entries(e, names, at, &m->target, m->target.data, "target.", "");
    if (opt) {
        // moments laid out as the parameters (zero for buffers)
        at = add_entries(e, names, at, &m->params, opt->m, "optim.", ".m");
        at = add_entries(e, names, at, &m->params, opt->v, "optim.", ".v");
    }
    char num[64];
    cJSON_AddStringToObject(meta, "format", "jepa-checkpoint");
    cJSON_AddStringToObject(meta, "jepa_version", jepa_version());
    cJSON_AddStringToObject(meta, "config", config);
    if (m->env[0]) cJSON_AddStringToObject(meta, "env", m->env);
    snprintf(num, sizeof num, "%d", m->action_dim);
    cJSON_AddStringToObject(meta, "action_dim", num);
    snprintf(num, sizeof num, "%d", m->proprio_dim);
    cJSON_AddStringToObject(meta, "proprio_dim", num);
    if (m->cfg.w_state > 0) {
        snprintf(num, sizeof num, "%d", m->state_dim);
        cJSON_AddStringToObject(meta, "state_dim", num);
        snprintf(num, sizeof num, "%llu", (unsigned long long)m->state_angles);
        cJSON_AddStringToObject(meta, "state_angles", num);
    }
    if (state) {
        snprintf(num, sizeof num, "%lld", (long long)state->step);
        cJSON_AddStringToObject(meta, "step", num);
        snprintf(num, sizeof num, "%.17g", state->best_val);
        cJSON_AddStringToObject(meta, "best_val", num);
        // every batch is drawn from stream `step` of this seed: this is the RNG state
        snprintf(num, sizeof num, "philox4x32-10 seed %llu stream %lld",
                 (unsigned long long)state->data_seed, (long long)state->step);
        cJSON_AddStringToObject(meta, "rng", num);
    }
    if (opt) {
        snprintf(num, sizeof num, "%lld", (long long)opt->step);
        cJSON_AddStringToObject(meta, "optim_step", num);
    }
    char *meta_text = cJSON_PrintUnformatted(meta);
    jepa_status st = meta_text ? jepa_st_save(path, e, at, meta_text, err, n)
                               : jepa_fail(err, n, JEPA_ERR_NOMEM, "%s: out of memory", path);
    cJSON_free(meta_text);
    cJSON_Delete(meta);
    cJSON_free(config);
    free(e);
    free(names);
    return st;
}

// a whole number from the metadata, or fail naming it
static jepa_status meta_int(const jepa_safetensors *st, const char *key, const char *path,
                            long long *out, char *err, size_t n) {
    const char *v = jepa_st_metadata(st, key);
    char *end;
    if (!v || (*out = strtoll(v, &end, 10), *end != '\0'))
        return jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: metadata '%s' is missing or not a number",
                         path, key);
    return JEPA_OK;
}

// copy tensors "<prefix><name><suffix>" of the file into base (laid out as p); each must be
// there with p's shape
static jepa_status load_into(const jepa_safetensors *st, const jepa_params *p, float *base,
                             const char *prefix, const char *suffix, const char *path, char *err,
                             size_t n) {
    for (int i = 0; i < p->count; i++) {
        char name[160];
        snprintf(name, sizeof name, "%s%s%s", prefix, p->items[i].name, suffix);
        const jepa_st_tensor *t = jepa_st_find(st, name);
        const jepa_tensor *want = &p->items[i].tensor;
        if (!t)
            return jepa_fail(err, n, JEPA_ERR_FORMAT,
                             "%s: tensor '%s' is missing (a checkpoint of another recipe or size?)",
                             path, name);
        int same = t->ndim == want->ndim;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == want->shape[d];
        if (!same) {
            char shape[64];
            return jepa_fail(err, n, JEPA_ERR_SHAPE,
                             "%s: tensor '%s' does not have the model's shape %s (another size?)",
                             path, name, jepa_shape_str(want, shape, sizeof shape));
        }
        jepa_status s = jepa_st_to_f32(t, base + p->items[i].offset, err, n);
        if (s != JEPA_OK) {
            // name the checkpoint in the reader's message
            char why[512];
            snprintf(why, sizeof why, "%s", err ? err : "");
            return jepa_fail(err, n, s, "%s: %s", path, why);
        }
    }
    return JEPA_OK;
}

// every tensor of the file is a parameter, a target copy or an optimizer moment
static jepa_status check_extras(const jepa_safetensors *st, const jepa_params *p, const char *path,
                                char *err, size_t n) {
    for (int i = 0; i < st->count; i++) {
        const char *name = st->tensors[i].name;
        if (strncmp(name, "target.", 7) == 0 || strncmp(name, "optim.", 6) == 0) continue;
        if (jepa_params_find(p, name) < 0)
            return jepa_fail(err, n, JEPA_ERR_FORMAT,
                             "%s: unexpected tensor '%s' (a checkpoint of another recipe?)", path, name);
    }
    return JEPA_OK;
}

static jepa_status check_finite(const jepa_params *p, const float *base, const char *what,
                                const char *path, char *err, size_t n) {
    for (int i = 0; i < p->count; i++) {
        const float *w = base + p->items[i].offset;
        int64_t numel = jepa_numel(&p->items[i].tensor);
        for (int64_t j = 0; j < numel; j++)
            if (!isfinite(w[j]))
                return jepa_fail(err, n, JEPA_ERR_NUMERIC, "%s: %s'%s' holds a NaN or Inf", path,
                                 what, p->items[i].name);
    }
    return JEPA_OK;
}

jepa_status jepa_model_load(jepa_model *m, const char *path, jepa_train_state *state, char *err,
                            size_t n) {
    memset(m, 0, sizeof *m);
    jepa_safetensors st;
    jepa_status s = jepa_st_open(&st, path, err, n);
    if (s != JEPA_OK) return s;
    const char *config = jepa_st_metadata(&st, "config");
    long long action_dim = 0, proprio_dim = 0, state_dim = 0, state_angles = 0;
    jepa_wm_config cfg;
    jepa_wm_config_defaults(&cfg);
    char what[4200];
    snprintf(what, sizeof what, "%s: config", path);
    if (!config) s = jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: not a jepa checkpoint (no config)", path);
    if (s == JEPA_OK) s = jepa_wm_config_parse(&cfg, config, what, err, n);
    if (s == JEPA_OK) s = meta_int(&st, "action_dim", path, &action_dim, err, n);
    if (s == JEPA_OK) s = meta_int(&st, "proprio_dim", path, &proprio_dim, err, n);
    // the state read-out's sizes, written when it is trained
    if (s == JEPA_OK && cfg.w_state > 0) s = meta_int(&st, "state_dim", path, &state_dim, err, n);
    if (s == JEPA_OK && cfg.w_state > 0)
        s = meta_int(&st, "state_angles", path, &state_angles, err, n);
    if (s == JEPA_OK && (action_dim < 1 || action_dim > 64 || proprio_dim < 0 || proprio_dim > 64 ||
                         state_dim < 0 || state_dim > JEPA_WM_MAX_STATE || state_angles < 0))
        s = jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: bad action_dim, proprio_dim or state_dim", path);
    if (s == JEPA_OK && (s = jepa_model_create(m, &cfg, (int)action_dim, (int)proprio_dim,
                                               (int)state_dim, (uint64_t)state_angles, err, n))) {
        // name the checkpoint in the model's message
        char why[512];
        snprintf(why, sizeof why, "%s", err ? err : "");
        jepa_fail(err, n, s, "%s: %s", path, why);
    }
    const char *env = jepa_st_metadata(&st, "env");
    if (s == JEPA_OK && env) snprintf(m->env, sizeof m->env, "%s", env);
    if (s == JEPA_OK) s = check_extras(&st, &m->params, path, err, n);
    if (s == JEPA_OK) s = load_into(&st, &m->params, m->params.data, "", "", path, err, n);
    if (s == JEPA_OK) s = check_finite(&m->params, m->params.data, "", path, err, n);
    if (s == JEPA_OK && m->has_target) {
        s = load_into(&st, &m->target, m->target.data, "target.", "", path, err, n);
        if (s == JEPA_OK) s = check_finite(&m->target, m->target.data, "target ", path, err, n);
    }
    if (s == JEPA_OK && state) {
        long long step = 0;
        memset(state, 0, sizeof *state);
        state->best_val = INFINITY;
        if (meta_int(&st, "step", path, &step, err, n) == JEPA_OK) state->step = step;
        const char *best = jepa_st_metadata(&st, "best_val");
        if (best) state->best_val = strtod(best, NULL);
        state->data_seed = (uint64_t)cfg.seed;
    }
    jepa_st_close(&st);
    if (s != JEPA_OK) jepa_model_free(m);
    return s;
}

jepa_status jepa_model_load_optimizer(const jepa_model *m, jepa_adamw *opt, const char *path,
                                      char *err, size_t n) {
    jepa_safetensors st;
    jepa_status s = jepa_st_open(&st, path, err, n);
    if (s != JEPA_OK) return s;
    long long step = 0;
    s = meta_int(&st, "optim_step", path, &step, err, n);
    if (s == JEPA_OK) s = load_into(&st, &m->params, opt->m, "optim.", ".m", path, err, n);
    if (s == JEPA_OK) s = load_into(&st, &m->params, opt->v, "optim.", ".v", path, err, n);
    if (s == JEPA_OK) s = check_finite(&m->params, opt->m, "optimizer moment m of ", path, err, n);
    if (s == JEPA_OK) s = check_finite(&m->params, opt->v, "optimizer moment v of ", path, err, n);
    if (s == JEPA_OK) opt->step = step;
    jepa_st_close(&st);
    return s;
}

// the position rows of the lewm predictor: a longer or shorter training window (horizon) keeps
// the checkpoint's first rows
static int same_but_positions(const jepa_param *a, const jepa_tensor *b) {
    const jepa_tensor *t = &a->tensor;
    return strcmp(a->name, "predictor.pos_embed") == 0 && t->ndim == 3 && b->ndim == 3 &&
           t->shape[0] == b->shape[0] && t->shape[2] == b->shape[2];
}

jepa_status jepa_model_init_from(jepa_model *m, const char *path, char *err, size_t n) {
    jepa_model src;
    jepa_status s = jepa_model_load(&src, path, NULL, err, n);
    if (s != JEPA_OK) return s;
    if (src.recipe != m->recipe || src.action_dim != m->action_dim ||
        (m->cfg.use_proprio && src.proprio_dim != m->proprio_dim) ||
        (m->cfg.w_state > 0 && src.cfg.w_state > 0 &&
         (src.state_dim != m->state_dim || src.state_angles != m->state_angles)))
        s = jepa_fail(err, n, JEPA_ERR_SHAPE,
                      "%s: a %s model of actions %d (proprio %d); the config makes a %s model of %d (%d) "
                      "(or their states differ)",
                      path, src.cfg.recipe, src.action_dim, src.proprio_dim, m->cfg.recipe,
                      m->action_dim, m->proprio_dim);
    // a redrawn predictor keeps its draw, whatever the checkpoint's predictor is
    int redraw = m->cfg.redraw_predictor;
    for (int i = 0; s == JEPA_OK && i < src.params.count; i++)
        if (!(redraw && jepa_wm_is_predictor(src.params.items[i].name)) &&
            jepa_params_find(&m->params, src.params.items[i].name) < 0)
            s = jepa_fail(err, n, JEPA_ERR_SHAPE, "%s: tensor '%s' is not in the config's model (another size?)",
                          path, src.params.items[i].name);
    for (int i = 0; s == JEPA_OK && i < m->params.count; i++) {
        const jepa_param *to = &m->params.items[i];
        if (redraw && jepa_wm_is_predictor(to->name)) continue;
        int j = jepa_params_find(&src.params, to->name);
        if (j < 0) {
            s = jepa_fail(err, n, JEPA_ERR_SHAPE, "%s: tensor '%s' is missing (another size?)", path, to->name);
            break;
        }
        const jepa_tensor *from = &src.params.items[j].tensor;
        float *dst = m->params.data + to->offset;
        if (jepa_same_shape(&to->tensor, from)) {
            memcpy(dst, from->data, sizeof(float) * (size_t)jepa_numel(from));
        } else if (same_but_positions(to, from)) {
            // (1, T, D): the first min(T, T') rows
            int64_t rows = to->tensor.shape[1] < from->shape[1] ? to->tensor.shape[1] : from->shape[1];
            memcpy(dst, from->data, sizeof(float) * (size_t)(rows * from->shape[2]));
        } else {
            char have[64], want[64];
            s = jepa_fail(err, n, JEPA_ERR_SHAPE, "%s: tensor '%s' is %s, the config's model's %s (another size?)",
                          path, to->name, jepa_shape_str(from, have, sizeof have),
                          jepa_shape_str(&to->tensor, want, sizeof want));
        }
    }
    // an EMA target starts from the weights it follows
    if (s == JEPA_OK && m->has_target)
        memcpy(m->target.data, m->params.data, sizeof(float) * (size_t)m->params.total);
    jepa_model_free(&src);
    return s;
}
