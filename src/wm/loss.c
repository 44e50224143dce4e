// The training losses of the recipes.
#include <string.h>

#include "jepa/nn.h"
#include "jepa/ops_elementwise.h"
#include "jepa/ops_loss.h"
#include "jepa/ops_reduce.h"
#include "jepa/ops_shape.h"
#include "jepa/ops_view.h"
#include "jepa/regularizers.h"
#include "wm/internal.h"

// x (B*T, ...) without the first of each window's T rows: (B*(T-1), ...), contiguous
static jepa_tensor *later_frames(jepa_ctx *ctx, jepa_tensor *x, int64_t B) {
    int64_t T = x->shape[0] / B, shape[JEPA_MAX_DIMS];
    jepa_tensor *w = jepa_reshape(ctx, x, 3, (int64_t[]){B, T, -1});
    w = jepa_contiguous(ctx, jepa_slice(ctx, w, 1, 1, T));
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    shape[0] = B * (T - 1);
    return jepa_reshape(ctx, w, x->ndim, shape);
}

// every frame's online latents (with grad), and the targets of frames 1..T-1, the ones the
// predictions meet: the EMA copy's (no grad, frame 0 not encoded), or the online latents; a
// frozen encoder's latents come with the batch (no grad)
static void encode_all(jepa_ctx *ctx, jepa_model *m, const jepa_batch *b, int training,
                       jepa_tensor **z, jepa_tensor **target, jepa_tensor **actions) {
    int64_t B = b->B, T = b->T, D = m->cfg.latent;
    jepa_tensor *frames = NULL, *proprio = NULL;
    *actions = jepa_wrap(ctx, b->actions, NULL, 3, (int64_t[]){B, T - 1, b->A});
    if (b->latents) {
        *z = jepa_wrap(ctx, (float *)b->latents, NULL, 3, (int64_t[]){B, T, D});
    } else {
        frames = jepa_wrap(ctx, b->frames, NULL, 4, (int64_t[]){B * T, 3, b->H, b->W});
        if (b->P) proprio = jepa_wrap(ctx, b->proprio, NULL, 2, (int64_t[]){B * T, b->P});
        *z = jepa_reshape(ctx, jepa_model_encode(ctx, m, &m->params, frames, proprio, training), 3,
                          (int64_t[]){B, T, D});
    }
    if (b->latents || !m->has_target) {
        *target = jepa_slice(ctx, *z, 1, 1, T);
        return;
    }
    int grad = jepa_ctx_set_grad(ctx, 0);
    jepa_tensor *later = later_frames(ctx, frames, B), *later_proprio = NULL;
    if (proprio) later_proprio = later_frames(ctx, proprio, B);
    jepa_tensor *zt = jepa_model_encode(ctx, m, &m->target, later, later_proprio, training);
    *target = jepa_reshape(ctx, zt, 3, (int64_t[]){B, T - 1, D});
    jepa_ctx_set_grad(ctx, grad);
}

// add w * term to the total and record it
static jepa_tensor *add_term(jepa_ctx *ctx, jepa_tensor *total, jepa_tensor *term, double w,
                             const char *name, float *terms, const char **names, int *n) {
    names[*n] = name;
    terms[(*n)++] = term->data[0];
    if (w == 0.0) return total ? total : jepa_scale(ctx, term, 0.0f); // the total always exists
    jepa_tensor *scaled = jepa_scale(ctx, term, (float)w);
    return total ? jepa_add(ctx, total, scaled) : scaled;
}

// the recipes' losses; z: every frame's online latents (B, T, D), for the terms after them
static jepa_tensor *pldm_loss(jepa_ctx *ctx, jepa_model *m, const jepa_batch *b, int training,
                              float *terms, const char **names, int *n, jepa_tensor **zp) {
    const jepa_wm_config *c = &m->cfg;
    jepa_tensor *z, *target, *actions;
    encode_all(ctx, m, b, training, &z, &target, &actions);
    *zp = z;
    int64_t T = b->T, B = b->B, D = c->latent;
    // autoregressive rollout from the first latent over the window
    jepa_tensor *pred = jepa_model_rollout(ctx, m, jepa_slice(ctx, z, 1, 0, 1), NULL, actions);
    jepa_tensor *total = add_term(ctx, NULL, jepa_mse_loss(ctx, pred, target),
                                  c->w_pred, "pred", terms, names, n);
    if (c->freeze_encoder) return total; // the rest only shapes the encoder
    // VICReg on each frame's latents, statistics over the batch: groups (T, B, D)
    jepa_tensor *per_frame = jepa_transpose(ctx, z, 0, 1);
    total = add_term(ctx, total, jepa_vicreg_variance(ctx, per_frame, 1.0f, 1e-4f), c->w_var, "var",
                     terms, names, n);
    total = add_term(ctx, total, jepa_vicreg_covariance(ctx, per_frame), c->w_cov, "cov", terms,
                     names, n);
    if (c->w_smooth > 0)
        total = add_term(ctx, total, jepa_temporal_smoothness(ctx, z), c->w_smooth, "smooth", terms, names, n);
    if (c->w_idm == 0) return total;
    // inverse dynamics: a_t from (z_t, z_t+1)
    jepa_tensor *pair[2] = {jepa_slice(ctx, z, 1, 0, T - 1), jepa_slice(ctx, z, 1, 1, T)};
    jepa_tensor *zz = jepa_reshape(ctx, jepa_concat(ctx, 2, pair, 2), 2, (int64_t[]){B * (T - 1), 2 * D});
    jepa_tensor *a_hat = jepa_mlp_forward(ctx, &m->params, &m->idm, zz);
    jepa_tensor *a = jepa_reshape(ctx, actions, 2, (int64_t[]){B * (T - 1), b->A});
    return add_term(ctx, total, jepa_mse_loss(ctx, a_hat, a), c->w_idm, "idm", terms, names, n);
}

static jepa_tensor *lewm_loss(jepa_ctx *ctx, jepa_model *m, const jepa_batch *b, int64_t step,
                              int training, float *terms, const char **names, int *n,
                              jepa_tensor **zp) {
    const jepa_wm_config *c = &m->cfg;
    jepa_tensor *z, *target, *actions;
    encode_all(ctx, m, b, training, &z, &target, &actions);
    *zp = z;
    int64_t T = b->T;
    // teacher forcing: positions 0..T-2 predict the latents 1..T-1
    jepa_tensor *pred = jepa_wm_lewm_predict(ctx, m, jepa_slice(ctx, z, 1, 0, T - 1), actions,
                                             training);
    jepa_tensor *total = add_term(ctx, NULL, jepa_mse_loss(ctx, pred, target),
                                  c->w_pred, "pred", terms, names, n);
    // the predictor's own rollout, as planning runs it: from the first `history` latents (or
    // rollout_from), each later one predicted from the predictions before it
    if (c->w_rollout > 0) {
        int64_t h0 = c->rollout_from ? c->rollout_from : c->history;
        jepa_tensor *past = h0 > 1 ? jepa_slice(ctx, actions, 1, 0, h0 - 1) : NULL;
        jepa_tensor *roll = jepa_model_rollout(ctx, m, jepa_slice(ctx, z, 1, 0, h0), past,
                                               jepa_slice(ctx, actions, 1, h0 - 1, T - 1));
        jepa_tensor *later = jepa_slice(ctx, target, 1, h0 - 1, T - 1);
        total = add_term(ctx, total, jepa_mse_loss(ctx, roll, later), c->w_rollout, "rollout",
                         terms, names, n);
    }
    if (c->freeze_encoder) return total;
    // SIGReg on each frame's latents across the batch, as LeWM: groups (T, B, D)
    jepa_tensor *sig = jepa_sigreg(ctx, jepa_transpose(ctx, z, 0, 1), c->sigreg_directions, c->sigreg_points, 3.0f,
                                   (uint64_t)c->seed, (uint64_t)step);
    return add_term(ctx, total, sig, c->w_sigreg, "sigreg", terms, names, n);
}

// the state read-out's error: each frame's latent read out linearly against its state's
// normalized features (B*T, F)
static jepa_tensor *state_loss(jepa_ctx *ctx, jepa_model *m, const jepa_batch *b, jepa_tensor *z) {
    int64_t N = b->B * b->T, F = m->state_features;
    JEPA_CHECK_MSG(b->S == m->state_dim, "the batch's states are not the model's");
    const float *shift = jepa_params_tensor(&m->params, m->state_shift)->data;
    const float *scale = jepa_params_tensor(&m->params, m->state_scale)->data;
    jepa_tensor *want = jepa_new2(ctx, N, F);
    for (int64_t i = 0; i < N; i++) {
        float *f = want->data + i * F;
        jepa_model_state_features(m, b->states + i * b->S, f);
        for (int64_t k = 0; k < F; k++) f[k] = (f[k] - shift[k]) * scale[k];
    }
    jepa_tensor *flat = jepa_reshape(ctx, z, 2, (int64_t[]){N, m->cfg.latent});
    return jepa_mse_loss(ctx, jepa_model_state_readout(ctx, m, flat), want);
}

// the keypoint decoder's error: each frame's keypoints (the latent's first 2K values, unscaled)
// drawn as the frame in grey (the mean of its channels) at recon_side pixels, averaged over
// squares
static jepa_tensor *recon_loss(jepa_ctx *ctx, jepa_model *m, const jepa_batch *b, jepa_tensor *z) {
    int64_t N = b->B * b->T, K2 = 2 * m->cfg.keypoints, S = m->cfg.recon_side, f = b->H / S;
    JEPA_CHECK_MSG(b->H == m->cfg.image && b->W == m->cfg.image, "the batch's frames are not the model's");
    jepa_tensor *want = jepa_new4(ctx, N, 1, S, S);
    float norm = 1.0f / (float)(3 * f * f);
    for (int64_t i = 0; i < N; i++)
        for (int64_t y = 0; y < S; y++)
            for (int64_t x = 0; x < S; x++) {
                float sum = 0;
                for (int64_t c = 0; c < 3; c++)
                    for (int64_t dy = 0; dy < f; dy++)
                        for (int64_t dx = 0; dx < f; dx++)
                            sum += b->frames[((i * 3 + c) * b->H + y * f + dy) * b->W + x * f + dx];
                want->data[(i * S + y) * S + x] = sum * norm;
            }
    jepa_tensor *flat = jepa_reshape(ctx, z, 2, (int64_t[]){N, m->cfg.latent});
    jepa_tensor *kp = jepa_scale(ctx, jepa_slice(ctx, flat, 1, 0, K2), (float)(1.0 / m->cfg.keypoint_scale));
    return jepa_mse_loss(ctx, jepa_keypoint_decoder_forward(ctx, &m->params, &m->keypoint_dec, kp),
                         want);
}

jepa_tensor *jepa_model_loss(jepa_ctx *ctx, jepa_model *m, const jepa_batch *batch, int64_t step,
                             int training, float *terms, const char **names, int *n_terms) {
    jepa_window w = jepa_model_window(m);
    JEPA_CHECK_MSG(batch->T == w.frames && batch->A == m->step_action_dim,
                   "the batch's windows are not the model's");
    JEPA_CHECK_MSG(!m->cfg.freeze_encoder || batch->latents,
                   "a frozen encoder's batches carry their latents");
    *n_terms = 0;
    jepa_tensor *z;
    jepa_tensor *total = m->recipe == JEPA_RECIPE_LEWM
                             ? lewm_loss(ctx, m, batch, step, training, terms, names, n_terms, &z)
                             : pldm_loss(ctx, m, batch, training, terms, names, n_terms, &z);
    if (m->cfg.w_state > 0 && !m->cfg.freeze_encoder)
        total = add_term(ctx, total, state_loss(ctx, m, batch, z), m->cfg.w_state, "state", terms,
                         names, n_terms);
    if (m->cfg.w_recon > 0 && !m->cfg.freeze_encoder)
        total = add_term(ctx, total, recon_loss(ctx, m, batch, z), m->cfg.w_recon, "recon", terms,
                         names, n_terms);
    names[*n_terms] = "total";
    terms[(*n_terms)++] = total->data[0];
    return total;
}

void jepa_model_refit_norms(jepa_ctx *ctx, jepa_model *m, const jepa_batch *batch, int index) {
    if (m->recipe != JEPA_RECIPE_LEWM) return;
    // the encoder's projector (a frozen encoder's latents come with the batch) and pred_proj
    jepa_norm *bns[2];
    float momentum[2], terms[JEPA_WM_MAX_TERMS];
    int n = 0;
    if (!m->cfg.freeze_encoder && !jepa_wm_keypoints(m)) bns[n++] = &m->projector.bn;
    if (m->cfg.pred_proj_hidden) bns[n++] = &m->pred_proj.bn;
    if (!n) return;
    const char *names[JEPA_WM_MAX_TERMS];
    int n_terms = 0, grad = jepa_ctx_set_grad(ctx, 0);
    jepa_ctx_reset(ctx);
    for (int i = 0; i < n; i++) {
        momentum[i] = bns[i]->momentum;
        bns[i]->momentum = 1.0f / (float)(index + 1); // the mean of the batches so far
    }
    jepa_model_loss(ctx, m, batch, 0, 1, terms, names, &n_terms);
    for (int i = 0; i < n; i++) bns[i]->momentum = momentum[i];
    jepa_ctx_set_grad(ctx, grad);
}
