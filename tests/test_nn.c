// Layers: parameter names and shapes (PyTorch's state_dict), the default initialisation rules
// against PyTorch's (uniform bounds, constants, truncated normals), AdaLN-zero's identity at
// init, the sinusoidal table, output shapes, and a block over part of a sequence (a rollout's)
// against the block over all of it. Values and gradients are compared with
// PyTorch in test_parity.c.
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

// parameter `name` exists with this shape; returns its index or -1
static int expect_param(jepa_params *p, const char *name, int ndim, const int64_t *shape) {
    int i = jepa_params_find(p, name);
    if (i < 0) fprintf(stderr, "FAIL: no parameter '%s'\n", name);
    CHECK(i >= 0);
    if (i < 0) return -1;
    jepa_tensor *t = jepa_params_tensor(p, i);
    int same = t->ndim == ndim;
    for (int d = 0; same && d < ndim; d++) same = t->shape[d] == shape[d];
    if (!same) fprintf(stderr, "FAIL: '%s' has the wrong shape\n", name);
    CHECK(same);
    return i;
}

// every value in [-bound, bound] and the standard deviation that of U(-bound, bound)
static void expect_uniform(jepa_params *p, int i, double bound) {
    jepa_tensor *t = jepa_params_tensor(p, i);
    int64_t n = jepa_numel(t);
    double sum = 0.0, sq = 0.0, top = 0.0;
    for (int64_t j = 0; j < n; j++) {
        sum += t->data[j];
        sq += (double)t->data[j] * t->data[j];
        top = fmax(top, fabs(t->data[j]));
    }
    double mean = sum / (double)n, sd = sqrt(sq / (double)n - mean * mean);
    CHECK(top <= bound);
    CHECK(top >= 0.9 * bound); // the bound is reached, not a smaller one
    // std of U(-b, b) is b / sqrt(3); 5 standard errors of the estimate (about 1/sqrt(2n))
    CHECK_NEAR(sd, bound / sqrt(3.0), 5.0 * bound / sqrt(3.0) / sqrt(2.0 * (double)n));
}

static void expect_const(jepa_params *p, int i, float value) {
    jepa_tensor *t = jepa_params_tensor(p, i);
    int ok = 1;
    for (int64_t j = 0; j < jepa_numel(t); j++) ok &= t->data[j] == value;
    CHECK(ok);
}

static void test_vit_names_and_init(void) {
    jepa_params p;
    jepa_params_init(&p);
    jepa_patch_embed pe;
    jepa_block enc, pred;
    jepa_projector proj;
    jepa_gru gru;
    jepa_resnet cnn;
    jepa_patch_embed_init(&pe, &p, "encoder", 3, 64, 8, 192);
    jepa_block_init(&enc, &p, "encoder.blocks.0", 192, 3, 768, 0);
    jepa_projector_init(&proj, &p, "projector", 192, 2048, 192);
    jepa_block_init(&pred, &p, "predictor.blocks.0", 192, 3, 768, 64);
    jepa_gru_init(&gru, &p, "predictor.gru", 5, 96);
    jepa_resnet_init(&cnn, &p, "cnn", 3, 64, 3, (int64_t[]){16, 32, 32});
    CHECK(jepa_params_finalize(&p) == JEPA_OK);
    jepa_params_reset(&p, 7);
    CHECK(pe.tokens == 65);

    // timm's ViT names, DiT's adaLN_modulation, PyTorch's GRUCell and BatchNorm1d
    int w = expect_param(&p, "encoder.patch_embed.proj.weight", 4, (int64_t[]){192, 3, 8, 8});
    expect_uniform(&p, w, 1.0 / sqrt(3.0 * 8 * 8)); // kaiming_uniform(a=sqrt(5)): 1/sqrt(fan_in)
    int b = expect_param(&p, "encoder.patch_embed.proj.bias", 1, (int64_t[]){192});
    expect_uniform(&p, b, 1.0 / sqrt(3.0 * 8 * 8));
    int cls = expect_param(&p, "encoder.cls_token", 3, (int64_t[]){1, 1, 192});
    int pos = expect_param(&p, "encoder.pos_embed", 3, (int64_t[]){1, 65, 192});
    {
        // trunc_normal_(std=0.02) with timm's absolute bounds [-2, 2]: a plain N(0, 0.02^2)
        jepa_tensor *t = jepa_params_tensor(&p, pos);
        int64_t n = jepa_numel(t);
        double sq = 0.0;
        for (int64_t j = 0; j < n; j++) sq += (double)t->data[j] * t->data[j];
        CHECK_NEAR(sqrt(sq / (double)n), 0.02, 5.0 * 0.02 / sqrt(2.0 * (double)n));
        CHECK(jepa_params_tensor(&p, cls)->data[0] != 0.0f);
    }
    int qkv = expect_param(&p, "encoder.blocks.0.attn.qkv.weight", 2, (int64_t[]){576, 192});
    expect_uniform(&p, qkv, 1.0 / sqrt(192.0));
    expect_param(&p, "encoder.blocks.0.attn.qkv.bias", 1, (int64_t[]){576});
    expect_param(&p, "encoder.blocks.0.attn.proj.weight", 2, (int64_t[]){192, 192});
    int fc2 = expect_param(&p, "encoder.blocks.0.mlp.fc2.weight", 2, (int64_t[]){192, 768});
    expect_uniform(&p, fc2, 1.0 / sqrt(768.0));
    expect_param(&p, "encoder.blocks.0.mlp.fc1.bias", 1, (int64_t[]){768});
    expect_const(&p, expect_param(&p, "encoder.blocks.0.norm1.weight", 1, (int64_t[]){192}), 1.0f);
    expect_const(&p, expect_param(&p, "encoder.blocks.0.norm2.bias", 1, (int64_t[]){192}), 0.0f);
    CHECK(enc.norm1.eps == 1e-6f);
    expect_param(&p, "projector.net.0.weight", 2, (int64_t[]){2048, 192});
    expect_const(&p, expect_param(&p, "projector.net.1.weight", 1, (int64_t[]){2048}), 1.0f);
    int rm = expect_param(&p, "projector.net.1.running_mean", 1, (int64_t[]){2048});
    int rv = expect_param(&p, "projector.net.1.running_var", 1, (int64_t[]){2048});
    expect_const(&p, rm, 0.0f);
    expect_const(&p, rv, 1.0f);
    CHECK(!p.items[rm].trainable && !p.items[rv].trainable);
    CHECK(proj.bn.eps == 1e-5f && proj.bn.momentum == 0.1f); // BatchNorm1d's defaults
    expect_param(&p, "projector.net.3.weight", 2, (int64_t[]){192, 2048});
    // AdaLN-zero: non-affine norms, a zero Linear(cond, 6E)
    CHECK(jepa_params_find(&p, "predictor.blocks.0.norm1.weight") < 0);
    CHECK(jepa_params_find(&p, "predictor.blocks.0.norm2.bias") < 0);
    expect_const(&p, expect_param(&p, "predictor.blocks.0.adaLN_modulation.1.weight", 2,
                                  (int64_t[]){1152, 64}), 0.0f);
    expect_const(&p, expect_param(&p, "predictor.blocks.0.adaLN_modulation.1.bias", 1,
                                  (int64_t[]){1152}), 0.0f);
    // GRUCell: (3H, in), (3H, H), (3H), (3H), all U(-1/sqrt(H), 1/sqrt(H))
    expect_uniform(&p, expect_param(&p, "predictor.gru.weight_ih", 2, (int64_t[]){288, 5}),
                   1.0 / sqrt(96.0));
    expect_uniform(&p, expect_param(&p, "predictor.gru.weight_hh", 2, (int64_t[]){288, 96}),
                   1.0 / sqrt(96.0));
    expect_uniform(&p, expect_param(&p, "predictor.gru.bias_ih", 1, (int64_t[]){288}),
                   1.0 / sqrt(96.0));
    expect_param(&p, "predictor.gru.bias_hh", 1, (int64_t[]){288});
    // IMPALA stages
    expect_param(&p, "cnn.stages.0.conv.weight", 4, (int64_t[]){16, 3, 3, 3});
    int rc = expect_param(&p, "cnn.stages.2.res.1.conv1.weight", 4, (int64_t[]){32, 32, 3, 3});
    expect_uniform(&p, rc, 1.0 / sqrt(32.0 * 9));
    expect_param(&p, "cnn.stages.1.res.0.conv0.bias", 1, (int64_t[]){32});
    // weight decay groups: none for 1-D tensors and learned positions / tokens
    for (int i = 0; i < p.count; i++) {
        const jepa_param *it = &p.items[i];
        int want = it->tensor.ndim <= 1 || i == cls || i == pos;
        CHECK(!it->trainable || it->no_decay == want);
    }

    // output shapes, and AdaLN-zero makes the block the identity at init
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_tensor *img = test_tensor(4, (int64_t[]){2, 3, 64, 64}, 1, 0, 1);
    jepa_tensor *tok = jepa_patch_embed_forward(ctx, &p, &pe, img);
    CHECK(tok->ndim == 3 && tok->shape[0] == 2 && tok->shape[1] == 65 && tok->shape[2] == 192);
    jepa_tensor *f = jepa_resnet_forward(ctx, &p, &cnn, img);
    CHECK(f->ndim == 4 && f->shape[1] == 32 && f->shape[2] == 8 && f->shape[3] == 8);
    jepa_tensor *x = test_tensor(3, (int64_t[]){2, 4, 192}, 2, -1, 1);
    jepa_tensor *c = test_tensor(3, (int64_t[]){2, 4, 64}, 3, -1, 1);
    jepa_tensor *y = jepa_block_forward(ctx, &p, &pred, x, c, JEPA_MASK_CAUSAL, 1);
    CHECK(memcmp(y->data, x->data, sizeof(float) * (size_t)jepa_numel(x)) == 0); // exactly x
    jepa_tensor *a = test_tensor(3, (int64_t[]){2, 6, 5}, 4, -1, 1);
    jepa_tensor *h0 = test_tensor(2, (int64_t[]){2, 96}, 5, -1, 1);
    jepa_tensor *hs = jepa_gru_sequence(ctx, &p, &gru, a, h0);
    CHECK(hs->ndim == 3 && hs->shape[0] == 2 && hs->shape[1] == 6 && hs->shape[2] == 96);
    test_tensor_free(img);
    test_tensor_free(x);
    test_tensor_free(c);
    test_tensor_free(a);
    test_tensor_free(h0);
    jepa_ctx_free(ctx);
    jepa_params_free(&p);
}

static void test_mlp_names(void) {
    jepa_params p;
    jepa_params_init(&p);
    jepa_mlp seq, fc;
    jepa_mlp_init(&seq, &p, "head", 3, (int64_t[]){4, 8, 8, 2}, JEPA_ACT_RELU, 0);
    jepa_mlp_init(&fc, &p, "mlp", 2, (int64_t[]){4, 8, 4}, JEPA_ACT_GELU, 1);
    CHECK(jepa_params_finalize(&p) == JEPA_OK);
    // nn.Sequential(Linear, ReLU, Linear, ReLU, Linear): linears at 0, 2, 4
    expect_param(&p, "head.0.weight", 2, (int64_t[]){8, 4});
    expect_param(&p, "head.2.weight", 2, (int64_t[]){8, 8});
    expect_param(&p, "head.4.bias", 1, (int64_t[]){2});
    expect_param(&p, "mlp.fc1.weight", 2, (int64_t[]){8, 4});
    expect_param(&p, "mlp.fc2.weight", 2, (int64_t[]){4, 8});
    CHECK(p.count == 10);
    CHECK(jepa_act_parse("relu") == JEPA_ACT_RELU && jepa_act_parse("gelu") == JEPA_ACT_GELU);
    CHECK(jepa_act_parse("silu") == JEPA_ACT_SILU && jepa_act_parse("none") == JEPA_ACT_NONE);
    CHECK(jepa_act_parse("tanh") == -1 && jepa_act_parse(NULL) == -1);
    jepa_params_free(&p);
}

static void test_sinusoidal(void) {
    enum { T = 7, E = 10 };
    float pe[T * E];
    jepa_sinusoidal_positions(pe, T, E);
    for (int t = 0; t < T; t++) {
        // pe[t, 2i] = sin(t / 10000^(2i/E)), pe[t, 2i+1] = cos(t / 10000^(2i/E))
        for (int i = 0; i < E / 2; i++) {
            double w = (double)t / pow(10000.0, 2.0 * i / E);
            CHECK_NEAR(pe[t * E + 2 * i], sin(w), 1e-6);
            CHECK_NEAR(pe[t * E + 2 * i + 1], cos(w), 1e-6);
        }
    }
}

// jepa_block_forward_kv against jepa_block_forward over the whole sequence: the last position
// alone; the positions after a prefix whose keys and values a first call gave, the prefix one row
// shared by every item (a planner's history) or one per item; with conditioning per token, per
// item and none, causal and full attention, and the AdaLN weights drawn away from zero
static void test_block_kv(void) {
    enum { B = 5, T = 4, S = 2, E = 32, C = 16 };
    jepa_params p;
    jepa_params_init(&p);
    jepa_block cond_block, plain;
    jepa_block_init(&cond_block, &p, "cond", E, 4, 2 * E, C);
    jepa_block_init(&plain, &p, "plain", E, 4, 2 * E, 0);
    CHECK(jepa_params_finalize(&p) == JEPA_OK);
    jepa_params_reset(&p, 11);
    int ada[2] = {cond_block.ada.weight, cond_block.ada.bias};
    for (int k = 0; k < 2; k++) {
        jepa_tensor *w = jepa_params_tensor(&p, ada[k]);
        jepa_tensor *r = test_tensor(1, (int64_t[]){jepa_numel(w)}, 20 + (uint64_t)k, -0.3f, 0.3f);
        memcpy(w->data, r->data, sizeof(float) * (size_t)jepa_numel(w));
        test_tensor_free(r);
    }
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_tensor *x = test_tensor(3, (int64_t[]){B, T, E}, 21, -1, 1);
    jepa_tensor *c_tok = test_tensor(3, (int64_t[]){B, T, C}, 22, -1, 1);
    jepa_tensor *c_item = test_tensor(2, (int64_t[]){B, C}, 23, -1, 1);
    // every item's first S positions those of item 0: a shared prefix
    jepa_tensor *xs = test_tensor(3, (int64_t[]){B, T, E}, 21, -1, 1);
    jepa_tensor *cs = test_tensor(3, (int64_t[]){B, T, C}, 22, -1, 1);
    for (int b = 1; b < B; b++) {
        memcpy(xs->data + b * T * E, xs->data, sizeof(float) * S * E);
        memcpy(cs->data + b * T * C, cs->data, sizeof(float) * S * C);
    }
    struct {
        const jepa_block *b;
        jepa_tensor *x, *cond;
        int shared; // the prefix is item 0's alone, one row
    } cases[] = {{&cond_block, x, c_tok, 0}, {&cond_block, x, c_item, 0}, {&plain, x, NULL, 0},
                 {&cond_block, xs, cs, 1},   {&plain, xs, NULL, 1}};
    for (int c = 0; c < 5; c++)
        for (int mask = JEPA_MASK_NONE; mask <= JEPA_MASK_CAUSAL; mask++) {
            const jepa_block *blk = cases[c].b;
            jepa_tensor *cx = cases[c].x, *cc = cases[c].cond;
            jepa_tensor *all = jepa_contiguous(ctx, jepa_block_forward(ctx, &p, blk, cx, cc, mask, 1));
            // the last position alone
            jepa_tensor *last = jepa_block_forward_kv(ctx, &p, blk, cx, cc, NULL, NULL, mask, 1, 1);
            CHECK(last->ndim == 3 && last->shape[0] == B && last->shape[1] == 1 && last->shape[2] == E);
            last = jepa_contiguous(ctx, last);
            for (int b = 0; b < B; b++) {
                double err = test_compare(last->data + b * E, all->data + (b * T + T - 1) * E, E, 1e-6, 1e-6);
                if (err > 1) fprintf(stderr, "FAIL: case %d, mask %d: last position off (%g)\n", c, mask, err);
                CHECK(err <= 1);
            }
            // the output moved: the block is not the identity
            CHECK(test_compare(all->data, cx->data, T * E, 1e-3, 0) > 1);
            if (mask != JEPA_MASK_CAUSAL) continue; // a prefix's keys alone serve causal attention
            // positions S.. after the prefix's keys and values, then the last of them alone
            int64_t rows = cases[c].shared ? 1 : B;
            jepa_tensor *pre_x = jepa_slice(ctx, jepa_slice(ctx, cx, 0, 0, rows), 1, 0, S);
            jepa_tensor *pre_c = cc && cc->ndim == 3 ? jepa_slice(ctx, jepa_slice(ctx, cc, 0, 0, rows), 1, 0, S)
                                                     : (cc ? jepa_slice(ctx, cc, 0, 0, rows) : NULL);
            jepa_tensor *kv = NULL;
            jepa_block_forward_kv(ctx, &p, blk, pre_x, pre_c, NULL, &kv, mask, 1, 1);
            CHECK(kv && kv->shape[0] == rows && kv->shape[1] == S && kv->shape[2] == 3 * E);
            jepa_tensor *post_x = jepa_slice(ctx, cx, 1, S, T);
            jepa_tensor *post_c = cc && cc->ndim == 3 ? jepa_slice(ctx, cc, 1, S, T) : cc;
            for (int only_last = 0; only_last <= 1; only_last++) {
                jepa_tensor *y = jepa_contiguous(
                    ctx, jepa_block_forward_kv(ctx, &p, blk, post_x, post_c, kv, NULL, mask, 1, only_last));
                int64_t ty = only_last ? 1 : T - S;
                CHECK(y->shape[0] == B && y->shape[1] == ty);
                for (int b = 0; b < B; b++) {
                    const float *want = all->data + (b * T + T - ty) * E;
                    double err = test_compare(y->data + b * ty * E, want, ty * E, 1e-5, 1e-5);
                    if (err > 1)
                        fprintf(stderr, "FAIL: case %d, item %d, last %d: after the prefix off (%g)\n", c,
                                b, only_last, err);
                    CHECK(err <= 1);
                }
            }
        }
    test_tensor_free(x);
    test_tensor_free(c_tok);
    test_tensor_free(c_item);
    test_tensor_free(xs);
    test_tensor_free(cs);
    jepa_ctx_free(ctx);
    jepa_params_free(&p);
}

int main(void) {
    test_vit_names_and_init();
    test_mlp_names();
    test_sinusoidal();
    test_block_kv();
    return test_finish("test_nn");
}
