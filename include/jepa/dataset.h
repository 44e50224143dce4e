// Trajectory datasets made by `jepa collect` (docs/datasets.md): memory-mapped NPY arrays and
// their manifest, windows of frames with frameskip and history, batches, and a loader that
// prepares the next batch on its own thread.
#ifndef JEPA_DATASET_H
#define JEPA_DATASET_H

#include <stdint.h>

#include "jepa/npy.h"
#include "jepa/rng.h"
#include "jepa/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define JEPA_DATASET_MAX_NAMED 64 // state variables a manifest may name
#define JEPA_DATASET_NAME_SIZE 32

typedef struct jepa_dataset {
    jepa_npy frames;  // uint8 (N, T+1, H, W, 3)
    jepa_npy actions; // float32 (N, T, A)
    jepa_npy states;  // float32 (N, T+1, S)
    jepa_npy proprio; // float32 (N, T+1, P)
    int64_t episodes, steps, height, width, action_dim, state_dim, proprio_dim;
    char env[64];
    char *options_json; // the environment's resolved options (owned)
    // the state variables' names and which are angles (bit i: state i wraps at 2 pi), when the
    // manifest gives them (n_named is 0 otherwise)
    int n_named;
    char state_names[JEPA_DATASET_MAX_NAMED][JEPA_DATASET_NAME_SIZE];
    uint64_t angle_states;
    // how it was made, when the manifest says: the policy ("" when not) and the collection's
    // seed (-1 when not; a merged dataset has none)
    char policy[JEPA_DATASET_NAME_SIZE];
    double seed;
} jepa_dataset;

// Open a dataset folder: read manifest.json and map the four arrays, checking that their shapes
// agree with each other and with the manifest. Nothing is read into memory. err names the file
// and the problem.
jepa_status jepa_dataset_open(jepa_dataset *ds, const char *dir, char *err, size_t err_size);
void jepa_dataset_close(jepa_dataset *ds);

// Read the manifest fields of ds (env, options_json, episodes, steps, width, height and, when
// present, state_names, angle_states, policy and seed) from the
// text of a manifest.json; `what` (a file name) starts the message in err. On success
// ds->options_json is owned by ds (jepa_dataset_close frees it). Never crashes on bad input.
jepa_status jepa_dataset_parse_manifest(jepa_dataset *ds, const char *text, const char *what,
                                        char *err, size_t err_size);

// A window: `frames` frames, frameskip env steps apart; the actions between two consecutive
// frames are concatenated (frameskip * A values).
typedef struct jepa_window {
    int frames;    // >= 1
    int frameskip; // >= 1
    int no_pixels; // 1: batches carry no frames (a frozen encoder's latents stand for them)
} jepa_window;

// Env steps a window spans: (frames - 1) * frameskip.
int64_t jepa_window_span(const jepa_window *w);

// A batch of B windows, in the layouts the models take.
typedef struct jepa_batch {
    int64_t B, T, H, W, A, S, P; // T = window frames, A = frameskip * action_dim
    float *frames;               // (B, T, 3, H, W), values in [0, 1]; NULL for no_pixels
    float *actions;              // (B, T-1, A)
    float *states;               // (B, T, S)
    float *proprio;              // (B, T, P)
    int64_t *episode, *start;    // (B): where each window came from
    // (B, T, D): the frames' latents, looked up by the trainer in a frozen encoder's cache (the
    // dataset never sets them; NULL: the model encodes the frames)
    const float *latents;
} jepa_batch;

jepa_status jepa_batch_alloc(jepa_batch *b, const jepa_dataset *ds, const jepa_window *w,
                             int64_t B);
void jepa_batch_free(jepa_batch *b);

// Fill window i of b from episode ep starting at env step start.
void jepa_dataset_window(const jepa_dataset *ds, const jepa_window *w, int64_t ep, int64_t start,
                         jepa_batch *b, int64_t i);

// Split the episodes by a seeded shuffle: the first n_val go to validation. Both lists are
// malloc'd (caller frees). n_val = round(fraction * N), at least 1 when fraction > 0 and N > 1.
jepa_status jepa_dataset_split(const jepa_dataset *ds, double val_fraction, uint64_t seed,
                               int64_t **train, int64_t *n_train, int64_t **val, int64_t *n_val);

// Fill b with random windows from the given episodes, drawn from stream `index` of seed: batch
// number `index` is the same whoever draws it and whenever (resume, threads).
void jepa_dataset_sample(const jepa_dataset *ds, const jepa_window *w, const int64_t *episodes,
                         int64_t n_episodes, uint64_t seed, uint64_t index, jepa_batch *b);

// Fill b with rows [first_row, first_row + b->B) of the batch jepa_dataset_sample draws for
// (seed, index) at a larger size: N processes of batch B that take first_row = rank * B
// together hold the batch of N * B one process would draw (data-parallel training).
void jepa_dataset_sample_rows(const jepa_dataset *ds, const jepa_window *w, const int64_t *episodes,
                              int64_t n_episodes, uint64_t seed, uint64_t index, int64_t first_row,
                              jepa_batch *b);

// A loader: a thread that samples batch index+1 while the caller trains on batch index.
typedef struct jepa_loader jepa_loader;

// Start at batch `first` (0 for a new run; the step count when resuming). Its batches are rows
// [first_row, first_row + B) of jepa_dataset_sample_rows's (0: whole batches of B). The episode
// list is copied. NULL on failure with err set.
jepa_loader *jepa_loader_create(const jepa_dataset *ds, const jepa_window *w, int64_t B,
                                int64_t first_row, const int64_t *episodes, int64_t n_episodes,
                                uint64_t seed, uint64_t first, char *err, size_t err_size);
// The next batch (blocks until it is ready). It stays valid until the next call.
const jepa_batch *jepa_loader_next(jepa_loader *l);
void jepa_loader_free(jepa_loader *l);

#ifdef __cplusplus
}
#endif
#endif
