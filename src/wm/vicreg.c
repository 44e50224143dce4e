// VICReg's variance and covariance terms and PLDM's temporal smoothness, composed of
// differentiable ops (small: (N, D) and (D, D) tensors, so no fused kernel).
//
// Followed: Bardes, Ponce, LeCun, "VICReg" (2022), and PLDM's VICRegObjective
// (pldm/objectives/vicreg.py of the PLDM code, Sobal et al. 2025): std = sqrt(unbiased var +
// 1e-4) per dim over the batch, relu(margin - std) averaged over dims; covariance of the
// centred batch over N - 1, squared off-diagonal entries summed and divided by D (PLDM's
// default adjust_cov divides once more by D - 1); both computed per time step and averaged.
// Temporal smoothness: PLDM's sim_loss_t, (enc[1:] - enc[:-1])^2 averaged over every element
// (time, batch and feature), i.e. per element, not per vector.
#include "jepa/ops_elementwise.h"
#include "jepa/ops_activation.h"
#include "jepa/ops_linalg.h"
#include "jepa/ops_loss.h"
#include "jepa/ops_reduce.h"
#include "jepa/ops_view.h"
#include "jepa/regularizers.h"
#include "jepa/status.h"

// z minus its mean over the samples (axis -2); z (N, D) or (G, N, D) with N >= 2
static jepa_tensor *centred(jepa_ctx *ctx, jepa_tensor *z, const char *what) {
    JEPA_CHECK_MSG((z->ndim == 2 || z->ndim == 3) && z->shape[z->ndim - 2] >= 2, what);
    int axis = -2;
    return jepa_sub(ctx, z, jepa_mean(ctx, z, 1, &axis, 1));
}

jepa_tensor *jepa_vicreg_variance(jepa_ctx *ctx, jepa_tensor *z, float gamma, float eps) {
    jepa_tensor *xc = centred(ctx, z, "vicreg_variance: z must be (N, D) or (G, N, D), N >= 2");
    int axis = -2;
    float inv = 1.0f / (float)(z->shape[z->ndim - 2] - 1);
    // unbiased variance of every dim, then its hinge below gamma
    jepa_tensor *var = jepa_scale(ctx, jepa_sum(ctx, jepa_square(ctx, xc), 1, &axis, 0), inv);
    jepa_tensor *std = jepa_sqrt(ctx, jepa_add_scalar(ctx, var, eps));
    return jepa_mean_all(ctx, jepa_relu(ctx, jepa_add_scalar(ctx, jepa_neg(ctx, std), gamma)));
}

jepa_tensor *jepa_vicreg_covariance(jepa_ctx *ctx, jepa_tensor *z) {
    jepa_tensor *xc = centred(ctx, z, "vicreg_covariance: z must be (N, D) or (G, N, D), N >= 2");
    int64_t N = z->shape[z->ndim - 2], D = z->shape[z->ndim - 1];
    int64_t G = z->ndim == 3 ? z->shape[0] : 1;
    // unbiased covariance (G, D, D)
    jepa_tensor *cov = jepa_scale(ctx, jepa_matmul(ctx, xc, xc, 1, 0), 1.0f / (float)(N - 1));
    // the off-diagonal entries by a constant mask (no cancellation against the diagonal)
    jepa_tensor *mask = jepa_new2(ctx, D, D);
    for (int64_t i = 0; i < D * D; i++) mask->data[i] = i / D == i % D ? 0.0f : 1.0f;
    jepa_tensor *off = jepa_mul(ctx, cov, mask);
    return jepa_scale(ctx, jepa_sum_all(ctx, jepa_square(ctx, off)), 1.0f / (float)(D * G));
}

jepa_tensor *jepa_temporal_smoothness(jepa_ctx *ctx, jepa_tensor *z) {
    JEPA_CHECK_MSG(z->ndim == 3 && z->shape[1] >= 2,
                   "temporal_smoothness: z must be (B, T, D) with T >= 2");
    int64_t T = z->shape[1];
    return jepa_mse_loss(ctx, jepa_slice(ctx, z, 1, 1, T), jepa_slice(ctx, z, 1, 0, T - 1));
}
