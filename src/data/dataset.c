// Datasets: the manifest, the mapped arrays, windows and batches.
#include "jepa/dataset.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_text(const char *path, char *err, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        jepa_fail(err, n, JEPA_ERR_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size >= 0 && size < (1 << 24) && fseek(f, 0, SEEK_SET) == 0) {
            text = malloc((size_t)size + 1);
            if (text && fread(text, 1, (size_t)size, f) == (size_t)size) text[size] = '\0';
            else {
                free(text);
                text = NULL;
            }
        }
    }
    fclose(f);
    if (!text) jepa_fail(err, n, JEPA_ERR_IO, "%s: cannot read (or larger than 16 MB)", path);
    return text;
}

// a non-negative integer field of the manifest
static int manifest_int(const cJSON *m, const char *key, int64_t *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e12 ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return 0;
    *out = (int64_t)v->valuedouble;
    return 1;
}

// the optional names of the state variables and the list of those that are angles
static jepa_status manifest_state_names(jepa_dataset *ds, const cJSON *m, const char *what,
                                        char *err, size_t n) {
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(m, "state_names");
    const cJSON *angles = cJSON_GetObjectItemCaseSensitive(m, "angle_states");
    if (names) {
        int k = cJSON_IsArray(names) ? cJSON_GetArraySize(names) : -1;
        if (k < 0 || k > JEPA_DATASET_MAX_NAMED)
            return jepa_fail(err, n, JEPA_ERR_FORMAT,
                             "%s: 'state_names' must be a list of at most %d names", what,
                             JEPA_DATASET_MAX_NAMED);
        const cJSON *v;
        cJSON_ArrayForEach(v, names) {
            if (!cJSON_IsString(v) || !v->valuestring[0] ||
                strlen(v->valuestring) >= JEPA_DATASET_NAME_SIZE)
                return jepa_fail(
                    err, n, JEPA_ERR_FORMAT,
                    "%s: 'state_names' holds something that is not a name of 1 to %d characters",
                    what, JEPA_DATASET_NAME_SIZE - 1);
            snprintf(ds->state_names[ds->n_named++], JEPA_DATASET_NAME_SIZE, "%s", v->valuestring);
        }
    }
    if (angles) {
        const cJSON *v;
        if (!cJSON_IsArray(angles))
            return jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: 'angle_states' must be a list", what);
        cJSON_ArrayForEach(v, angles) {
            if (!cJSON_IsNumber(v) ||
                !(v->valuedouble >= 0 && v->valuedouble < JEPA_DATASET_MAX_NAMED) ||
                v->valuedouble != (double)(int)v->valuedouble)
                return jepa_fail(err, n, JEPA_ERR_FORMAT,
                                 "%s: 'angle_states' must list state indices below %d", what,
                                 JEPA_DATASET_MAX_NAMED);
            ds->angle_states |= 1ull << (int)v->valuedouble;
        }
    }
    return JEPA_OK;
}

jepa_status jepa_dataset_parse_manifest(jepa_dataset *ds, const char *text, const char *what,
                                        char *err, size_t n) {
    cJSON *m = cJSON_Parse(text);
    jepa_status st = JEPA_OK;
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(m, "env");
    const cJSON *options = cJSON_GetObjectItemCaseSensitive(m, "options");
    if (!cJSON_IsObject(m)) st = jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: not a JSON object", what);
    else if (!cJSON_IsString(env) || strlen(env->valuestring) >= sizeof ds->env)
        st = jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: 'env' is missing or not a name", what);
    else if (!cJSON_IsObject(options))
        st = jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: 'options' is missing", what);
    else if (!manifest_int(m, "episodes", &ds->episodes) || !manifest_int(m, "steps", &ds->steps) ||
             !manifest_int(m, "width", &ds->width) || !manifest_int(m, "height", &ds->height))
        st = jepa_fail(err, n, JEPA_ERR_FORMAT,
                       "%s: 'episodes', 'steps', 'width' and 'height' must be whole numbers", what);
    if (st == JEPA_OK) st = manifest_state_names(ds, m, what, err, n);
    if (st == JEPA_OK) {
        const cJSON *policy = cJSON_GetObjectItemCaseSensitive(m, "policy");
        const cJSON *seed = cJSON_GetObjectItemCaseSensitive(m, "seed");
        snprintf(ds->policy, sizeof ds->policy, "%s",
                 cJSON_IsString(policy) ? policy->valuestring : "");
        ds->seed = cJSON_IsNumber(seed) && seed->valuedouble >= 0 ? seed->valuedouble : -1;
        snprintf(ds->env, sizeof ds->env, "%s", env->valuestring);
        ds->options_json = cJSON_PrintUnformatted(options);
        if (!ds->options_json) st = jepa_fail(err, n, JEPA_ERR_NOMEM, "%s: out of memory", what);
    }
    cJSON_Delete(m);
    return st;
}

static jepa_status read_manifest(jepa_dataset *ds, const char *dir, char *err, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char *text = read_text(path, err, n);
    if (!text) return JEPA_ERR_IO;
    jepa_status st = jepa_dataset_parse_manifest(ds, text, path, err, n);
    free(text);
    return st;
}

// map dir/name.npy and check its dtype and shape; -1 in want matches any size
static jepa_status map_array(jepa_npy *a, const char *dir, const char *name, jepa_npy_dtype dtype,
                             int ndim, const int64_t *want, char *err, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    jepa_status st = jepa_npy_map(a, path, err, n);
    if (st != JEPA_OK) return st;
    int ok = a->dtype == dtype && a->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++) ok = want[i] < 0 || a->shape[i] == want[i];
    if (ok) return JEPA_OK;
    char got[128] = "", exp[128] = "";
    for (int i = 0; i < a->ndim; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? ", " : "", (long long)a->shape[i]);
    for (int i = 0; i < ndim; i++) {
        if (want[i] < 0) snprintf(exp + strlen(exp), sizeof exp - strlen(exp), "%s*", i ? ", " : "");
        else snprintf(exp + strlen(exp), sizeof exp - strlen(exp), "%s%lld", i ? ", " : "", (long long)want[i]);
    }
    // the dtype read before the close zeroes *a
    jepa_npy_dtype have = a->dtype;
    jepa_npy_close(a);
    return jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: %s [%s], the manifest needs %s [%s]", path,
                     have == JEPA_NPY_U8 ? "uint8" : "float32", got,
                     dtype == JEPA_NPY_U8 ? "uint8" : "float32", exp);
}

jepa_status jepa_dataset_open(jepa_dataset *ds, const char *dir, char *err, size_t n) {
    memset(ds, 0, sizeof *ds);
    jepa_status st = read_manifest(ds, dir, err, n);
    int64_t N = ds->episodes, T = ds->steps;
    if (st == JEPA_OK && (N < 1 || T < 1))
        st = jepa_fail(err, n, JEPA_ERR_FORMAT, "%s/manifest.json: no episodes or steps", dir);
    if (st == JEPA_OK)
        st = map_array(&ds->frames, dir, "frames", JEPA_NPY_U8, 5,
                       (int64_t[]){N, T + 1, ds->height, ds->width, 3}, err, n);
    if (st == JEPA_OK)
        st = map_array(&ds->actions, dir, "actions", JEPA_NPY_F32, 3, (int64_t[]){N, T, -1}, err, n);
    if (st == JEPA_OK)
        st = map_array(&ds->states, dir, "states", JEPA_NPY_F32, 3, (int64_t[]){N, T + 1, -1}, err, n);
    if (st == JEPA_OK)
        st = map_array(&ds->proprio, dir, "proprio", JEPA_NPY_F32, 3, (int64_t[]){N, T + 1, -1}, err, n);
    if (st != JEPA_OK) {
        jepa_dataset_close(ds);
        return st;
    }
    ds->action_dim = ds->actions.shape[2];
    ds->state_dim = ds->states.shape[2];
    ds->proprio_dim = ds->proprio.shape[2];
    if ((ds->n_named && ds->n_named != ds->state_dim) ||
        (ds->state_dim < 64 && (ds->angle_states >> ds->state_dim))) {
        jepa_fail(
            err, n, JEPA_ERR_FORMAT,
            "%s/manifest.json: 'state_names' or 'angle_states' do not fit the %lld state values "
            "of states.npy",
            dir, (long long)ds->state_dim);
        jepa_dataset_close(ds);
        return JEPA_ERR_FORMAT;
    }
    return JEPA_OK;
}

void jepa_dataset_close(jepa_dataset *ds) {
    jepa_npy_close(&ds->frames);
    jepa_npy_close(&ds->actions);
    jepa_npy_close(&ds->states);
    jepa_npy_close(&ds->proprio);
    cJSON_free(ds->options_json);
    memset(ds, 0, sizeof *ds);
}

int64_t jepa_window_span(const jepa_window *w) { return (int64_t)(w->frames - 1) * w->frameskip; }

jepa_status jepa_batch_alloc(jepa_batch *b, const jepa_dataset *ds, const jepa_window *w,
                             int64_t B) {
    JEPA_CHECK(w->frames >= 1 && w->frameskip >= 1 && B >= 1);
    memset(b, 0, sizeof *b);
    b->B = B;
    b->T = w->frames;
    b->H = ds->height;
    b->W = ds->width;
    b->A = w->frameskip * ds->action_dim;
    b->S = ds->state_dim;
    b->P = ds->proprio_dim;
    b->frames = w->no_pixels ? NULL : malloc(sizeof(float) * (size_t)(B * b->T * 3 * b->H * b->W));
    b->actions = malloc(sizeof(float) * (size_t)(B * (b->T - 1) * b->A + 1));
    b->states = malloc(sizeof(float) * (size_t)(B * b->T * b->S + 1));
    b->proprio = malloc(sizeof(float) * (size_t)(B * b->T * b->P + 1));
    b->episode = malloc(sizeof(int64_t) * (size_t)B);
    b->start = malloc(sizeof(int64_t) * (size_t)B);
    if ((!b->frames && !w->no_pixels) || !b->actions || !b->states || !b->proprio || !b->episode || !b->start) {
        jepa_batch_free(b);
        return JEPA_ERR_NOMEM;
    }
    return JEPA_OK;
}

void jepa_batch_free(jepa_batch *b) {
    free(b->frames);
    free(b->actions);
    free(b->states);
    free(b->proprio);
    free(b->episode);
    free(b->start);
    memset(b, 0, sizeof *b);
}

void jepa_dataset_window(const jepa_dataset *ds, const jepa_window *w, int64_t ep, int64_t start,
                         jepa_batch *b, int64_t i) {
    JEPA_CHECK(ep >= 0 && ep < ds->episodes && start >= 0 &&
               start + jepa_window_span(w) <= ds->steps);
    int64_t T1 = ds->steps + 1, HW = b->H * b->W, A = ds->action_dim;
    const uint8_t *frames = ds->frames.data;
    const float *actions = ds->actions.data, *states = ds->states.data, *proprio = ds->proprio.data;
    b->episode[i] = ep;
    b->start[i] = start;
    for (int64_t k = 0; k < b->T; k++) {
        int64_t t = start + k * w->frameskip;
        // HWC bytes -> CHW floats in [0, 1]
        const uint8_t *src = frames + ((ep * T1 + t) * HW) * 3;
        float *dst = b->frames ? b->frames + (i * b->T + k) * 3 * HW : NULL;
        for (int64_t p = 0; dst && p < HW; p++)
            for (int c = 0; c < 3; c++) dst[c * HW + p] = (float)src[3 * p + c] * (1.0f / 255.0f);
        memcpy(b->states + (i * b->T + k) * b->S, states + (ep * T1 + t) * b->S,
               sizeof(float) * (size_t)b->S);
        memcpy(b->proprio + (i * b->T + k) * b->P, proprio + (ep * T1 + t) * b->P,
               sizeof(float) * (size_t)b->P);
        // the actions of the skipped steps, concatenated
        if (k + 1 < b->T)
            memcpy(b->actions + (i * (b->T - 1) + k) * b->A, actions + (ep * ds->steps + t) * A,
                   sizeof(float) * (size_t)b->A);
    }
}

jepa_status jepa_dataset_split(const jepa_dataset *ds, double val_fraction, uint64_t seed,
                               int64_t **train, int64_t *n_train, int64_t **val, int64_t *n_val) {
    int64_t N = ds->episodes, nv = (int64_t)(val_fraction * (double)N + 0.5);
    if (val_fraction > 0 && nv == 0 && N > 1) nv = 1;
    if (nv >= N) nv = N - 1;
    int64_t *order = malloc(sizeof(int64_t) * (size_t)N);
    *val = malloc(sizeof(int64_t) * (size_t)(nv > 0 ? nv : 1));
    *train = malloc(sizeof(int64_t) * (size_t)(N - nv));
    if (!order || !*val || !*train) {
        free(order);
        free(*val);
        free(*train);
        *val = *train = NULL;
        return JEPA_ERR_NOMEM;
    }
    // Fisher-Yates from the seed's stream 0, so the split is fixed by the seed
    jepa_rng rng;
    jepa_rng_init(&rng, seed, 0);
    for (int64_t i = 0; i < N; i++) order[i] = i;
    for (int64_t i = N - 1; i > 0; i--) {
        int64_t j = (int64_t)jepa_rng_below(&rng, (uint32_t)(i + 1));
        int64_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    memcpy(*val, order, sizeof(int64_t) * (size_t)nv);
    memcpy(*train, order + nv, sizeof(int64_t) * (size_t)(N - nv));
    *n_val = nv;
    *n_train = N - nv;
    free(order);
    return JEPA_OK;
}

void jepa_dataset_sample(const jepa_dataset *ds, const jepa_window *w, const int64_t *episodes,
                         int64_t n_episodes, uint64_t seed, uint64_t index, jepa_batch *b) {
    jepa_dataset_sample_rows(ds, w, episodes, n_episodes, seed, index, 0, b);
}

void jepa_dataset_sample_rows(const jepa_dataset *ds, const jepa_window *w, const int64_t *episodes,
                              int64_t n_episodes, uint64_t seed, uint64_t index, int64_t first_row,
                              jepa_batch *b) {
    int64_t span = jepa_window_span(w);
    JEPA_CHECK_MSG(span <= ds->steps, "window longer than the episodes");
    JEPA_CHECK(first_row >= 0);
    jepa_rng rng;
    jepa_rng_init(&rng, seed, index + 1); // stream 0 is the split's
    // rows before first_row: their draws only, so row i takes the values it takes in a batch from 0
    for (int64_t i = -first_row; i < b->B; i++) {
        int64_t ep = episodes[jepa_rng_below(&rng, (uint32_t)n_episodes)];
        int64_t start = (int64_t)jepa_rng_below(&rng, (uint32_t)(ds->steps - span + 1));
        if (i >= 0) jepa_dataset_window(ds, w, ep, start, b, i);
    }
}
