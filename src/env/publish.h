// Writing a dataset folder atomically (jepa collect, jepa merge): the four arrays and the
// manifest go into a hidden sibling "<parent>/.<name>.partial-<pid>", synced, then one rename
// makes them the folder. The hidden folders of earlier writers into the same folder whose
// process is gone are removed first.
#ifndef JEPA_ENV_PUBLISH_H
#define JEPA_ENV_PUBLISH_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "jepa/env.h"
#include "jepa/npy.h"
#include "jepa/status.h"

#define JEPA_PUBLISH_PATH_CAP 4096

// the arrays of a dataset, in file order
enum { JEPA_ARR_FRAMES, JEPA_ARR_ACTIONS, JEPA_ARR_STATES, JEPA_ARR_PROPRIO, JEPA_ARR_COUNT };
extern const char *const jepa_dataset_array_names[JEPA_ARR_COUNT];

typedef struct jepa_publish {
    char dir[JEPA_PUBLISH_PATH_CAP], tmp[JEPA_PUBLISH_PATH_CAP];
    int exists;                    // dir exists (empty, or a dataset --force replaces)
    jepa_npy arrays[JEPA_ARR_COUNT]; // mapped in tmp by jepa_publish_arrays
} jepa_publish;

// Check dir (absent, empty, or with force a folder of dataset files alone), remove the stale
// hidden folders, and make the temporary one.
jepa_status jepa_publish_begin(jepa_publish *p, const char *dir, int force, char *err,
                               size_t err_size);
// Create the four arrays in the temporary folder, mapped: frames uint8 (N, T+1, H, W, 3),
// actions (N, T, A), states (N, T+1, S), proprio (N, T+1, P) float32.
jepa_status jepa_publish_arrays(jepa_publish *p, int64_t N, int64_t T, int64_t H, int64_t W,
                                int64_t A, int64_t S, int64_t P, char *err, size_t err_size);
// The manifest's "arrays" object for the mapped arrays (replacing one root has).
void jepa_publish_describe(const jepa_publish *p, cJSON *root);
// The manifest of the mapped arrays of an environment's data (docs/datasets.md), the policy
// named: everything but what one writer knows (a collection's seed).
cJSON *jepa_publish_manifest(const jepa_publish *p, const jepa_env_model *m, const char *policy);
// End: with st JEPA_OK, finish the arrays, write root (consumed; may be NULL only on a failure)
// as manifest.json and rename the folder to dir (replacing an old dataset there); on any
// failure, remove the temporary folder. Returns the final status.
jepa_status jepa_publish_end(jepa_publish *p, jepa_status st, cJSON *root, char *err,
                             size_t err_size);

#endif
