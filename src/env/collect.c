// Data collection: parallel rollouts written straight into mapped NPY files in a hidden
// temporary folder, then a manifest, then one rename (env/publish.h).
#include "jepa/collect.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/publish.h"
#include "env/env_impl.h"
#include "jepa/progress.h"
#include "jepa/threads.h"
#include "jepa/timer.h"

static const char *const POLICY_NAMES[] = {"random", "expert", "mixed"};

uint64_t jepa_collect_episode_seed(uint64_t seed, int64_t index) {
    // splitmix64's finalizer over seed and index
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + (uint64_t)index + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static jepa_status check_config(const jepa_collect_config *c, char *err, size_t err_size) {
    if (c->episodes < 1 || c->episodes > JEPA_COLLECT_MAX_EPISODES)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "episodes = %d is outside 1..%d",
                         c->episodes, JEPA_COLLECT_MAX_EPISODES);
    if (c->steps < 1 || c->steps > JEPA_COLLECT_MAX_STEPS)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "steps = %d is outside 1..%d", c->steps,
                         JEPA_COLLECT_MAX_STEPS);
    if (c->size < JEPA_COLLECT_MIN_SIZE || c->size > JEPA_COLLECT_MAX_SIZE)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "size = %d is outside %d..%d", c->size,
                         JEPA_COLLECT_MIN_SIZE, JEPA_COLLECT_MAX_SIZE);
    if (c->seed > JEPA_COLLECT_MAX_SEED)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "seed = %llu is above 2^53 - 1",
                         (unsigned long long)c->seed);
    if ((int)c->policy < 0 || (int)c->policy > JEPA_POLICY_MIXED)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "unknown policy %d", (int)c->policy);
    const jepa_collect_agent *ag = c->agent;
    if (ag && (!ag->name || !ag->create || !ag->begin || !ag->act || !ag->destroy))
        return jepa_fail(err, err_size, JEPA_ERR_INVALID,
                         "the caller's policy lacks its name or a callback");
    return JEPA_OK;
}

// the manifest of a collection (NULL when out of memory)
static cJSON *manifest(const jepa_publish *p, const jepa_collect_config *c,
                       const jepa_env_model *m, double crossed_door, int64_t reached) {
    cJSON *root =
        jepa_publish_manifest(p, m, c->agent ? c->agent->name : POLICY_NAMES[c->policy]);
    cJSON_AddNumberToObject(root, "seed", (double)c->seed);
    if (crossed_door >= 0) cJSON_AddNumberToObject(root, "crossed_door_fraction", crossed_door);
    if (reached >= 0) cJSON_AddNumberToObject(root, "goals_reached", (double)reached);
    return root;
}

// one episode into slot e of the mapped arrays; agent: the caller's policy instance (or NULL),
// whose finish sets *reached
static jepa_status run_episode(const jepa_collect_config *c, const jepa_env_model *m,
                               jepa_env_data *d, void *agent, jepa_npy *arrays, int64_t e,
                               int *reached, char *err, size_t err_size) {
    int T = c->steps, A = jepa_env_action_dim(m), S = jepa_env_state_dim(m);
    int P = jepa_env_proprio_dim(m);
    size_t frame_bytes = (size_t)c->size * (size_t)c->size * 3;
    uint8_t *frames =
        (uint8_t *)arrays[JEPA_ARR_FRAMES].data + (size_t)e * (size_t)(T + 1) * frame_bytes;
    float *actions = (float *)arrays[JEPA_ARR_ACTIONS].data + (size_t)e * (size_t)T * (size_t)A;
    float *states = (float *)arrays[JEPA_ARR_STATES].data + (size_t)e * (size_t)(T + 1) * (size_t)S;
    float *proprio =
        P ? (float *)arrays[JEPA_ARR_PROPRIO].data + (size_t)e * (size_t)(T + 1) * (size_t)P : NULL;
    float lo[JEPA_ENV_MAX_DIM], hi[JEPA_ENV_MAX_DIM];
    jepa_env_action_bounds(m, lo, hi);
    // stream 2 of the episode's seed drives the policy (0 and 1 belong to the environment)
    uint64_t seed = jepa_collect_episode_seed(c->seed, e);
    jepa_rng rng;
    jepa_rng_init(&rng, seed, 2);
    jepa_env_reset(m, d, seed);
    jepa_status st = agent ? c->agent->begin(agent, e, d, err, err_size) : JEPA_OK;
    if (st != JEPA_OK) return st;
    for (int t = 0;; t++) {
        jepa_env_render(m, d, frames + (size_t)t * frame_bytes, c->size, c->size, NULL);
        jepa_env_get_state(m, d, states + (size_t)t * (size_t)S);
        if (P) jepa_env_proprio(m, d, proprio + (size_t)t * (size_t)P);
        if (t == T) {
            if (agent && c->agent->finish) *reached = c->agent->finish(agent, d);
            return JEPA_OK;
        }
        // the action as the environment applies it: clipped to the bounds
        float *a = actions + (size_t)t * (size_t)A;
        if (agent)
            c->agent->act(agent, d, a);
        else
            jepa_env_policy_act(m, d, c->policy, &rng, a);
        for (int k = 0; k < A; k++) a[k] = a[k] < lo[k] ? lo[k] : (a[k] > hi[k] ? hi[k] : a[k]);
        if (jepa_env_step(m, d, a) != JEPA_OK)
            return jepa_fail(err, err_size, JEPA_ERR_NUMERIC,
                             "%s: the policy produced a non-finite action (episode %lld, step %d)",
                             jepa_env_name(m), (long long)e, t);
    }
}

// roll every episode on nt threads, one env data (and agent instance) per thread
static jepa_status run_episodes(const jepa_collect_config *c, const jepa_env_model *m,
                                jepa_npy *arrays, int64_t *reached, char *err,
                                size_t err_size) {
    int nt = c->agent && c->agent->serial ? 1 : jepa_threads_get();
    if (nt > c->episodes) nt = c->episodes;
    jepa_env_data **datas = calloc((size_t)nt, sizeof *datas);
    void **agents = calloc((size_t)nt, sizeof *agents);
    jepa_status st = datas && agents ? JEPA_OK : JEPA_ERR_NOMEM;
    for (int i = 0; st == JEPA_OK && i < nt; i++)
        st = (datas[i] = jepa_env_data_create(m)) ? JEPA_OK : JEPA_ERR_NOMEM;
    if (st != JEPA_OK) jepa_fail(err, err_size, st, "%s: out of memory", jepa_env_name(m));
    for (int i = 0; st == JEPA_OK && c->agent && i < nt; i++)
        st = c->agent->create(c->agent->user, m, &agents[i], err, err_size);
    // the failure of the lowest episode, whatever the thread count
    int64_t failed = c->episodes;
    char *fail_err = st == JEPA_OK ? calloc((size_t)nt, 512) : NULL;
    if (st == JEPA_OK && !fail_err) st = jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory");
    jepa_status fail_st = JEPA_OK;
    jepa_progress bar;
    int64_t done = 0;
    if (st == JEPA_OK) {
        jepa_progress_begin(&bar, "collect", c->episodes);
#pragma omp parallel for schedule(dynamic) num_threads(nt)
        for (int64_t e = 0; e < c->episodes; e++) {
            int tid = jepa_thread_index();
            int64_t first;
#pragma omp atomic read
            first = failed;
            if ((c->stop && *c->stop) || e > first) continue;
            char *msg = fail_err + (size_t)tid * 512;
            int won = 0;
            jepa_status est =
                run_episode(c, m, datas[tid], agents[tid], arrays, e, &won, msg, 512);
            if (won) {
#pragma omp atomic
                (*reached)++;
            }
            if (est != JEPA_OK) {
#pragma omp critical(jepa_collect_failure)
                if (e < failed) {
#pragma omp atomic write
                    failed = e;
                    fail_st = est;
                    jepa_fail(err, err_size, est, "%s", msg);
                }
            }
            int64_t now;
#pragma omp atomic capture
            now = ++done;
            if (tid == 0 && c->progress) jepa_progress_update(&bar, now, NULL);
        }
        if (c->progress) jepa_progress_end(&bar, NULL);
    }
    for (int i = 0; i < nt; i++) {
        if (datas) jepa_env_data_free(datas[i]);
        if (agents && agents[i]) c->agent->destroy(agents[i]);
    }
    free(datas), free(agents), free(fail_err);
    if (st != JEPA_OK) return st;
    if (c->stop && *c->stop)
        return jepa_fail(err, err_size, JEPA_ERR_INTERRUPTED, "interrupted; nothing was written");
    return fail_st;
}

jepa_status jepa_collect(const jepa_collect_config *c, const char *dir, jepa_collect_result *result,
                         char *err, size_t err_size) {
    double start = jepa_time_now();
    jepa_status st = check_config(c, err, err_size);
    if (st != JEPA_OK) return st;
    jepa_env_model *m = jepa_env_create(c->env, c->options_json, err, err_size);
    if (!m) return JEPA_ERR_INVALID;
    jepa_publish pub;
    if ((st = jepa_publish_begin(&pub, dir, c->force, err, err_size)) != JEPA_OK) {
        jepa_env_free(m);
        return st;
    }
    // the arrays, mapped
    int64_t N = c->episodes, T = c->steps;
    st = jepa_publish_arrays(&pub, N, T, c->size, c->size, jepa_env_action_dim(m),
                             jepa_env_state_dim(m), jepa_env_proprio_dim(m), err, err_size);
    int64_t reached = 0;
    if (st == JEPA_OK) st = run_episodes(c, m, pub.arrays, &reached, err, err_size);
    if (!c->agent || !c->agent->finish) reached = -1;
    // the door-crossing statistic of tworoom
    double crossed = -1.0;
    if (st == JEPA_OK && strcmp(jepa_env_name(m), "tworoom") == 0) {
        int64_t count = 0;
        int S = jepa_env_state_dim(m);
        for (int64_t e = 0; e < N; e++)
            count += jepa_tworoom_crossed((const float *)pub.arrays[JEPA_ARR_STATES].data +
                                              (size_t)(e * (T + 1) * S),
                                          (int)T + 1, S);
        crossed = (double)count / (double)N;
    }
    st = jepa_publish_end(&pub, st, st == JEPA_OK ? manifest(&pub, c, m, crossed, reached) : NULL,
                          err, err_size);
    if (st == JEPA_OK && result) {
        result->frames = N * (T + 1);
        result->seconds = jepa_time_now() - start;
        result->crossed_door = crossed;
        result->reached = reached;
    }
    jepa_env_free(m);
    return st;
}
