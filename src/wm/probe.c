// Linear probes by ridge regression.
#include "jepa/probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jepa/ops_shape.h"
#include "jepa/ops_view.h"
#include "jepa/regularizers.h"
#include "jepa/wm.h"

// The ridge fit on the training rows, and on the test rows each variable's sum of squared errors
// (sse) and of squared deviations from its mean (ss; 0 for a variable with one value there).
// sse and ss (S each) start at zero.
static jepa_status ridge_errors(const float *Xtr, const float *Ytr, int64_t Ntr, const float *Xte,
                                const float *Yte, int64_t Nte, int D, int S, double lambda,
                                double *sse, double *ss) {
    int K = D + 1; // features and a bias column
    double *A = calloc((size_t)K * K, sizeof(double)), *B = calloc((size_t)K * S, sizeof(double));
    double *mean = calloc((size_t)S, sizeof(double));
    if (!A || !B || !mean) {
        free(A), free(B), free(mean);
        return JEPA_ERR_NOMEM;
    }
    // normal equations [X 1]^T [X 1] W = [X 1]^T Y, ridge on the weights only
    for (int64_t i = 0; i < Ntr; i++) {
        const float *x = Xtr + i * D, *y = Ytr + i * S;
        for (int a = 0; a < K; a++) {
            double xa = a < D ? x[a] : 1.0;
            for (int b = 0; b <= a; b++) A[a * K + b] += xa * (b < D ? x[b] : 1.0);
            for (int s = 0; s < S; s++) B[a * S + s] += xa * y[s];
        }
    }
    for (int a = 0; a < D; a++) A[a * K + a] += lambda;
    // Cholesky A = L L^T in the lower triangle
    jepa_status st = JEPA_OK;
    for (int j = 0; j < K && st == JEPA_OK; j++) {
        double d = A[j * K + j];
        for (int k = 0; k < j; k++) d -= A[j * K + k] * A[j * K + k];
        if (!(d > 0)) {
            st = JEPA_ERR_NUMERIC;
            break;
        }
        A[j * K + j] = sqrt(d);
        for (int i = j + 1; i < K; i++) {
            double v = A[i * K + j];
            for (int k = 0; k < j; k++) v -= A[i * K + k] * A[j * K + k];
            A[i * K + j] = v / A[j * K + j];
        }
    }
    if (st == JEPA_OK) {
        // solve L L^T W = B, column by column
        for (int s = 0; s < S; s++) {
            for (int i = 0; i < K; i++) {
                double v = B[i * S + s];
                for (int k = 0; k < i; k++) v -= A[i * K + k] * B[k * S + s];
                B[i * S + s] = v / A[i * K + i];
            }
            for (int i = K - 1; i >= 0; i--) {
                double v = B[i * S + s];
                for (int k = i + 1; k < K; k++) v -= A[k * K + i] * B[k * S + s];
                B[i * S + s] = v / A[i * K + i];
            }
        }
        // the test set's sums; the mean as sum / N
        for (int64_t i = 0; i < Nte; i++)
            for (int s = 0; s < S; s++) mean[s] += Yte[i * S + s];
        for (int s = 0; s < S; s++) mean[s] /= (double)Nte;
        for (int64_t i = 0; i < Nte; i++) {
            const float *x = Xte + i * D;
            for (int s = 0; s < S; s++) {
                double pred = B[D * S + s];
                for (int a = 0; a < D; a++) pred += x[a] * B[a * S + s];
                double e = Yte[i * S + s] - pred, c = Yte[i * S + s] - mean[s];
                sse[s] += e * e;
                ss[s] += c * c;
            }
        }
        // a variable with one value on the test set has no variance to explain
        for (int s = 0; s < S; s++) {
            int constant = 1;
            for (int64_t i = 1; i < Nte && constant; i++) constant = Yte[i * S + s] == Yte[s];
            if (constant) ss[s] = 0.0;
        }
    }
    free(A), free(B), free(mean);
    return st;
}

// R^2 = 1 - SSE / SS, NaN for a variable with one value on the test set
jepa_status jepa_ridge_r2(const float *Xtr, const float *Ytr, int64_t Ntr, const float *Xte,
                          const float *Yte, int64_t Nte, int D, int S, double lambda, double *r2) {
    double *sse = calloc((size_t)S, sizeof(double)), *ss = calloc((size_t)S, sizeof(double));
    jepa_status st = sse && ss ? ridge_errors(Xtr, Ytr, Ntr, Xte, Yte, Nte, D, S, lambda, sse, ss)
                               : JEPA_ERR_NOMEM;
    for (int s = 0; s < S && st == JEPA_OK; s++) r2[s] = ss[s] > 0 ? 1.0 - sse[s] / ss[s] : NAN;
    free(sse), free(ss);
    return st;
}

jepa_status jepa_probe_encode(jepa_model *m, const jepa_dataset *ds, const int64_t *episodes,
                              int64_t n_episodes, int64_t max_frames, float **latents,
                              float **states, int64_t *n, jepa_progress *bar, char *err,
                              size_t err_size) {
    int64_t T1 = ds->steps + 1, D = m->cfg.latent, S = ds->state_dim;
    *latents = *states = NULL;
    *n = 0;
    if (n_episodes < 1)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "probe: no episodes to encode");
    // the data must fit the encoder
    if (ds->height != m->cfg.image || ds->width != m->cfg.image)
        return jepa_fail(err, err_size, JEPA_ERR_SHAPE,
                         "probe: frames are %lldx%lld, the model takes %d", (long long)ds->height,
                         (long long)ds->width, m->cfg.image);
    if (m->cfg.use_proprio && ds->proprio_dim != m->proprio_dim)
        return jepa_fail(err, err_size, JEPA_ERR_SHAPE,
                         "probe: proprio of %lld values, the model takes %d",
                         (long long)ds->proprio_dim, m->proprio_dim);
    // every frame, or max_frames spread evenly over all the episodes' frames (whole episodes
    // would show few distinct scenes: a block that moves in some episodes only)
    int64_t total = n_episodes * T1;
    *n = total < max_frames ? total : (max_frames > 0 ? max_frames : 1);
    *latents = malloc(sizeof(float) * (size_t)(*n * D));
    *states = malloc(sizeof(float) * (size_t)(*n * S));
    jepa_window one = {.frames = 1, .frameskip = 1};
    jepa_batch b;
    jepa_ctx *ctx = jepa_ctx_create(0);
    if (!*latents || !*states || !ctx || jepa_batch_alloc(&b, ds, &one, T1) != JEPA_OK) {
        free(*latents), free(*states);
        *latents = *states = NULL;
        jepa_ctx_free(ctx);
        return jepa_fail(err, err_size, JEPA_ERR_NOMEM, "probe: out of memory");
    }
    jepa_ctx_set_grad(ctx, 0);
    if (bar) jepa_progress_begin(bar, "encode", *n);
    // T1 frames per batch
    for (int64_t i0 = 0; i0 < *n; i0 += T1) {
        int64_t k = *n - i0 < T1 ? *n - i0 : T1;
        for (int64_t j = 0; j < k; j++) {
            int64_t g = (int64_t)((double)(i0 + j) * (double)total / (double)*n);
            jepa_dataset_window(ds, &one, episodes[g / T1], g % T1, &b, j);
        }
        jepa_ctx_reset(ctx);
        jepa_tensor *frames = jepa_wrap(ctx, b.frames, NULL, 4, (int64_t[]){k, 3, b.H, b.W});
        jepa_tensor *proprio = b.P ? jepa_wrap(ctx, b.proprio, NULL, 2, (int64_t[]){k, b.P}) : NULL;
        jepa_tensor *z = jepa_model_encode(ctx, m, &m->params, frames, proprio, 0);
        jepa_tensor_gather(*latents + i0 * D, z);
        memcpy(*states + i0 * S, b.states, sizeof(float) * (size_t)(k * S));
        if (bar) jepa_progress_update(bar, i0 + k, NULL);
    }
    if (bar) jepa_progress_end(bar, NULL);
    jepa_batch_free(&b);
    jepa_ctx_free(ctx);
    return JEPA_OK;
}

// An angle is probed as its cosine and sine, so that its wrap at 2 pi is no jump: the states
// (n, S) become (n, S + na), the cosine in the angle's column and the sine appended.
static float *angles_to_cos_sin(const float *y, int64_t n, int S, const int *sin_col, int na) {
    float *out = malloc(sizeof(float) * (size_t)(n * (S + na)));
    if (!out) return NULL;
    for (int64_t i = 0; i < n; i++) {
        const float *a = y + i * S;
        float *b = out + i * (S + na);
        memcpy(b, a, sizeof(float) * (size_t)S);
        for (int s = 0; s < S; s++)
            if (sin_col[s] >= 0) b[s] = cosf(a[s]), b[sin_col[s]] = sinf(a[s]);
    }
    return out;
}

jepa_status jepa_probe_r2(const float *xtr, const float *ytr, int64_t ntr, const float *xte,
                          const float *yte, int64_t nte, int D, int S, uint64_t angles,
                          double lambda, double *r2) {
    if (S < 1 || S > JEPA_PROBE_MAX_STATE) return JEPA_ERR_INVALID;
    // S <= 64: every variable has its bit
    int na = 0, sin_col[JEPA_PROBE_MAX_STATE];
    for (int s = 0; s < S; s++) sin_col[s] = angles >> s & 1u ? S + na++ : -1;
    if (na == 0) return jepa_ridge_r2(xtr, ytr, ntr, xte, yte, nte, D, S, lambda, r2);
    float *ytr2 = angles_to_cos_sin(ytr, ntr, S, sin_col, na);
    float *yte2 = angles_to_cos_sin(yte, nte, S, sin_col, na);
    double sse[2 * JEPA_PROBE_MAX_STATE] = {0}, ss[2 * JEPA_PROBE_MAX_STATE] = {0};
    jepa_status st = ytr2 && yte2
                         ? ridge_errors(xtr, ytr2, ntr, xte, yte2, nte, D, S + na, lambda, sse, ss)
                         : JEPA_ERR_NOMEM;
    for (int s = 0; s < S && st == JEPA_OK; s++) {
        // an angle pooled: 1 - (SSE_cos + SSE_sin) / (SS_cos + SS_sin), a constant one left out
        int cols[2] = {s, sin_col[s]};
        double e = 0, t = 0;
        for (int k = 0; k < 2; k++)
            if (cols[k] >= 0 && ss[cols[k]] > 0) e += sse[cols[k]], t += ss[cols[k]];
        r2[s] = t > 0 ? 1.0 - e / t : NAN;
    }
    free(ytr2), free(yte2);
    return st;
}

jepa_status jepa_probe_run(jepa_model *m, const jepa_dataset *ds, const int64_t *train,
                           int64_t n_train, const int64_t *test, int64_t n_test, int64_t frames,
                           double *r2, float *monitors, char *err, size_t err_size) {
    float *xtr = NULL, *ytr = NULL, *xte = NULL, *yte = NULL;
    int64_t ntr = 0, nte = 0;
    jepa_status st =
        jepa_probe_encode(m, ds, train, n_train, frames, &xtr, &ytr, &ntr, NULL, err, err_size);
    if (st == JEPA_OK)
        st = jepa_probe_encode(m, ds, test, n_test, frames / 2, &xte, &yte, &nte, NULL, err, err_size);
    if (st == JEPA_OK) {
        st = jepa_probe_r2(xtr, ytr, ntr, xte, yte, nte, m->cfg.latent, (int)ds->state_dim,
                           ds->angle_states, 1e-3 * (double)ntr, r2);
        if (st == JEPA_ERR_NOMEM)
            jepa_fail(err, err_size, st, "probe: out of memory");
        else if (st != JEPA_OK)
            jepa_fail(err, err_size, st, "probe: the latents are degenerate");
    }
    if (st == JEPA_OK && monitors) {
        monitors[0] = jepa_embedding_std(xte, nte, m->cfg.latent);
        monitors[1] = jepa_effective_rank(xte, nte, m->cfg.latent);
    }
    free(xtr), free(ytr), free(xte), free(yte);
    return st;
}

#define READOUT_ROWS 256 // latents read out at once
#define TWO_PI 6.283185307179586

jepa_status jepa_probe_readout(jepa_model *m, const jepa_dataset *ds, const int64_t *episodes,
                               int64_t n_episodes, int64_t frames, double *mae, double *rmse,
                               char *err, size_t err_size) {
    int S = m->state_dim, D = m->cfg.latent;
    if (m->cfg.w_state <= 0 || ds->state_dim != S || ds->angle_states != m->state_angles)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID,
                         m->cfg.w_state <= 0 ? "probe: the model has no state read-out (w_state)"
                                             : "probe: the data's states are not the read-out's");
    float *x = NULL, *y = NULL, got[READOUT_ROWS * JEPA_WM_MAX_STATE];
    int64_t n = 0;
    jepa_status st = jepa_probe_encode(m, ds, episodes, n_episodes, frames, &x, &y, &n, NULL, err,
                                       err_size);
    jepa_ctx *ctx = st == JEPA_OK ? jepa_ctx_create(0) : NULL;
    if (st == JEPA_OK && !ctx) st = jepa_fail(err, err_size, JEPA_ERR_NOMEM, "probe: out of memory");
    double abs_sum[JEPA_WM_MAX_STATE] = {0}, sq_sum[JEPA_WM_MAX_STATE] = {0};
    for (int64_t i0 = 0; st == JEPA_OK && i0 < n; i0 += READOUT_ROWS) {
        int64_t k = n - i0 < READOUT_ROWS ? n - i0 : READOUT_ROWS;
        jepa_ctx_reset(ctx);
        jepa_ctx_set_grad(ctx, 0);
        jepa_model_read_state(ctx, m, jepa_wrap(ctx, x + i0 * D, NULL, 2, (int64_t[]){k, D}), got);
        for (int64_t r = 0; r < k; r++)
            for (int s = 0; s < S; s++) {
                if (!jepa_model_reads(m, s)) continue; // NAN
                double e = (double)got[r * S + s] - y[(i0 + r) * S + s];
                if (m->state_angles >> s & 1) e = remainder(e, TWO_PI);
                abs_sum[s] += fabs(e), sq_sum[s] += e * e;
            }
    }
    for (int s = 0; st == JEPA_OK && s < S; s++) {
        int read = jepa_model_reads(m, s);
        mae[s] = read ? abs_sum[s] / (double)n : NAN;
        rmse[s] = read ? sqrt(sq_sum[s] / (double)n) : NAN;
    }
    jepa_ctx_free(ctx);
    free(x), free(y);
    return st;
}

jepa_status jepa_probe_rollout(jepa_model *m, const jepa_dataset *ds, const int64_t *train,
                               int64_t n_train, const int64_t *test, int64_t n_test,
                               int64_t fit_frames, int from, int horizon, int64_t windows,
                               double *r2, double *mse, double *r2_true, int64_t *n_windows,
                               char *err, size_t err_size) {
    const jepa_wm_config *c = &m->cfg;
    int64_t D = c->latent, S = ds->state_dim, T = from + horizon;
    jepa_window w = {.frames = (int)T, .frameskip = c->frameskip};
    *n_windows = 0;
    if (from < 1 || from > c->history)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID,
                         "probe: the rollout starts from 1..%d encodings (the model's history), "
                         "not %d",
                         c->history, from);
    if (horizon < 1 || horizon > JEPA_WM_MAX_ROLLOUT || windows < 1 || n_test < 1)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID,
                         "probe: a rollout of 1..%d steps over 1 window or more of held-out "
                         "episodes",
                         JEPA_WM_MAX_ROLLOUT);
    int64_t span = jepa_window_span(&w);
    if (span > ds->steps)
        return jepa_fail(err, err_size, JEPA_ERR_SHAPE,
                         "probe: a rollout of %d steps from %d encoding%s spans %lld env steps; "
                         "the episodes have %lld",
                         horizon, from, from > 1 ? "s" : "", (long long)span,
                         (long long)ds->steps);
    // the read-out's training set: the training episodes' encodings, as jepa_probe_run's
    float *xtr = NULL, *ytr = NULL, *pred = NULL, *truth = NULL, *states = NULL;
    int64_t ntr = 0, starts = ds->steps - span + 1, N = windows;
    jepa_status st =
        jepa_probe_encode(m, ds, train, n_train, fit_frames, &xtr, &ytr, &ntr, NULL, err, err_size);
    if (st != JEPA_OK) return st;
    // the windows: N spread evenly over every (episode, start) of the held-out episodes
    if (N > n_test * starts) N = n_test * starts;
    enum { CHUNK = 32 };
    pred = malloc(sizeof(float) * (size_t)(horizon * N * D));    // (horizon, N, D)
    truth = malloc(sizeof(float) * (size_t)(horizon * N * D));   // (horizon, N, D)
    states = malloc(sizeof(float) * (size_t)(horizon * N * S));  // (horizon, N, S)
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_batch b;
    memset(&b, 0, sizeof b);
    if (!pred || !truth || !states || !ctx || jepa_batch_alloc(&b, ds, &w, CHUNK) != JEPA_OK) {
        st = jepa_fail(err, err_size, JEPA_ERR_NOMEM, "probe: out of memory");
        goto done;
    }
    if ((c->use_proprio && ds->proprio_dim != m->proprio_dim) || b.A != m->step_action_dim) {
        st = jepa_fail(err, err_size, JEPA_ERR_SHAPE,
                       "probe: the data's actions (or proprio) do not fit the model");
        goto done;
    }
    jepa_ctx_set_grad(ctx, 0);
    for (int64_t i0 = 0; i0 < N; i0 += CHUNK) {
        int64_t k = N - i0 < CHUNK ? N - i0 : CHUNK;
        for (int64_t j = 0; j < k; j++) {
            int64_t g = (int64_t)((double)(i0 + j) * (double)(n_test * starts) / (double)N);
            jepa_dataset_window(ds, &w, test[g / starts], g % starts, &b, j);
        }
        jepa_ctx_reset(ctx);
        jepa_tensor *frames = jepa_wrap(ctx, b.frames, NULL, 4, (int64_t[]){k * T, 3, b.H, b.W});
        jepa_tensor *prop =
            c->use_proprio ? jepa_wrap(ctx, b.proprio, NULL, 2, (int64_t[]){k * T, b.P}) : NULL;
        jepa_tensor *z = jepa_model_encode(ctx, m, &m->params, frames, prop, 0);
        z = jepa_contiguous(ctx, jepa_reshape(ctx, z, 3, (int64_t[]){k, T, D}));
        jepa_tensor *acts = jepa_wrap(ctx, b.actions, NULL, 3, (int64_t[]){k, T - 1, b.A});
        jepa_tensor *past = from > 1 ? jepa_contiguous(ctx, jepa_slice(ctx, acts, 1, 0, from - 1))
                                     : NULL;
        jepa_tensor *roll = jepa_model_rollout(
            ctx, m, jepa_contiguous(ctx, jepa_slice(ctx, z, 1, 0, from)), past,
            jepa_contiguous(ctx, jepa_slice(ctx, acts, 1, from - 1, T - 1)));
        roll = jepa_contiguous(ctx, roll);
        for (int64_t j = 0; j < k; j++)
            for (int h = 0; h < horizon; h++) {
                int64_t row = (int64_t)h * N + i0 + j;
                memcpy(pred + row * D, roll->data + (j * horizon + h) * D, sizeof(float) * D);
                memcpy(truth + row * D, z->data + (j * T + from + h) * D, sizeof(float) * D);
                memcpy(states + row * S, b.states + (j * T + from + h) * S, sizeof(float) * S);
            }
    }
    // each step's read-out and error; the encodings of every step's frames pooled
    double lambda = 1e-3 * (double)ntr;
    for (int h = 0; h < horizon && st == JEPA_OK; h++) {
        st = jepa_probe_r2(xtr, ytr, ntr, pred + (int64_t)h * N * D, states + (int64_t)h * N * S,
                           N, (int)D, (int)S, ds->angle_states, lambda, r2 + (int64_t)h * S);
        double e = 0;
        for (int64_t i = 0; i < N * D; i++) {
            double d = pred[(int64_t)h * N * D + i] - truth[(int64_t)h * N * D + i];
            e += d * d;
        }
        mse[h] = e / (double)(N * D);
    }
    if (st == JEPA_OK)
        st = jepa_probe_r2(xtr, ytr, ntr, truth, states, horizon * N, (int)D, (int)S,
                           ds->angle_states, lambda, r2_true);
    if (st != JEPA_OK)
        jepa_fail(err, err_size, st, "probe: %s",
                  st == JEPA_ERR_NOMEM ? "out of memory" : "the latents are degenerate");
    *n_windows = N;
done:
    jepa_batch_free(&b);
    jepa_ctx_free(ctx);
    free(xtr), free(ytr), free(pred), free(truth), free(states);
    return st;
}
