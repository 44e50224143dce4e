// Shared between the world model's forward (model.c) and its losses (loss.c).
#ifndef JEPA_WM_INTERNAL_H
#define JEPA_WM_INTERNAL_H

#include "jepa/wm.h"

// pldm: one predictor step h (B, D), a (B, A) -> (B, D)
jepa_tensor *jepa_wm_pldm_step(jepa_ctx *ctx, jepa_model *m, jepa_tensor *h, jepa_tensor *a);

// lewm: the predictor over tokens z (B, T, D) with actions (B, T, A): at every position the
// prediction of the next latent (B, T, D), each position seeing only itself and earlier ones;
// training: pred_proj's batch norm uses (and updates) batch statistics, else its running ones
jepa_tensor *jepa_wm_lewm_predict(jepa_ctx *ctx, jepa_model *m, jepa_tensor *z, jepa_tensor *a,
                                  int training);

// step t of a (B, T, ...) tensor as (B, ...)
jepa_tensor *jepa_wm_time_step(jepa_ctx *ctx, jepa_tensor *x, int64_t t);

// (B, ...) -> (B, 1, ...)
jepa_tensor *jepa_wm_add_time(jepa_ctx *ctx, jepa_tensor *x);

// Whether the encoder is the keypoint encoder (cfg.encoder "keypoints", either recipe).
int jepa_wm_keypoints(const jepa_model *m);

// Whether a parameter name is the predictor's ("predictor.*"): what a frozen-encoder run
// trains, what --init may redraw, and what ensemble members may differ in.
int jepa_wm_is_predictor(const char *name);

#endif
