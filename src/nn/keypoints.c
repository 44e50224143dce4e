// Keypoints: the spatial-softmax encoder and the Gaussian-map decoder of a deep spatial
// autoencoder, built from differentiable ops.
#include <stdio.h>

#include "jepa/nn.h"
#include "jepa/ops_activation.h"
#include "jepa/ops_elementwise.h"
#include "jepa/ops_linalg.h"
#include "jepa/ops_view.h"

// -1 at index 0, +1 at index n - 1 (0 when n is 1)
static float grid(int64_t i, int64_t n) {
    return n > 1 ? -1.0f + 2.0f * (float)i / (float)(n - 1) : 0.0f;
}

static void convs_init(jepa_conv *conv, jepa_params *p, const char *name, const int64_t *ch,
                       const int *kernel, const int *stride) {
    for (int i = 0; i < 3; i++) {
        char full[JEPA_NN_NAME_MAX];
        snprintf(full, sizeof full, "%s.convs.%d", name, i);
        jepa_conv_init(&conv[i], p, full, ch[i], ch[i + 1], kernel[i], stride[i], kernel[i] / 2, 1);
    }
}

// conv, ReLU, conv, ReLU, conv
static jepa_tensor *convs_forward(jepa_ctx *ctx, jepa_params *p, const jepa_conv *conv,
                                  jepa_tensor *x) {
    for (int i = 0; i < 3; i++) {
        x = jepa_conv_forward(ctx, p, &conv[i], x);
        if (i < 2) x = jepa_relu(ctx, x);
    }
    return x;
}

void jepa_keypoint_encoder_init(jepa_keypoint_encoder *e, jepa_params *p, const char *name,
                                int64_t channels, int64_t keypoints) {
    JEPA_CHECK_MSG(keypoints >= 1, "keypoint encoder: at least one keypoint");
    e->keypoints = keypoints;
    int64_t ch[4] = {channels, JEPA_KEYPOINT_WIDTH, JEPA_KEYPOINT_WIDTH, keypoints};
    convs_init(e->conv, p, name, ch, (int[]){5, 3, 3}, (int[]){2, 1, 1});
    char full[JEPA_NN_NAME_MAX];
    snprintf(full, sizeof full, "%s.log_temperature", name);
    e->log_temperature = jepa_params_add(p, full, 1, (int64_t[]){1}, 1);
    jepa_params_set_init(p, e->log_temperature, JEPA_INIT_CONST, 0.0f);
}

jepa_tensor *jepa_spatial_softmax(jepa_ctx *ctx, jepa_tensor *maps, jepa_tensor *log_temperature) {
    JEPA_CHECK_MSG(maps->ndim == 4, "spatial softmax: maps are (N, K, h, w)");
    int64_t N = maps->shape[0], K = maps->shape[1], h = maps->shape[2], w = maps->shape[3];
    jepa_tensor *flat = jepa_reshape(ctx, maps, 3, (int64_t[]){N, K, h * w});
    jepa_tensor *inv_t = jepa_exp(ctx, jepa_neg(ctx, log_temperature));
    jepa_tensor *prob = jepa_softmax(ctx, jepa_mul(ctx, flat, inv_t), -1);
    // each pixel's (x, y), so that prob @ xy is each map's expected position
    jepa_tensor *xy = jepa_new2(ctx, h * w, 2);
    for (int64_t i = 0; i < h; i++)
        for (int64_t j = 0; j < w; j++) {
            xy->data[2 * (i * w + j)] = grid(j, w);
            xy->data[2 * (i * w + j) + 1] = grid(i, h);
        }
    jepa_tensor *pos = jepa_matmul(ctx, prob, xy, 0, 0);                     // (N, K, 2)
    return jepa_reshape(ctx, jepa_transpose(ctx, pos, 1, 2), 2, (int64_t[]){N, 2 * K});
}

jepa_tensor *jepa_keypoint_encoder_forward(jepa_ctx *ctx, jepa_params *p,
                                           const jepa_keypoint_encoder *e, jepa_tensor *x) {
    jepa_tensor *maps = convs_forward(ctx, p, e->conv, x);
    return jepa_spatial_softmax(ctx, maps, jepa_params_tensor(p, e->log_temperature));
}

void jepa_keypoint_decoder_init(jepa_keypoint_decoder *d, jepa_params *p, const char *name,
                                int64_t keypoints, int64_t side, float sigma) {
    JEPA_CHECK_MSG(keypoints >= 1 && side >= 1 && sigma > 0, "keypoint decoder: bad sizes");
    d->keypoints = keypoints;
    d->side = side;
    d->sigma = sigma;
    int64_t ch[4] = {keypoints, JEPA_KEYPOINT_WIDTH, JEPA_KEYPOINT_WIDTH, 1};
    convs_init(d->conv, p, name, ch, (int[]){5, 5, 5}, (int[]){1, 1, 1});
}

// exp(-(g - c)^2 / (2 sigma^2)) for c (N, K, 1, 1) against the grid g laid along dim (2: rows,
// 3: columns): (N, K, side, 1) or (N, K, 1, side)
static jepa_tensor *profile(jepa_ctx *ctx, jepa_tensor *c, int64_t side, float sigma, int dim) {
    jepa_tensor *g = dim == 2 ? jepa_new2(ctx, side, 1) : jepa_new2(ctx, 1, side);
    for (int64_t i = 0; i < side; i++) g->data[i] = grid(i, side);
    jepa_tensor *d2 = jepa_square(ctx, jepa_sub(ctx, g, c));
    return jepa_exp(ctx, jepa_scale(ctx, d2, -1.0f / (2.0f * sigma * sigma)));
}

jepa_tensor *jepa_gaussian_maps(jepa_ctx *ctx, jepa_tensor *z, int64_t side, float sigma) {
    JEPA_CHECK_MSG(z->ndim == 2 && z->shape[1] % 2 == 0, "gaussian maps: z is (N, 2K)");
    int64_t N = z->shape[0], K = z->shape[1] / 2;
    // reshape copies the strided slices
    jepa_tensor *x = jepa_reshape(ctx, jepa_slice(ctx, z, 1, 0, K), 4, (int64_t[]){N, K, 1, 1});
    jepa_tensor *y = jepa_reshape(ctx, jepa_slice(ctx, z, 1, K, 2 * K), 4, (int64_t[]){N, K, 1, 1});
    // the Gaussian is separable: a column profile in y times a row profile in x
    return jepa_mul(ctx, profile(ctx, y, side, sigma, 2), profile(ctx, x, side, sigma, 3));
}

jepa_tensor *jepa_keypoint_decoder_forward(jepa_ctx *ctx, jepa_params *p,
                                           const jepa_keypoint_decoder *d, jepa_tensor *z) {
    JEPA_CHECK_MSG(z->ndim == 2 && z->shape[1] == 2 * d->keypoints,
                   "keypoint decoder: z is (N, 2 x keypoints)");
    return convs_forward(ctx, p, d->conv, jepa_gaussian_maps(ctx, z, d->side, d->sigma));
}
