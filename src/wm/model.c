// World models: building the recipes' networks, encoding, and predictor rollouts.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jepa/ops_activation.h"
#include "jepa/ops_attention.h"
#include "jepa/ops_conv.h"
#include "jepa/ops_elementwise.h"
#include "jepa/ops_shape.h"
#include "jepa/ops_view.h"
#include "jepa/wm.h"
#include "wm/internal.h"

int jepa_wm_keypoints(const jepa_model *m) {
    return strcmp(m->cfg.encoder, "keypoints") == 0;
}

// the proprio input: its normalization buffers and a linear map into the latent
static void proprio_init(jepa_model *m, jepa_params *p) {
    if (!m->cfg.use_proprio) return;
    int64_t P = m->proprio_dim;
    m->proprio_shift = jepa_params_add_buffer(p, "encoder.proprio_shift", 1, &P);
    jepa_params_set_init(p, m->proprio_shift, JEPA_INIT_CONST, 0.0f);
    m->proprio_scale = jepa_params_add_buffer(p, "encoder.proprio_scale", 1, &P);
    jepa_params_set_init(p, m->proprio_scale, JEPA_INIT_CONST, 1.0f);
    // the keypoint encoder's latent holds the normalized proprio as it is, after the keypoints
    if (!jepa_wm_keypoints(m))
        jepa_linear_init(&m->proprio_fc, p, "encoder.proprio", P, m->cfg.latent, 1);
}

// the keypoint encoder, and its decoder when it reconstructs the frames
static jepa_status build_keypoints(jepa_model *m, char *err, size_t n) {
    const jepa_wm_config *c = &m->cfg;
    int64_t want = 2 * (int64_t)c->keypoints + (c->use_proprio ? m->proprio_dim : 0);
    if (c->latent != want)
        return jepa_fail(err, n, JEPA_ERR_INVALID,
                         "config: the keypoint encoder's latent is 2 x 'keypoints' %d%s = %lld, "
                         "not 'latent' %d", c->keypoints,
                         c->use_proprio ? " + the proprio's values" : "", (long long)want,
                         c->latent);
    if (c->image % 2 || c->image % c->recon_side)
        return jepa_fail(err, n, JEPA_ERR_INVALID,
                         "config: 'recon_side' %d must divide 'image' %d, which must be even",
                         c->recon_side, c->image);
    jepa_keypoint_encoder_init(&m->keypoint_enc, &m->params, "encoder.keypoints", 3, c->keypoints);
    if (c->w_recon > 0)
        jepa_keypoint_decoder_init(&m->keypoint_dec, &m->params, "decoder", c->keypoints,
                                   c->recon_side, 0.1f);
    return JEPA_OK;
}

// the state read-out: its target normalization buffers and a linear map from the latent
static void state_init(jepa_model *m, jepa_params *p) {
    if (m->cfg.w_state <= 0) return;
    int64_t F = m->state_features;
    m->state_shift = jepa_params_add_buffer(p, "aux.state_shift", 1, &F);
    jepa_params_set_init(p, m->state_shift, JEPA_INIT_CONST, 0.0f);
    m->state_scale = jepa_params_add_buffer(p, "aux.state_scale", 1, &F);
    jepa_params_set_init(p, m->state_scale, JEPA_INIT_CONST, 1.0f);
    int64_t in = m->cfg.state_hidden ? m->cfg.state_hidden : m->cfg.latent;
    if (m->cfg.state_hidden)
        jepa_linear_init(&m->state_hidden_fc, p, "aux.state_hidden", m->cfg.latent, in, 1);
    jepa_linear_init(&m->state_fc, p, "aux.state", in, F, 1);
}

int jepa_model_reads(const jepa_model *m, int i) {
    return i < m->state_dim && (!m->cfg.state_mask || (m->cfg.state_mask >> i & 1));
}

void jepa_model_state_features(const jepa_model *m, const float *state, float *features) {
    int k = 0;
    for (int i = 0; i < m->state_dim; i++) {
        if (!jepa_model_reads(m, i)) continue;
        if (m->state_angles >> i & 1) {
            features[k++] = cosf(state[i]);
            features[k++] = sinf(state[i]);
        } else {
            features[k++] = state[i];
        }
    }
}

jepa_tensor *jepa_model_state_readout(jepa_ctx *ctx, jepa_model *m, jepa_tensor *z) {
    if (m->cfg.state_hidden)
        z = jepa_linear_act_forward(ctx, &m->params, &m->state_hidden_fc, z, JEPA_ACT_RELU);
    return jepa_linear_forward(ctx, &m->params, &m->state_fc, z);
}

void jepa_model_read_state(jepa_ctx *ctx, jepa_model *m, jepa_tensor *z, float *states) {
    JEPA_CHECK_MSG(m->cfg.w_state > 0, "the model has no state read-out");
    int64_t n = z->shape[0], F = m->state_features;
    jepa_tensor *out = jepa_model_state_readout(ctx, m, z);
    const float *shift = jepa_params_tensor(&m->params, m->state_shift)->data;
    const float *scale = jepa_params_tensor(&m->params, m->state_scale)->data;
    for (int64_t r = 0; r < n; r++) {
        const float *f = out->data + r * F;
        float *s = states + r * m->state_dim;
        for (int i = 0, k = 0; i < m->state_dim; i++) {
            if (!jepa_model_reads(m, i)) {
                s[i] = NAN;
                continue;
            }
            float v = f[k] / scale[k] + shift[k];
            k++;
            if (m->state_angles >> i & 1) {
                v = atan2f(f[k] / scale[k] + shift[k], v);
                k++;
            }
            s[i] = v;
        }
    }
}

// the mean and 1 / std (1 for a constant) of P values a step (from `value`) over every step of
// the episodes, into the buffers shift and scale of the model and its EMA target
typedef void (*step_values)(const jepa_model *m, const jepa_dataset *ds, int64_t ep, int64_t t,
                            float *out);

// the most values a step: a state's features (an angle takes two) or the proprio
#define FIT_MAX (2 * JEPA_WM_MAX_STATE)
_Static_assert(JEPA_WM_MAX_PROPRIO <= FIT_MAX, "fit_buffers holds the proprio too");

static void fit_buffers(jepa_model *m, const jepa_dataset *ds, const int64_t *episodes, int64_t n,
                        int64_t P, step_values value, int shift_index, int scale_index) {
    double sum[FIT_MAX] = {0}, sq[FIT_MAX] = {0};
    float v[FIT_MAX];
    int64_t T1 = ds->steps + 1;
    for (int64_t e = 0; e < n; e++)
        for (int64_t t = 0; t < T1; t++) {
            value(m, ds, episodes[e], t, v);
            for (int64_t i = 0; i < P; i++) {
                sum[i] += v[i];
                sq[i] += (double)v[i] * v[i];
            }
        }
    double count = (double)(n * T1);
    jepa_params *sets[2] = {&m->params, m->has_target ? &m->target : NULL};
    for (int k = 0; k < 2 && sets[k]; k++) {
        float *shift = jepa_params_tensor(sets[k], shift_index)->data;
        float *scale = jepa_params_tensor(sets[k], scale_index)->data;
        for (int64_t i = 0; i < P; i++) {
            double mean = sum[i] / count, var = sq[i] / count - mean * mean;
            shift[i] = (float)mean;
            scale[i] = var > 1e-12 ? (float)(1.0 / sqrt(var)) : 1.0f;
        }
    }
}

static void proprio_values(const jepa_model *m, const jepa_dataset *ds, int64_t ep, int64_t t,
                           float *out) {
    int64_t P = m->proprio_dim;
    memcpy(out, (const float *)ds->proprio.data + (ep * (ds->steps + 1) + t) * P,
           sizeof(float) * (size_t)P);
}

static void state_values(const jepa_model *m, const jepa_dataset *ds, int64_t ep, int64_t t,
                         float *out) {
    jepa_model_state_features(m, (const float *)ds->states.data + (ep * (ds->steps + 1) + t) * m->state_dim,
                              out);
}

void jepa_model_fit_data(jepa_model *m, const jepa_dataset *ds, const int64_t *episodes, int64_t n) {
    if (m->cfg.use_proprio) {
        JEPA_CHECK(m->proprio_dim <= JEPA_WM_MAX_PROPRIO && ds->proprio_dim == m->proprio_dim);
        fit_buffers(m, ds, episodes, n, m->proprio_dim, proprio_values, m->proprio_shift,
                    m->proprio_scale);
    }
    if (m->cfg.w_state > 0) {
        JEPA_CHECK(ds->state_dim == m->state_dim && ds->angle_states == m->state_angles);
        fit_buffers(m, ds, episodes, n, m->state_features, state_values, m->state_shift,
                    m->state_scale);
    }
}

// pldm's predictor and inverse-dynamics head
static void build_predictor(jepa_model *m) {
    const jepa_wm_config *c = &m->cfg;
    jepa_params *p = &m->params;
    int64_t D = c->latent, A = m->step_action_dim, Hd = c->predictor_hidden;
    if (strcmp(c->predictor, "gru") == 0) jepa_gru_init(&m->gru, p, "predictor.gru", A, D);
    else jepa_mlp_init(&m->pred_mlp, p, "predictor.mlp", 3, (int64_t[]){D + A, Hd, Hd, D}, JEPA_ACT_RELU, 0);
    jepa_mlp_init(&m->idm, p, "idm", 2, (int64_t[]){2 * D, Hd, A}, JEPA_ACT_RELU, 0);
}

static jepa_status build_pldm(jepa_model *m, char *err, size_t n) {
    const jepa_wm_config *c = &m->cfg;
    jepa_params *p = &m->params;
    if (jepa_wm_keypoints(m)) {
        jepa_status st = build_keypoints(m, err, n);
        if (st != JEPA_OK) return st;
        proprio_init(m, p);
        build_predictor(m);
        return JEPA_OK;
    }
    int64_t size = c->image, channels[JEPA_WM_MAX_STAGES], width = c->cnn_width;
    for (int s = 0; s < c->cnn_stages; s++) {
        if (size % 2) return jepa_fail(err, n, JEPA_ERR_INVALID,
                                       "config: 'image' %d is not divisible by 2^cnn_stages", c->image);
        size /= 2;
        channels[s] = width < c->cnn_width_max ? width : c->cnn_width_max;
        width *= c->cnn_width_mult;
    }
    if (strcmp(c->encoder, "impala") == 0) {
        jepa_resnet_init(&m->cnn, p, "encoder", 3, c->image, c->cnn_stages, channels);
    } else {
        // BM-1: conv 4x4 stride 2 pad 1 without bias -> GroupNorm(8) -> ReLU, per stage
        for (int s = 0; s < c->cnn_stages; s++) {
            char name[64];
            if (channels[s] % 8)
                return jepa_fail(err, n, JEPA_ERR_INVALID, "config: the conv encoder's widths must be multiples of 8");
            snprintf(name, sizeof name, "encoder.convs.%d.conv", s);
            jepa_conv_init(&m->convs[s], p, name, s ? channels[s - 1] : 3, channels[s], 4, 2, 1, 0);
            snprintf(name, sizeof name, "encoder.convs.%d.norm", s);
            jepa_group_norm_init(&m->conv_norms[s], p, name, 8, channels[s]);
        }
    }
    jepa_linear_init(&m->enc_fc, p, "encoder.fc", channels[c->cnn_stages - 1] * size * size,
                     c->latent, 1);
    proprio_init(m, p);
    build_predictor(m);
    return JEPA_OK;
}

static jepa_status build_lewm(jepa_model *m, char *err, size_t n) {
    const jepa_wm_config *c = &m->cfg;
    if (c->image % c->patch)
        return jepa_fail(err, n, JEPA_ERR_INVALID, "config: 'patch' %d does not divide 'image' %d",
                         c->patch, c->image);
    if (c->vit_dim % c->vit_heads || c->latent % c->pred_heads)
        return jepa_fail(err, n, JEPA_ERR_INVALID,
                         "config: 'vit_heads' must divide 'vit_dim' and 'pred_heads' 'latent'");
    if (c->rollout_from > c->history)
        return jepa_fail(err, n, JEPA_ERR_INVALID, "config: 'rollout_from' %d is more than 'history' %d",
                         c->rollout_from, c->history);
    if (c->vit_depth > JEPA_WM_MAX_BLOCKS || c->pred_depth > JEPA_WM_MAX_BLOCKS)
        return jepa_fail(err, n, JEPA_ERR_INVALID, "config: at most %d blocks", JEPA_WM_MAX_BLOCKS);
    jepa_params *p = &m->params;
    int64_t E = c->vit_dim, D = c->latent;
    char name[64];
    if (jepa_wm_keypoints(m)) {
        jepa_status st = build_keypoints(m, err, n);
        if (st != JEPA_OK) return st;
    } else {
        jepa_patch_embed_init(&m->patch, p, "encoder", 3, c->image, c->patch, E);
        for (int i = 0; i < c->vit_depth; i++) {
            snprintf(name, sizeof name, "encoder.blocks.%d", i);
            jepa_block_init(&m->enc_blocks[i], p, name, E, c->vit_heads, E * c->mlp_ratio, 0);
        }
        jepa_layer_norm_init(&m->enc_norm, p, "encoder.norm", E, 1);
        jepa_projector_init(&m->projector, p, "projector", E, c->projector_hidden, D);
    }
    proprio_init(m, p);
    jepa_linear_init(&m->action_embed, p, "predictor.action_embed", m->step_action_dim, D, 1);
    m->pred_pos = jepa_params_add(p, "predictor.pos_embed", 3,
                                  (int64_t[]){1, c->history + c->horizon, D}, 1);
    jepa_params_set_init(p, m->pred_pos, JEPA_INIT_TRUNC_NORMAL, 0.02f);
    for (int i = 0; i < c->pred_depth; i++) {
        snprintf(name, sizeof name, "predictor.blocks.%d", i);
        jepa_block_init(&m->pred_blocks[i], p, name, D, c->pred_heads, D * c->mlp_ratio, D);
    }
    jepa_layer_norm_init(&m->pred_norm, p, "predictor.norm", D, 1);
    jepa_linear_init(&m->pred_head, p, "predictor.head", D, D, 1);
    if (c->pred_proj_hidden)
        jepa_projector_init(&m->pred_proj, p, "predictor.proj", D, c->pred_proj_hidden, D);
    return JEPA_OK;
}

int jepa_wm_is_predictor(const char *name) {
    return strncmp(name, "predictor.", 10) == 0;
}

jepa_status jepa_model_create(jepa_model *m, const jepa_wm_config *cfg, int action_dim,
                              int proprio_dim, int state_dim, uint64_t state_angles, char *err,
                              size_t n) {
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->recipe = strcmp(cfg->recipe, "lewm") == 0 ? JEPA_RECIPE_LEWM : JEPA_RECIPE_PLDM;
    m->action_dim = action_dim;
    m->step_action_dim = action_dim * cfg->frameskip;
    m->proprio_dim = proprio_dim;
    if (action_dim < 1) return jepa_fail(err, n, JEPA_ERR_INVALID, "the data has no actions");
    if (cfg->use_proprio && proprio_dim < 1)
        return jepa_fail(err, n, JEPA_ERR_INVALID, "config: 'use_proprio' but the data has no proprio");
    if (cfg->use_proprio && proprio_dim > JEPA_WM_MAX_PROPRIO)
        return jepa_fail(err, n, JEPA_ERR_INVALID, "proprio of %d values (at most %d)", proprio_dim,
                         JEPA_WM_MAX_PROPRIO);
    if (cfg->w_state > 0) {
        if (state_dim < 1)
            return jepa_fail(err, n, JEPA_ERR_INVALID, "config: 'w_state' but the data has no states");
        if (state_dim > JEPA_WM_MAX_STATE)
            return jepa_fail(err, n, JEPA_ERR_INVALID, "states of %d values (at most %d)", state_dim,
                             JEPA_WM_MAX_STATE);
        if ((uint64_t)cfg->state_mask >> state_dim)
            return jepa_fail(err, n, JEPA_ERR_INVALID,
                             "config: 'state_mask' %d names values past the data's %d states",
                             cfg->state_mask, state_dim);
        m->state_dim = state_dim;
        for (int i = 0; i < state_dim; i++) {
            m->state_angles |= (uint64_t)(state_angles >> i & 1) << i;
            if (jepa_model_reads(m, i))
                m->state_features += state_angles >> i & 1 ? 2 : 1; // an angle's cos and sin
        }
    }
    if (cfg->w_recon > 0 && !jepa_wm_keypoints(m))
        return jepa_fail(err, n, JEPA_ERR_INVALID, "config: 'w_recon' needs the \"keypoints\" encoder");
    jepa_params_init(&m->params);
    jepa_status st = m->recipe == JEPA_RECIPE_LEWM ? build_lewm(m, err, n) : build_pldm(m, err, n);
    if (st == JEPA_OK) state_init(m, &m->params);
    // a frozen encoder: only the predictor trains (pldm's inverse-dynamics head, which only
    // shapes the encoder, is frozen with it)
    for (int i = 0; st == JEPA_OK && cfg->freeze_encoder && i < m->params.count; i++)
        if (!jepa_wm_is_predictor(m->params.items[i].name)) jepa_params_freeze(&m->params, i);
    if (st == JEPA_OK && (st = jepa_params_finalize(&m->params)) != JEPA_OK)
        jepa_fail(err, n, st, "out of memory for the parameters");
    if (st != JEPA_OK) {
        jepa_params_free(&m->params);
        return st;
    }
    jepa_params_reset(&m->params, (uint64_t)cfg->seed);
    m->has_target = strcmp(cfg->target, "ema") == 0;
    jepa_params_init(&m->target);
    if (m->has_target) {
        // the same table, its own memory, starting equal to the online weights
        for (int i = 0; i < m->params.count; i++) {
            const jepa_param *it = &m->params.items[i];
            jepa_params_add_buffer(&m->target, it->name, it->tensor.ndim, it->tensor.shape);
        }
        if (jepa_params_finalize(&m->target) != JEPA_OK) {
            jepa_model_free(m);
            return jepa_fail(err, n, JEPA_ERR_NOMEM, "out of memory for the target encoder");
        }
        memcpy(m->target.data, m->params.data, sizeof(float) * (size_t)m->params.total);
    }
    return JEPA_OK;
}

jepa_status jepa_model_same_encoder(const jepa_model *a, const jepa_model *b, char *err, size_t n) {
    const jepa_wm_config *x = &a->cfg, *y = &b->cfg;
    if (a->recipe != b->recipe || x->latent != y->latent || x->image != y->image ||
        x->history != y->history || x->frameskip != y->frameskip ||
        x->use_proprio != y->use_proprio || a->step_action_dim != b->step_action_dim ||
        (x->use_proprio && a->proprio_dim != b->proprio_dim))
        return jepa_fail(err, n, JEPA_ERR_SHAPE,
                         "a %s model of latent %d, image %d, history %d, frameskip %d; the first "
                         "is a %s model of %d, %d, %d, %d (or their actions or proprio differ)",
                         y->recipe, y->latent, y->image, y->history, y->frameskip, x->recipe,
                         x->latent, x->image, x->history, x->frameskip);
    // every tensor but the predictor's, the same bit for bit: the latents live in one space
    const jepa_params *p = &a->params, *q = &b->params;
    for (int i = 0; i < p->count; i++) {
        if (jepa_wm_is_predictor(p->items[i].name)) continue;
        int j = jepa_params_find(q, p->items[i].name);
        const jepa_tensor *s = &p->items[i].tensor, *t = j >= 0 ? &q->items[j].tensor : NULL;
        if (!t || !jepa_same_shape(s, t) ||
            memcmp(s->data, t->data, sizeof(float) * (size_t)jepa_numel(s)) != 0)
            return jepa_fail(err, n, JEPA_ERR_INVALID,
                             "its encoder differs from the first's at '%s' (members must share "
                             "one encoder: train them with --init and freeze_encoder)",
                             p->items[i].name);
    }
    return JEPA_OK;
}

void jepa_model_free(jepa_model *m) {
    jepa_params_free(&m->params);
    jepa_params_free(&m->target);
}

jepa_window jepa_model_window(const jepa_model *m) {
    jepa_window w = {m->cfg.horizon + 1, m->cfg.frameskip, m->cfg.freeze_encoder};
    if (m->recipe == JEPA_RECIPE_LEWM) w.frames = m->cfg.history + m->cfg.horizon;
    return w;
}

// (proprio - shift) * scale, by the buffers of p
static jepa_tensor *proprio_norm(jepa_ctx *ctx, jepa_model *m, jepa_params *p,
                                 jepa_tensor *proprio) {
    return jepa_mul(ctx, jepa_sub(ctx, proprio, jepa_params_tensor(p, m->proprio_shift)),
                    jepa_params_tensor(p, m->proprio_scale));
}

jepa_tensor *jepa_model_encode(jepa_ctx *ctx, jepa_model *m, jepa_params *p, jepa_tensor *frames,
                               jepa_tensor *proprio, int training) {
    int64_t N = frames->shape[0];
    jepa_tensor *z;
    if (jepa_wm_keypoints(m)) {
        z = jepa_keypoint_encoder_forward(ctx, p, &m->keypoint_enc, frames);
        if (m->cfg.keypoint_scale != 1.0) z = jepa_scale(ctx, z, (float)m->cfg.keypoint_scale);
        if (!m->cfg.use_proprio) return z;
        // the normalized proprio after the keypoints (the mean's, 0, when none is given)
        jepa_tensor *parts[2] = {z, proprio ? proprio_norm(ctx, m, p, proprio)
                                            : jepa_zeros(ctx, 2, (int64_t[]){N, m->proprio_dim})};
        return jepa_concat(ctx, 2, parts, 1);
    }
    if (m->recipe == JEPA_RECIPE_PLDM) {
        jepa_tensor *f = frames;
        if (strcmp(m->cfg.encoder, "impala") == 0) f = jepa_resnet_forward(ctx, p, &m->cnn, frames);
        else
            // BM-1: the activations from the first conv's output to the last conv's input lie
            // channels last (no transposes inside the convs); the frames and fc see NCHW
            for (int s = 0, last = m->cfg.cnn_stages - 1; s <= last; s++) {
                int layouts = (s > 0 ? JEPA_CONV_X_NHWC : 0) | (s < last ? JEPA_CONV_OUT_NHWC : 0);
                f = jepa_conv_forward_layout(ctx, p, &m->convs[s], f, layouts);
                f = s < last ? jepa_group_norm_relu_forward_nhwc(ctx, p, &m->conv_norms[s], f)
                             : jepa_norm_relu_forward(ctx, p, &m->conv_norms[s], f, training);
            }
        z = jepa_linear_forward(ctx, p, &m->enc_fc, jepa_reshape(ctx, f, 2, (int64_t[]){N, -1}));
    } else {
        jepa_tensor *t = jepa_patch_embed_forward(ctx, p, &m->patch, frames);
        for (int i = 0; i < m->cfg.vit_depth; i++)
            t = jepa_block_forward(ctx, p, &m->enc_blocks[i], t, NULL, 0, 1);
        t = jepa_norm_forward(ctx, p, &m->enc_norm, t, training);
        // the CLS token -> the projector
        jepa_tensor *cls = jepa_reshape(ctx, jepa_slice(ctx, t, 1, 0, 1), 2, (int64_t[]){N, m->cfg.vit_dim});
        z = jepa_projector_forward(ctx, p, &m->projector, cls, training);
    }
    if (m->cfg.use_proprio && proprio)
        z = jepa_add(ctx, z, jepa_linear_forward(ctx, p, &m->proprio_fc,
                                                 proprio_norm(ctx, m, p, proprio)));
    return z;
}

jepa_tensor *jepa_wm_pldm_step(jepa_ctx *ctx, jepa_model *m, jepa_tensor *h, jepa_tensor *a) {
    if (strcmp(m->cfg.predictor, "gru") == 0) return jepa_gru_cell(ctx, &m->params, &m->gru, a, h);
    jepa_tensor *in[2] = {h, a};
    return jepa_add(ctx, h, jepa_mlp_forward(ctx, &m->params, &m->pred_mlp, jepa_concat(ctx, 2, in, 1)));
}

// The predictions at positions s..s+T-1 of a window, or (last) at the last of them only, from
// their latents z (B, T, D) and actions a (B, T, A). kv (NULL when s = 0) holds each block's keys
// and values of the first s positions, as kv_out receives them (when not NULL) for these.
// training: pred_proj's batch norm uses (and updates) batch statistics, else its running ones.
static jepa_tensor *lewm_predict(jepa_ctx *ctx, jepa_model *m, jepa_tensor *z, jepa_tensor *a,
                                 int64_t s, jepa_tensor **kv, jepa_tensor **kv_out, int last,
                                 int training) {
    jepa_params *p = &m->params;
    int64_t T = z->shape[1];
    jepa_tensor *pos = jepa_slice(ctx, jepa_params_tensor(p, m->pred_pos), 1, s, s + T);
    jepa_tensor *x = jepa_add(ctx, z, pos);
    jepa_tensor *c = jepa_linear_forward(ctx, p, &m->action_embed, a);
    for (int i = 0, final = m->cfg.pred_depth - 1; i <= final; i++)
        x = jepa_block_forward_kv(ctx, p, &m->pred_blocks[i], x, c, kv ? kv[i] : NULL,
                                  kv_out ? &kv_out[i] : NULL, JEPA_MASK_CAUSAL, 1, last && i == final);
    x = jepa_norm_forward(ctx, p, &m->pred_norm, x, 0);
    x = jepa_linear_forward(ctx, p, &m->pred_head, x);
    if (!m->cfg.pred_proj_hidden) return x;
    // each position's prediction through pred_proj, as one row of its batch norm
    int64_t B = x->shape[0], Tx = x->shape[1], D = m->cfg.latent;
    x = jepa_reshape(ctx, x, 2, (int64_t[]){B * Tx, D});
    x = jepa_projector_forward(ctx, p, &m->pred_proj, x, training);
    return jepa_reshape(ctx, x, 3, (int64_t[]){B, Tx, D});
}

jepa_tensor *jepa_wm_lewm_predict(jepa_ctx *ctx, jepa_model *m, jepa_tensor *z, jepa_tensor *a,
                                  int training) {
    return lewm_predict(ctx, m, z, a, 0, NULL, NULL, 0, training);
}

jepa_tensor *jepa_wm_time_step(jepa_ctx *ctx, jepa_tensor *x, int64_t t) {
    int64_t shape[JEPA_MAX_DIMS];
    shape[0] = x->shape[0];
    for (int i = 2; i < x->ndim; i++) shape[i - 1] = x->shape[i];
    return jepa_reshape(ctx, jepa_slice(ctx, x, 1, t, t + 1), x->ndim - 1, shape);
}

jepa_tensor *jepa_wm_add_time(jepa_ctx *ctx, jepa_tensor *x) {
    int64_t shape[JEPA_MAX_DIMS];
    shape[0] = x->shape[0];
    shape[1] = 1;
    for (int i = 1; i < x->ndim; i++) shape[i + 1] = x->shape[i];
    return jepa_reshape(ctx, x, x->ndim + 1, shape);
}

// (1 or N, ...) -> (N, ...): x itself, or a view of its one row repeated
static jepa_tensor *rows(jepa_ctx *ctx, jepa_tensor *x, int64_t N) {
    if (x->shape[0] == N) return x;
    int64_t shape[JEPA_MAX_DIMS];
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    shape[0] = N;
    return jepa_expand(ctx, x, x->ndim, shape);
}

// tokens[from..to) side by side along time, each with N rows
static jepa_tensor *window(jepa_ctx *ctx, jepa_tensor **tokens, int64_t from, int64_t to, int64_t N) {
    jepa_tensor *parts[JEPA_WM_MAX_ROLLOUT + JEPA_WM_MAX_HISTORY];
    for (int64_t i = from; i < to; i++) parts[i - from] = rows(ctx, tokens[i], N);
    return to - from == 1 ? parts[0] : jepa_concat(ctx, (int)(to - from), parts, 1);
}

jepa_tensor *jepa_model_rollout(jepa_ctx *ctx, jepa_model *m, jepa_tensor *z,
                                jepa_tensor *past_actions, jepa_tensor *actions) {
    int64_t N = actions->shape[0], H = actions->shape[1], B = z->shape[0], Th = z->shape[1];
    int64_t hist = m->cfg.history;
    JEPA_CHECK_MSG(H <= JEPA_WM_MAX_ROLLOUT && actions->shape[2] == m->step_action_dim,
                   "rollout: bad actions");
    JEPA_CHECK_MSG(B == N || B == 1, "rollout: the history has one row or one per candidate");
    JEPA_CHECK_MSG(!past_actions || (past_actions->shape[0] == B && past_actions->shape[1] == Th - 1),
                   "rollout: bad past actions");
    jepa_tensor *out[JEPA_WM_MAX_ROLLOUT];
    if (m->recipe == JEPA_RECIPE_PLDM) {
        jepa_tensor *h = jepa_wm_time_step(ctx, z, Th - 1);
        if (B < N) h = jepa_contiguous(ctx, rows(ctx, h, N)); // a shared history
        for (int64_t k = 0; k < H; k++) {
            h = jepa_wm_pldm_step(ctx, m, h, jepa_wm_time_step(ctx, actions, k));
            out[k] = jepa_wm_add_time(ctx, h);
        }
        return H == 1 ? out[0] : jepa_concat(ctx, (int)H, out, 1);
    }
    // lewm: a sliding window of the last `history` latents, each with the action taken from it.
    // A history of one row is every candidate's: the window's positions whose latent and action
    // are both the history's (all its latents but the last, which takes a candidate's action) go
    // through the predictor once, as the keys and values the candidates' positions attend to.
    int64_t A = m->step_action_dim, n = 0;
    jepa_tensor *tokens[JEPA_WM_MAX_ROLLOUT + JEPA_WM_MAX_HISTORY];
    jepa_tensor *acts[JEPA_WM_MAX_ROLLOUT + JEPA_WM_MAX_HISTORY];
    jepa_tensor *zero_a = past_actions ? NULL : jepa_zeros(ctx, 3, (int64_t[]){B, 1, A});
    for (int64_t t = Th > hist ? Th - hist : 0; t < Th; t++, n++) {
        tokens[n] = jepa_slice(ctx, z, 1, t, t + 1);
        acts[n] = t + 1 < Th ? (past_actions ? jepa_slice(ctx, past_actions, 1, t, t + 1) : zero_a) : NULL;
    }
    int64_t shared_end = B < N ? n - 1 : 0; // the positions before it are shared
    for (int64_t k = 0; k < H; k++) {
        acts[n - 1] = jepa_slice(ctx, actions, 1, k, k + 1);
        int64_t first = n > hist ? n - hist : 0, s = shared_end > first ? shared_end - first : 0;
        jepa_tensor *kv[JEPA_WM_MAX_BLOCKS];
        if (s)
            lewm_predict(ctx, m, window(ctx, tokens, first, first + s, 1),
                         window(ctx, acts, first, first + s, 1), 0, NULL, kv, 1, 0);
        // the window's last position only
        out[k] = lewm_predict(ctx, m, window(ctx, tokens, first + s, n, N),
                              window(ctx, acts, first + s, n, N), s, s ? kv : NULL, NULL, 1, 0);
        tokens[n++] = out[k];
    }
    return H == 1 ? jepa_contiguous(ctx, out[0]) : jepa_concat(ctx, (int)H, out, 1);
}

void jepa_model_update_target(jepa_model *m) {
    if (m->has_target) jepa_ema_update(&m->target, &m->params, (float)m->cfg.ema_momentum);
}
