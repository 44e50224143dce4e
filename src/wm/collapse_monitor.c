// Collapse monitors for training logs: the mean per-dim std and the effective rank (Roy and
// Vetterli, "The effective rank: a measure of effective dimensionality", EUSIPCO 2007), with
// a cyclic Jacobi eigenvalue solver for the (D, D) scatter matrix. Plain C in double.
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

// rotate rows and columns p, q of the symmetric a (n, n) to zero a[p][q]
static void jacobi_rotate(double *a, int64_t n, int64_t p, int64_t q) {
    double apq = a[p * n + q];
    double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
    // the smaller root of t^2 + 2 theta t - 1 = 0, without overflow for large theta
    double t = (theta >= 0.0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
    double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
    for (int64_t k = 0; k < n; k++) {
        double akp = a[k * n + p], akq = a[k * n + q];
        a[k * n + p] = c * akp - s * akq;
        a[k * n + q] = s * akp + c * akq;
    }
    for (int64_t k = 0; k < n; k++) {
        double apk = a[p * n + k], aqk = a[q * n + k];
        a[p * n + k] = c * apk - s * aqk;
        a[q * n + k] = s * apk + c * aqk;
    }
}

void jepa_symmetric_eigenvalues(double *a, int64_t n, double *w) {
    JEPA_CHECK_MSG(n >= 1, "symmetric_eigenvalues: empty matrix");
    double norm2 = 0.0;
    for (int64_t i = 0; i < n * n; i++) norm2 += a[i] * a[i];
    for (int sweep = 0; sweep < 100; sweep++) {
        // stop once the off-diagonal mass is negligible against the whole matrix
        double off2 = 0.0;
        for (int64_t p = 0; p < n; p++)
            for (int64_t q = p + 1; q < n; q++) off2 += 2.0 * a[p * n + q] * a[p * n + q];
        if (off2 <= 1e-30 * norm2) break;
        for (int64_t p = 0; p < n; p++)
            for (int64_t q = p + 1; q < n; q++)
                if (a[p * n + q] != 0.0) jacobi_rotate(a, n, p, q);
    }
    for (int64_t i = 0; i < n; i++) w[i] = a[i * n + i];
}

float jepa_effective_rank(const float *z, int64_t N, int64_t D) {
    JEPA_CHECK_MSG(N >= 1 && D >= 1, "effective_rank: empty embeddings");
    double *a = malloc(sizeof(double) * (size_t)(D * D + 2 * D));
    if (!a) return NAN;
    double *mean = a + D * D, *eig = mean + D;
    column_means(mean, z, N, D);
    // the scatter matrix of the centred z (its eigenvalues are the squared singular values)
    for (int64_t i = 0; i < D * D; i++) a[i] = 0.0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < D; i++) {
            double vi = (double)z[n * D + i] - mean[i];
            for (int64_t j = i; j < D; j++) a[i * D + j] += vi * ((double)z[n * D + j] - mean[j]);
        }
    for (int64_t i = 0; i < D; i++)
        for (int64_t j = 0; j < i; j++) a[i * D + j] = a[j * D + i];
    jepa_symmetric_eigenvalues(a, D, eig);
    // singular values, normalized to a distribution, and the exp of its entropy
    double sum = 0.0, entropy = 0.0;
    for (int64_t i = 0; i < D; i++) {
        eig[i] = sqrt(eig[i] > 0.0 ? eig[i] : 0.0);
        sum += eig[i];
    }
    for (int64_t i = 0; i < D && sum > 0.0; i++) {
        double p = eig[i] / sum;
        if (p > 0.0) entropy -= p * log(p);
    }
    free(a);
    // every sample the same: no spread at all
    return sum > 0.0 ? (float)exp(entropy) : 0.0f;
}
