// jepa merge: the episodes of several datasets of one environment, as one dataset.
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/publish.h"
#include "jepa/collect.h"
#include "jepa/dataset.h"

// whether b can follow a in one dataset; else a message naming b and the difference
static jepa_status same_kind(const jepa_dataset *a, const char *da, const jepa_dataset *b,
                             const char *db, char *err, size_t err_size) {
    const char *what = strcmp(a->env, b->env)                       ? "environment"
                       : strcmp(a->options_json, b->options_json)   ? "environment options"
                       : a->steps != b->steps                       ? "steps per episode"
                       : a->height != b->height || a->width != b->width ? "frame size"
                       : a->action_dim != b->action_dim             ? "action size"
                       : a->state_dim != b->state_dim               ? "state size"
                       : a->proprio_dim != b->proprio_dim           ? "proprio size"
                                                                    : NULL;
    if (!what) return JEPA_OK;
    return jepa_fail(err, err_size, JEPA_ERR_SHAPE, "%s and %s differ in their %s", db, da, what);
}

// the policy a part's manifest names ("?" when it names none)
static const char *policy_of(const jepa_dataset *ds) { return ds->policy[0] ? ds->policy : "?"; }

jepa_status jepa_dataset_merge(const char *const *dirs, int n, const char *out, int force,
                               char *err, size_t err_size) {
    if (n < 1 || n > JEPA_DATASET_MAX_MERGE)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "merge: %d datasets (1..%d)", n,
                         JEPA_DATASET_MAX_MERGE);
    jepa_dataset *ds = calloc((size_t)n, sizeof *ds);
    if (!ds) return jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory");
    jepa_status st = JEPA_OK;
    int opened = 0;
    int64_t episodes = 0;
    for (; opened < n && st == JEPA_OK; opened++) {
        st = jepa_dataset_open(&ds[opened], dirs[opened], err, err_size);
        if (st != JEPA_OK) break;
        if (opened > 0) st = same_kind(&ds[0], dirs[0], &ds[opened], dirs[opened], err, err_size);
        episodes += ds[opened].episodes;
    }
    jepa_env_model *env = NULL;
    if (st == JEPA_OK && !(env = jepa_env_create(ds[0].env, ds[0].options_json, err, err_size)))
        st = JEPA_ERR_INVALID;
    jepa_publish pub;
    int begun = st == JEPA_OK;
    if (begun && (st = jepa_publish_begin(&pub, out, force, err, err_size)) != JEPA_OK) begun = 0;
    if (st == JEPA_OK)
        st = jepa_publish_arrays(&pub, episodes, ds[0].steps, ds[0].height, ds[0].width,
                                 ds[0].action_dim, ds[0].state_dim, ds[0].proprio_dim, err,
                                 err_size);
    // the bytes, part after part
    cJSON *root = NULL;
    if (st == JEPA_OK) {
        const jepa_npy *src[JEPA_ARR_COUNT];
        size_t at[JEPA_ARR_COUNT] = {0};
        for (int k = 0; k < n; k++) {
            src[JEPA_ARR_FRAMES] = &ds[k].frames, src[JEPA_ARR_ACTIONS] = &ds[k].actions;
            src[JEPA_ARR_STATES] = &ds[k].states, src[JEPA_ARR_PROPRIO] = &ds[k].proprio;
            for (int i = 0; i < JEPA_ARR_COUNT; i++) {
                if (src[i]->nbytes) memcpy((char *)pub.arrays[i].data + at[i], src[i]->data,
                                           src[i]->nbytes);
                at[i] += src[i]->nbytes;
            }
        }
        // the manifest: the parts' policies joined (each once), each part listed
        char policy[1024] = "";
        cJSON *parts = cJSON_CreateArray();
        for (int k = 0; k < n; k++) {
            const char *name = policy_of(&ds[k]);
            int seen = 0;
            for (int j = 0; j < k && !seen; j++) seen = !strcmp(policy_of(&ds[j]), name);
            size_t len = strlen(policy);
            if (!seen)
                snprintf(policy + len, sizeof policy - len, "%s%s", len ? "+" : "", name);
            cJSON *one = cJSON_CreateObject();
            cJSON_AddStringToObject(one, "dir", dirs[k]);
            cJSON_AddNumberToObject(one, "episodes", (double)ds[k].episodes);
            cJSON_AddStringToObject(one, "policy", name);
            if (ds[k].seed >= 0) cJSON_AddNumberToObject(one, "seed", ds[k].seed);
            cJSON_AddItemToArray(parts, one);
        }
        root = jepa_publish_manifest(&pub, env, policy);
        cJSON_AddItemToObject(root, "merged_from", parts);
    }
    if (begun) st = jepa_publish_end(&pub, st, root, err, err_size);
    jepa_env_free(env);
    for (int k = 0; k < opened && k < n; k++) jepa_dataset_close(&ds[k]);
    free(ds);
    return st;
}
