// jepa merge: the episodes of several datasets of one environment, as one dataset.
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/publish.h"
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

// the policy and seed a part's manifest names ("?" and -1 when it names none)
static void part_manifest(const char *dir, char *policy, size_t policy_size, double *seed) {
    char path[JEPA_PUBLISH_PATH_CAP + 32];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    snprintf(policy, policy_size, "?");
    *seed = -1;
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (text = malloc((size_t)size + 1)) && fread(text, 1, (size_t)size, f) == (size_t)size) {
        text[size] = '\0';
        cJSON *m = cJSON_Parse(text);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "policy");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(m, "seed");
        if (cJSON_IsString(p)) snprintf(policy, policy_size, "%s", p->valuestring);
        if (cJSON_IsNumber(s)) *seed = s->valuedouble;
        cJSON_Delete(m);
    }
    free(text);
    if (f) fclose(f);
}

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
        // the manifest: the policies joined, each part listed
        char policy[1024] = "", part[256];
        cJSON *parts = cJSON_CreateArray();
        for (int k = 0; k < n; k++) {
            double seed;
            part_manifest(dirs[k], part, sizeof part, &seed);
            char *found = strstr(policy, part);
            size_t len = strlen(part);
            int listed = found && (found == policy || found[-1] == '+') &&
                         (found[len] == '\0' || found[len] == '+');
            if (!listed && strlen(policy) + len + 2 < sizeof policy)
                snprintf(policy + strlen(policy), sizeof policy - strlen(policy), "%s%s",
                         policy[0] ? "+" : "", part);
            cJSON *one = cJSON_CreateObject();
            cJSON_AddStringToObject(one, "dir", dirs[k]);
            cJSON_AddNumberToObject(one, "episodes", (double)ds[k].episodes);
            cJSON_AddStringToObject(one, "policy", part);
            if (seed >= 0) cJSON_AddNumberToObject(one, "seed", seed);
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
