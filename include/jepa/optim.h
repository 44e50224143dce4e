// Optimizers over a parameter table (PyTorch semantics), learning-rate schedules, gradient-norm
// clipping and an exponential moving average of weights.
#ifndef JEPA_OPTIM_H
#define JEPA_OPTIM_H

#include <stdint.h>

#include "jepa/params.h"
#include "jepa/status.h"

#ifdef __cplusplus
extern "C" {
#endif

// AdamW (Loshchilov and Hutter), as torch.optim.AdamW: decoupled weight decay, bias correction.
// Parameters marked no_decay (norms, biases) form the group without weight decay; buffers are
// never touched. m and v are flat buffers parallel to the parameters' (saved in checkpoints).
typedef struct jepa_adamw {
    float beta1, beta2, eps, weight_decay;
    int64_t step; // steps taken
    int64_t n;    // floats in m and v
    float *m, *v; // owned
} jepa_adamw;

jepa_status jepa_adamw_init(jepa_adamw *opt, const jepa_params *p, float beta1, float beta2,
                            float eps, float weight_decay);
void jepa_adamw_free(jepa_adamw *opt);
// One update with learning rate lr, from the gradients in p->grad.
void jepa_adamw_step(jepa_adamw *opt, jepa_params *p, float lr);

// SGD with momentum (dampening 0) and Nesterov, as torch.optim.SGD; weight_decay is added to
// the gradient (coupled), except on no_decay parameters.
typedef struct jepa_sgd {
    float momentum, weight_decay;
    int nesterov;
    int64_t step, n;
    float *buf; // momentum buffer, owned
} jepa_sgd;

jepa_status jepa_sgd_init(jepa_sgd *opt, const jepa_params *p, float momentum, int nesterov,
                          float weight_decay);
void jepa_sgd_free(jepa_sgd *opt);
void jepa_sgd_step(jepa_sgd *opt, jepa_params *p, float lr);

// Linear warm-up from 0 over warmup steps, then cosine decay from base_lr to min_lr at total
// steps (constant min_lr after). step counts from 0.
float jepa_lr_warmup_cosine(int64_t step, int64_t warmup, int64_t total, float base_lr,
                            float min_lr);

// Global gradient-norm clipping, as torch.nn.utils.clip_grad_norm_: scales every trainable
// gradient by max_norm / (norm + 1e-6) when the norm exceeds max_norm. Returns the norm before
// clipping (NaN or Inf when a gradient is not finite; then nothing is scaled).
float jepa_clip_grad_norm(jepa_params *p, float max_norm);

// target = momentum * target + (1 - momentum) * online, over every float of two tables with
// the same layout (e.g. an EMA target encoder).
void jepa_ema_update(jepa_params *target, const jepa_params *online, float momentum);

#ifdef __cplusplus
}
#endif
#endif
