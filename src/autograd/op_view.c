// Views and their one backward: scatter-add through the view's map into the source's gradient.
//
// A view records where each of its elements sits in the source's *row-major* index space
// (gradients are always row-major): ip[0..4] are those strides and ip[5] the offset.
#include <string.h>

#include "autograd/internal.h"
#include "jepa/ops_view.h"

#define GOFFSET 5

static int wrap_dim(int dim, int ndim) {
    if (dim < 0) dim += ndim;
    JEPA_CHECK_MSG(dim >= 0 && dim < ndim, "dimension out of range");
    return dim;
}

// a view over src with the given data layout and gradient map
static jepa_tensor *make_view(jepa_ctx *ctx, int op, jepa_tensor *src, int ndim,
                              const int64_t *shape, const int64_t *stride, int64_t offset,
                              const int64_t *gstride, int64_t goffset) {
    jepa_tensor *t = jepa_op_view_header(ctx, op, src);
    t->ndim = ndim;
    memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim);
    memcpy(t->stride, stride, sizeof(int64_t) * (size_t)ndim);
    memcpy(t->ip, gstride, sizeof(int64_t) * (size_t)ndim);
    t->ip[GOFFSET] = goffset;
    t->data = src->data + offset;
    return t;
}

jepa_tensor *jepa_contiguous(jepa_ctx *ctx, jepa_tensor *t) {
    if (jepa_is_contiguous(t)) return t;
    jepa_tensor *out = jepa_op_new(ctx, JEPA_OP_CONTIGUOUS, t->ndim, t->shape, 1, &t);
    jepa_tensor_gather(out->data, t);
    memcpy(out->ip, out->stride, sizeof(int64_t) * (size_t)t->ndim); // same row-major order
    out->ip[GOFFSET] = 0;
    return out;
}

jepa_tensor *jepa_reshape(jepa_ctx *ctx, jepa_tensor *t, int ndim, const int64_t *shape) {
    JEPA_CHECK(ndim >= 0 && ndim <= JEPA_MAX_DIMS);
    int64_t s[JEPA_MAX_DIMS], known = 1;
    int infer = -1;
    for (int i = 0; i < ndim; i++) {
        s[i] = shape[i];
        if (s[i] == -1) {
            JEPA_CHECK_MSG(infer < 0, "reshape: at most one -1");
            infer = i;
        } else {
            JEPA_CHECK(s[i] >= 0);
            known *= s[i];
        }
    }
    int64_t n = jepa_numel(t);
    if (infer >= 0) {
        JEPA_CHECK_MSG(known > 0 && n % known == 0, "reshape: size does not divide");
        s[infer] = n / known;
        known *= s[infer];
    }
    JEPA_CHECK_MSG(known == n, "reshape: element count differs");
    jepa_tensor *c = jepa_contiguous(ctx, t);
    int64_t stride[JEPA_MAX_DIMS];
    jepa_contiguous_strides(ndim, s, stride);
    return make_view(ctx, JEPA_OP_RESHAPE, c, ndim, s, stride, 0, stride, 0);
}

jepa_tensor *jepa_permute(jepa_ctx *ctx, jepa_tensor *t, const int *perm) {
    int64_t shape[JEPA_MAX_DIMS], stride[JEPA_MAX_DIMS], gstride[JEPA_MAX_DIMS], cs[JEPA_MAX_DIMS];
    int seen[JEPA_MAX_DIMS] = {0};
    jepa_contiguous_strides(t->ndim, t->shape, cs);
    for (int i = 0; i < t->ndim; i++) {
        int p = wrap_dim(perm[i], t->ndim);
        JEPA_CHECK_MSG(!seen[p], "permute: repeated dimension");
        seen[p] = 1;
        shape[i] = t->shape[p];
        stride[i] = t->stride[p];
        gstride[i] = cs[p];
    }
    return make_view(ctx, JEPA_OP_PERMUTE, t, t->ndim, shape, stride, 0, gstride, 0);
}

jepa_tensor *jepa_transpose(jepa_ctx *ctx, jepa_tensor *t, int d0, int d1) {
    int perm[JEPA_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) perm[i] = i;
    d0 = wrap_dim(d0, t->ndim);
    d1 = wrap_dim(d1, t->ndim);
    perm[d0] = d1;
    perm[d1] = d0;
    return jepa_permute(ctx, t, perm);
}

jepa_tensor *jepa_slice(jepa_ctx *ctx, jepa_tensor *t, int dim, int64_t start, int64_t end) {
    dim = wrap_dim(dim, t->ndim);
    JEPA_CHECK_MSG(0 <= start && start <= end && end <= t->shape[dim], "slice out of range");
    int64_t shape[JEPA_MAX_DIMS], cs[JEPA_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    shape[dim] = end - start;
    jepa_contiguous_strides(t->ndim, t->shape, cs);
    return make_view(ctx, JEPA_OP_SLICE, t, t->ndim, shape, t->stride, start * t->stride[dim], cs,
                     start * cs[dim]);
}

jepa_tensor *jepa_expand(jepa_ctx *ctx, jepa_tensor *t, int ndim, const int64_t *shape) {
    JEPA_CHECK_MSG(ndim >= t->ndim && ndim <= JEPA_MAX_DIMS, "expand: fewer dimensions");
    int64_t stride[JEPA_MAX_DIMS], gstride[JEPA_MAX_DIMS], cs[JEPA_MAX_DIMS];
    jepa_contiguous_strides(t->ndim, t->shape, cs);
    int lead = ndim - t->ndim;
    for (int i = 0; i < ndim; i++) {
        int j = i - lead; // the source dimension, if any
        if (j < 0 || (t->shape[j] == 1 && shape[i] != 1)) {
            stride[i] = 0;
            gstride[i] = 0;
        } else {
            JEPA_CHECK_MSG(t->shape[j] == shape[i], "expand: only size-1 dimensions broadcast");
            stride[i] = t->stride[j];
            gstride[i] = cs[j];
        }
    }
    return make_view(ctx, JEPA_OP_EXPAND, t, ndim, shape, stride, 0, gstride, 0);
}

// the gradient was accumulated in the source's own buffer (jepa_grad_of)
void jepa_backward_reshape(jepa_ctx *ctx, jepa_tensor *node) {
    (void)ctx;
    (void)node;
}

void jepa_backward_view(jepa_ctx *ctx, jepa_tensor *node) {
    jepa_tensor *src = node->src[0];
    if (!src->requires_grad) return;
    float *gsrc = jepa_grad_of(ctx, src) + node->ip[GOFFSET];
    const float *g = node->grad;
    int64_t n = jepa_numel(node), index[JEPA_MAX_DIMS] = {0};
    if (node->ndim == 0) {
        gsrc[0] += g[0];
        return;
    }
    int last = node->ndim - 1;
    int64_t inner = node->shape[last], inner_stride = node->ip[last];
    for (int64_t done = 0; done < n; done += inner) {
        int64_t off = 0;
        for (int d = 0; d < last; d++) off += index[d] * node->ip[d];
        float *restrict dst = gsrc + off;
        const float *restrict row = g + done;
        if (inner_stride == 1)
#pragma omp simd
            for (int64_t j = 0; j < inner; j++) dst[j] += row[j];
        else
            for (int64_t j = 0; j < inner; j++) dst[j * inner_stride] += row[j];
        for (int d = last - 1; d >= 0; d--) {
            if (++index[d] < node->shape[d]) break;
            index[d] = 0;
        }
    }
}
