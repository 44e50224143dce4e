// Learning-rate schedules.
#include <math.h>

#include "jepa/optim.h"

float jepa_lr_warmup_cosine(int64_t step, int64_t warmup, int64_t total, float base_lr,
                            float min_lr) {
    if (step < warmup) return base_lr * (float)(step + 1) / (float)warmup;
    if (step >= total || total <= warmup) return min_lr;
    double progress = (double)(step - warmup) / (double)(total - warmup);
    return (float)(min_lr + 0.5 * (base_lr - min_lr) * (1.0 + cos(3.14159265358979323846 * progress)));
}
