// Linear probes: ridge regression R^2 against exact linear data, independent noise, constant
// variables and a 1-D regression worked by hand; then jepa_probe_encode against the encoder
// run frame by frame on a tiny model and dataset, and a model's own state read-out against the
// errors of a constant read-out worked by hand.
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static void fill_uniform(float *x, int64_t n, uint64_t seed, float lo, float hi) {
    jepa_rng rng;
    jepa_rng_init(&rng, seed, 0);
    jepa_rng_fill_uniform(&rng, x, n, lo, hi);
}

// Y = X W + b exactly (computed in double): R^2 = 1 on held-out rows
static void test_exact_linear(void) {
    enum { N = 200, D = 5, S = 3 };
    static float Xtr[N * D], Xte[N * D], Ytr[N * S], Yte[N * S], W[D * S], b[S];
    fill_uniform(Xtr, N * D, 1, -2, 2);
    fill_uniform(Xte, N * D, 2, -2, 2);
    fill_uniform(W, D * S, 3, -1, 1);
    fill_uniform(b, S, 4, -5, 5);
    for (int i = 0; i < N; i++)
        for (int s = 0; s < S; s++) {
            double ytr = b[s], yte = b[s];
            for (int d = 0; d < D; d++) {
                ytr += (double)Xtr[i * D + d] * W[d * S + s];
                yte += (double)Xte[i * D + d] * W[d * S + s];
            }
            Ytr[i * S + s] = (float)ytr;
            Yte[i * S + s] = (float)yte;
        }
    double r2[S];
    CHECK(jepa_ridge_r2(Xtr, Ytr, N, Xte, Yte, N, D, S, 1e-9, r2) == JEPA_OK);
    for (int s = 0; s < S; s++) CHECK_NEAR(r2[s], 1.0, 1e-6); // float rounding of Y only
}

// Y independent of X: nothing to explain on held-out rows, R^2 <= about 0
static void test_noise(void) {
    enum { N = 400, D = 6, S = 2 };
    static float Xtr[N * D], Xte[N * D], Ytr[N * S], Yte[N * S];
    fill_uniform(Xtr, N * D, 5, -1, 1);
    fill_uniform(Xte, N * D, 6, -1, 1);
    fill_uniform(Ytr, N * S, 7, -1, 1);
    fill_uniform(Yte, N * S, 8, -1, 1);
    double r2[S];
    CHECK(jepa_ridge_r2(Xtr, Ytr, N, Xte, Yte, N, D, S, 1e-3, r2) == JEPA_OK);
    // expected about -D/N = -0.015; a chance fit of noise stays below a few hundredths
    for (int s = 0; s < S; s++) CHECK(r2[s] <= 0.03 && r2[s] > -0.2);
}

// a variable constant on the test set has no variance to explain: NaN, whatever the constant
// and the number of rows (the mean must be exactly the constant)
static void test_constant(void) {
    enum { D = 2, S = 3 };
    static const float values[] = {32.0f, 0.1f, 3.7f, -1234.567f, 1e-3f};
    static const int rows[] = {11, 33, 200, 997};
    float Xtr[50 * D], Ytr[50 * S];
    static float Xte[997 * D], Yte[997 * S];
    fill_uniform(Xtr, 50 * D, 9, -1, 1);
    fill_uniform(Ytr, 50 * S, 10, -1, 1);
    fill_uniform(Xte, 997 * D, 11, -1, 1);
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++)
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            int n = rows[r];
            // variable 1 is constant, 0 and 2 are not
            for (int i = 0; i < n; i++) {
                Yte[i * S + 0] = Xte[i * D];
                Yte[i * S + 1] = values[v];
                Yte[i * S + 2] = (float)i;
            }
            double r2[S];
            CHECK(jepa_ridge_r2(Xtr, Ytr, 50, Xte, Yte, n, D, S, 1e-3, r2) == JEPA_OK);
            if (!isnan(r2[1]))
                fprintf(stderr, "  constant %g over %d rows: R^2 = %g\n", values[v], n, r2[1]);
            CHECK(isnan(r2[1]) && !isnan(r2[0]) && !isnan(r2[2]));
        }
}

// 1-D by hand: x = 0 1 2 3, y = 1 3 2 5 (and y2 = 1 - 2x); xbar = 1.5, ybar = 2.75, Sxx = 5,
// Sxy = 5.5
static void test_by_hand(void) {
    const float x[4] = {0, 1, 2, 3}, y[8] = {1, 1, 3, -1, 2, -3, 5, -5};
    double r2[2];
    // least squares: slope 1.1, intercept 1.1, fitted 1.1 2.2 3.3 4.4; on the same rows
    // SSE = 0.01 + 0.64 + 1.69 + 0.36 = 2.7, SS = 8.75: R^2 = 1 - 2.7/8.75; y2 is exact
    CHECK(jepa_ridge_r2(x, y, 4, x, y, 4, 1, 2, 0.0, r2) == JEPA_OK);
    CHECK_NEAR(r2[0], 1.0 - 2.7 / 8.75, 1e-9);
    CHECK_NEAR(r2[1], 1.0, 1e-9);
    // ridge 1 on the slope only: slope = Sxy / (Sxx + 1) = 11/12, intercept = ybar - slope xbar
    // = 11/8; on x = 4, -1 with y = 6, 0: fitted 121/24 and 11/24, SSE = (23^2 + 11^2) / 24^2,
    // SS = 18
    const float xte[2] = {4, -1}, yte[4] = {6, 0, 0, 0};
    float yte2[4] = {6, -7, 0, 3}; // y2 = 1 - 2x on the test rows
    CHECK(jepa_ridge_r2(x, y, 4, xte, yte, 2, 1, 2, 1.0, r2) == JEPA_OK);
    CHECK_NEAR(r2[0], 1.0 - (23.0 * 23.0 + 11.0 * 11.0) / 576.0 / 18.0, 1e-9);
    CHECK(isnan(r2[1])); // y2 is 0 on both test rows
    // y2 under ridge 1: Sxy = -10, slope = -10/6, intercept = -2 + 2.5 = 1/2; fitted -37/6
    // and 13/6 against -7 and 3: SSE = 2 (5/6)^2 = 25/18, SS = 2 * 5^2 = 50
    CHECK(jepa_ridge_r2(x, y, 4, xte, yte2, 2, 1, 2, 1.0, r2) == JEPA_OK);
    CHECK_NEAR(r2[1], 1.0 - 25.0 / 18.0 / 50.0, 1e-9);
    // features without variance and no ridge: the normal equations are singular
    const float flat[4] = {0, 0, 0, 0};
    CHECK(jepa_ridge_r2(flat, y, 4, xte, yte, 2, 1, 2, 0.0, r2) == JEPA_ERR_NUMERIC);
}

// an angle probed as its cosine and sine: latents (cos, sin) of an angle that wraps read it
// whole, where the raw angle's R^2 is poor; one of the two gives the pooled share of its column
static void test_angle(void) {
    enum { N = 400, D = 2, S = 2 };
    float X[N * D], Y[N * S], Xc[N * D];
    for (int i = 0; i < N; i++) {
        float th = 2.0f * (float)M_PI * ((float)i + 0.5f) / N; // [0, 2 pi), both halves
        X[i * D] = cosf(th), X[i * D + 1] = sinf(th);
        Xc[i * D] = cosf(th), Xc[i * D + 1] = 0.0f;
        Y[i * S] = th, Y[i * S + 1] = 0.5f * cosf(th) + 1.0f;
    }
    double raw[S], r2[S];
    CHECK(jepa_ridge_r2(X, Y, N, X, Y, N, D, S, 1e-9, raw) == JEPA_OK);
    CHECK(jepa_probe_r2(X, Y, N, X, Y, N, D, S, 1u, 1e-9, r2) == JEPA_OK);
    CHECK(raw[0] < 0.8);          // the jump at 2 pi defeats a linear fit of the raw angle
    CHECK_NEAR(r2[0], 1.0, 1e-6); // cos and sin are the latents
    CHECK_NEAR(r2[1], raw[1], 1e-12);
    CHECK_NEAR(r2[1], 1.0, 1e-6); // the other variable, untouched
    // only the cosine in the latents: cos fits, sin not at all; their sums of squares are equal
    // over a whole turn, so the pooled R^2 is 1/2
    CHECK(jepa_probe_r2(Xc, Y, N, Xc, Y, N, D, S, 1u, 1e-9, r2) == JEPA_OK);
    CHECK_NEAR(r2[0], 0.5, 1e-6);
    // an angle constant on the test rows has no R^2
    float Yk[N * S];
    for (int i = 0; i < N; i++) Yk[i * S] = 1.0f, Yk[i * S + 1] = Y[i * S + 1];
    CHECK(jepa_probe_r2(X, Y, N, X, Yk, N, D, S, 1u, 1e-9, r2) == JEPA_OK);
    CHECK(isnan(r2[0]) && isfinite(r2[1]));
    CHECK(jepa_probe_r2(X, Y, N, X, Y, N, D, 0, 1u, 1e-9, r2) == JEPA_ERR_INVALID);
}

// a fresh temporary folder `name` (test_root) and a collection into its "data" (dir): 1 when made
static int collect_tmp(const char *name, const jepa_collect_config *cc, char *dir, size_t size) {
    char err[512];
    const char *root = test_tmpdir(name);
    if (!root) return 0;
    snprintf(dir, size, "%s/data", root);
    return jepa_collect(cc, dir, NULL, err, sizeof err) == JEPA_OK;
}

// jepa_probe_encode: every frame of the listed episodes, in order, encoded as the model
// encodes one frame at a time, with its state; or frames spread evenly over them
static void test_encode(void) {
    char dir[512], err[512];
    jepa_collect_config cc = {.env = "tworoom",
                              .episodes = 4,
                              .steps = 5,
                              .seed = 2,
                              .policy = JEPA_POLICY_MIXED,
                              .size = 16};
    if (!collect_tmp("probe", &cc, dir, sizeof dir)) {
        CHECK(0);
        return;
    }
    const char *root = test_root();
    jepa_dataset ds;
    jepa_wm_config cfg;
    jepa_model m;
    jepa_wm_config_defaults(&cfg);
    CHECK(jepa_wm_config_parse(
              &cfg, "{\"image\": 16, \"cnn_stages\": 2, \"cnn_width\": 8, \"latent\": 8}", "test",
              err, sizeof err) == JEPA_OK);
    CHECK(jepa_dataset_open(&ds, dir, err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_create(&m, &cfg, 2, 2, 0, 0, err, sizeof err) == JEPA_OK);
    int64_t eps[2] = {3, 1}, n = 0, T1 = 6, D = 8;
    float *lat = NULL, *states = NULL;
    CHECK(jepa_probe_encode(&m, &ds, eps, 2, 1000, &lat, &states, &n, NULL, err, sizeof err) == JEPA_OK);
    CHECK(n == 2 * T1);
    jepa_window one = {.frames = 1, .frameskip = 1};
    jepa_batch b;
    CHECK(jepa_batch_alloc(&b, &ds, &one, 1) == JEPA_OK);
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_ctx_set_grad(ctx, 0);
    double worst = 0;
    int states_ok = 1;
    for (int e = 0; e < 2 && lat; e++)
        for (int64_t t = 0; t < T1; t++) {
            jepa_dataset_window(&ds, &one, eps[e], t, &b, 0);
            jepa_ctx_reset(ctx);
            jepa_tensor *f = jepa_wrap(ctx, b.frames, NULL, 4, (int64_t[]){1, 3, 16, 16});
            jepa_tensor *z = jepa_model_encode(ctx, &m, &m.params, f, NULL, 0);
            float zf[8];
            jepa_tensor_gather(zf, z);
            double c = test_compare(lat + (e * T1 + t) * D, zf, D, 1e-5, 1e-4); // batched vs one
            worst = c > worst ? c : worst;
            states_ok &= !memcmp(states + (e * T1 + t) * 4, b.states, sizeof(float) * 4);
        }
    CHECK(worst <= 1.0 && states_ok);
    free(lat);
    free(states);
    // max_frames 3 of 12 frames: numbers 0, 4 and 8, spread over both episodes (t 0 and 4 of
    // episode 3, t 2 of episode 1), with their states
    CHECK(jepa_probe_encode(&m, &ds, eps, 2, 3, &lat, &states, &n, NULL, err, sizeof err) == JEPA_OK);
    CHECK(n == 3);
    const int64_t pick[3][2] = {{3, 0}, {3, 4}, {1, 2}};
    for (int i = 0; i < 3 && states; i++) {
        jepa_dataset_window(&ds, &one, pick[i][0], pick[i][1], &b, 0);
        CHECK(!memcmp(states + i * 4, b.states, sizeof(float) * 4));
    }
    free(lat);
    free(states);
    // no episodes: an error, not a read past the list
    lat = states = NULL;
    CHECK(jepa_probe_encode(&m, &ds, eps, 0, 1000, &lat, &states, &n, NULL, err, sizeof err) ==
          JEPA_ERR_INVALID);
    CHECK(lat == NULL && states == NULL);
    // frames of another size than the model's: both sizes named
    jepa_model big;
    CHECK(jepa_wm_config_parse(&cfg, "{\"image\": 32}", "test", err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_create(&big, &cfg, 2, 2, 0, 0, err, sizeof err) == JEPA_OK);
    CHECK(jepa_probe_encode(&big, &ds, eps, 2, 1000, &lat, &states, &n, NULL, err, sizeof err) ==
          JEPA_ERR_SHAPE);
    CHECK(strstr(err, "16x16") != NULL && strstr(err, "32") != NULL && lat == NULL);
    jepa_model_free(&big);
    // the whole probe: one finite R^2 per varying state variable, NaN for the constant ones
    double r2[4];
    int64_t train[3] = {0, 1, 2}, test[1] = {3};
    CHECK(jepa_probe_run(&m, &ds, train, 3, test, 1, JEPA_PROBE_FRAMES, r2, NULL, err,
                         sizeof err) == JEPA_OK);
    CHECK(isfinite(r2[0]) && isfinite(r2[1]) && isnan(r2[2]) && isnan(r2[3]));
    // on fewer frames: the fit on `frames` of the training frames, the score on half as many
    // held-out ones, as the encoder and the read-out give them by hand
    double r2f[4], r2h[4];
    float *xtr = NULL, *ytr = NULL, *xte = NULL, *yte = NULL;
    int64_t ntr = 0, nte = 0;
    CHECK(jepa_probe_run(&m, &ds, train, 3, test, 1, 12, r2f, NULL, err, sizeof err) == JEPA_OK);
    CHECK(jepa_probe_encode(&m, &ds, train, 3, 12, &xtr, &ytr, &ntr, NULL, err, sizeof err) == JEPA_OK);
    CHECK(jepa_probe_encode(&m, &ds, test, 1, 6, &xte, &yte, &nte, NULL, err, sizeof err) == JEPA_OK);
    CHECK(ntr == 12 && nte == 6);
    CHECK(jepa_probe_r2(xtr, ytr, ntr, xte, yte, nte, (int)D, 4, ds.angle_states, 1e-3 * 12.0,
                        r2h) == JEPA_OK);
    CHECK(r2f[0] == r2h[0] && r2f[1] == r2h[1] && r2f[0] != r2[0]);
    free(xtr), free(ytr), free(xte), free(yte);
    // the predictor's probe: 2 windows of 2 steps ahead from 1 encoding, spread over the
    // held-out episodes' 2 x 4 starts: (episode 3, start 0) and (episode 1, start 0). Their MSE
    // per step against the predictor rolled out by hand on those windows
    int64_t fs = m.cfg.frameskip, nw = 0, held[2] = {3, 1};
    double r2r[2 * 4], mse[2], r2t[4], want[2] = {0, 0};
    CHECK(fs * 2 <= 5);
    CHECK(jepa_probe_rollout(&m, &ds, train, 3, held, 2, JEPA_PROBE_FRAMES, 1, 2, 2, r2r, mse,
                             r2t, &nw, err, sizeof err) == JEPA_OK);
    jepa_window w3 = {.frames = 3, .frameskip = (int)fs};
    jepa_batch wb;
    CHECK(jepa_batch_alloc(&wb, &ds, &w3, 1) == JEPA_OK);
    for (int i = 0; i < 2; i++) {
        jepa_dataset_window(&ds, &w3, held[i], 0, &wb, 0);
        jepa_ctx_reset(ctx);
        jepa_tensor *f = jepa_wrap(ctx, wb.frames, NULL, 4, (int64_t[]){3, 3, 16, 16});
        jepa_tensor *z = jepa_model_encode(ctx, &m, &m.params, f, NULL, 0);
        float zf[3 * 8], pf[2 * 8];
        jepa_tensor_gather(zf, z);
        jepa_tensor *z0 = jepa_wrap(ctx, zf, NULL, 3, (int64_t[]){1, 1, D});
        jepa_tensor *a = jepa_wrap(ctx, wb.actions, NULL, 3, (int64_t[]){1, 2, wb.A});
        jepa_tensor_gather(pf, jepa_model_rollout(ctx, &m, z0, NULL, a));
        for (int h = 0; h < 2; h++)
            for (int k = 0; k < D; k++) {
                double d = pf[h * D + k] - zf[(h + 1) * D + k];
                want[h] += d * d / (2.0 * D);
            }
    }
    printf("  rollout probe: MSE %.6g, %.6g; by hand %.6g, %.6g\n", mse[0], mse[1], want[0],
           want[1]);
    CHECK(nw == 2 && fabs(mse[0] - want[0]) <= 1e-5 * want[0] &&
          fabs(mse[1] - want[1]) <= 1e-5 * want[1] && want[1] > 0);
    // a start beyond the history, and a rollout longer than the episodes: refused by name
    CHECK(jepa_probe_rollout(&m, &ds, train, 3, held, 2, JEPA_PROBE_FRAMES, m.cfg.history + 1, 2,
                             2, r2r, mse, r2t, &nw, err, sizeof err) == JEPA_ERR_INVALID &&
          strstr(err, "history"));
    CHECK(jepa_probe_rollout(&m, &ds, train, 3, held, 2, JEPA_PROBE_FRAMES, 1, 6, 2, r2r, mse,
                             r2t, &nw, err, sizeof err) == JEPA_ERR_SHAPE &&
          strstr(err, "the episodes have 5"));
    jepa_batch_free(&wb);
    jepa_ctx_free(ctx);
    jepa_batch_free(&b);
    jepa_model_free(&m);
    jepa_dataset_close(&ds);
    static const char *files[] = {"manifest.json", "frames.npy", "actions.npy", "states.npy",
                                  "proprio.npy"};
    for (int i = 0; i < 5; i++) {
        char p[640];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
    rmdir(root);
}

// the model's own state read-out against the true states: a read-out of the constant state c
// (its weights zero, its bias c's features) errs by |c - s| on every frame, an angle wrapped
static void test_readout(void) {
    char dir[512], err[512];
    jepa_collect_config cc = {.env = "pusht", .episodes = 3, .steps = 4, .seed = 5,
                              .policy = JEPA_POLICY_MIXED, .size = 16};
    if (!collect_tmp("readout", &cc, dir, sizeof dir)) {
        CHECK(0);
        return;
    }
    jepa_dataset ds;
    CHECK(jepa_dataset_open(&ds, dir, err, sizeof err) == JEPA_OK);
    int S = (int)ds.state_dim;
    jepa_wm_config cfg;
    jepa_model m, plain;
    test_tiny_config(&cfg);
    CHECK(jepa_model_create(&plain, &cfg, 2, 0, 0, 0, err, sizeof err) == JEPA_OK);
    cfg.w_state = 1.0;
    cfg.state_mask = 1 << 2 | 1 << 3 | 1 << 4; // pusht's block_x, block_y, block_angle
    CHECK(jepa_model_create(&m, &cfg, 2, 0, S, ds.angle_states, err, sizeof err) == JEPA_OK);
    float c[JEPA_WM_MAX_STATE] = {0, 0, 250.0f, 260.0f, 3.0f};
    test_constant_readout(&m, c, 0.0f, 1.0f);
    int64_t eps[3] = {0, 1, 2}, T1 = ds.steps + 1;
    double mae[JEPA_WM_MAX_STATE], rmse[JEPA_WM_MAX_STATE], am[5] = {0}, sq[5] = {0};
    CHECK(jepa_probe_readout(&m, &ds, eps, 3, 1000, mae, rmse, err, sizeof err) == JEPA_OK);
    const float *st = ds.states.data;
    for (int64_t i = 0; i < 3 * T1; i++)
        for (int s = 2; s < 5; s++) {
            double e = (double)c[s] - st[i * S + s];
            if (s == 4) e = remainder(e, 6.283185307179586);
            am[s] += fabs(e) / (double)(3 * T1), sq[s] += e * e / (double)(3 * T1);
        }
    int ok = isnan(mae[0]) && isnan(rmse[1]) && isnan(mae[5]);
    for (int s = 2; s < 5; s++)
        ok &= fabs(mae[s] - am[s]) <= 1e-4 * am[s] && fabs(rmse[s] - sqrt(sq[s])) <= 1e-4 * am[s];
    printf("  read-out errors of a constant state: block x %.4f / %.4f, angle %.4f / %.4f rad "
           "(by hand %.4f / %.4f, %.4f / %.4f): %s\n", mae[2], rmse[2], mae[4], rmse[4], am[2],
           sqrt(sq[2]), am[4], sqrt(sq[4]), ok ? "ok" : "WRONG");
    CHECK(ok && am[4] > 0 && am[4] <= 3.14159265);
    CHECK(jepa_probe_readout(&plain, &ds, eps, 3, 1000, mae, rmse, err, sizeof err) ==
              JEPA_ERR_INVALID &&
          strstr(err, "no state read-out"));
    jepa_model_free(&plain);
    jepa_model_free(&m);
    jepa_dataset_close(&ds);
}

int main(void) {
    test_exact_linear();
    test_noise();
    test_constant();
    test_by_hand();
    test_angle();
    test_encode();
    test_readout();
    test_tmpdir_remove();
    return test_finish("test_probe");
}
