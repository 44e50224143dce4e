// ViT patch embedding with a CLS token and learned positions.
#include <stdio.h>

#include "jepa/nn.h"
#include "jepa/ops_elementwise.h"
#include "jepa/ops_shape.h"
#include "jepa/ops_view.h"

void jepa_patch_embed_init(jepa_patch_embed *pe, jepa_params *p, const char *name,
                           int64_t channels, int64_t image, int64_t patch, int64_t dim) {
    JEPA_CHECK_MSG(patch > 0 && image % patch == 0, "patch embedding: patch must divide the image");
    char full[JEPA_NN_NAME_MAX];
    pe->channels = channels;
    pe->dim = dim;
    pe->image = image;
    pe->patch = patch;
    pe->tokens = (image / patch) * (image / patch) + 1;
    snprintf(full, sizeof full, "%s.patch_embed.proj", name);
    jepa_conv_init(&pe->proj, p, full, channels, dim, (int)patch, (int)patch, 0, 1);
    snprintf(full, sizeof full, "%s.cls_token", name);
    pe->cls_token = jepa_params_add(p, full, 3, (int64_t[]){1, 1, dim}, 1);
    jepa_params_set_init(p, pe->cls_token, JEPA_INIT_TRUNC_NORMAL, 0.02f);
    snprintf(full, sizeof full, "%s.pos_embed", name);
    pe->pos_embed = jepa_params_add(p, full, 3, (int64_t[]){1, pe->tokens, dim}, 1);
    jepa_params_set_init(p, pe->pos_embed, JEPA_INIT_TRUNC_NORMAL, 0.02f);
}

jepa_tensor *jepa_patch_embed_forward(jepa_ctx *ctx, jepa_params *p, const jepa_patch_embed *pe,
                                      jepa_tensor *x) {
    int64_t B = x->shape[0], N = pe->tokens - 1;
    JEPA_CHECK_MSG(x->ndim == 4 && x->shape[2] == pe->image && x->shape[3] == pe->image,
                   "patch embedding: the image size differs from the model's");
    jepa_tensor *t = jepa_conv_forward(ctx, p, &pe->proj, x);         // (B, E, h, w)
    t = jepa_reshape(ctx, t, 3, (int64_t[]){B, pe->dim, N});
    t = jepa_transpose(ctx, t, 1, 2);                                 // (B, N, E)
    jepa_tensor *cls = jepa_expand(ctx, jepa_params_tensor(p, pe->cls_token), 3,
                                   (int64_t[]){B, 1, pe->dim});
    jepa_tensor *parts[2] = {cls, t};
    t = jepa_concat(ctx, 2, parts, 1);                                // (B, N + 1, E)
    return jepa_add(ctx, t, jepa_params_tensor(p, pe->pos_embed));
}
