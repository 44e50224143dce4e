// Layers: small structs that name their parameters in a jepa_params table (PyTorch state_dict
// names) and build their forward pass from differentiable ops.
//
// A model is made in two phases: every layer's *_init declares its parameters under a prefix
// (e.g. "encoder.blocks.0") with PyTorch's default initialisation rule; then
// jepa_params_finalize allocates them and jepa_params_reset(p, seed) draws their values.
// Forward functions take the step's context and the finalized table.
#ifndef JEPA_NN_H
#define JEPA_NN_H

#include <stdint.h>

#include "jepa/autograd.h"
#include "jepa/params.h"

#ifdef __cplusplus
extern "C" {
#endif

#define JEPA_NN_NAME_MAX 80

// ---- linear: y = x W^T + b; weight (out, in), bias (out); U(-1/sqrt(in), 1/sqrt(in)) ----
typedef struct jepa_linear {
    int64_t in, out;
    int weight, bias; // parameter indices; bias -1 when absent
} jepa_linear;
void jepa_linear_init(jepa_linear *l, jepa_params *p, const char *name, int64_t in, int64_t out,
                      int bias);
// x (..., in) -> (..., out)
jepa_tensor *jepa_linear_forward(jepa_ctx *ctx, jepa_params *p, const jepa_linear *l,
                                 jepa_tensor *x);
// x (..., in) -> act(x W^T + b), act a jepa_act (declared below); the bias and JEPA_ACT_RELU run
// in the GEMM's epilogue (jepa_linear_act), the other activations after it.
jepa_tensor *jepa_linear_act_forward(jepa_ctx *ctx, jepa_params *p, const jepa_linear *l,
                                     jepa_tensor *x, int act);

// ---- conv2d: weight (O, C, k, k), bias (O); U(-1/sqrt(C k k), +) ----
typedef struct jepa_conv {
    int64_t in, out;
    int kernel, stride, pad;
    int weight, bias;
} jepa_conv;
void jepa_conv_init(jepa_conv *c, jepa_params *p, const char *name, int64_t in, int64_t out,
                    int kernel, int stride, int pad, int bias);
// x (N, C, H, W) -> (N, O, H', W')
jepa_tensor *jepa_conv_forward(jepa_ctx *ctx, jepa_params *p, const jepa_conv *c, jepa_tensor *x);
// the same with x and/or the output channels last (layouts: JEPA_CONV_X_NHWC | _OUT_NHWC)
jepa_tensor *jepa_conv_forward_layout(jepa_ctx *ctx, jepa_params *p, const jepa_conv *c,
                                      jepa_tensor *x, int layouts);

// ---- norms: weight 1, bias 0 ----
typedef enum jepa_norm_kind { JEPA_NORM_LAYER, JEPA_NORM_GROUP, JEPA_NORM_BATCH } jepa_norm_kind;
typedef struct jepa_norm {
    int kind, groups, affine;
    int64_t channels;
    float eps, momentum;
    int weight, bias;                 // -1 without affine
    int running_mean, running_var;    // batch norm buffers, else -1
} jepa_norm;
// layer norm over the last dimension of size channels
void jepa_layer_norm_init(jepa_norm *n, jepa_params *p, const char *name, int64_t channels,
                          int affine);
void jepa_group_norm_init(jepa_norm *n, jepa_params *p, const char *name, int groups,
                          int64_t channels);
// batch norm over (N, C) or (N, C, H, W), momentum 0.1 as PyTorch
void jepa_batch_norm_init(jepa_norm *n, jepa_params *p, const char *name, int64_t channels);
// training: batch norm uses and updates batch statistics (ignored by the other kinds)
jepa_tensor *jepa_norm_forward(jepa_ctx *ctx, jepa_params *p, const jepa_norm *n, jepa_tensor *x,
                               int training);
// relu(norm(x)); group norm fuses the two into one op
jepa_tensor *jepa_norm_relu_forward(jepa_ctx *ctx, jepa_params *p, const jepa_norm *n,
                                    jepa_tensor *x, int training);
// relu(group_norm(x)) of a channels-last x (N, H, W, C); n must be a group norm
jepa_tensor *jepa_group_norm_relu_forward_nhwc(jepa_ctx *ctx, jepa_params *p, const jepa_norm *n,
                                               jepa_tensor *x);

// ---- activations by name ----
typedef enum jepa_act { JEPA_ACT_NONE, JEPA_ACT_RELU, JEPA_ACT_GELU, JEPA_ACT_SILU } jepa_act;
jepa_tensor *jepa_act_forward(jepa_ctx *ctx, int act, jepa_tensor *x);
// "relu", "gelu", "silu", "none" -> jepa_act, or -1
int jepa_act_parse(const char *name);

// ---- MLP: linear layers with an activation between them (none after the last) ----
#define JEPA_MLP_MAX_LAYERS 8
typedef struct jepa_mlp {
    int layers, act;
    jepa_linear fc[JEPA_MLP_MAX_LAYERS];
} jepa_mlp;
// dims[0] -> dims[1] -> ... -> dims[layers]; parameter names "<name>.<i>" ... as nn.Sequential
// with activations at odd positions ("<name>.0", "<name>.2", ...), or fc1/fc2 when fc_names.
void jepa_mlp_init(jepa_mlp *m, jepa_params *p, const char *name, int layers, const int64_t *dims,
                   int act, int fc_names);
jepa_tensor *jepa_mlp_forward(jepa_ctx *ctx, jepa_params *p, const jepa_mlp *m, jepa_tensor *x);

// ---- projector: Linear -> BatchNorm1d -> ReLU -> Linear ("<name>.net.0/1/3") ----
typedef struct jepa_projector {
    jepa_linear fc1, fc2;
    jepa_norm bn;
} jepa_projector;
void jepa_projector_init(jepa_projector *pr, jepa_params *p, const char *name, int64_t in,
                         int64_t hidden, int64_t out);
// x (B, in) -> (B, out)
jepa_tensor *jepa_projector_forward(jepa_ctx *ctx, jepa_params *p, const jepa_projector *pr,
                                    jepa_tensor *x, int training);

// ---- multi-head self-attention: qkv Linear(E, 3E), proj Linear(E, E) (timm's names) ----
typedef struct jepa_mhsa {
    int64_t dim;
    int heads;
    jepa_linear qkv, proj;
} jepa_mhsa;
void jepa_mhsa_init(jepa_mhsa *a, jepa_params *p, const char *name, int64_t dim, int heads);
// x (B, T, E) -> (B, T, E); mask a jepa_mask, block its frame size
jepa_tensor *jepa_mhsa_forward(jepa_ctx *ctx, jepa_params *p, const jepa_mhsa *a, jepa_tensor *x,
                               int mask, int block);

// ---- pre-norm transformer block, optionally with AdaLN-zero conditioning ----
// x = x + gate1 * attn(modulate(norm1(x))), x = x + gate2 * mlp(modulate(norm2(x))), where
// (shift1, scale1, gate1, shift2, scale2, gate2) = adaLN_modulation(SiLU(c)), a zero-initialised
// Linear(cond_dim, 6E) (DiT); without conditioning the gates are 1 and the norms affine.
typedef struct jepa_block {
    int64_t dim, cond_dim;
    jepa_norm norm1, norm2;
    jepa_mhsa attn;
    jepa_mlp mlp;
    jepa_linear ada; // "<name>.adaLN_modulation.1", when cond_dim > 0
} jepa_block;
void jepa_block_init(jepa_block *b, jepa_params *p, const char *name, int64_t dim, int heads,
                     int64_t mlp_hidden, int64_t cond_dim);
// x (B, T, E); cond (B, T, cond_dim) per token, or (B, cond_dim) per item, or NULL
jepa_tensor *jepa_block_forward(jepa_ctx *ctx, jepa_params *p, const jepa_block *b, jepa_tensor *x,
                                jepa_tensor *cond, int mask, int block);
// The same block over positions s..s+T-1 of a sequence, x (B, T, E) and cond as above, for an
// autoregressive rollout:
// - kv: the s earlier positions' keys and values, as kv_out gave them for this block (this
//   block's qkv of them, (1 or B, s, 3E): one row is shared by every item), or NULL (s = 0);
// - kv_out: when not NULL, receives x's keys and values (B, T, 3E);
// - last: 1 for the output at the last position only, (B, 1, E); the other positions then give
//   the attention their keys and values, and their MLPs are not computed.
// The result is that of jepa_block_forward over the whole sequence, at the positions returned.
jepa_tensor *jepa_block_forward_kv(jepa_ctx *ctx, jepa_params *p, const jepa_block *b,
                                   jepa_tensor *x, jepa_tensor *cond, jepa_tensor *kv,
                                   jepa_tensor **kv_out, int mask, int block, int last);

// ---- positions: the sinusoidal table (T, E) of "Attention is all you need" ----
void jepa_sinusoidal_positions(float *out, int64_t T, int64_t E);

// ---- ViT patch embedding: Conv(C, E, p, stride p) -> tokens, a CLS token, learned positions ----
typedef struct jepa_patch_embed {
    int64_t channels, dim, image, patch, tokens; // tokens = (image / patch)^2 + 1
    jepa_conv proj;                              // "<name>.proj"
    int cls_token, pos_embed;                    // "cls_token" (1,1,E), "pos_embed" (1,T,E)
} jepa_patch_embed;
// parameter names: "<name>.patch_embed.proj.*", "<name>.cls_token", "<name>.pos_embed"
void jepa_patch_embed_init(jepa_patch_embed *pe, jepa_params *p, const char *name,
                           int64_t channels, int64_t image, int64_t patch, int64_t dim);
// x (B, C, H, W) -> (B, 1 + (H/p)(W/p), E) with the CLS token first and positions added
jepa_tensor *jepa_patch_embed_forward(jepa_ctx *ctx, jepa_params *p, const jepa_patch_embed *pe,
                                      jepa_tensor *x);

// ---- GRU cell (PyTorch GRUCell: gates r, z, n; U(-1/sqrt(H), 1/sqrt(H))) ----
typedef struct jepa_gru {
    int64_t in, hidden;
    int weight_ih, weight_hh, bias_ih, bias_hh;
} jepa_gru;
void jepa_gru_init(jepa_gru *g, jepa_params *p, const char *name, int64_t in, int64_t hidden);
// x (B, in), h (B, H) -> h' (B, H)
jepa_tensor *jepa_gru_cell(jepa_ctx *ctx, jepa_params *p, const jepa_gru *g, jepa_tensor *x,
                           jepa_tensor *h);
// x (B, T, in), h0 (B, H) -> every hidden state (B, T, H)
jepa_tensor *jepa_gru_sequence(jepa_ctx *ctx, jepa_params *p, const jepa_gru *g, jepa_tensor *x,
                               jepa_tensor *h0);

// ---- IMPALA residual CNN: per stage conv3x3 -> maxpool(3, 2, 1) -> 2 residual blocks ----
#define JEPA_RESNET_MAX_STAGES 6
typedef struct jepa_res_stage {
    jepa_conv conv;
    jepa_conv res[2][2]; // res[block][0..1]: relu -> conv -> relu -> conv, plus the input
} jepa_res_stage;
typedef struct jepa_resnet {
    int stages;
    int64_t in_channels, image;
    jepa_res_stage stage[JEPA_RESNET_MAX_STAGES];
} jepa_resnet;
// parameter names "<name>.stages.<s>.conv", "<name>.stages.<s>.res.<b>.conv<0|1>"
void jepa_resnet_init(jepa_resnet *r, jepa_params *p, const char *name, int64_t in_channels,
                      int64_t image, int stages, const int64_t *channels);
// x (N, C, H, W) -> relu(features) (N, C_last, H / 2^stages, W / 2^stages)
jepa_tensor *jepa_resnet_forward(jepa_ctx *ctx, jepa_params *p, const jepa_resnet *r,
                                 jepa_tensor *x);

// ---- keypoints: a deep spatial autoencoder (Finn et al., 2016) ----
// The encoder: conv 5x5 stride 2 (C -> 32), ReLU, conv 3x3 (32 -> 32), ReLU, conv 3x3 (32 -> K),
// then each of the K maps through a spatial softmax with a learned temperature to the expected
// (x, y) of its activation. The decoder draws each keypoint as a Gaussian map on a side x side
// grid and convolves them into one grey frame: conv 5x5 (K -> 32), ReLU, conv 5x5 (32 -> 32),
// ReLU, conv 5x5 (32 -> 1), their reach 13 pixels. Coordinates run from -1 at the first pixel's
// centre to +1 at the last one's. Names "<name>.convs.<i>", "<name>.log_temperature".
#define JEPA_KEYPOINT_WIDTH 32
typedef struct jepa_keypoint_encoder {
    int64_t keypoints;
    jepa_conv conv[3];
    int log_temperature; // a scalar parameter: the softmax divides the maps by its exp
} jepa_keypoint_encoder;
void jepa_keypoint_encoder_init(jepa_keypoint_encoder *e, jepa_params *p, const char *name,
                                int64_t channels, int64_t keypoints);
// x (N, C, H, W), H and W even -> (N, 2K): the K x, then the K y
jepa_tensor *jepa_keypoint_encoder_forward(jepa_ctx *ctx, jepa_params *p,
                                           const jepa_keypoint_encoder *e, jepa_tensor *x);
// maps (N, K, h, w), log_temperature (1) -> (N, 2K): each map's softmax over its h w pixels
// (divided by exp(log_temperature)), and the expected x, then y, of that distribution
jepa_tensor *jepa_spatial_softmax(jepa_ctx *ctx, jepa_tensor *maps, jepa_tensor *log_temperature);

typedef struct jepa_keypoint_decoder {
    int64_t keypoints, side;
    float sigma; // the Gaussian maps' std in coordinate units
    jepa_conv conv[3];
} jepa_keypoint_decoder;
void jepa_keypoint_decoder_init(jepa_keypoint_decoder *d, jepa_params *p, const char *name,
                                int64_t keypoints, int64_t side, float sigma);
// z (N, 2K) (the K x, then the K y) -> (N, K, side, side): exp(-((gx - x)^2 + (gy - y)^2) /
// (2 sigma^2)) at each grid point (gx, gy)
jepa_tensor *jepa_gaussian_maps(jepa_ctx *ctx, jepa_tensor *z, int64_t side, float sigma);
// z (N, 2K) -> the grey frame (N, 1, side, side)
jepa_tensor *jepa_keypoint_decoder_forward(jepa_ctx *ctx, jepa_params *p,
                                           const jepa_keypoint_decoder *d, jepa_tensor *z);
#ifdef __cplusplus
}
#endif
#endif
