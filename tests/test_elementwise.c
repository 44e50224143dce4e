// Elementwise ops: broadcasting binary arithmetic, bias-add, scalar and unary math, dropout.
// Values against hand-computed numbers and libm in double, gradients against finite
// differences, optimized kernels against their naive twins.
#include <stdlib.h>
#include <string.h>

#include "tensor/elementwise.h"
#include "testutil.h"

// ---- builders for gradcheck ----

typedef struct {
    int kind; // a jepa_binary_kind, or -1 for bias_add
    int dim;  // bias_add's dim
    int transpose_b;
} binary_args;

static jepa_tensor *build_binary(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    binary_args *a = user;
    jepa_tensor *b = a->transpose_b ? jepa_transpose(ctx, in[1], 0, 1) : in[1];
    switch (a->kind) {
    case JEPA_BINARY_ADD:
        return jepa_add(ctx, in[0], b);
    case JEPA_BINARY_SUB:
        return jepa_sub(ctx, in[0], b);
    case JEPA_BINARY_MUL:
        return jepa_mul(ctx, in[0], b);
    case JEPA_BINARY_DIV:
        return jepa_div(ctx, in[0], b);
    default:
        return jepa_bias_add(ctx, in[0], b, a->dim);
    }
}

typedef struct {
    jepa_unary_kind kind;
    float p;
} unary_args;

static jepa_tensor *build_unary(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    unary_args *a = user;
    switch (a->kind) {
    case JEPA_UNARY_SCALE:
        return jepa_scale(ctx, in[0], a->p);
    case JEPA_UNARY_ADD_SCALAR:
        return jepa_add_scalar(ctx, in[0], a->p);
    case JEPA_UNARY_EXP:
        return jepa_exp(ctx, in[0]);
    case JEPA_UNARY_LOG:
        return jepa_ln(ctx, in[0]);
    case JEPA_UNARY_SQRT:
        return jepa_sqrt(ctx, in[0]);
    case JEPA_UNARY_SQUARE:
        return jepa_square(ctx, in[0]);
    case JEPA_UNARY_ABS:
        return jepa_abs(ctx, in[0]);
    case JEPA_UNARY_COS:
        return jepa_cos(ctx, in[0]);
    case JEPA_UNARY_SIN:
        return jepa_sin(ctx, in[0]);
    case JEPA_UNARY_CLAMP_MIN:
        return jepa_clamp_min(ctx, in[0], a->p);
    default:
        return NULL; // activations: tested in test_activation.c
    }
}

static jepa_tensor *build_neg_of_permuted(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    (void)user;
    return jepa_neg(ctx, jepa_permute(ctx, in[0], (int[]){2, 0, 1}));
}

typedef struct {
    float p;
    uint64_t seed;
} dropout_args;

static jepa_tensor *build_dropout(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    dropout_args *a = user;
    return jepa_dropout(ctx, in[0], a->p, a->seed, 3, 1);
}

// ---- binary ops ----

static void test_binary_values(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    // hand-computed: (3) * (2, 1) -> (2, 3)
    jepa_tensor *a = jepa_new1(ctx, 3), *b = jepa_new2(ctx, 2, 1);
    for (int i = 0; i < 3; i++) a->data[i] = (float)(i + 1);
    b->data[0] = 2.0f;
    b->data[1] = 3.0f;
    jepa_tensor *c = jepa_mul(ctx, a, b);
    float want[6] = {2, 4, 6, 3, 6, 9};
    CHECK(c->ndim == 2 && c->shape[0] == 2 && c->shape[1] == 3);
    for (int i = 0; i < 6; i++) CHECK(c->data[i] == want[i]);
    // 1 / 8 and 6 - 2 exactly
    CHECK(jepa_div(ctx, a, b)->data[0] == 0.5f);
    CHECK(jepa_sub(ctx, b, a)->data[5] == 0.0f);

    // (3,1,7) + (5,1) -> (3,5,7), against explicit loops
    jepa_tensor *x = jepa_new3(ctx, 3, 1, 7), *y = jepa_new2(ctx, 5, 1);
    for (int i = 0; i < 21; i++) x->data[i] = 0.25f * (float)i;
    for (int i = 0; i < 5; i++) y->data[i] = 100.0f * (float)i;
    jepa_tensor *z = jepa_add(ctx, x, y);
    CHECK(z->ndim == 3 && z->shape[0] == 3 && z->shape[1] == 5 && z->shape[2] == 7);
    int bad = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++)
            for (int k = 0; k < 7; k++)
                bad += z->data[(i * 5 + j) * 7 + k] != x->data[i * 7 + k] + y->data[j];
    CHECK(bad == 0);

    // a transposed view as an operand: (4,3)^T - (3,4)
    jepa_tensor *p = jepa_new2(ctx, 4, 3), *q = jepa_new2(ctx, 3, 4);
    for (int i = 0; i < 12; i++) {
        p->data[i] = (float)i;
        q->data[i] = (float)(i * i);
    }
    jepa_tensor *r = jepa_sub(ctx, jepa_transpose(ctx, p, 0, 1), q);
    bad = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++)
            bad += r->data[i * 4 + j] != p->data[j * 3 + i] - q->data[i * 4 + j];
    CHECK(bad == 0);

    // bias along dim 1 of NCHW (2,3,2,2), and along the last dim of (2,3)
    jepa_tensor *img = jepa_zeros(ctx, 4, (int64_t[]){2, 3, 2, 2}), *bias = jepa_new1(ctx, 3);
    for (int i = 0; i < 3; i++) bias->data[i] = (float)(10 * (i + 1));
    jepa_tensor *o = jepa_bias_add(ctx, img, bias, 1);
    bad = 0;
    for (int i = 0; i < 24; i++) bad += o->data[i] != (float)(10 * (i / 4 % 3 + 1));
    CHECK(bad == 0);
    jepa_tensor *lin = jepa_zeros(ctx, 2, (int64_t[]){2, 3});
    jepa_tensor *lo = jepa_bias_add(ctx, lin, bias, -1);
    CHECK(lo->data[0] == 10.0f && lo->data[4] == 20.0f && lo->data[5] == 30.0f);
    jepa_ctx_free(ctx);
}

static void test_binary_gradients(void) {
    // shapes: {a, b}, every pair broadcasting differently
    struct {
        int na, nb;
        int64_t a[5], b[5];
    } cases[] = {
        {3, 3, {3, 5, 7}, {3, 5, 7}},          // same shape
        {3, 2, {3, 1, 7}, {5, 1}},             // both broadcast: (3,5,7)
        {1, 3, {7}, {3, 5, 7}},                // a row against a volume
        {5, 4, {2, 3, 1, 5, 1}, {3, 1, 1, 3}}, // 5-D: (2,3,3,5,3)
        {3, 0, {3, 5, 7}, {0}},                // a 0-d scalar operand
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int kind = 0; kind < 4; kind++) {
            jepa_tensor *in[2] = {test_tensor(cases[c].na, cases[c].a, 30 + c, -1, 1),
                                  test_tensor(cases[c].nb, cases[c].b, 40 + c, 0.5f, 1.5f)};
            binary_args args = {kind, 0, 0};
            char name[48];
            snprintf(name, sizeof name, "binary %d case %d", kind, (int)c);
            // eps 1e-2, atol 1e-4, rtol 1e-3 (b in [0.5, 1.5], away from div's pole)
            test_gradcheck(name, build_binary, &args, in, 2, 1e-2, 1e-4, 1e-3, 500);
            test_tensor_free(in[0]);
            test_tensor_free(in[1]);
        }
    // a transposed view operand: (5,7) * (7,5)^T
    jepa_tensor *in[2] = {test_tensor(2, (int64_t[]){5, 7}, 50, -1, 1),
                          test_tensor(2, (int64_t[]){7, 5}, 51, 0.5f, 1.5f)};
    binary_args targs = {JEPA_BINARY_DIV, 0, 1};
    test_gradcheck("div transposed view", build_binary, &targs, in, 2, 1e-2, 1e-4, 1e-3, 500);
    test_tensor_free(in[0]);
    test_tensor_free(in[1]);
    // bias_add along dim 1 of (2,3,4,5) and along -1 of (3,5,7)
    int64_t xs[2][4] = {{2, 3, 4, 5}, {3, 5, 7}};
    int nd[2] = {4, 3}, dims[2] = {1, -1};
    for (int c = 0; c < 2; c++) {
        int64_t len = xs[c][dims[c] < 0 ? nd[c] - 1 : dims[c]];
        jepa_tensor *bin[2] = {test_tensor(nd[c], xs[c], 60 + c, -1, 1),
                               test_tensor(1, &len, 70 + c, -1, 1)};
        binary_args bargs = {-1, dims[c], 0};
        // eps 1e-2, atol 1e-4, rtol 1e-3
        test_gradcheck(c ? "bias_add dim -1" : "bias_add dim 1", build_binary, &bargs, bin, 2, 1e-2,
                       1e-4, 1e-3, 500);
        test_tensor_free(bin[0]);
        test_tensor_free(bin[1]);
    }
}

static void test_binary_kernel_against_naive(void) {
    // large enough for threads, odd sizes, every broadcast pattern and a strided operand
    int64_t shape[4] = {33, 7, 41, 5};
    int64_t n = 33 * 7 * 41 * 5;
    jepa_tensor *a = test_tensor(1, &n, 1, -2, 2), *b = test_tensor(1, &n, 2, 0.5f, 2);
    float *o1 = malloc(sizeof(float) * (size_t)n), *o2 = malloc(sizeof(float) * (size_t)n);
    int64_t cs[4] = {7 * 41 * 5, 41 * 5, 5, 1};
    for (unsigned ma = 0; ma < 16; ma++)
        for (unsigned mb = 0; mb < 16; mb += 5) {
            int64_t sa[4], sb[4];
            // b is stored column-major (a transposed, non-contiguous view)
            int64_t col[4] = {1, 33, 33 * 7, 33 * 7 * 41};
            for (int d = 0; d < 4; d++) {
                sa[d] = (ma >> d) & 1u ? 0 : cs[d];
                sb[d] = (mb >> d) & 1u ? 0 : col[d];
            }
            for (int kind = 0; kind < 4; kind++) {
                jepa_binary_kernel(kind, o1, a->data, sa, b->data, sb, 4, shape);
                jepa_binary_kernel_ref(kind, o2, a->data, sa, b->data, sb, 4, shape);
                // one float operation per element either way: bit-identical
                CHECK(memcmp(o1, o2, sizeof(float) * (size_t)n) == 0);
            }
        }
    free(o1);
    free(o2);
    test_tensor_free(a);
    test_tensor_free(b);
}

// ---- unary math ----

static double unary_oracle(jepa_unary_kind kind, double x, double p) {
    switch (kind) {
    case JEPA_UNARY_SCALE:
        return p * x;
    case JEPA_UNARY_ADD_SCALAR:
        return x + p;
    case JEPA_UNARY_EXP:
        return exp(x);
    case JEPA_UNARY_LOG:
        return log(x);
    case JEPA_UNARY_SQRT:
        return sqrt(x);
    case JEPA_UNARY_SQUARE:
        return x * x;
    case JEPA_UNARY_ABS:
        return fabs(x);
    case JEPA_UNARY_COS:
        return cos(x);
    case JEPA_UNARY_SIN:
        return sin(x);
    case JEPA_UNARY_CLAMP_MIN:
        return x > p ? x : p;
    default:
        return NAN;
    }
}

static void test_unary(void) {
    unary_args cases[] = {{JEPA_UNARY_SCALE, -1.75f}, {JEPA_UNARY_ADD_SCALAR, 0.3f},
                          {JEPA_UNARY_EXP, 0},        {JEPA_UNARY_LOG, 0},
                          {JEPA_UNARY_SQRT, 0},       {JEPA_UNARY_SQUARE, 0},
                          {JEPA_UNARY_ABS, 0},        {JEPA_UNARY_COS, 0},
                          {JEPA_UNARY_SIN, 0},        {JEPA_UNARY_CLAMP_MIN, 0.2f}};
    const char *names[] = {"scale",  "add_scalar", "exp", "ln",  "sqrt",
                           "square", "abs",        "cos", "sin", "clamp_min"};
    jepa_ctx *ctx = jepa_ctx_create(0);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        jepa_unary_kind kind = cases[c].kind;
        int positive = kind == JEPA_UNARY_LOG || kind == JEPA_UNARY_SQRT;
        jepa_tensor *x =
            test_tensor(3, (int64_t[]){3, 5, 7}, 80 + c, positive ? 0.3f : -2.0f, 2.0f);
        // kinks: abs at 0, clamp_min at its bound
        if (kind == JEPA_UNARY_ABS) test_avoid_zero(x, 0.05f);
        if (kind == JEPA_UNARY_CLAMP_MIN)
            for (int i = 0; i < 105; i++)
                if (fabsf(x->data[i] - 0.2f) < 0.05f) x->data[i] = 0.3f;
        // forward against libm in double: within 2 float ulps
        jepa_ctx_reset(ctx);
        jepa_tensor *y = build_unary(ctx, &x, &cases[c]);
        int bad = 0;
        for (int i = 0; i < 105; i++) {
            double want = unary_oracle(kind, x->data[i], cases[c].p);
            bad += !(fabs(y->data[i] - want) <= 2.4e-7 * fabs(want) + 1e-30);
        }
        if (bad) fprintf(stderr, "unary %s: %d values off\n", names[c], bad);
        CHECK(bad == 0);
        // eps 1e-2, atol 1e-4, rtol 1e-3
        test_gradcheck(names[c], build_unary, &cases[c], &x, 1, 1e-2, 1e-4, 1e-3, 500);
        test_tensor_free(x);
    }
    // hand-computed values
    jepa_ctx_reset(ctx);
    jepa_tensor *v = jepa_new1(ctx, 4);
    float vals[4] = {-3.0f, -0.5f, 0.0f, 4.0f};
    memcpy(v->data, vals, sizeof vals);
    jepa_tensor *h = jepa_clamp_min(ctx, v, -1.0f);
    CHECK(h->data[0] == -1.0f && h->data[1] == -0.5f && h->data[2] == 0.0f && h->data[3] == 4.0f);
    CHECK(jepa_neg(ctx, v)->data[0] == 3.0f && jepa_abs(ctx, v)->data[1] == 0.5f);
    CHECK(jepa_sqrt(ctx, v)->data[3] == 2.0f && jepa_square(ctx, v)->data[0] == 9.0f);
    CHECK(jepa_exp(ctx, v)->data[2] == 1.0f && jepa_ln(ctx, jepa_exp(ctx, v))->data[2] == 0.0f);
    // the gradient of clamp_min passes at the bound itself (as PyTorch), abs's is 0 at 0
    jepa_requires_grad(ctx, v);
    jepa_tensor *hb = jepa_clamp_min(ctx, v, 0.0f);
    float ones[4] = {1, 1, 1, 1};
    jepa_backward_seed(ctx, hb, ones);
    CHECK(v->grad[0] == 0.0f && v->grad[2] == 1.0f && v->grad[3] == 1.0f);
    // a fresh step, so the tape holds abs only
    jepa_ctx_reset(ctx);
    v = jepa_new1(ctx, 4);
    memcpy(v->data, vals, sizeof vals);
    jepa_requires_grad(ctx, v);
    jepa_backward_seed(ctx, jepa_abs(ctx, v), ones);
    CHECK(v->grad[0] == -1.0f && v->grad[2] == 0.0f && v->grad[3] == 1.0f);
    jepa_ctx_free(ctx);

    // a permuted view goes through a contiguous copy
    jepa_tensor *x = test_tensor(3, (int64_t[]){3, 5, 7}, 99, -1, 1);
    test_gradcheck("neg of a permuted view", build_neg_of_permuted, NULL, &x, 1, 1e-2, 1e-4, 1e-3,
                   500);
    test_tensor_free(x);
}

static void test_unary_kernel_against_naive(void) {
    int64_t n = 100003; // above the threading threshold, odd
    jepa_tensor *x = test_tensor(1, &n, 7, -4, 4), *pos = test_tensor(1, &n, 8, 0.01f, 4);
    jepa_tensor *g = test_tensor(1, &n, 9, -1, 1);
    float *y1 = malloc(sizeof(float) * (size_t)n), *y2 = malloc(sizeof(float) * (size_t)n);
    float *g1 = calloc((size_t)n, sizeof(float)), *g2 = calloc((size_t)n, sizeof(float));
    for (int kind = JEPA_UNARY_SCALE; kind <= JEPA_UNARY_SIGMOID; kind++) {
        const float *in = kind == JEPA_UNARY_LOG || kind == JEPA_UNARY_SQRT ? pos->data : x->data;
        float p = kind == JEPA_UNARY_CLAMP_MIN ? 0.5f : 1.5f;
        jepa_unary_kernel(kind, y1, in, n, p);
        jepa_unary_kernel_ref(kind, y2, in, n, p);
        // float libm against double libm: a few ulps
        double e = test_compare(y1, y2, n, 1e-6, 2e-6);
        memset(g1, 0, sizeof(float) * (size_t)n);
        memset(g2, 0, sizeof(float) * (size_t)n);
        jepa_unary_backward_kernel(kind, g1, g->data, in, y1, n, p);
        jepa_unary_backward_kernel_ref(kind, g2, g->data, in, y2, n, p);
        // derivatives from float outputs (1 - y^2, y (1-y)): a few ulps of 1
        double eg = test_compare(g1, g2, n, 2e-6, 4e-6);
        if (!(e <= 1.0 && eg <= 1.0)) fprintf(stderr, "unary kind %d: %g %g\n", kind, e, eg);
        CHECK(e <= 1.0 && eg <= 1.0);
    }
    free(y1);
    free(y2);
    free(g1);
    free(g2);
    test_tensor_free(x);
    test_tensor_free(pos);
    test_tensor_free(g);
}

// ---- dropout ----

static void test_dropout(void) {
    int64_t n = 40000;
    float p = 0.3f;
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_tensor *x = jepa_new1(ctx, n);
    for (int64_t i = 0; i < n; i++) x->data[i] = 1.0f;
    jepa_tensor *a = jepa_dropout(ctx, x, p, 42, 7, 1), *b = jepa_dropout(ctx, x, p, 42, 7, 1);
    jepa_tensor *c = jepa_dropout(ctx, x, p, 43, 7, 1), *d = jepa_dropout(ctx, x, p, 42, 8, 1);
    // same key, same mask; a different seed or stream, a different one
    CHECK(memcmp(a->data, b->data, sizeof(float) * (size_t)n) == 0);
    int64_t diff_seed = 0, diff_stream = 0, kept = 0, bad_value = 0, rng_mismatch = 0;
    jepa_rng rng;
    jepa_rng_init(&rng, 42, 7);
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        diff_seed += (a->data[i] == 0.0f) != (c->data[i] == 0.0f);
        diff_stream += (a->data[i] == 0.0f) != (d->data[i] == 0.0f);
        kept += a->data[i] != 0.0f;
        // kept elements are scaled by 1/(1-p)
        bad_value += a->data[i] != 0.0f && a->data[i] != 1.0f / (1.0f - p);
        // the mask is jepa_rng's uniform stream: keep where u >= p
        rng_mismatch += (jepa_rng_uniform(&rng) >= p) != (a->data[i] != 0.0f);
        sum += a->data[i];
    }
    // two independent masks differ where exactly one drops: 2 p (1-p) = 0.42 of elements
    CHECK(diff_seed > n * 0.38 && diff_stream > n * 0.38);
    CHECK(bad_value == 0 && rng_mismatch == 0);
    // kept fraction 1-p, within 5 standard deviations (sqrt(n p (1-p)) = 92)
    CHECK_NEAR((double)kept, n * (1.0 - p), 5.0 * 92.0);
    // the mean stays 1 (PyTorch's scaling): 5 sd of the mean = 5 * sqrt(p/(1-p)/n) = 0.0164
    CHECK_NEAR(sum / (double)n, 1.0, 0.0164);
    // off when not training or p = 0; p = 1 drops everything
    CHECK(jepa_dropout(ctx, x, p, 42, 7, 0) == x && jepa_dropout(ctx, x, 0.0f, 42, 7, 1) == x);
    jepa_tensor *all = jepa_dropout(ctx, x, 1.0f, 42, 7, 1);
    int nonzero = 0;
    for (int64_t i = 0; i < n; i++) nonzero += all->data[i] != 0.0f;
    CHECK(nonzero == 0);

    // threads do not change the mask; the kernel equals its naive twin (an odd length, keys
    // with both 32-bit halves set)
    int64_t odd = n - 29;
    uint64_t seed = 0x0123456789abcdefull, stream = 0xfedcba9876543210ull;
    float *o1 = calloc((size_t)n, sizeof(float)), *o2 = calloc((size_t)n, sizeof(float));
    jepa_threads_set(1);
    jepa_dropout_kernel(o1, x->data, odd, p, seed, stream, 2.0f);
    jepa_threads_set(2);
    jepa_dropout_kernel_ref(o2, x->data, odd, p, seed, stream, 2.0f);
    CHECK(memcmp(o1, o2, sizeof(float) * (size_t)n) == 0);
    memset(o1, 0, sizeof(float) * (size_t)n);
    jepa_dropout_kernel(o1, x->data, odd, p, seed, stream, 2.0f);
    CHECK(memcmp(o1, o2, sizeof(float) * (size_t)n) == 0);
    free(o1);
    free(o2);
    jepa_ctx_free(ctx);

    // the gradient uses the same mask: eps 1e-2, atol 1e-4, rtol 1e-3
    jepa_tensor *xin = test_tensor(3, (int64_t[]){3, 5, 7}, 90, -1, 1);
    dropout_args args = {0.4f, 11};
    test_gradcheck("dropout", build_dropout, &args, &xin, 1, 1e-2, 1e-4, 1e-3, 500);
    test_tensor_free(xin);
}

int main(void) {
    test_binary_values();
    test_binary_gradients();
    test_binary_kernel_against_naive();
    test_unary();
    test_unary_kernel_against_naive();
    test_dropout();
    return test_finish("test_elementwise");
}
