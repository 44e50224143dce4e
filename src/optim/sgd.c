// SGD with momentum and Nesterov.
#include <stdlib.h>

#include "jepa/optim.h"

jepa_status jepa_sgd_init(jepa_sgd *opt, const jepa_params *p, float momentum, int nesterov,
                          float weight_decay) {
    JEPA_CHECK(p->finalized);
    opt->momentum = momentum;
    opt->nesterov = nesterov;
    opt->weight_decay = weight_decay;
    opt->step = 0;
    opt->n = p->total;
    opt->buf = calloc((size_t)(p->total ? p->total : 1), sizeof(float));
    return opt->buf ? JEPA_OK : JEPA_ERR_NOMEM;
}

void jepa_sgd_free(jepa_sgd *opt) {
    free(opt->buf);
    opt->buf = NULL;
}

void jepa_sgd_step(jepa_sgd *opt, jepa_params *p, float lr) {
    JEPA_CHECK(opt->n == p->total);
    float mu = opt->momentum;
    for (int i = 0; i < p->count; i++) {
        const jepa_param *it = &p->items[i];
        if (!it->trainable) continue;
        float wd = it->no_decay ? 0.0f : opt->weight_decay;
        int64_t n = jepa_numel(&it->tensor), o = it->offset;
        float *w = p->data + o, *g = p->grad + o, *b = opt->buf + o;
        for (int64_t j = 0; j < n; j++) {
            float d = g[j] + wd * w[j];
            if (mu != 0.0f) {
                // PyTorch: the first step initialises the buffer with the gradient itself
                b[j] = opt->step == 0 ? d : mu * b[j] + d;
                d = opt->nesterov ? d + mu * b[j] : b[j];
            }
            w[j] -= lr * d;
        }
    }
    opt->step++;
}
