// Writing datasets from environments: collection (roll a policy in an environment and write a
// dataset folder, docs/datasets.md) and merging (the episodes of several datasets as one):
// manifest.json, frames.npy uint8 [N, T+1, H, W, 3], actions.npy float32 [N, T, A],
// states.npy float32 [N, T+1, S], proprio.npy float32 [N, T+1, P].
//
// Episodes run in parallel (jepa_threads_get() threads); episode i is seeded from (seed, i)
// alone, so the bytes are the same whatever the thread count.
#ifndef JEPA_COLLECT_H
#define JEPA_COLLECT_H

#include <signal.h>
#include <stdint.h>

#include "jepa/env.h"
#include "jepa/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define JEPA_COLLECT_MAX_EPISODES 10000000
#define JEPA_COLLECT_MAX_STEPS 100000
#define JEPA_COLLECT_MIN_SIZE 8
#define JEPA_COLLECT_MAX_SIZE 1024
#define JEPA_COLLECT_MAX_SEED 9007199254740991ull // 2^53 - 1: exact in the JSON manifest

// A policy the caller provides (jepa_collect_config.agent), for one that needs more than the
// environment: a planner with a world model (jepa_eval_collect_agent). create makes one instance
// per collecting thread. For each episode begin gets the episode's data, already reset from the
// episode's seed (it may pose another start), then act gives each step's action (clipped to the
// bounds before it is applied). An episode's actions must depend on its index alone, so the
// bytes are the same whatever the thread count.
typedef struct jepa_collect_agent {
    const char *name; // the manifest's "policy"
    void *user;
    int serial; // the instances share state (a gradient planner's model): one thread
    jepa_status (*create)(void *user, const jepa_env_model *env, void **self, char *err,
                          size_t err_size);
    jepa_status (*begin)(void *self, int64_t episode, jepa_env_data *d, char *err,
                         size_t err_size);
    void (*act)(void *self, jepa_env_data *d, float *action);
    // after the episode's last step (may be NULL): 1 when the episode reached its goal at some
    // step, 0 when not (the collection counts them)
    int (*finish)(void *self, jepa_env_data *d);
    void (*destroy)(void *self);
} jepa_collect_agent;

typedef struct jepa_collect_config {
    const char *env;          // an environment name (jepa_env_names)
    const char *options_json; // its options as a JSON object, or NULL for the defaults
    int episodes;             // N, 1..JEPA_COLLECT_MAX_EPISODES
    int steps;                // T, 1..JEPA_COLLECT_MAX_STEPS
    uint64_t seed;            // 0..JEPA_COLLECT_MAX_SEED
    jepa_env_policy policy;
    const jepa_collect_agent *agent; // a policy of the caller's instead of `policy` (may be NULL)
    int size;     // frames are size x size, JEPA_COLLECT_MIN_SIZE..JEPA_COLLECT_MAX_SIZE
    int force;    // replace dir when it holds a dataset (never a folder with other files)
    int progress; // draw a progress bar on stderr
    // polled between episodes (may be NULL): when it turns non-zero the run stops, removes its
    // temporary folder and returns JEPA_ERR_INTERRUPTED (a signal handler sets it)
    const volatile sig_atomic_t *stop;
} jepa_collect_config;

// What a collection did.
typedef struct jepa_collect_result {
    int64_t frames;      // N * (T + 1)
    double seconds;      // wall time of the rollouts and the writes
    double crossed_door; // tworoom: the fraction of episodes that changed rooms; else -1
    int64_t reached;     // the caller's policy with finish: episodes that reached their goal; else -1
} jepa_collect_result;

// The seed of episode `index` of a collection seeded with `seed` (a bijective mix of both).
uint64_t jepa_collect_episode_seed(uint64_t seed, int64_t index);

// Collect into dir. The files are written into a hidden sibling folder, then renamed to dir, so
// dir never holds half a dataset; the hidden folders of earlier collections into dir whose
// process is gone (killed) are removed first. dir must not exist, or be empty (or, with force, hold a
// dataset: its manifest.json and *.npy are replaced). Bad config values fail with
// JEPA_ERR_INVALID before anything is written, with one line in err naming the culprit.
// result may be NULL.
jepa_status jepa_collect(const jepa_collect_config *config, const char *dir,
                         jepa_collect_result *result, char *err, size_t err_size);

// Concatenate the episodes of n datasets, in order, into a new dataset folder out (a dataset
// named k times is in it k times: a weight), written as jepa collect writes (force: replace a
// dataset there). They must agree on the environment and its options, the steps, the frame size
// and the action, state and proprio sizes; err names the first that does not, and nothing is
// written. The manifest's policy joins theirs with '+'; "merged_from" lists each part (folder,
// episodes, policy, seed).
#define JEPA_DATASET_MAX_MERGE 64
jepa_status jepa_dataset_merge(const char *const *dirs, int n, const char *out, int force,
                               char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
