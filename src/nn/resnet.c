// The IMPALA residual CNN.
#include <stdio.h>

#include "jepa/nn.h"
#include "jepa/ops_activation.h"
#include "jepa/ops_conv.h"
#include "jepa/ops_elementwise.h"

void jepa_resnet_init(jepa_resnet *r, jepa_params *p, const char *name, int64_t in_channels,
                      int64_t image, int stages, const int64_t *channels) {
    JEPA_CHECK(stages >= 1 && stages <= JEPA_RESNET_MAX_STAGES);
    r->stages = stages;
    r->in_channels = in_channels;
    r->image = image;
    int64_t c = in_channels;
    for (int s = 0; s < stages; s++) {
        char full[JEPA_NN_NAME_MAX];
        snprintf(full, sizeof full, "%s.stages.%d.conv", name, s);
        jepa_conv_init(&r->stage[s].conv, p, full, c, channels[s], 3, 1, 1, 1);
        for (int b = 0; b < 2; b++)
            for (int k = 0; k < 2; k++) {
                snprintf(full, sizeof full, "%s.stages.%d.res.%d.conv%d", name, s, b, k);
                jepa_conv_init(&r->stage[s].res[b][k], p, full, channels[s], channels[s], 3, 1, 1, 1);
            }
        c = channels[s];
    }
}

jepa_tensor *jepa_resnet_forward(jepa_ctx *ctx, jepa_params *p, const jepa_resnet *r,
                                 jepa_tensor *x) {
    for (int s = 0; s < r->stages; s++) {
        const jepa_res_stage *st = &r->stage[s];
        x = jepa_max_pool2d(ctx, jepa_conv_forward(ctx, p, &st->conv, x), 3, 2, 1);
        for (int b = 0; b < 2; b++) {
            jepa_tensor *h = jepa_conv_forward(ctx, p, &st->res[b][0], jepa_relu(ctx, x));
            h = jepa_conv_forward(ctx, p, &st->res[b][1], jepa_relu(ctx, h));
            x = jepa_add(ctx, x, h);
        }
    }
    return jepa_relu(ctx, x);
}
