// Exponential moving average of weights.
#include "jepa/optim.h"

void jepa_ema_update(jepa_params *target, const jepa_params *online, float momentum) {
    JEPA_CHECK_MSG(target->total == online->total, "EMA: the two tables differ in size");
    float *t = target->data;
    const float *o = online->data;
    for (int64_t i = 0; i < target->total; i++) t[i] = momentum * t[i] + (1.0f - momentum) * o[i];
}
