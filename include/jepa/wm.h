// World models: an encoder that maps frames to latents and a predictor that maps latents and
// actions to the next latents, built from a config (recipes pldm and lewm), with their training
// losses, batched rollouts for planning, and checkpoints.
#ifndef JEPA_WM_H
#define JEPA_WM_H

#include <stdint.h>

#include "jepa/autograd.h"
#include "jepa/dataset.h"
#include "jepa/nn.h"
#include "jepa/optim.h"
#include "jepa/params.h"
#include "jepa/wm_config.h"

#ifdef __cplusplus
extern "C" {
#endif

#define JEPA_WM_MAX_BLOCKS 16
#define JEPA_WM_MAX_TERMS 8
#define JEPA_WM_MAX_ROLLOUT 64
#define JEPA_WM_MAX_HISTORY 16
#define JEPA_WM_MAX_PROPRIO 64
#define JEPA_WM_MAX_STATE 32

enum { JEPA_RECIPE_PLDM = 0, JEPA_RECIPE_LEWM = 1 };

typedef struct jepa_model {
    jepa_wm_config cfg;
    char env[64];        // the environment of the training data ("" when unknown)
    int recipe;          // JEPA_RECIPE_PLDM or JEPA_RECIPE_LEWM
    int action_dim;      // the environment's action size
    int step_action_dim; // frameskip * action_dim: the action of one model step
    int proprio_dim;     // used when cfg.use_proprio
    jepa_params params;  // every trainable parameter and buffer
    jepa_params target;  // the EMA copy (same layout) when cfg.target is "ema"; else unused
    int has_target;
    // pldm
    jepa_resnet cnn;                                         // encoder "impala"
    jepa_conv convs[JEPA_WM_MAX_STAGES];                     // encoder "conv"
    jepa_norm conv_norms[JEPA_WM_MAX_STAGES];
    jepa_linear enc_fc, proprio_fc;
    jepa_keypoint_encoder keypoint_enc; // encoder "keypoints" (no enc_fc nor proprio_fc)
    jepa_keypoint_decoder keypoint_dec; // its decoder, when cfg.w_recon > 0
    int proprio_shift, proprio_scale; // buffers: proprio enters as (p - shift) * scale, per value
    // the state read-out (cfg.w_state > 0): a linear map from a latent to the state's features
    // (each value, each angle as its cos and sin), normalized as (f - shift) * scale
    int state_dim;          // the data's state values
    uint64_t state_angles;  // bit i: state value i is an angle
    int state_features;     // the values read (cfg.state_mask) + their angles: the outputs
    jepa_linear state_hidden_fc; // before state_fc when cfg.state_hidden > 0
    jepa_linear state_fc;
    int state_shift, state_scale; // buffers
    jepa_gru gru;
    jepa_mlp pred_mlp, idm;
    // lewm
    jepa_patch_embed patch;
    jepa_block enc_blocks[JEPA_WM_MAX_BLOCKS], pred_blocks[JEPA_WM_MAX_BLOCKS];
    jepa_norm enc_norm, pred_norm;
    jepa_projector projector;
    jepa_linear action_embed, pred_head;
    jepa_projector pred_proj; // after pred_head when cfg.pred_proj_hidden > 0
    int pred_pos; // parameter index of the predictor's positions (1, history + horizon, D)
} jepa_model;

// Set the normalizations the training data decides: the proprio input's (cfg.use_proprio) and
// the state read-out's targets (cfg.w_state): shift the mean and scale 1 / std of each value
// over every step of the given episodes of ds (1 where a value is constant), in the model and
// its EMA target.
void jepa_model_fit_data(jepa_model *m, const jepa_dataset *ds, const int64_t *episodes, int64_t n);

// Build a model (parameters drawn from cfg->seed). action_dim, proprio_dim, state_dim and
// state_angles (bit i: state value i is an angle; the state is used when cfg.w_state > 0) come
// from the data or the environment. A config that cannot make a model (an image the patch size
// does not divide...) fails with a message naming the field.
jepa_status jepa_model_create(jepa_model *m, const jepa_wm_config *cfg, int action_dim,
                              int proprio_dim, int state_dim, uint64_t state_angles, char *err,
                              size_t err_size);

// The state read-out's features of one state (state_features values; cfg.w_state > 0): each
// value it reads (jepa_model_reads), each angle as its cos and sin, in place of the angle; not
// normalized.
void jepa_model_state_features(const jepa_model *m, const float *state, float *features);
// Whether the state read-out reads state value i.
int jepa_model_reads(const jepa_model *m, int i);
// The read-out's normalized features of latents z (N, latent) -> (N, state_features).
jepa_tensor *jepa_model_state_readout(jepa_ctx *ctx, jepa_model *m, jepa_tensor *z);
// The state read-out of latents z (N, latent) (cfg.w_state > 0): N rows of state_dim values
// into states, the read-out's features un-normalized and each angle its atan2(sin, cos); the
// values it does not read are NAN.
void jepa_model_read_state(jepa_ctx *ctx, jepa_model *m, jepa_tensor *z, float *states);
void jepa_model_free(jepa_model *m);

// Whether b can plan beside a as an ensemble member: the same recipe, latent, image, history,
// frameskip, actions and proprio, and every tensor that is not the predictor's ("predictor.*")
// equal bit for bit, so that b's predictions live in a's latent space. JEPA_ERR_SHAPE or
// JEPA_ERR_INVALID with a message naming the first difference otherwise.
jepa_status jepa_model_same_encoder(const jepa_model *a, const jepa_model *b, char *err,
                                    size_t err_size);

// The training window: how many frames, how far apart.
jepa_window jepa_model_window(const jepa_model *m);

// Encode frames (N, 3, H, W) in [0, 1] (and proprio (N, P) when the model uses it, else NULL)
// to latents (N, D), with the online parameters (p = &m->params) or the target's.
jepa_tensor *jepa_model_encode(jepa_ctx *ctx, jepa_model *m, jepa_params *p, jepa_tensor *frames,
                               jepa_tensor *proprio, int training);

// Roll the predictor out from a history of latents z (B, Th, D) (pldm uses the last one), the
// actions taken between them past_actions (B, Th-1, step_action_dim) (NULL: zeros; unused when
// Th = 1) and the candidate actions (N, H, step_action_dim), H <= JEPA_WM_MAX_ROLLOUT: the
// predicted latents (N, H, D), each prediction fed back in as the next input. B is N, or 1 for
// a history every candidate shares (a planner's), which the predictor then reads once. The
// predictor's batch norm (pred_proj) runs on its running statistics.
jepa_tensor *jepa_model_rollout(jepa_ctx *ctx, jepa_model *m, jepa_tensor *z,
                                jepa_tensor *past_actions, jepa_tensor *actions);

// Refit the batch-norm running statistics (the lewm projectors'; nothing for pldm) to the
// current weights from training-mode passes over batches: call with index 0, 1, 2, ... for
// successive batches and the statistics are the plain mean of theirs (index 0 replaces the
// running ones). The running average lags behind moving weights, and where a norm's input varies
// little against its drift, inference latents then stray far from the training ones ("precise
// BN"). Runs without gradients; ctx is reset.
void jepa_model_refit_norms(jepa_ctx *ctx, jepa_model *m, const jepa_batch *batch, int index);

// The training loss of a batch (its windows must be jepa_model_window's). The value of each
// term is written to terms (JEPA_WM_MAX_TERMS) with its name in names; returns the total.
// `step` seeds the regularizers' random directions; training: batch norm uses (and updates)
// batch statistics, else its running ones.
jepa_tensor *jepa_model_loss(jepa_ctx *ctx, jepa_model *m, const jepa_batch *batch, int64_t step,
                             int training, float *terms, const char **names, int *n_terms);

// After an optimizer step: move the EMA target toward the online weights.
void jepa_model_update_target(jepa_model *m);

// ---- checkpoints (.safetensors) ----
// Training state saved beside the weights.
typedef struct jepa_train_state {
    int64_t step;
    double best_val; // best validation loss so far (INFINITY when none)
    uint64_t data_seed;
} jepa_train_state;

// Write the parameters (and the EMA target as "target.<name>", and the optimizer moments as
// "optim.<name>.m" / ".v" when opt is not NULL), with the config, the action and proprio sizes
// and the training state in __metadata__, atomically.
jepa_status jepa_model_save(const jepa_model *m, const jepa_adamw *opt,
                            const jepa_train_state *state, const char *path, char *err,
                            size_t err_size);

// Build a model from a checkpoint's config and load its weights; with opt (initialised for
// this model by the caller after this returns... see jepa_model_load_optimizer) and state
// optional. A checkpoint from another recipe or size fails naming the first tensor that
// differs; non-finite weights fail naming the tensor.
jepa_status jepa_model_load(jepa_model *m, const char *path, jepa_train_state *state, char *err,
                            size_t err_size);
// Start a new model's weights (and buffers: batch-norm statistics, proprio normalization) from
// a checkpoint's: each tensor must be there with the same shape, except the lewm predictor's
// positions, of which a longer or shorter training window keeps the first rows. With
// cfg.redraw_predictor the predictor's tensors ("predictor.*") keep their draw, and the
// checkpoint's may be of any size. A checkpoint of another recipe, action size or architecture
// fails naming the first tensor that differs.
jepa_status jepa_model_init_from(jepa_model *m, const char *path, char *err, size_t err_size);

// Load the optimizer moments of a checkpoint into opt (initialised for m); non-finite moments
// fail naming the tensor.
jepa_status jepa_model_load_optimizer(const jepa_model *m, jepa_adamw *opt, const char *path,
                                      char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
