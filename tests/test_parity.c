// PyTorch parity of the layers: the two reference models of tools/gen_reference.py (an IMPALA
// CNN + GRU with VICReg, a tiny ViT + AdaLN-zero transformer predictor) are built from src/nn,
// loaded from tests/ref/<model>.safetensors (PyTorch's own state_dict and initial weights),
// and compared with PyTorch's outputs, loss terms, every parameter gradient and 5 AdamW steps.
// A missing reference file fails the test. Run from the repository root (as ctest does).
//
//   test_parity [DIR]   also writes DIR/<model>_c.safetensors: the weights after the 5 steps,
//                       for tools/check_checkpoint.py (Python interop, by hand)
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define STEPS 5
#define MAX_TERMS 3

static const float LR = 1e-3f, BETA1 = 0.9f, BETA2 = 0.999f, ADAM_EPS = 1e-8f, WEIGHT_DECAY = 0.01f;

// the file's entries that are not parameters
static const char *const EXTRAS[] = {"input.", "output.", "grad.", "adamw.", "after."};

typedef struct model {
    const char *name;
    jepa_params p;
    int64_t B, T;
    // pldm_ref
    jepa_resnet cnn;
    jepa_linear fc;
    jepa_gru gru;
    // lewm_ref
    jepa_patch_embed patch;
    jepa_block enc_block, pred_block;
    jepa_norm enc_norm, pred_norm;
    jepa_projector proj;
    jepa_linear action_embed, head;
    int pred_pos;
    // a BatchNorm running mean fed by Linear(LayerNorm(x)) whose two biases have round-off
    // gradients (see the check after the AdamW steps), and that Linear's weight; -1 if none
    int shifted_mean, shift_weight;
} model;

typedef struct outputs {
    jepa_tensor *z, *pred, *loss, *terms[MAX_TERMS];
    int nterms;
} outputs;

static int starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int is_extra(const char *name) {
    for (size_t i = 0; i < sizeof EXTRAS / sizeof EXTRAS[0]; i++)
        if (starts_with(name, EXTRAS[i])) return 1;
    return 0;
}

// ---- the two models, named as PyTorch's state_dict ----

static void build_pldm(model *m) {
    m->B = 4;
    m->T = 3;
    jepa_resnet_init(&m->cnn, &m->p, "encoder", 3, 16, 2, (int64_t[]){8, 16});
    jepa_linear_init(&m->fc, &m->p, "encoder.fc", 16 * 4 * 4, 32, 1);
    jepa_gru_init(&m->gru, &m->p, "predictor.gru", 2, 32);
}

static void build_lewm(model *m) {
    m->B = 2;
    m->T = 3;
    jepa_patch_embed_init(&m->patch, &m->p, "encoder", 3, 16, 4, 32);
    jepa_block_init(&m->enc_block, &m->p, "encoder.blocks.0", 32, 2, 64, 0);
    jepa_layer_norm_init(&m->enc_norm, &m->p, "encoder.norm", 32, 1);
    jepa_projector_init(&m->proj, &m->p, "projector", 32, 64, 32);
    jepa_linear_init(&m->action_embed, &m->p, "predictor.action_embed", 2, 32, 1);
    m->pred_pos = jepa_params_add(&m->p, "predictor.pos_embed", 3, (int64_t[]){1, 3, 32}, 1);
    jepa_block_init(&m->pred_block, &m->p, "predictor.blocks.0", 32, 2, 64, 32);
    jepa_layer_norm_init(&m->pred_norm, &m->p, "predictor.norm", 32, 1);
    jepa_linear_init(&m->head, &m->p, "predictor.head", 32, 32, 1);
    m->shifted_mean = m->proj.bn.running_mean;
    m->shift_weight = m->proj.fc1.weight;
}

// z (B, T, 32) -> mean(relu(1 - sqrt(var(Z) + 1e-4))) and the off-diagonal covariance
// penalty, over Z = z reshaped (B*T, 32), as VICReg
static void vicreg(jepa_ctx *ctx, jepa_tensor *z, jepa_tensor **var, jepa_tensor **cov) {
    int64_t N = z->shape[0] * z->shape[1], D = z->shape[2];
    jepa_tensor *Z = jepa_reshape(ctx, z, 2, (int64_t[]){N, D});
    jepa_tensor *Zc = jepa_sub(ctx, Z, jepa_mean(ctx, Z, 1, (int[]){0}, 1));
    jepa_tensor *v = jepa_scale(ctx, jepa_sum(ctx, jepa_square(ctx, Zc), 1, (int[]){0}, 0),
                                1.0f / (float)(N - 1)); // unbiased
    jepa_tensor *std = jepa_sqrt(ctx, jepa_add_scalar(ctx, v, 1e-4f));
    *var = jepa_mean_all(ctx, jepa_relu(ctx, jepa_add_scalar(ctx, jepa_neg(ctx, std), 1.0f)));
    jepa_tensor *c = jepa_scale(ctx, jepa_matmul(ctx, Zc, Zc, 1, 0), 1.0f / (float)(N - 1));
    jepa_tensor *off = jepa_new2(ctx, D, D); // 1 off the diagonal, 0 on it
    for (int64_t i = 0; i < D * D; i++) off->data[i] = i % (D + 1) == 0 ? 0.0f : 1.0f;
    *cov = jepa_scale(ctx, jepa_sum_all(ctx, jepa_square(ctx, jepa_mul(ctx, c, off))),
                      1.0f / (float)D);
}

static outputs forward_pldm(jepa_ctx *ctx, model *m, jepa_tensor *frames, jepa_tensor *actions) {
    int64_t B = m->B, T = m->T;
    outputs o = {0};
    jepa_tensor *x = jepa_reshape(ctx, frames, 4, (int64_t[]){B * T, 3, 16, 16});
    x = jepa_resnet_forward(ctx, &m->p, &m->cnn, x);
    x = jepa_linear_forward(ctx, &m->p, &m->fc, jepa_reshape(ctx, x, 2, (int64_t[]){B * T, 256}));
    o.z = jepa_reshape(ctx, x, 3, (int64_t[]){B, T, 32});
    jepa_tensor *h0 = jepa_reshape(ctx, jepa_slice(ctx, o.z, 1, 0, 1), 2, (int64_t[]){B, 32});
    o.pred = jepa_gru_sequence(ctx, &m->p, &m->gru, actions, h0);
    o.terms[0] = jepa_mse_loss(ctx, o.pred, jepa_slice(ctx, o.z, 1, 1, T));
    vicreg(ctx, o.z, &o.terms[1], &o.terms[2]);
    o.nterms = 3;
    // loss = pred + 1.0 var + 0.04 cov
    o.loss = jepa_add(ctx, jepa_add(ctx, o.terms[0], o.terms[1]), jepa_scale(ctx, o.terms[2], 0.04f));
    return o;
}

static outputs forward_lewm(jepa_ctx *ctx, model *m, jepa_tensor *frames, jepa_tensor *actions) {
    int64_t B = m->B, T = m->T;
    outputs o = {0};
    jepa_tensor *x = jepa_reshape(ctx, frames, 4, (int64_t[]){B * T, 3, 16, 16});
    x = jepa_patch_embed_forward(ctx, &m->p, &m->patch, x);
    x = jepa_block_forward(ctx, &m->p, &m->enc_block, x, NULL, JEPA_MASK_NONE, 1);
    x = jepa_norm_forward(ctx, &m->p, &m->enc_norm, x, 1);
    x = jepa_reshape(ctx, jepa_slice(ctx, x, 1, 0, 1), 2, (int64_t[]){B * T, 32}); // CLS
    x = jepa_projector_forward(ctx, &m->p, &m->proj, x, 1);
    o.z = jepa_reshape(ctx, x, 3, (int64_t[]){B, T, 32});
    jepa_tensor *c = jepa_linear_forward(ctx, &m->p, &m->action_embed, actions);
    x = jepa_add(ctx, o.z, jepa_params_tensor(&m->p, m->pred_pos));
    x = jepa_block_forward(ctx, &m->p, &m->pred_block, x, c, JEPA_MASK_CAUSAL, 1);
    x = jepa_norm_forward(ctx, &m->p, &m->pred_norm, x, 1);
    o.pred = jepa_linear_forward(ctx, &m->p, &m->head, x);
    o.terms[0] = jepa_mse_loss(ctx, jepa_slice(ctx, o.pred, 1, 0, T - 1), jepa_slice(ctx, o.z, 1, 1, T));
    o.nterms = 1;
    o.loss = o.terms[0];
    return o;
}

// ---- comparisons ----

// max |a - b| / max |b| over n floats (the max-norm relative error; NaN fails)
static double rel_err(const float *a, const float *b, int64_t n, double floor) {
    double diff = 0.0, scale = floor;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= diff)) diff = d;
        if (fabs((double)b[i]) > scale) scale = fabs((double)b[i]);
    }
    return diff / scale;
}

// the reference tensor `name` as floats (malloc'd), with its element count; NULL if absent
static float *ref_floats(const jepa_safetensors *st, const char *name, int64_t *n) {
    char err[256];
    const jepa_st_tensor *t = jepa_st_find(st, name);
    if (!t) {
        fprintf(stderr, "FAIL: the reference has no tensor '%s'\n", name);
        return NULL;
    }
    *n = 1;
    for (int d = 0; d < t->ndim; d++) *n *= t->shape[d];
    float *out = malloc(sizeof(float) * (size_t)(*n ? *n : 1));
    if (!out || jepa_st_to_f32(t, out, err, sizeof err) != JEPA_OK) {
        fprintf(stderr, "FAIL: %s: %s\n", name, out ? err : "out of memory");
        free(out);
        return NULL;
    }
    return out;
}

// max |x| over the reference tensor `name` (0 when absent)
static double ref_max_abs(const jepa_safetensors *st, const char *name) {
    int64_t n = 0;
    float *x = ref_floats(st, name, &n);
    double m = 0.0;
    for (int64_t j = 0; x && j < n; j++) m = fmax(m, fabs(x[j]));
    free(x);
    return m;
}

// the reference gradient of parameter i: max |grad.<name>|
static double ref_grad_max(const jepa_safetensors *st, const jepa_params *p, int i) {
    char gname[JEPA_PARAM_NAME_MAX + 8];
    snprintf(gname, sizeof gname, "grad.%s", p->items[i].name);
    return ref_max_abs(st, gname);
}

// compare a row-major tensor with the reference `name`; returns the relative error
static double compare_tensor(const jepa_safetensors *st, const char *name, jepa_tensor *t,
                             double floor) {
    int64_t n = 0;
    float *ref = ref_floats(st, name, &n);
    float *mine = malloc(sizeof(float) * (size_t)(jepa_numel(t) ? jepa_numel(t) : 1));
    double e = INFINITY;
    if (ref && mine && n == jepa_numel(t)) {
        jepa_tensor_gather(mine, t);
        e = rel_err(mine, ref, n, floor);
    } else if (ref) {
        fprintf(stderr, "FAIL: %s: %lld elements here, %lld in the reference\n", name,
                (long long)jepa_numel(t), (long long)n);
    }
    free(ref);
    free(mine);
    return e;
}

// A gradient that is zero in exact arithmetic (a bias right before a BatchNorm, which removes
// any constant shift) is float32 round-off in both programs: its reference is below this
// fraction of the largest gradient of the model.
#define ZERO_GRAD_FRACTION 1e-4
// The same for one element of a gradient (the key part of an attention's qkv bias is zero in
// exact arithmetic: softmax ignores a score shift shared by every key).
#define ZERO_ELEMENT_FRACTION 1e-5
// Adam turns any tiny gradient into a step of about lr (|m_hat / sqrt(v_hat)| <= 1.01 over 5
// steps with these betas): the most a round-off-driven weight moves per step, with a margin
#define ROUNDOFF_STEP (1.1 * LR)

// The no_decay flags against the reference's groups: no decay for 1-D tensors, cls_token and
// pos_embed. (5 steps of decay 0.01 at lr 1e-3 move a weight by 5e-5 of itself, too little for
// the weight comparison to see, hence this check.)
static void check_decay_groups(const model *m) {
    for (int i = 0; i < m->p.count; i++) {
        const jepa_param *it = &m->p.items[i];
        size_t len = strlen(it->name);
        int tail = len >= 9 && (strcmp(it->name + len - 9, "cls_token") == 0 ||
                                strcmp(it->name + len - 9, "pos_embed") == 0);
        int want = it->tensor.ndim <= 1 || tail;
        if (it->trainable && it->no_decay != want)
            fprintf(stderr, "FAIL: %s: no_decay %d, the reference's group says %d\n", it->name,
                    it->no_decay, want);
        CHECK(!it->trainable || it->no_decay == want);
    }
}

// Load PyTorch's state_dict with the strict loader (every parameter present with its shape, no
// unknown tensor), on a view of the file without the extras. Returns 1 on success.
static int load_state_dict(const jepa_safetensors *st, model *m) {
    char err[512];
    jepa_st_tensor *kept = malloc(sizeof *kept * (size_t)st->count);
    jepa_safetensors sd = *st;
    sd.tensors = kept;
    sd.count = 0;
    for (int i = 0; kept && i < st->count; i++)
        if (!is_extra(st->tensors[i].name)) kept[sd.count++] = st->tensors[i];
    jepa_status s = kept ? jepa_st_load_params(&sd, &m->p, NULL, err, sizeof err) : JEPA_ERR_NOMEM;
    if (s != JEPA_OK) fprintf(stderr, "FAIL: %s: %s\n", m->name, kept ? err : "out of memory");
    CHECK(s == JEPA_OK);
    free(kept);
    return s == JEPA_OK;
}

// The first forward and backward (AdamW step 0) against output.* and grad.*.
static void check_first_step(const jepa_safetensors *st, model *m, const outputs *o, double gmax) {
    // outputs: relative 1e-4 (max-norm), a float32 forward summed in another order than PyTorch's
    double ez = compare_tensor(st, "output.z", o->z, 0.0);
    double ep = compare_tensor(st, "output.pred", o->pred, 0.0);
    printf("%s: z rel err %.2e, pred rel err %.2e\n", m->name, ez, ep);
    CHECK(ez <= 1e-4);
    CHECK(ep <= 1e-4);
    // the loss and each term: relative 1e-4
    int64_t nt = 0;
    float *terms = ref_floats(st, "output.loss_terms", &nt);
    CHECK(terms && nt == o->nterms);
    for (int k = 0; terms && k < o->nterms && k < nt; k++) {
        double e = fabs(o->terms[k]->data[0] - terms[k]) / fabs(terms[k]);
        printf("%s: loss term %d = %.9g (PyTorch %.9g), rel err %.2e\n", m->name, k,
               o->terms[k]->data[0], terms[k], e);
        CHECK(e <= 1e-4);
    }
    free(terms);
    CHECK(compare_tensor(st, "output.loss", o->loss, 0.0) <= 1e-4);

    // every gradient: relative 1e-3 (max-norm over the tensor), the worst one named
    double worst = 0.0;
    const char *worst_name = "(none)";
    int ngrads = 0;
    for (int i = 0; i < m->p.count; i++) {
        jepa_param *it = &m->p.items[i];
        if (!it->trainable) continue;
        char gname[JEPA_PARAM_NAME_MAX + 8];
        snprintf(gname, sizeof gname, "grad.%s", it->name);
        jepa_tensor g = it->tensor;
        g.data = g.grad; // the gradient buffer, same shape
        ngrads++;
        double gref = ref_grad_max(st, &m->p, i);
        if (gref < ZERO_GRAD_FRACTION * gmax) {
            // zero in exact arithmetic: here too it must be round-off, below the same bound
            double gmine = 0.0;
            for (int64_t j = 0; j < jepa_numel(&g); j++) gmine = fmax(gmine, fabs(g.data[j]));
            printf("%s: gradient of %s is round-off (max %.1e here, %.1e in PyTorch)\n", m->name,
                   it->name, gmine, gref);
            CHECK(gmine < ZERO_GRAD_FRACTION * gmax);
            continue;
        }
        double e = compare_tensor(st, gname, &g, 0.0);
        if (!(e <= worst)) {
            worst = e;
            worst_name = it->name;
        }
    }
    printf("%s: %d gradients, worst rel err %.2e (%s)\n", m->name, ngrads, worst, worst_name);
    if (!(worst <= 1e-3)) fprintf(stderr, "FAIL: %s: worst gradient %s\n", m->name, worst_name);
    CHECK(worst <= 1e-3);
}

// The BatchNorm running mean after Linear(LayerNorm(x)), where the Linear's bias b and the
// LayerNorm's bias beta have round-off gradients: forward k adds momentum (1 - momentum)^(S-1-k)
// times the batch mean, which the two programs shift by W (beta_k - beta_k') + (b_k - b_k'),
// each drift below 2 k ROUNDOFF_STEP. Channel c may thus differ by this sum times (1 + |W_c|_1).
static double shifted_mean_drift(const model *m) {
    double mom = m->proj.bn.momentum, drift = 0.0;
    for (int k = 0; k < STEPS; k++) drift += mom * pow(1.0 - mom, STEPS - 1 - k) * 2.0 * k * ROUNDOFF_STEP;
    return drift;
}

// Weights and BatchNorm statistics after the AdamW steps against after.*: relative 1e-3
// (max-norm per tensor). An element whose gradient is round-off (see above) moves by its sign:
// it must stay within STEPS * ROUNDOFF_STEP of its start and is left out of the comparison.
// Exact zeros in both programs (dead ReLUs, the last prediction outside the loss) are compared.
static void check_after(const jepa_safetensors *st, model *m, const float *grad0, double gmax) {
    double worst = 0.0, shift_ratio = 0.0;
    const char *worst_name = "(none)";
    int64_t loose = 0;
    for (int i = 0; i < m->p.count; i++) {
        jepa_param *it = &m->p.items[i];
        char aname[JEPA_PARAM_NAME_MAX + 8], gname[JEPA_PARAM_NAME_MAX + 8];
        snprintf(aname, sizeof aname, "after.%s", it->name);
        snprintf(gname, sizeof gname, "grad.%s", it->name);
        int64_t n = 0, ng = 0, n0 = 0, nw = 0;
        float *after = ref_floats(st, aname, &n);
        float *g = it->trainable ? ref_floats(st, gname, &ng) : NULL;
        float *w0 = ref_floats(st, it->name, &n0);
        float *w_shift = i == m->shifted_mean ? ref_floats(st, m->p.items[m->shift_weight].name, &nw)
                                              : NULL;
        int ok = after && w0 && n == jepa_numel(&it->tensor) && n0 == n &&
                 (!it->trainable || (g && ng == n)) && (i != m->shifted_mean || w_shift);
        CHECK(ok);
        int roundoff_tensor = it->trainable && ref_grad_max(st, &m->p, i) < ZERO_GRAD_FRACTION * gmax;
        double diff = 0.0, scale = 0.0;
        for (int64_t j = 0; ok && j < n; j++) {
            double w = it->tensor.data[j];
            if (w_shift) {
                int64_t in = m->p.items[m->shift_weight].tensor.shape[1];
                double l1 = 0.0;
                for (int64_t q = 0; q < in; q++) l1 += fabs(w_shift[j * in + q]);
                double bound = 1e-5 + shifted_mean_drift(m) * (1.0 + l1); // 1e-5: round-off
                shift_ratio = fmax(shift_ratio, fabs(w - after[j]) / bound);
                CHECK(fabs(w - after[j]) <= bound);
                loose++;
                continue;
            }
            int exact_zero = g && g[j] == 0.0f && grad0[it->offset + j] == 0.0f;
            if (roundoff_tensor || (g && !exact_zero && fabs(g[j]) < ZERO_ELEMENT_FRACTION * gmax)) {
                CHECK(fabs(w - w0[j]) <= STEPS * ROUNDOFF_STEP);
                loose++;
                continue;
            }
            double d = fabs(w - after[j]);
            if (!(d <= diff)) diff = d;
            scale = fmax(scale, fabs(after[j]));
        }
        double e = ok ? (scale > 0.0 ? diff / scale : diff) : INFINITY;
        if (!(e <= worst)) {
            worst = e;
            worst_name = it->name;
        }
        free(after);
        free(g);
        free(w0);
        free(w_shift);
    }
    if (m->shifted_mean >= 0)
        printf("%s: %s at %.2f of its round-off drift bound\n", m->name,
               m->p.items[m->shifted_mean].name, shift_ratio);
    printf("%s: after %d AdamW steps, worst rel err %.2e (%s); %lld round-off elements\n", m->name,
           STEPS, worst, worst_name, (long long)loose);
    CHECK(worst <= 1e-3);
}

// DIR/<model>_c.safetensors: the parameters and buffers, for tools/check_checkpoint.py
static void save_checkpoint(model *m, const char *dir) {
    char path[512], meta[128], err[512];
    jepa_st_entry *e = malloc(sizeof *e * (size_t)m->p.count);
    CHECK(e != NULL);
    if (!e) return;
    for (int i = 0; i < m->p.count; i++) {
        jepa_tensor *t = jepa_params_tensor(&m->p, i);
        e[i] = (jepa_st_entry){m->p.items[i].name, t->ndim, t->shape, t->data};
    }
    snprintf(path, sizeof path, "%s/%s_c.safetensors", dir, m->name);
    snprintf(meta, sizeof meta, "{\"model\": \"%s\", \"writer\": \"jepa.c test_parity\"}", m->name);
    jepa_status s = jepa_st_save(path, e, m->p.count, meta, err, sizeof err);
    if (s != JEPA_OK) fprintf(stderr, "FAIL: %s\n", err);
    CHECK(s == JEPA_OK);
    printf("%s: wrote %s\n", m->name, path);
    free(e);
}

// Build the model, load the reference, run STEPS AdamW steps on its batch and compare.
static void run_model(const char *name, void (*build)(model *),
                      outputs (*forward)(jepa_ctx *, model *, jepa_tensor *, jepa_tensor *),
                      const char *save_dir) {
    char path[256], err[512];
    snprintf(path, sizeof path, "tests/ref/%s.safetensors", name);
    jepa_safetensors st;
    if (jepa_st_open(&st, path, err, sizeof err) != JEPA_OK) {
        // a missing reference fails: the oracle is committed, never optional
        fprintf(stderr, "FAIL: %s (run from the repository root; tools/gen_reference.py makes it)\n",
                err);
        CHECK(0);
        return;
    }
    CHECK(jepa_st_metadata(&st, "model") && strcmp(jepa_st_metadata(&st, "model"), name) == 0);

    model m;
    memset(&m, 0, sizeof m);
    m.name = name;
    m.shifted_mean = m.shift_weight = -1;
    jepa_params_init(&m.p);
    build(&m);
    CHECK(jepa_params_finalize(&m.p) == JEPA_OK);
    check_decay_groups(&m);
    int loaded = load_state_dict(&st, &m);

    int64_t nf = 0, na = 0, nl = 0;
    float *frames = ref_floats(&st, "input.frames", &nf);
    float *actions = ref_floats(&st, "input.actions", &na);
    float *ref_losses = ref_floats(&st, "adamw.losses", &nl);
    const jepa_st_tensor *tf = jepa_st_find(&st, "input.frames");
    const jepa_st_tensor *ta = jepa_st_find(&st, "input.actions");
    float *grad0 = malloc(sizeof(float) * (size_t)m.p.total); // this program's first gradients
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_adamw opt = {0};
    int ready = loaded && frames && actions && ref_losses && nl == STEPS && grad0 && ctx &&
                jepa_adamw_init(&opt, &m.p, BETA1, BETA2, ADAM_EPS, WEIGHT_DECAY) == JEPA_OK;
    CHECK(ready);
    if (ready) {
        double gmax = 0.0; // the model's largest reference gradient
        for (int i = 0; i < m.p.count; i++)
            if (m.p.items[i].trainable) gmax = fmax(gmax, ref_grad_max(&st, &m.p, i));
        float losses[STEPS];
        for (int step = 0; step < STEPS; step++) {
            jepa_ctx_reset(ctx);
            jepa_tensor *xf = jepa_wrap(ctx, frames, NULL, tf->ndim, tf->shape);
            jepa_tensor *xa = jepa_wrap(ctx, actions, NULL, ta->ndim, ta->shape);
            outputs o = forward(ctx, &m, xf, xa);
            losses[step] = o.loss->data[0];
            jepa_params_zero_grad(&m.p);
            CHECK(jepa_backward(ctx, o.loss) == JEPA_OK);
            if (step == 0) {
                memcpy(grad0, m.p.grad, sizeof(float) * (size_t)m.p.total);
                check_first_step(&st, &m, &o, gmax);
            }
            jepa_adamw_step(&opt, &m.p, LR);
        }
        // the loss before each AdamW step: relative 1e-4 of PyTorch's
        double eloss = rel_err(losses, ref_losses, STEPS, 0.0);
        printf("%s: AdamW losses", name);
        for (int k = 0; k < STEPS; k++) printf(" %.6f", losses[k]);
        printf(" (rel err %.2e)\n", eloss);
        CHECK(eloss <= 1e-4);
        check_after(&st, &m, grad0, gmax);
        if (save_dir) save_checkpoint(&m, save_dir);
    }
    jepa_adamw_free(&opt);
    jepa_ctx_free(ctx);
    free(grad0);
    free(frames);
    free(actions);
    free(ref_losses);
    jepa_params_free(&m.p);
    jepa_st_close(&st);
}

int main(int argc, char **argv) {
    const char *save_dir = argc > 1 ? argv[1] : NULL;
    run_model("pldm_ref", build_pldm, forward_pldm, save_dir);
    run_model("lewm_ref", build_lewm, forward_lewm, save_dir);
    return test_finish("test_parity");
}
