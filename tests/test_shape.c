// Concat, split and gather: values against explicit loops, gradients against finite
// differences.
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct {
    int n, axis;
} concat_args;

static jepa_tensor *build_concat(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    concat_args *a = user;
    jepa_tensor *xs[8];
    for (int i = 0; i < a->n; i++) xs[i] = in[i];
    // one transposed view among the inputs (axis -1 of (3,2,5) views), squared so the
    // gradient depends on the values
    if (a->axis == -1) xs[0] = jepa_transpose(ctx, in[0], 1, 2);
    return jepa_square(ctx, jepa_concat(ctx, a->n, xs, a->axis));
}

// split (3, 9, 4) into 2 + 3 + 4 along axis 1, then weigh the pieces differently
static jepa_tensor *build_split(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    (void)user;
    jepa_tensor *pieces[3];
    jepa_split(ctx, in[0], 1, 3, (int64_t[]){2, 3, 4}, pieces);
    jepa_tensor *a = jepa_mul(ctx, pieces[0], pieces[0]);
    jepa_tensor *b = jepa_scale(ctx, pieces[2], 3.0f);
    return jepa_concat(ctx, 3, (jepa_tensor *[]){b, pieces[1], a}, 1);
}

static const int64_t gather_idx[7] = {4, 0, 4, 2, 5, 4, 1};

static jepa_tensor *build_gather(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    (void)user;
    return jepa_square(ctx, jepa_gather(ctx, in[0], gather_idx, 7));
}

static void test_values(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    // (2,3,4) ++ (2,1,4) ++ (2,5,4) along axis 1
    int64_t sizes[3] = {3, 1, 5};
    jepa_tensor *xs[3];
    for (int i = 0; i < 3; i++) {
        xs[i] = jepa_new3(ctx, 2, sizes[i], 4);
        for (int64_t j = 0; j < 8 * sizes[i]; j++) xs[i]->data[j] = (float)(1000 * i + j);
    }
    jepa_tensor *c = jepa_concat(ctx, 3, xs, 1);
    CHECK(c->ndim == 3 && c->shape[0] == 2 && c->shape[1] == 9 && c->shape[2] == 4);
    int bad = 0;
    for (int o = 0; o < 2; o++)
        for (int r = 0; r < 9; r++)
            for (int k = 0; k < 4; k++) {
                int i = r < 3 ? 0 : r < 4 ? 1 : 2, rr = r < 3 ? r : r < 4 ? r - 3 : r - 4;
                float want = (float)(1000 * i + (o * sizes[i] + rr) * 4 + k);
                bad += c->data[(o * 9 + r) * 4 + k] != want;
            }
    CHECK(bad == 0);
    // split gives views that read back the inputs
    jepa_tensor *parts[3];
    jepa_split(ctx, c, -2, 3, sizes, parts);
    bad = 0;
    for (int i = 0; i < 3; i++) {
        CHECK(parts[i]->shape[1] == sizes[i] && parts[i]->data >= c->data);
        float *tmp = malloc(sizeof(float) * 8 * (size_t)sizes[i]);
        jepa_tensor_gather(tmp, parts[i]);
        bad += memcmp(tmp, xs[i]->data, sizeof(float) * 8 * (size_t)sizes[i]) != 0;
        free(tmp);
    }
    CHECK(bad == 0);
    // nine inputs along axis 0 (more than a node's sources): 0..8 in order
    jepa_tensor *many[9];
    for (int i = 0; i < 9; i++) {
        many[i] = jepa_new2(ctx, 1, 2);
        many[i]->data[0] = (float)(2 * i);
        many[i]->data[1] = (float)(2 * i + 1);
    }
    jepa_tensor *m = jepa_concat(ctx, 9, many, 0);
    CHECK(m->shape[0] == 9 && m->shape[1] == 2);
    bad = 0;
    for (int i = 0; i < 18; i++) bad += m->data[i] != (float)i;
    CHECK(bad == 0);
    // gather: rows of the table
    jepa_tensor *table = jepa_new2(ctx, 6, 3);
    for (int i = 0; i < 18; i++) table->data[i] = (float)i;
    jepa_tensor *g = jepa_gather(ctx, table, gather_idx, 7);
    CHECK(g->shape[0] == 7 && g->shape[1] == 3);
    bad = 0;
    for (int r = 0; r < 7; r++)
        for (int j = 0; j < 3; j++) bad += g->data[r * 3 + j] != (float)(gather_idx[r] * 3 + j);
    CHECK(bad == 0);
    // the backward adds repeated rows: row 4 is picked three times
    float ones[21];
    for (int i = 0; i < 21; i++) ones[i] = 1.0f;
    jepa_ctx_reset(ctx);
    table = jepa_new2(ctx, 6, 3);
    jepa_requires_grad(ctx, table);
    CHECK(jepa_backward_seed(ctx, jepa_gather(ctx, table, gather_idx, 7), ones) == JEPA_OK);
    float want_rows[6] = {1, 1, 1, 0, 3, 1};
    bad = 0;
    for (int i = 0; i < 18; i++) bad += table->grad[i] != want_rows[i / 3];
    CHECK(bad == 0);
    jepa_ctx_free(ctx);
}

static void test_gradients(void) {
    // three inputs along axis 1; six along axis -1 with a transposed view (the grouped path)
    jepa_tensor *in[6];
    int64_t s1[3][3] = {{2, 3, 5}, {2, 1, 5}, {2, 4, 5}};
    for (int i = 0; i < 3; i++) in[i] = test_tensor(3, s1[i], 10 + i, -1, 1);
    concat_args a = {3, 1};
    // eps 1e-2, atol 1e-4, rtol 1e-3
    test_gradcheck("concat 3 axis 1", build_concat, &a, in, 3, 1e-2, 1e-4, 1e-3, 500);
    for (int i = 0; i < 3; i++) test_tensor_free(in[i]);
    for (int i = 0; i < 6; i++)
        in[i] =
            test_tensor(3, i == 0 ? (int64_t[]){3, 2, 5} : (int64_t[]){3, 5, 1 + i}, 20 + i, -1, 1);
    concat_args b = {6, -1};
    test_gradcheck("concat 6 axis -1", build_concat, &b, in, 6, 1e-2, 1e-4, 1e-3, 500);
    for (int i = 0; i < 6; i++) test_tensor_free(in[i]);

    jepa_tensor *x = test_tensor(3, (int64_t[]){3, 9, 4}, 30, -1, 1);
    test_gradcheck("split", build_split, NULL, &x, 1, 1e-2, 1e-4, 1e-3, 500);
    test_tensor_free(x);
    jepa_tensor *t = test_tensor(2, (int64_t[]){6, 5}, 31, -1, 1);
    test_gradcheck("gather", build_gather, NULL, &t, 1, 1e-2, 1e-4, 1e-3, 500);
    test_tensor_free(t);
}

int main(void) {
    test_values();
    test_gradients();
    return test_finish("test_shape");
}
