// Keypoints: the spatial softmax and the Gaussian maps against their formulas written out in
// double, their gradients against finite differences, and the encoder's and decoder's
// parameters and shapes.
#include <string.h>

#include "testutil.h"

static double grid(int64_t i, int64_t n) {
    return -1.0 + 2.0 * (double)i / (double)(n - 1);
}

static jepa_tensor *build_softmax(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    (void)user;
    return jepa_spatial_softmax(ctx, in[0], in[1]);
}

static jepa_tensor *build_maps(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    return jepa_gaussian_maps(ctx, in[0], *(int64_t *)user, 0.3f);
}

// the expected (x, y) of softmax(maps / exp(log_t)) over each map, in double
static void spatial_softmax_oracle(const float *maps, int64_t K, int64_t h, int64_t w,
                                   double log_t, double *xy) {
    for (int64_t k = 0; k < K; k++) {
        const float *m = maps + k * h * w;
        double top = -1e300, sum = 0, sx = 0, sy = 0;
        for (int64_t i = 0; i < h * w; i++)
            if (m[i] > top) top = m[i];
        for (int64_t i = 0; i < h; i++)
            for (int64_t j = 0; j < w; j++) {
                double e = exp((m[i * w + j] - top) / exp(log_t));
                sum += e;
                sx += e * grid(j, w);
                sy += e * grid(i, h);
            }
        xy[k] = sx / sum;
        xy[K + k] = sy / sum;
    }
}

static void test_spatial_softmax(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    int64_t K = 3, h = 5, w = 7;
    // a single high peak: the keypoint sits on its pixel
    jepa_tensor *maps = jepa_zeros(ctx, 4, (int64_t[]){1, K, h, w});
    int peak[3][2] = {{0, 0}, {2, 3}, {4, 6}};
    for (int k = 0; k < K; k++) maps->data[k * h * w + peak[k][0] * w + peak[k][1]] = 60.0f;
    jepa_tensor *t0 = jepa_zeros(ctx, 1, (int64_t[]){1});
    jepa_tensor *z = jepa_spatial_softmax(ctx, maps, t0);
    CHECK(z->ndim == 2 && z->shape[0] == 1 && z->shape[1] == 2 * K);
    for (int k = 0; k < K; k++) {
        CHECK_NEAR(z->data[k], grid(peak[k][1], w), 1e-6);
        CHECK_NEAR(z->data[K + k], grid(peak[k][0], h), 1e-6);
    }
    // random maps at three temperatures, two images, against the double oracle
    jepa_tensor *r = test_tensor(4, (int64_t[]){2, K, h, w}, 7, -2, 2);
    for (int t = -1; t <= 1; t++) {
        jepa_tensor *lt = jepa_zeros(ctx, 1, (int64_t[]){1});
        lt->data[0] = 0.7f * (float)t;
        jepa_tensor *zr = jepa_spatial_softmax(ctx, r, lt);
        for (int n = 0; n < 2; n++) {
            double xy[6];
            spatial_softmax_oracle(r->data + n * K * h * w, K, h, w, lt->data[0], xy);
            for (int i = 0; i < 2 * K; i++) CHECK_NEAR(zr->data[n * 2 * K + i], xy[i], 1e-6);
        }
    }
    jepa_ctx_free(ctx);
    // gradients of the maps and the temperature
    jepa_tensor *in[2] = {r, test_tensor(1, (int64_t[]){1}, 8, -0.5f, 0.5f)};
    test_gradcheck("spatial_softmax", build_softmax, NULL, in, 2, 1e-2, 1e-4, 1e-3, 200);
    test_tensor_free(in[0]);
    test_tensor_free(in[1]);
}

static void test_gaussian_maps(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    int64_t N = 2, K = 3, side = 9;
    jepa_tensor *z = test_tensor(2, (int64_t[]){N, 2 * K}, 9, -1.2f, 1.2f);
    jepa_tensor *maps = jepa_gaussian_maps(ctx, z, side, 0.3f);
    CHECK(maps->ndim == 4 && maps->shape[0] == N && maps->shape[1] == K &&
          maps->shape[2] == side && maps->shape[3] == side);
    double worst = 0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t k = 0; k < K; k++)
            for (int64_t i = 0; i < side; i++)
                for (int64_t j = 0; j < side; j++) {
                    double x = z->data[n * 2 * K + k], y = z->data[n * 2 * K + K + k];
                    double dx = grid(j, side) - x, dy = grid(i, side) - y;
                    double want = exp(-(dx * dx + dy * dy) / (2 * 0.3 * 0.3));
                    double got = maps->data[((n * K + k) * side + i) * side + j];
                    if (fabs(got - want) > worst) worst = fabs(got - want);
                }
    CHECK_NEAR(worst, 0, 1e-6);
    jepa_ctx_free(ctx);
    test_gradcheck("gaussian_maps", build_maps, &side, &z, 1, 1e-3, 1e-4, 1e-3, 200);
    test_tensor_free(z);
}

// the parameters PyTorch's nn.Conv2d stacks would have, the shapes through an autoencoder, and
// the first layer's stride: 16 x 16 frames give 8 x 8 maps
static void test_autoencoder_shapes(void) {
    jepa_params p;
    jepa_params_init(&p);
    jepa_keypoint_encoder e;
    jepa_keypoint_decoder d;
    jepa_keypoint_encoder_init(&e, &p, "encoder", 3, 4);
    jepa_keypoint_decoder_init(&d, &p, "decoder", 4, 8, 0.1f);
    CHECK(jepa_params_finalize(&p) == JEPA_OK);
    jepa_params_reset(&p, 1);
    const char *names[] = {"encoder.convs.0.weight", "encoder.convs.2.bias",
                           "encoder.log_temperature", "decoder.convs.0.weight",
                           "decoder.convs.2.weight"};
    int64_t sizes[] = {32 * 3 * 25, 4, 1, 32 * 4 * 25, 32 * 25};
    for (int i = 0; i < 5; i++) {
        int j = jepa_params_find(&p, names[i]);
        CHECK(j >= 0 && jepa_numel(&p.items[j].tensor) == sizes[i]);
    }
    CHECK(jepa_params_tensor(&p, e.log_temperature)->data[0] == 0.0f);
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_tensor *x = test_tensor(4, (int64_t[]){2, 3, 16, 16}, 11, 0, 1);
    jepa_tensor *z = jepa_keypoint_encoder_forward(ctx, &p, &e, x);
    CHECK(z->ndim == 2 && z->shape[0] == 2 && z->shape[1] == 8);
    for (int i = 0; i < 16; i++) CHECK(z->data[i] >= -1.0f && z->data[i] <= 1.0f);
    jepa_tensor *out = jepa_keypoint_decoder_forward(ctx, &p, &d, z);
    CHECK(out->ndim == 4 && out->shape[0] == 2 && out->shape[1] == 1 && out->shape[2] == 8 &&
          out->shape[3] == 8);
    test_tensor_free(x);
    jepa_ctx_free(ctx);
    jepa_params_free(&p);
}

int main(void) {
    test_spatial_softmax();
    test_gaussian_maps();
    test_autoencoder_shapes();
    return test_finish("test_keypoints");
}
