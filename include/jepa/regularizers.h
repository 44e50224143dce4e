// Anti-collapse regularizers of the JEPA world-model recipes (differentiable, each a 0-d
// tensor ready for jepa_backward) and collapse monitors for training logs (plain C).
//
//   SIGReg (LeWM, LeJEPA)          jepa_sigreg, jepa_sigreg_with_directions, jepa_epps_pulley
//   VICReg terms (PLDM)            jepa_vicreg_variance, jepa_vicreg_covariance
//   temporal smoothness (PLDM)     jepa_temporal_smoothness
//   monitors                       jepa_embedding_std, jepa_effective_rank
//
// The embeddings z are (N, D), or (G, N, D) for G independent groups (e.g. time steps) whose
// statistics are averaged: LeWM applies SIGReg to (T, B, D) and PLDM its VICReg terms per
// time step. Inputs may be any views.
#ifndef JEPA_REGULARIZERS_H
#define JEPA_REGULARIZERS_H

#include <stdint.h>

#include "jepa/autograd.h"
#include "jepa/status.h"

#ifdef __cplusplus
extern "C" {
#endif

// ---- the Epps-Pulley statistic (the core of SIGReg) ----
//
// For each group g and column m of x (G, N, M) (N samples of M one-dimensional variables),
// compare the empirical characteristic function with the standard normal's, exp(-t^2/2), on
// K = n_points nodes t_k = k t_max / (K-1), k = 0..K-1:
//   C_k = mean_n cos(t_k x_n),  S_k = mean_n sin(t_k x_n)
//   T   = N * sum_k w_k [(C_k - exp(-t_k^2/2))^2 + S_k^2]
// with w_k = exp(-t_k^2/2) times the trapezoid weight over [-t_max, t_max] folded onto
// [0, t_max] by symmetry (2 dt inside, dt at both ends, dt = t_max / (K-1)). The projections
// are not standardized and the statistic is scaled by N, as the reference (see sigreg.c).

// The sizes of one Epps-Pulley evaluation.
typedef struct jepa_epps_pulley_dims {
    int64_t G, N, M;
    int n_points; // K, 2..JEPA_EPPS_PULLEY_MAX_POINTS
    float t_max;  // > 0
} jepa_epps_pulley_dims;

#define JEPA_EPPS_PULLEY_MAX_POINTS 256

// Fused forward: the mean of T over the G*M columns; fills cos_mean, sin_mean (G, M, K) (the
// moments C and S, saved for the backward). x (G, N, M). cos(t_k x) comes from cos(dt x) by
// K-1 rotations in double (no trig per node). Threads over columns; thread-independent.
double jepa_epps_pulley_forward(float *cos_mean, float *sin_mean, const float *x,
                                const jepa_epps_pulley_dims *d);

// Fused backward: ADDS dout * d(mean T)/dx into dx (G, N, M), with the moments of the forward.
void jepa_epps_pulley_backward(float *dx, const float *x, const float *cos_mean,
                               const float *sin_mean, const jepa_epps_pulley_dims *d, float dout);

// Naive references (the oracle): libm cos and sin of every t_k x in double, moments
// recomputed by the backward.
double jepa_epps_pulley_forward_ref(const float *x, const jepa_epps_pulley_dims *d);
void jepa_epps_pulley_backward_ref(float *dx, const float *x, const jepa_epps_pulley_dims *d,
                                   float dout);

// The op: x (N, M) or (G, N, M) (N >= 1) -> 0-d mean of T over groups and columns.
// Differentiable w.r.t. x.
jepa_tensor *jepa_epps_pulley(jepa_ctx *ctx, jepa_tensor *x, int n_points, float t_max);

// ---- SIGReg ----

// The random unit directions of one step: dirs (D, M), column j = a Gaussian vector divided by
// its norm. The Gaussians are the first D*M jepa_rng_normal draws of jepa_rng_init(seed, step)
// in row-major (D, M) order, so every step gets fresh directions, the same on every machine.
void jepa_sigreg_directions(float *dirs, int64_t D, int64_t M, uint64_t seed, uint64_t step);

// SIGReg with given directions: jepa_epps_pulley(z @ dirs). z (N, D) or (G, N, D);
// dirs (D, M), normally unit columns, a constant (its gradient is computed only if it requires
// grad). LeWM: M = 1024, n_points 17, t_max 3.
jepa_tensor *jepa_sigreg_with_directions(jepa_ctx *ctx, jepa_tensor *z, jepa_tensor *dirs,
                                         int n_points, float t_max);

// SIGReg with n_directions fresh directions from jepa_sigreg_directions(seed, step), held in
// the step arena. Differentiable w.r.t. z.
jepa_tensor *jepa_sigreg(jepa_ctx *ctx, jepa_tensor *z, int n_directions, int n_points, float t_max,
                         uint64_t seed, uint64_t step);

// ---- VICReg terms (Bardes et al. 2022; PLDM) ----

// mean over dims (and groups) of relu(gamma - sqrt(var + eps)), var the unbiased variance of
// each dim over the N >= 2 samples. z (N, D) or (G, N, D). PLDM: gamma 1, eps 1e-4.
jepa_tensor *jepa_vicreg_variance(jepa_ctx *ctx, jepa_tensor *z, float gamma, float eps);

// sum of the squared off-diagonal entries of the unbiased covariance (D, D) of z over the
// N >= 2 samples, divided by D (the VICReg paper), averaged over groups. z (N, D) or
// (G, N, D). PLDM's default (adjust_cov) divides once more by D - 1: scale the result.
jepa_tensor *jepa_vicreg_covariance(jepa_ctx *ctx, jepa_tensor *z);

// ---- temporal smoothness (PLDM) ----

// mean over (B, T-1, D) of (z[:, t+1] - z[:, t])^2: PLDM's per-element mean of squared
// differences (equal to the per-vector mean of ||z_{t+1} - z_t||^2 divided by D).
// z (B, T, D), T >= 2.
jepa_tensor *jepa_temporal_smoothness(jepa_ctx *ctx, jepa_tensor *z);

// ---- collapse monitors (no autograd) ----

// mean over the D dims of the per-dim standard deviation (unbiased, N - 1) of z (N, D),
// N >= 2, computed in double. Near 0 when the embeddings collapse.
float jepa_embedding_std(const float *z, int64_t N, int64_t D);

// The effective rank of z (N, D) (Roy and Vetterli 2007): exp of the entropy of p_i =
// s_i / sum s, s the singular values of the centred z, from the eigenvalues of its (D, D)
// scatter matrix, or of its (N, N) Gram matrix when N < D (the same nonzero eigenvalues), by
// jepa_symmetric_eigenvalues (s_i = sqrt(max(eigenvalue, 0))). In [1, min(N, D)]: 1 for
// rank-1 data, D for isotropic data; 0 when every sample is the same. Allocates min(N, D)^2
// doubles for the call; NaN when out of memory. O(min(N, D)^3) per Jacobi sweep, about 0.03 s
// at 128 and 2 s at 512 on one core: for logs, not every step.
float jepa_effective_rank(const float *z, int64_t N, int64_t D);

// The eigenvalues of the symmetric matrix a (n, n) (double, row-major; overwritten) by
// Jacobi rotations in round-robin order (n/2 disjoint rotations at a time, applied as
// contiguous row and column passes; one thread), into w (n), in no particular order. Sweeps
// until the off-diagonal is negligible (Frobenius norm 1e-15 of the matrix's; at most 100
// sweeps). JEPA_ERR_NOMEM when its n doubles of scratch cannot be allocated.
jepa_status jepa_symmetric_eigenvalues(double *a, int64_t n, double *w);

#ifdef __cplusplus
}
#endif
#endif
