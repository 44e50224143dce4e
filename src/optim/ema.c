// Exponential moving average of weights.
#include "jepa/optim.h"
#include "jepa/threads.h"

// below this many values the update runs on one thread (a parallel region costs more)
#define PARALLEL_MIN ((int64_t)1 << 15)

void jepa_ema_update(jepa_params *target, const jepa_params *online, float momentum) {
    JEPA_CHECK_MSG(target->total == online->total, "EMA: the two tables differ in size");
    float *t = target->data;
    const float *o = online->data;
    int64_t n = target->total;
#pragma omp parallel for simd num_threads(jepa_threads_get()) schedule(static) if (parallel: n >= PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) t[i] = momentum * t[i] + (1.0f - momentum) * o[i];
}
