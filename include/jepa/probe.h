// Linear probes: how much of the true state a latent holds, by closed-form ridge regression
// from latents to each state variable, scored on held-out data.
#ifndef JEPA_PROBE_H
#define JEPA_PROBE_H

#include <stdint.h>

#include "jepa/dataset.h"
#include "jepa/progress.h"
#include "jepa/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct jepa_model;

#define JEPA_PROBE_MAX_STATE 64 // state variables a probe scores

// Fit W, b minimising |X W + b - Y|^2 + lambda |W|^2 on (Xtr (Ntr, D), Ytr (Ntr, S)) and write
// the R^2 of each of the S variables on (Xte, Yte) into r2 (S). Solved in double by Cholesky.
// A variable constant on the test set gets R^2 = NaN.
jepa_status jepa_ridge_r2(const float *Xtr, const float *Ytr, int64_t Ntr, const float *Xte,
                          const float *Yte, int64_t Nte, int D, int S, double lambda, double *r2);

// jepa_ridge_r2 where the variables whose bit is set in angles are angles: each is fitted as its
// cosine and sine (no jump at the wrap) and scored as the two pooled,
// r2 = 1 - (SSE_cos + SSE_sin) / (SST_cos + SST_sin). S is at most JEPA_PROBE_MAX_STATE.
jepa_status jepa_probe_r2(const float *Xtr, const float *Ytr, int64_t Ntr, const float *Xte,
                          const float *Yte, int64_t Nte, int D, int S, uint64_t angles,
                          double lambda, double *r2);

// Encode every frame of the listed episodes, in order, or when they hold more than max_frames,
// max_frames of them spread evenly over all (frame i is number floor(i * total / max_frames) of the
// concatenated episodes; a max_frames below 1 counts as 1), with the model's online encoder;
// latents (n, D) and the states (n, S) are malloc'd for the caller. An empty list fails with
// JEPA_ERR_INVALID, frames (or proprio) of another size than the model's with JEPA_ERR_SHAPE.
// bar: NULL, or a progress bar over the frames, begun here and ended when they are encoded.
jepa_status jepa_probe_encode(struct jepa_model *m, const jepa_dataset *ds, const int64_t *episodes,
                              int64_t n_episodes, int64_t max_frames, float **latents,
                              float **states, int64_t *n, jepa_progress *bar, char *err,
                              size_t err_size);

// The frames a probe encodes by default: at most this many of the training episodes' for the fit
// (the trainer's probe at each validation), and half as many of the held-out episodes'.
#define JEPA_PROBE_FRAMES 4000

// The whole probe: encode at most `frames` frames of the training episodes and frames / 2 of the
// held-out ones (jepa_probe_encode), fit on the first, score on the second (r2 has ds->state_dim
// entries), by jepa_probe_r2 with ds->angle_states and lambda = 1e-3 x the fit's frames. monitors
// (may be NULL) gets the collapse monitors of the held-out latents: [0] the mean per-dimension std,
// [1] the effective rank.
jepa_status jepa_probe_run(struct jepa_model *m, const jepa_dataset *ds, const int64_t *train,
                           int64_t n_train, const int64_t *test, int64_t n_test, int64_t frames,
                           double *r2, float *monitors, char *err, size_t err_size);

// The model's own state read-out (cfg.w_state > 0; jepa_model_read_state) against the true
// states on at most `frames` frames of the episodes (jepa_probe_encode): for each state value,
// the mean absolute error and the root mean square error (an angle's difference wrapped to
// [-pi, pi]), NAN for the values it does not read (state_dim entries each). A model without a
// read-out, or of another state than the data's, fails with JEPA_ERR_INVALID.
jepa_status jepa_probe_readout(struct jepa_model *m, const jepa_dataset *ds,
                               const int64_t *episodes, int64_t n_episodes, int64_t frames,
                               double *mae, double *rmse, char *err, size_t err_size);

// The probe of the predictor: how much of the state its predicted latents hold, steps ahead. The
// read-out is fitted on at most `fit_frames` of the training episodes' encodings (as
// jepa_probe_run). Over `windows` windows of the held-out episodes (spread evenly over them; fewer
// when they do not fit), the predictor starts from the first `from` encodings (1..history;
// planning's first plan has 1) and rolls out `horizon` model steps with the data's actions, as
// planning does. Row k (0..horizon-1) of r2 (horizon x state_dim) scores the read-out of the
// latents predicted k+1 steps ahead against the true states there, and mse[k] their mean squared
// error per dimension against the encodings of those frames; r2_true (state_dim) scores the
// encodings of the same frames, all steps pooled. *n_windows gets the windows used.
jepa_status jepa_probe_rollout(struct jepa_model *m, const jepa_dataset *ds, const int64_t *train,
                               int64_t n_train, const int64_t *test, int64_t n_test,
                               int64_t fit_frames, int from, int horizon, int64_t windows,
                               double *r2, double *mse, double *r2_true, int64_t *n_windows,
                               char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
