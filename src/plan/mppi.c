// MPPI: perturb the mean, weight candidates by exp(-(cost - min) / temperature), average.
#include <math.h>
#include <string.h>

#include "plan/internal.h"

void jepa_plan_mppi(jepa_planner *p, const jepa_plan_problem *prob, float *out) {
    const jepa_planner_config *c = &p->cfg;
    int h = p->horizon, a = p->action_dim, n = c->samples;
    int64_t ha = (int64_t)h * a;
    jepa_plan_init_distribution(p);
    for (int it = 0; it < c->iterations; it++) {
        jepa_rng rng;
        jepa_plan_rng(p, it, &rng);
        // candidate 0 is the mean itself; the rest are perturbed
        jepa_rng_fill_normal(&rng, p->samples, n * ha, 0.0f, 1.0f);
        for (int i = 0; i < n; i++)
            for (int64_t q = 0; q < ha; q++) {
                float half = 0.5f * (p->hi[q % a] - p->lo[q % a]);
                float eps = i == 0 ? 0.0f : c->noise_std * half * p->samples[i * ha + q];
                p->samples[i * ha + q] = p->mean[q] + eps;
            }
        jepa_plan_clip(p, p->samples, n);
        jepa_plan_evaluate(p, prob, n);
        // softmin weights, shifted by the best cost for stability
        float cmin = INFINITY;
        for (int i = 0; i < n; i++) cmin = p->costs[i] < cmin ? p->costs[i] : cmin;
        double wsum = 0.0;
        for (int i = 0; i < n; i++) {
            double w = isfinite(p->costs[i]) ? exp(-(p->costs[i] - cmin) / c->temperature) : 0.0;
            p->costs[i] = (float)w;
            wsum += w;
        }
        for (int64_t q = 0; q < ha; q++) {
            double m = 0.0;
            for (int i = 0; i < n; i++) m += p->costs[i] * (double)p->samples[i * ha + q];
            p->mean[q] = (float)(m / wsum);
        }
    }
    memcpy(out, p->mean, sizeof(float) * ha);
    jepa_plan_clip(p, out, 1);
}
