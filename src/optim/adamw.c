// AdamW.
#include <math.h>
#include <stdlib.h>

#include "jepa/optim.h"
#include "jepa/threads.h"

// below this many values a parameter is updated on one thread (a parallel region costs more)
#define PARALLEL_MIN ((int64_t)1 << 15)

jepa_status jepa_adamw_init(jepa_adamw *opt, const jepa_params *p, float beta1, float beta2,
                            float eps, float weight_decay) {
    JEPA_CHECK(p->finalized);
    opt->beta1 = beta1;
    opt->beta2 = beta2;
    opt->eps = eps;
    opt->weight_decay = weight_decay;
    opt->step = 0;
    opt->n = p->total;
    opt->m = calloc((size_t)(p->total ? p->total : 1), sizeof(float));
    opt->v = calloc((size_t)(p->total ? p->total : 1), sizeof(float));
    if (!opt->m || !opt->v) {
        jepa_adamw_free(opt);
        return JEPA_ERR_NOMEM;
    }
    return JEPA_OK;
}

void jepa_adamw_free(jepa_adamw *opt) {
    free(opt->m);
    free(opt->v);
    opt->m = opt->v = NULL;
}

void jepa_adamw_step(jepa_adamw *opt, jepa_params *p, float lr) {
    JEPA_CHECK(opt->n == p->total);
    opt->step++;
    double bc1 = 1.0 - pow(opt->beta1, (double)opt->step);
    double bc2 = 1.0 - pow(opt->beta2, (double)opt->step);
    float step_size = (float)(lr / bc1), inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
    float b1 = opt->beta1, b2 = opt->beta2, eps = opt->eps;
    for (int i = 0; i < p->count; i++) {
        const jepa_param *it = &p->items[i];
        if (!it->trainable) continue;
        // decoupled weight decay first, as PyTorch does
        float decay = it->no_decay ? 1.0f : 1.0f - lr * opt->weight_decay;
        int64_t n = jepa_numel(&it->tensor), o = it->offset;
        float *w = p->data + o, *g = p->grad + o, *m = opt->m + o, *v = opt->v + o;
#pragma omp parallel for simd num_threads(jepa_threads_get()) schedule(static) if (parallel: n >= PARALLEL_MIN)
        for (int64_t j = 0; j < n; j++) {
            w[j] *= decay;
            m[j] = b1 * m[j] + (1.0f - b1) * g[j];
            v[j] = b2 * v[j] + (1.0f - b2) * g[j] * g[j];
            w[j] -= step_size * m[j] / (sqrtf(v[j]) * inv_sqrt_bc2 + eps);
        }
    }
}
