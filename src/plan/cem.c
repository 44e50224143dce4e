// CEM and iCEM: sample around a Gaussian, refit it to the elites. iCEM (Pinneri et al. 2020)
// samples coloured noise along the horizon and carries a fraction of the elites over to the
// next iteration (and, shifted, to the next plan).
#include <math.h>
#include <string.h>

#include "plan/internal.h"

void jepa_plan_cem(jepa_planner *p, const jepa_plan_problem *prob, float *out) {
    const jepa_planner_config *c = &p->cfg;
    int h = p->horizon, a = p->action_dim, n = c->samples, ne = c->elites;
    int64_t ha = (int64_t)h * a;
    int icem = c->kind == JEPA_PLANNER_ICEM;
    int keep = icem ? (int)(c->keep_elites * ne) : 0;
    jepa_plan_init_distribution(p);
    for (int it = 0; it < c->iterations; it++) {
        jepa_rng rng;
        jepa_plan_rng(p, it, &rng);
        // noise: white, or coloured along the horizon per (candidate, action dimension)
        if (icem) {
            // noise per (candidate, dimension) sequence, laid out (N, A, H) in samples' space
            for (int i = 0; i < n; i++) {
                float *x = p->samples + i * ha;
                for (int j = 0; j < a; j++) {
                    float seq[JEPA_PLAN_MAX_HORIZON];
                    jepa_colored_noise(seq, 1, h, c->beta, &rng);
                    for (int k = 0; k < h; k++) x[k * a + j] = seq[k];
                }
            }
        } else {
            jepa_rng_fill_normal(&rng, p->samples, n * ha, 0.0f, 1.0f);
        }
        for (int i = 0; i < n; i++)
            for (int64_t q = 0; q < ha; q++)
                p->samples[i * ha + q] = p->mean[q] + p->std[q] * p->samples[i * ha + q];
        // iCEM: the kept elites replace the last candidates; the mean joins on the last iteration
        int n_kept = p->n_kept < keep ? p->n_kept : keep;
        if (n_kept > n - 1) n_kept = n - 1;
        memcpy(p->samples + (int64_t)(n - n_kept) * ha, p->kept, sizeof(float) * n_kept * ha);
        if (icem && it == c->iterations - 1) memcpy(p->samples, p->mean, sizeof(float) * ha);
        jepa_plan_clip(p, p->samples, n);
        jepa_plan_evaluate(p, prob, n);
        jepa_plan_sort(p, n);
        // refit mean and std to the elites, with momentum, std floored
        for (int64_t q = 0; q < ha; q++) {
            double m = 0.0, v = 0.0;
            for (int e = 0; e < ne; e++) m += p->samples[p->order[e] * ha + q];
            m /= ne;
            for (int e = 0; e < ne; e++) {
                double d = p->samples[p->order[e] * ha + q] - m;
                v += d * d;
            }
            v /= ne;
            float half = 0.5f * (p->hi[q % a] - p->lo[q % a]);
            float sd = c->momentum * p->std[q] + (1.0f - c->momentum) * (float)sqrt(v);
            p->mean[q] = c->momentum * p->mean[q] + (1.0f - c->momentum) * (float)m;
            p->std[q] = sd > c->min_std * half ? sd : c->min_std * half;
        }
        // iCEM: keep the best few for the next iteration
        for (int e = 0; e < keep; e++)
            memcpy(p->kept + e * ha, p->samples + p->order[e] * ha, sizeof(float) * ha);
        p->n_kept = keep;
    }
    // the plan: iCEM the best candidate seen last, CEM the refit mean
    if (icem)
        memcpy(out, p->samples + p->order[0] * ha, sizeof(float) * ha);
    else
        memcpy(out, p->mean, sizeof(float) * ha);
    jepa_plan_clip(p, out, 1);
}
