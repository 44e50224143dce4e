// Global gradient-norm clipping.
#include <math.h>

#include "jepa/optim.h"

float jepa_clip_grad_norm(jepa_params *p, float max_norm) {
    double sum = 0.0;
    for (int i = 0; i < p->count; i++) {
        const jepa_param *it = &p->items[i];
        if (!it->trainable) continue;
        const float *g = p->grad + it->offset;
        int64_t n = jepa_numel(&it->tensor);
        for (int64_t j = 0; j < n; j++) sum += (double)g[j] * (double)g[j];
    }
    float norm = (float)sqrt(sum);
    if (!isfinite(norm)) return norm;
    float coef = max_norm / (norm + 1e-6f);
    if (coef < 1.0f)
        for (int i = 0; i < p->count; i++) {
            const jepa_param *it = &p->items[i];
            if (!it->trainable) continue;
            float *g = p->grad + it->offset;
            int64_t n = jepa_numel(&it->tensor);
            for (int64_t j = 0; j < n; j++) g[j] *= coef;
        }
    return norm;
}
