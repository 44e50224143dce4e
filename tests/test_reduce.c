// Reductions: sum, mean and max over axes and over everything. Values against explicit loops
// in double, gradients against finite differences, kernels against their naive twins.
#include <stdlib.h>
#include <string.h>

#include "tensor/elementwise.h"
#include "testutil.h"

typedef struct {
    int which; // 0 sum, 1 mean, 2 max
    int naxes;
    int axes[5];
    int keepdim;
} reduce_args;

static jepa_tensor *build_reduce(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    reduce_args *a = user;
    jepa_tensor *(*f[3])(jepa_ctx *, jepa_tensor *, int, const int *, int) = {jepa_sum, jepa_mean,
                                                                              jepa_max};
    return f[a->which](ctx, in[0], a->naxes, a->axes, a->keepdim);
}

static jepa_tensor *build_all(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    int which = *(int *)user;
    // through a transposed view, to cover the contiguous copy
    jepa_tensor *x = jepa_transpose(ctx, in[0], 0, 2);
    return which == 0   ? jepa_sum_all(ctx, x)
           : which == 1 ? jepa_mean_all(ctx, x)
                        : jepa_max_all(ctx, x);
}

// distinct values 0.05 apart (more than twice the gradcheck's eps), in a scrambled order, so no
// finite difference moves the maximum
static void fill_distinct(jepa_tensor *t) {
    int64_t n = jepa_numel(t);
    for (int64_t i = 0; i < n; i++) t->data[i] = 0.05f * (float)((i * 37) % n) - 2.0f;
}

static void test_values(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_tensor *x = jepa_new3(ctx, 3, 5, 7);
    for (int i = 0; i < 105; i++) x->data[i] = sinf((float)i);
    // sum over {0, 2} with and without keepdim
    jepa_tensor *s = jepa_sum(ctx, x, 2, (int[]){0, -1}, 0);
    jepa_tensor *sk = jepa_sum(ctx, x, 2, (int[]){2, 0}, 1);
    jepa_tensor *m = jepa_mean(ctx, x, 1, (int[]){1}, 0);
    jepa_tensor *mx = jepa_max(ctx, x, 1, (int[]){1}, 1);
    CHECK(s->ndim == 1 && s->shape[0] == 5);
    CHECK(sk->ndim == 3 && sk->shape[0] == 1 && sk->shape[1] == 5 && sk->shape[2] == 1);
    CHECK(m->ndim == 2 && m->shape[0] == 3 && m->shape[1] == 7);
    CHECK(mx->ndim == 3 && mx->shape[1] == 1);
    for (int j = 0; j < 5; j++) {
        double want = 0.0;
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 7; k++) want += sin((double)((i * 5 + j) * 7 + k));
        // float inputs (rounded sin) summed: 21 terms of size <= 1
        CHECK_NEAR(s->data[j], want, 2e-6 * 21);
        CHECK(s->data[j] == sk->data[j]);
    }
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 7; k++) {
            double want = 0.0, best = -2.0;
            for (int j = 0; j < 5; j++) {
                double v = x->data[(i * 5 + j) * 7 + k];
                want += v / 5.0;
                best = v > best ? v : best;
            }
            CHECK_NEAR(m->data[i * 7 + k], want, 1e-6);
            CHECK(mx->data[i * 7 + k] == (float)best);
        }
    // over everything: 0-d tensors; sum of 0..104 = 5460 exactly
    jepa_tensor *y = jepa_new1(ctx, 105);
    for (int i = 0; i < 105; i++) y->data[i] = (float)i;
    jepa_tensor *all = jepa_sum_all(ctx, y), *mean = jepa_mean_all(ctx, y);
    CHECK(all->ndim == 0 && all->data[0] == 5460.0f && mean->data[0] == 52.0f);
    CHECK(jepa_max_all(ctx, y)->data[0] == 104.0f);
    // naxes 0 is a copy; a mean over an empty axis is NaN
    jepa_tensor *copy = jepa_sum(ctx, x, 0, NULL, 0);
    CHECK(copy->ndim == 3 && memcmp(copy->data, x->data, sizeof(float) * 105) == 0);
    jepa_tensor *empty = jepa_zeros(ctx, 2, (int64_t[]){2, 0});
    jepa_tensor *em = jepa_mean(ctx, empty, 1, (int[]){1}, 0);
    CHECK(em->shape[0] == 2 && isnan(em->data[0]) && isnan(em->data[1]));
    // max propagates NaN
    y->data[50] = NAN;
    CHECK(isnan(jepa_max_all(ctx, y)->data[0]));

    // ties: the gradient of max goes to the first maximum only
    jepa_tensor *t = jepa_new2(ctx, 2, 4);
    float tv[8] = {1, 3, 3, 0, 5, 5, 5, 5};
    memcpy(t->data, tv, sizeof tv);
    jepa_requires_grad(ctx, t);
    jepa_tensor *tm = jepa_max(ctx, t, 1, (int[]){1}, 0);
    jepa_backward_seed(ctx, tm, (float[]){1.0f, 2.0f});
    float want_grad[8] = {0, 1, 0, 0, 2, 0, 0, 0};
    CHECK(memcmp(t->grad, want_grad, sizeof want_grad) == 0);

    // jepa_backward from a 0-d mean: d mean / dx = 1/n
    jepa_ctx_reset(ctx);
    jepa_tensor *z = jepa_zeros(ctx, 2, (int64_t[]){4, 5});
    jepa_requires_grad(ctx, z);
    CHECK(jepa_backward(ctx, jepa_mean_all(ctx, z)) == JEPA_OK);
    int bad = 0;
    for (int i = 0; i < 20; i++) bad += z->grad[i] != 0.05f;
    CHECK(bad == 0);
    jepa_ctx_free(ctx);
}

static void test_gradients(void) {
    reduce_args cases[] = {
        {0, 2, {0, 2}, 0}, {0, 1, {1}, 1},       {0, 1, {-1}, 0}, {0, 3, {0, 1, 2}, 0},
        {1, 2, {0, 2}, 1}, {1, 1, {0}, 0},       {2, 1, {1}, 0},  {2, 2, {0, 2}, 1},
        {2, 1, {-1}, 0},   {2, 3, {2, 1, 0}, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        jepa_tensor *x = test_tensor(3, (int64_t[]){3, 5, 7}, 10 + c, -1, 1);
        if (cases[c].which == 2) fill_distinct(x);
        char name[48];
        snprintf(name, sizeof name, "%s case %d",
                 cases[c].which == 0   ? "sum"
                 : cases[c].which == 1 ? "mean"
                                       : "max",
                 (int)c);
        // eps 1e-2, atol 1e-4, rtol 1e-3
        test_gradcheck(name, build_reduce, &cases[c], &x, 1, 1e-2, 1e-4, 1e-3, 500);
        test_tensor_free(x);
    }
    // 5-D, two separated axes
    reduce_args five = {0, 2, {1, 3}, 0};
    jepa_tensor *x5 = test_tensor(5, (int64_t[]){2, 3, 2, 5, 3}, 30, -1, 1);
    test_gradcheck("sum 5-D axes 1,3", build_reduce, &five, &x5, 1, 1e-2, 1e-4, 1e-3, 500);
    five.which = 2;
    fill_distinct(x5);
    test_gradcheck("max 5-D axes 1,3", build_reduce, &five, &x5, 1, 1e-2, 1e-4, 1e-3, 500);
    test_tensor_free(x5);
    for (int which = 0; which < 3; which++) {
        jepa_tensor *x = test_tensor(3, (int64_t[]){3, 5, 7}, 40 + which, -1, 1);
        if (which == 2) fill_distinct(x);
        const char *names[3] = {"sum_all", "mean_all", "max_all"};
        test_gradcheck(names[which], build_all, &which, &x, 1, 1e-2, 1e-4, 1e-3, 500);
        test_tensor_free(x);
    }
}

static void test_kernels_against_naive(void) {
    // every mask of a 5-D shape with odd sizes, and a few masks of a shape big enough for threads
    int64_t shapes[2][5] = {{3, 4, 5, 2, 7}, {9, 35, 17, 3, 13}};
    for (int s = 0; s < 2; s++) {
        int64_t *shape = shapes[s], n = 1;
        for (int d = 0; d < 5; d++) n *= shape[d];
        jepa_tensor *x = test_tensor(1, &n, 50 + s, -1, 1);
        float *o1 = malloc(sizeof(float) * (size_t)n), *o2 = malloc(sizeof(float) * (size_t)n);
        float *d1 = malloc(sizeof(float) * (size_t)n), *d2 = malloc(sizeof(float) * (size_t)n);
        int64_t *a1 = malloc(sizeof(int64_t) * (size_t)n),
                *a2 = malloc(sizeof(int64_t) * (size_t)n);
        for (unsigned mask = 0; mask < 32; mask += s ? 3 : 1) {
            int64_t m = 1, count = 1;
            for (int d = 0; d < 5; d++) {
                if ((mask >> d) & 1u)
                    count *= shape[d];
                else
                    m *= shape[d];
            }
            for (int64_t i = 0; i < m; i++) o1[i] = o2[i] = 0.5f;
            jepa_reduce_sum_kernel(o1, x->data, 5, shape, mask, 0.75f);
            jepa_reduce_sum_kernel_ref(o2, x->data, 5, shape, mask, 0.75f);
            // float blocks against double: count terms of size <= 0.75, error ~ count 2^-24
            double e = test_compare(o1, o2, m, 1e-7 * (double)count + 1e-6, 1e-6);
            jepa_reduce_max_kernel(o1, a1, x->data, 5, shape, mask);
            jepa_reduce_max_kernel_ref(o2, a2, x->data, 5, shape, mask);
            // comparisons only: identical values and indices
            int same = memcmp(o1, o2, sizeof(float) * (size_t)m) == 0 &&
                       memcmp(a1, a2, sizeof(int64_t) * (size_t)m) == 0;
            for (int64_t i = 0; i < n; i++) d1[i] = d2[i] = 0.25f;
            jepa_expand_add_kernel(d1, x->data, 5, shape, mask, -1.5f);
            jepa_expand_add_kernel_ref(d2, x->data, 5, shape, mask, -1.5f);
            // one multiply-add per element either way
            int same_expand = memcmp(d1, d2, sizeof(float) * (size_t)n) == 0;
            if (!(e <= 1.0 && same && same_expand))
                fprintf(stderr, "shape %d mask %u: sum %g max %d expand %d\n", s, mask, e, same,
                        same_expand);
            CHECK(e <= 1.0 && same && same_expand);
        }
        free(o1);
        free(o2);
        free(d1);
        free(d2);
        free(a1);
        free(a2);
        test_tensor_free(x);
    }
}

// sums over everything and over axes give the same bits on 1 and on 2 threads
static void test_thread_independence(void) {
    int64_t shape[2] = {301, 333}, n = 301 * 333;
    jepa_tensor *x = test_tensor(2, shape, 60, -1, 1);
    float all[2], rows[2][333];
    for (int threads = 1; threads <= 2; threads++) {
        jepa_threads_set(threads);
        all[threads - 1] = 0.0f;
        jepa_reduce_sum_kernel(&all[threads - 1], x->data, 1, &n, 1u, 1.0);
        memset(rows[threads - 1], 0, sizeof rows[0]);
        jepa_reduce_sum_kernel(rows[threads - 1], x->data, 2, shape, 1u, 1.0);
    }
    CHECK(all[0] == all[1] && memcmp(rows[0], rows[1], sizeof rows[0]) == 0);
    test_tensor_free(x);
}

int main(void) {
    test_thread_independence();
    test_values();
    test_gradients();
    test_kernels_against_naive();
    return test_finish("test_reduce");
}
