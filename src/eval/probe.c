// Linear probes by ridge regression.
#include "jepa/probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jepa/regularizers.h"
#include "jepa/wm.h"

jepa_status jepa_ridge_r2(const float *Xtr, const float *Ytr, int64_t Ntr, const float *Xte,
                          const float *Yte, int64_t Nte, int D, int S, double lambda, double *r2) {
    int K = D + 1; // features and a bias column
    double *A = calloc((size_t)K * K, sizeof(double)), *B = calloc((size_t)K * S, sizeof(double));
    double *mean = calloc((size_t)S, sizeof(double)), *ss = calloc((size_t)S, sizeof(double));
    double *sse = calloc((size_t)S, sizeof(double));
    if (!A || !B || !mean || !ss || !sse) {
        free(A), free(B), free(mean), free(ss), free(sse);
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
        // R^2 = 1 - SSE / SS on the test set; the mean as sum / N, exact for a constant
        // variable (a sum of floats in double is exact), so its SS is 0 and its R^2 NaN
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
            r2[s] = constant ? NAN : 1.0 - sse[s] / ss[s];
        }
    }
    free(A), free(B), free(mean), free(ss), free(sse);
    return st;
}

jepa_status jepa_probe_encode(jepa_model *m, const jepa_dataset *ds, const int64_t *episodes,
                              int64_t n_episodes, int64_t max_frames, float **latents,
                              float **states, int64_t *n, char *err, size_t err_size) {
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
    jepa_window one = {1, 1};
    jepa_batch b;
    jepa_ctx *ctx = jepa_ctx_create(0);
    if (!*latents || !*states || !ctx || jepa_batch_alloc(&b, ds, &one, T1) != JEPA_OK) {
        free(*latents), free(*states);
        *latents = *states = NULL;
        jepa_ctx_free(ctx);
        return jepa_fail(err, err_size, JEPA_ERR_NOMEM, "probe: out of memory");
    }
    jepa_ctx_set_grad(ctx, 0);
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
    }
    jepa_batch_free(&b);
    jepa_ctx_free(ctx);
    return JEPA_OK;
}

jepa_status jepa_probe_run(jepa_model *m, const jepa_dataset *ds, const int64_t *train,
                           int64_t n_train, const int64_t *test, int64_t n_test, double *r2,
                           float *monitors, char *err, size_t err_size) {
    float *xtr = NULL, *ytr = NULL, *xte = NULL, *yte = NULL;
    int64_t ntr = 0, nte = 0;
    jepa_status st = jepa_probe_encode(m, ds, train, n_train, 4000, &xtr, &ytr, &ntr, err, err_size);
    if (st == JEPA_OK) st = jepa_probe_encode(m, ds, test, n_test, 2000, &xte, &yte, &nte, err, err_size);
    if (st == JEPA_OK) {
        st = jepa_ridge_r2(xtr, ytr, ntr, xte, yte, nte, m->cfg.latent, (int)ds->state_dim,
                           1e-3 * (double)ntr, r2);
        if (st != JEPA_OK) jepa_fail(err, err_size, st, "probe: the latents are degenerate");
    }
    if (st == JEPA_OK && monitors) {
        monitors[0] = jepa_embedding_std(xte, nte, m->cfg.latent);
        monitors[1] = jepa_effective_rank(xte, nte, m->cfg.latent);
    }
    free(xtr), free(ytr), free(xte), free(yte);
    return st;
}
