// Concat, split and gather.
#include <string.h>

#include "autograd/internal.h"
#include "jepa/arena.h"
#include "jepa/ops_shape.h"
#include "jepa/ops_view.h"

static int wrap_axis(int axis, int ndim) {
    if (axis < 0) axis += ndim;
    JEPA_CHECK_MSG(axis >= 0 && axis < ndim, "axis out of range");
    return axis;
}

// ---- concat: ip[0] the axis; sources are the (contiguous) inputs in order ----

// the sizes before (outer) and after (inner) axis
static void outer_inner(const jepa_tensor *t, int axis, int64_t *outer, int64_t *inner) {
    *outer = *inner = 1;
    for (int d = 0; d < axis; d++) *outer *= t->shape[d];
    for (int d = axis + 1; d < t->ndim; d++) *inner *= t->shape[d];
}

jepa_tensor *jepa_concat(jepa_ctx *ctx, int n, jepa_tensor **xs, int axis) {
    JEPA_CHECK_MSG(n >= 1, "concat: no inputs");
    // more inputs than a node holds: concat groups, then the groups
    if (n > JEPA_MAX_SRC) {
        jepa_tensor *groups[JEPA_MAX_SRC];
        int start = 0;
        for (int g = 0; g < JEPA_MAX_SRC; g++) {
            int count = (n - start) / (JEPA_MAX_SRC - g);
            groups[g] = jepa_concat(ctx, count, xs + start, axis);
            start += count;
        }
        return jepa_concat(ctx, JEPA_MAX_SRC, groups, axis);
    }
    int ndim = xs[0]->ndim;
    axis = wrap_axis(axis, ndim);
    int64_t shape[JEPA_MAX_DIMS];
    memcpy(shape, xs[0]->shape, sizeof shape);
    shape[axis] = 0;
    jepa_tensor *src[JEPA_MAX_SRC];
    for (int i = 0; i < n; i++) {
        JEPA_CHECK_MSG(xs[i]->ndim == ndim, "concat: inputs differ in ndim");
        for (int d = 0; d < ndim; d++)
            JEPA_CHECK_MSG(d == axis || xs[i]->shape[d] == shape[d],
                           "concat: sizes differ off the axis");
        shape[axis] += xs[i]->shape[axis];
        src[i] = jepa_contiguous(ctx, xs[i]);
    }
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_CONCAT, ndim, shape, n, src);
    int64_t outer, inner;
    outer_inner(out, axis, &outer, &inner);
    // each input fills a block of every outer row
    int64_t row = shape[axis] * inner, at = 0;
    for (int i = 0; i < n; i++) {
        int64_t block = src[i]->shape[axis] * inner;
        for (int64_t o = 0; o < outer; o++)
            memcpy(out->data + o * row + at, src[i]->data + o * block,
                   sizeof(float) * (size_t)block);
        at += block;
    }
    out->ip[0] = axis;
    return out;
}

void jepa_backward_concat(jepa_ctx *ctx, jepa_tensor *node) {
    int axis = (int)node->ip[0];
    int64_t outer, inner;
    outer_inner(node, axis, &outer, &inner);
    int64_t row = node->shape[axis] * inner, at = 0;
    for (int i = 0; i < JEPA_MAX_SRC && node->src[i]; i++) {
        jepa_tensor *x = node->src[i];
        int64_t block = x->shape[axis] * inner;
        if (x->requires_grad) {
            float *gx = jepa_grad_of(ctx, x);
            for (int64_t o = 0; o < outer; o++)
                for (int64_t j = 0; j < block; j++)
                    gx[o * block + j] += node->grad[o * row + at + j];
        }
        at += block;
    }
}

void jepa_split(jepa_ctx *ctx, jepa_tensor *x, int axis, int n, const int64_t *sizes,
                jepa_tensor **out) {
    axis = wrap_axis(axis, x->ndim);
    int64_t start = 0;
    for (int i = 0; i < n; i++) {
        JEPA_CHECK_MSG(sizes[i] >= 0, "split: negative size");
        out[i] = jepa_slice(ctx, x, axis, start, start + sizes[i]);
        start += sizes[i];
    }
    JEPA_CHECK_MSG(start == x->shape[axis], "split: sizes do not add up to the axis");
}

// ---- gather: ip[0] the row count; saved holds the int64 indices ----

jepa_tensor *jepa_gather(jepa_ctx *ctx, jepa_tensor *table, const int64_t *idx, int64_t n) {
    JEPA_CHECK_MSG(table->ndim == 2, "gather: table must be (V, D)");
    JEPA_CHECK(n >= 0);
    table = jepa_contiguous(ctx, table);
    int64_t V = table->shape[0], D = table->shape[1];
    int64_t *saved = jepa_arena_alloc(jepa_ctx_arena(ctx), sizeof(int64_t) * (size_t)(n ? n : 1));
    JEPA_CHECK_MSG(saved != NULL, "out of memory in the step arena");
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_GATHER, 2, (int64_t[]){n, D}, 1, &table);
    for (int64_t r = 0; r < n; r++) {
        JEPA_CHECK_MSG(idx[r] >= 0 && idx[r] < V, "gather: index out of range");
        saved[r] = idx[r];
        memcpy(out->data + r * D, table->data + idx[r] * D, sizeof(float) * (size_t)D);
    }
    out->ip[0] = n;
    out->saved = (float *)(void *)saved; // the arena aligns it for int64; read back as int64
    return out;
}

void jepa_backward_gather(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *table = node->src[0];
    if (!table->requires_grad) return;
    const int64_t *idx = (const int64_t *)(const void *)node->saved;
    int64_t n = node->ip[0], D = node->shape[1];
    float *gt = jepa_grad_of(ctx, table);
    // serial: repeated indices add into the same row
    for (int64_t r = 0; r < n; r++)
        for (int64_t j = 0; j < D; j++) gt[idx[r] * D + j] += node->grad[r * D + j];
}
