// SIGReg (LeWM; LeJEPA, Balestriero and LeCun 2025): the Epps-Pulley statistic of the
// embeddings projected on random unit directions, averaged over directions.
//
// Followed: SIGReg of lucas-maes/le-wm (module.py, used by its train.py on the embeddings
// transposed to (T, B, D), num_proj 1024, knots 17, weight 0.09 in config/train/lewm.yaml):
// directions = standard Gaussian (D, M) with every column divided by its L2 norm, re-drawn at
// every call; projections z @ dirs used as they are; the statistic of epps_pulley.c.
#include <math.h>

#include "jepa/ops_linalg.h"
#include "jepa/regularizers.h"
#include "jepa/rng.h"
#include "jepa/status.h"

void jepa_sigreg_directions(float *dirs, int64_t D, int64_t M, uint64_t seed, uint64_t step) {
    JEPA_CHECK_MSG(D >= 1 && M >= 1, "sigreg: empty directions");
    jepa_rng rng;
    jepa_rng_init(&rng, seed, step);
    jepa_rng_fill_normal(&rng, dirs, D * M, 0.0f, 1.0f);
    // every column to unit length
    for (int64_t m = 0; m < M; m++) {
        double sq = 0.0;
        for (int64_t i = 0; i < D; i++) sq += (double)dirs[i * M + m] * (double)dirs[i * M + m];
        float inv = (float)(1.0 / sqrt(sq));
        for (int64_t i = 0; i < D; i++) dirs[i * M + m] *= inv;
    }
}

jepa_tensor *jepa_sigreg_with_directions(jepa_ctx *ctx, jepa_tensor *z, jepa_tensor *dirs,
                                         int n_points, float t_max) {
    JEPA_CHECK_MSG(z->ndim == 2 || z->ndim == 3, "sigreg: z must be (N, D) or (G, N, D)");
    JEPA_CHECK_MSG(dirs->ndim == 2 && dirs->shape[0] == z->shape[z->ndim - 1],
                   "sigreg: dirs must be (D, M) with z's D");
    return jepa_epps_pulley(ctx, jepa_matmul(ctx, z, dirs, 0, 0), n_points, t_max);
}

jepa_tensor *jepa_sigreg(jepa_ctx *ctx, jepa_tensor *z, int n_directions, int n_points, float t_max,
                         uint64_t seed, uint64_t step) {
    JEPA_CHECK_MSG(z->ndim == 2 || z->ndim == 3, "sigreg: z must be (N, D) or (G, N, D)");
    JEPA_CHECK_MSG(n_directions >= 1, "sigreg: n_directions must be >= 1");
    int64_t D = z->shape[z->ndim - 1];
    jepa_tensor *dirs = jepa_new2(ctx, D, n_directions);
    jepa_sigreg_directions(dirs->data, D, n_directions, seed, step);
    return jepa_sigreg_with_directions(ctx, z, dirs, n_points, t_max);
}
