// World-model configs (configs/*.json): one table of fields drives the defaults, parsing,
// validation and the JSON written into checkpoints.
#ifndef JEPA_WM_CONFIG_H
#define JEPA_WM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "jepa/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define JEPA_WM_MAX_STAGES 4

// X(type, name, default, min, max, doc): type is INT, FLOAT or STR (a choice list in min).
#define JEPA_WM_CONFIG_FIELDS(X)                                                                   \
    X(STR, recipe, "pldm", "pldm|lewm", 0, "pldm (CNN + GRU/MLP, VICReg + IDM) or lewm (ViT + AdaLN transformer, SIGReg)") \
    X(INT, image, 64, 8, 1024, "frame size in pixels (square)")                                    \
    X(INT, frameskip, 1, 1, 64, "env steps per model step; their actions are concatenated")        \
    X(INT, history, 1, 1, 16, "frames of context the predictor sees (lewm)")                      \
    X(INT, horizon, 8, 1, 64, "predicted steps in the training loss (autoregressive rollout)")     \
    X(INT, latent, 64, 2, 4096, "latent size")                                                     \
    X(INT, use_proprio, 0, 0, 1, "add an embedding of the proprio vector to the latent")           \
    X(STR, target, "online", "online|ema", 0, "targets: the online encoder, or an EMA copy with stop-gradient") \
    X(FLOAT, ema_momentum, 0.99, 0.0, 1.0, "EMA momentum of the target encoder")                   \
    X(INT, freeze_encoder, 0, 0, 1, "train the predictor only, on the latents of a frozen encoder (a new run needs --init)") \
    X(INT, redraw_predictor, 0, 0, 1, "with --init: draw the predictor from the seed instead of taking the checkpoint's (an ensemble member of its own)") \
    /* pldm encoder: a CNN */                                                                      \
    X(STR, encoder, "conv", "conv|impala|keypoints", 0, "encoder: strided conv + GroupNorm stages (BM-1, pldm), IMPALA residual stages (pldm), the ViT (lewm), or keypoints (either recipe: a spatial softmax, the latent their x and y, then the normalized proprio with use_proprio)") \
    X(INT, cnn_stages, 3, 1, JEPA_WM_MAX_STAGES, "CNN stages (each halves the image)")            \
    X(INT, cnn_width, 16, 1, 1024, "channels of the first stage")                                 \
    X(INT, cnn_width_mult, 2, 1, 4, "channel multiplier per stage")                               \
    X(INT, cnn_width_max, 1024, 1, 4096, "the widest stage")                                      \
    X(INT, keypoints, 16, 1, 1024, "keypoint encoder: its keypoints (the latent is 2 x keypoints, plus the proprio's size with use_proprio)") \
    X(FLOAT, keypoint_scale, 1.0, 1e-3, 1e3, "keypoint encoder: the keypoints' coordinates enter the latent multiplied by this, which weighs them against the normalized proprio in planning's distance (the decoder reads them unscaled)") \
    X(INT, recon_side, 32, 1, 1024, "keypoint encoder: the side in pixels of the grey frame the decoder draws (divides 'image')") \
    X(STR, predictor, "gru", "gru|mlp", 0, "pldm predictor: GRU cell or residual MLP")             \
    X(INT, predictor_hidden, 256, 1, 8192, "hidden size of the MLP predictor and the IDM head")    \
    /* lewm encoder: ViT */                                                                        \
    X(INT, patch, 8, 1, 64, "ViT patch size")                                                      \
    X(INT, vit_dim, 128, 8, 4096, "ViT width")                                                     \
    X(INT, vit_depth, 4, 1, 48, "ViT blocks")                                                      \
    X(INT, vit_heads, 4, 1, 64, "ViT heads")                                                       \
    X(INT, projector_hidden, 512, 8, 8192, "projector hidden size (BatchNorm MLP)")              \
    X(INT, pred_depth, 4, 1, 48, "predictor transformer blocks")                                   \
    X(INT, pred_heads, 4, 1, 64, "predictor heads")                                                \
    X(INT, mlp_ratio, 4, 1, 16, "transformer MLP width / model width")                            \
    X(INT, pred_proj_hidden, 0, 0, 8192, "lewm: hidden size of a BatchNorm MLP on the predictor's output (LeWM's pred_proj; 0: none)") \
    /* losses */                                                                                   \
    X(FLOAT, w_pred, 1.0, 0.0, 1e6, "weight of the prediction loss")                              \
    X(FLOAT, w_var, 1.0, 0.0, 1e6, "VICReg variance weight (pldm)")                               \
    X(FLOAT, w_cov, 0.04, 0.0, 1e6, "VICReg covariance weight (pldm)")                            \
    X(FLOAT, w_smooth, 0.0, 0.0, 1e6, "temporal smoothness weight (pldm)")                        \
    X(FLOAT, w_idm, 1.0, 0.0, 1e6, "inverse-dynamics weight (pldm)")                              \
    X(FLOAT, w_sigreg, 0.09, 0.0, 1e6, "SIGReg weight lambda (lewm)")                             \
    X(FLOAT, w_rollout, 0.0, 0.0, 1e6, "lewm: weight of the predictor's own rollout from the history over the horizon") \
    X(FLOAT, w_recon, 0.0, 0.0, 1e6, "keypoint encoder: weight of reconstructing each frame in grey at recon_side pixels from its keypoints (a deep spatial autoencoder; 0: off)") \
    X(FLOAT, w_state, 0.0, 0.0, 1e6, "weight of a linear read-out of the data's states from every latent: the simulator's state supervises the encoder, beyond JEPA's own signal (0: off)") \
    X(INT, state_mask, 0, 0, 2147483647, "the state values the read-out learns, as a bit mask (bit i: value i; 0: every one)") \
    X(INT, state_hidden, 0, 0, 8192, "hidden size of the state read-out (a ReLU layer before its linear map; 0: linear)") \
    X(INT, rollout_from, 0, 0, 16, "lewm: true latents the rollout term starts from (0: history; planning's first plan has 1)") \
    X(INT, sigreg_directions, 1024, 1, 65536, "SIGReg random directions per step")               \
    X(INT, sigreg_points, 17, 2, 1024, "Epps-Pulley integration points in [0, 3]")              \
    /* optimisation */                                                                             \
    X(INT, batch, 64, 1, 65536, "batch size (windows)")                                            \
    X(FLOAT, lr, 1e-3, 0.0, 10.0, "peak learning rate (AdamW)")                                   \
    X(FLOAT, weight_decay, 0.01, 0.0, 10.0, "AdamW weight decay (not on norms and biases)")       \
    X(INT, warmup, 100, 0, 10000000, "linear warm-up steps")                                       \
    X(INT, steps, 2000, 1, 100000000, "training steps (the cosine schedule's length)")           \
    X(FLOAT, grad_clip, 1.0, 0.0, 1e6, "global gradient-norm clip (0: off)")                      \
    X(INT, seed, 0, 0, 2147483647, "seed of the initialisation, the split and the batches")      \
    X(FLOAT, val_fraction, 0.1, 0.0, 0.9, "fraction of episodes held out for validation")         \
    X(INT, log_every, 25, 1, 1000000, "steps between metrics lines")                               \
    X(INT, val_every, 250, 1, 1000000, "steps between validations (and probes)")                 \
    X(INT, ckpt_every, 250, 1, 1000000, "steps between checkpoints")

typedef struct jepa_wm_config {
#define JEPA_WM_FIELD_INT(name) int name;
#define JEPA_WM_FIELD_FLOAT(name) double name;
#define JEPA_WM_FIELD_STR(name) char name[16];
#define X(type, name, def, lo, hi, doc) JEPA_WM_FIELD_##type(name)
    JEPA_WM_CONFIG_FIELDS(X)
#undef X
} jepa_wm_config;

// Every field at its default.
void jepa_wm_config_defaults(jepa_wm_config *c);

// Parse a config from JSON text (an object; missing fields keep their defaults). An unknown
// key, a wrong type or a value out of range fails with one line naming the key; `what` (a file
// name) starts the message.
jepa_status jepa_wm_config_parse(jepa_wm_config *c, const char *json, const char *what, char *err,
                                 size_t err_size);

// Read and parse a config file.
jepa_status jepa_wm_config_load(jepa_wm_config *c, const char *path, char *err, size_t err_size);

// The config as a JSON object with every field (malloc'd text; the caller frees).
char *jepa_wm_config_json(const jepa_wm_config *c);

// Print every field with its default and meaning (for --help).
void jepa_wm_config_print_doc(void);

#ifdef __cplusplus
}
#endif
#endif
