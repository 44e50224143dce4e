// Collapse monitors for training logs: the mean per-dim std and the effective rank (Roy and
// Vetterli, "The effective rank: a measure of effective dimensionality", EUSIPCO 2007), with
// a Jacobi eigenvalue solver (round-robin order) for the scatter or Gram matrix. Plain C in
// double.
#include <math.h>
#include <stdlib.h>

#include "jepa/regularizers.h"
#include "jepa/status.h"

// the mean of every column of z (N, D) into mean (D)
static void column_means(double *mean, const float *z, int64_t N, int64_t D) {
    for (int64_t j = 0; j < D; j++) mean[j] = 0.0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t j = 0; j < D; j++) mean[j] += (double)z[n * D + j];
    for (int64_t j = 0; j < D; j++) mean[j] /= (double)N;
}

float jepa_embedding_std(const float *z, int64_t N, int64_t D) {
    JEPA_CHECK_MSG(N >= 2 && D >= 1, "embedding_std: needs N >= 2 samples and D >= 1");
    double total = 0.0;
    for (int64_t j = 0; j < D; j++) {
        // two passes per dim: the mean, then the squared deviations
        double mean = 0.0, sq = 0.0;
        for (int64_t n = 0; n < N; n++) mean += (double)z[n * D + j];
        mean /= (double)N;
        for (int64_t n = 0; n < N; n++) {
            double v = (double)z[n * D + j] - mean;
            sq += v * v;
        }
        total += sqrt(sq / (double)(N - 1));
    }
    return (float)(total / (double)D);
}

// the two indices of pair i in round r of a round-robin over m (even) players (the circle
// method: player 0 stays, the others turn); m - 1 rounds meet every pair once
static void round_pair(int64_t m, int64_t r, int64_t i, int64_t *p, int64_t *q) {
    *p = i == 0 ? 0 : (i - 1 + r) % (m - 1) + 1;
    *q = (m - 2 - i + r) % (m - 1) + 1;
}

jepa_status jepa_symmetric_eigenvalues(double *a, int64_t n, double *w) {
    JEPA_CHECK_MSG(n >= 1, "symmetric_eigenvalues: empty matrix");
    int64_t m = n + (n & 1), half = m / 2; // an odd n gets a dummy player, never rotated
    double *cs = malloc(sizeof(double) * (size_t)(2 * half));
    int64_t *pq = malloc(sizeof(int64_t) * (size_t)(2 * half));
    if (!cs || !pq) {
        free(cs);
        free(pq);
        return JEPA_ERR_NOMEM;
    }
    double *sn = cs + half, norm2 = 0.0;
    for (int64_t i = 0; i < n * n; i++) norm2 += a[i] * a[i];
    for (int sweep = 0; sweep < 100; sweep++) {
        // stop once the off-diagonal mass is negligible against the whole matrix
        double off2 = 0.0;
        for (int64_t p = 0; p < n; p++)
            for (int64_t q = p + 1; q < n; q++) off2 += 2.0 * a[p * n + q] * a[p * n + q];
        if (off2 <= 1e-30 * norm2) break;
        // every round: half disjoint rotations, which commute, applied to rows then columns
        // (contiguous passes, instead of one strided column per rotation)
        for (int64_t r = 0; r < m - 1; r++) {
            // the pairs and the angle of each, from its own 2x2 block (untouched by the others)
            for (int64_t i = 0; i < half; i++) {
                round_pair(m, r, i, &pq[2 * i], &pq[2 * i + 1]);
                int64_t p = pq[2 * i], q = pq[2 * i + 1];
                cs[i] = 1.0;
                sn[i] = 0.0;
                if (p >= n || q >= n || fabs(a[p * n + q]) <= 1e-18 * sqrt(norm2)) continue;
                double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * a[p * n + q]);
                // the smaller root of t^2 + 2 theta t - 1 = 0, without overflow
                double t = (theta >= 0.0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                cs[i] = 1.0 / sqrt(t * t + 1.0);
                sn[i] = t * cs[i];
            }
            // rows p and q of every pair
            for (int64_t i = 0; i < half; i++) {
                if (sn[i] == 0.0) continue;
                int64_t p = pq[2 * i], q = pq[2 * i + 1];
                double c = cs[i], s = sn[i], *ap = a + p * n, *aq = a + q * n;
#pragma omp simd
                for (int64_t k = 0; k < n; k++) {
                    double x = ap[k], y = aq[k];
                    ap[k] = c * x - s * y;
                    aq[k] = s * x + c * y;
                }
            }
            // columns p and q of every pair, row by row
            for (int64_t k = 0; k < n; k++) {
                double *ak = a + k * n;
                for (int64_t i = 0; i < half; i++) {
                    if (sn[i] == 0.0) continue;
                    int64_t p = pq[2 * i], q = pq[2 * i + 1];
                    double x = ak[p], y = ak[q];
                    ak[p] = cs[i] * x - sn[i] * y;
                    ak[q] = sn[i] * x + cs[i] * y;
                }
            }
            // the rotated-away entries are 0 up to rounding: make them exactly 0
            for (int64_t i = 0; i < half; i++) {
                int64_t p = pq[2 * i], q = pq[2 * i + 1];
                if (sn[i] != 0.0) a[p * n + q] = a[q * n + p] = 0.0;
            }
        }
    }
    for (int64_t i = 0; i < n; i++) w[i] = a[i * n + i];
    free(cs);
    free(pq);
    return JEPA_OK;
}

float jepa_effective_rank(const float *z, int64_t N, int64_t D) {
    JEPA_CHECK_MSG(N >= 1 && D >= 1, "effective_rank: empty embeddings");
    // the smaller of the (D, D) scatter and the (N, N) Gram matrix: same nonzero eigenvalues
    int64_t R = N < D ? N : D;
    double *a = malloc(sizeof(double) * (size_t)(R * R + D + R));
    if (!a) return NAN;
    double *mean = a + R * R, *eig = mean + D;
    column_means(mean, z, N, D);
    for (int64_t i = 0; i < R * R; i++) a[i] = 0.0;
    if (R == D) {
        // scatter of the centred z, upper triangle then mirrored
        for (int64_t n = 0; n < N; n++)
            for (int64_t i = 0; i < D; i++) {
                double vi = (double)z[n * D + i] - mean[i];
                for (int64_t j = i; j < D; j++)
                    a[i * D + j] += vi * ((double)z[n * D + j] - mean[j]);
            }
    } else {
        // Gram matrix of the centred rows
        for (int64_t i = 0; i < N; i++)
            for (int64_t j = i; j < N; j++) {
                double dot = 0.0;
                for (int64_t k = 0; k < D; k++)
                    dot += ((double)z[i * D + k] - mean[k]) * ((double)z[j * D + k] - mean[k]);
                a[i * N + j] = dot;
            }
    }
    for (int64_t i = 0; i < R; i++)
        for (int64_t j = 0; j < i; j++) a[i * R + j] = a[j * R + i];
    if (jepa_symmetric_eigenvalues(a, R, eig) != JEPA_OK) {
        free(a);
        return NAN;
    }
    // singular values, normalized to a distribution, and the exp of its entropy
    double sum = 0.0, entropy = 0.0;
    for (int64_t i = 0; i < R; i++) {
        eig[i] = sqrt(eig[i] > 0.0 ? eig[i] : 0.0);
        sum += eig[i];
    }
    for (int64_t i = 0; i < R && sum > 0.0; i++) {
        double p = eig[i] / sum;
        if (p > 0.0) entropy -= p * log(p);
    }
    free(a);
    // every sample the same: no spread at all
    return sum > 0.0 ? (float)exp(entropy) : 0.0f;
}
