// Tensor shapes, strides and strided copies, and zero fills.
#include "jepa/tensor.h"

#include <stdio.h>
#include <string.h>

#include "jepa/autograd.h"
#include "jepa/status.h"
#include "jepa/threads.h"

#define CHUNK_FLOATS ((int64_t)1 << 16) // floats a thread clears or copies at a time

int64_t jepa_numel(const jepa_tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

int64_t jepa_contiguous_strides(int ndim, const int64_t *shape, int64_t *stride) {
    int64_t n = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        stride[i] = n;
        n *= shape[i];
    }
    return n;
}

int jepa_is_contiguous(const jepa_tensor *t) {
    int64_t n = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != n) return 0;
        n *= t->shape[i];
    }
    return 1;
}

int jepa_same_shape(const jepa_tensor *a, const jepa_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

void jepa_tensor_wrap(jepa_tensor *t, float *data, float *grad, int ndim, const int64_t *shape) {
    JEPA_CHECK(ndim >= 0 && ndim <= JEPA_MAX_DIMS);
    memset(t, 0, sizeof *t);
    t->ndim = ndim;
    if (ndim > 0) memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim); // shape may be NULL for 0-d
    jepa_contiguous_strides(ndim, shape, t->stride);
    t->data = data;
    t->grad = grad;
    t->requires_grad = grad != NULL;
    t->op = JEPA_OP_LEAF;
}

int64_t jepa_offset(const jepa_tensor *t, const int64_t *index) {
    int64_t off = 0;
    for (int i = 0; i < t->ndim; i++) off += index[i] * t->stride[i];
    return off;
}

void jepa_tensor_gather(float *dst, const jepa_tensor *t) {
    int64_t n = jepa_numel(t);
    int last = t->ndim - 1, contiguous = jepa_is_contiguous(t);
    // rows: the innermost dimension's, or blocks of CHUNK_FLOATS floats of a contiguous tensor
    // (the last one short); the threads take chunks of rows of about CHUNK_FLOATS floats
    int64_t inner = contiguous ? CHUNK_FLOATS : t->shape[last];
    int64_t step = contiguous ? 1 : t->stride[last];
    int64_t rows = inner ? (n + inner - 1) / inner : 0;
    int64_t per = inner >= CHUNK_FLOATS ? 1 : CHUNK_FLOATS / inner, chunks = (rows + per - 1) / per;
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (chunks > 1)
    for (int64_t c = 0; c < chunks; c++) {
        for (int64_t r = c * per; r < rows && r < (c + 1) * per; r++) {
            const float *p = t->data + (contiguous ? r * inner : 0);
            if (!contiguous) // the row's index, its last dimension's 0
                for (int64_t d = last - 1, rem = r; d >= 0; rem /= t->shape[d], d--)
                    p += rem % t->shape[d] * t->stride[d];
            int64_t len = n - r * inner < inner ? n - r * inner : inner;
            float *out = dst + r * inner;
            if (step == 1) memcpy(out, p, sizeof(float) * (size_t)len);
            else
                for (int64_t j = 0; j < len; j++) out[j] = p[j * step];
        }
    }
}

const char *jepa_shape_str(const jepa_tensor *t, char *buf, int size) {
    int pos = snprintf(buf, (size_t)size, "[");
    for (int i = 0; i < t->ndim && pos < size; i++)
        pos += snprintf(buf + pos, (size_t)(size - pos), "%s%lld", i ? ", " : "",
                        (long long)t->shape[i]);
    if (pos < size) snprintf(buf + pos, (size_t)(size - pos), "]");
    return buf;
}

void jepa_zero_floats(float *p, int64_t n) {
    int64_t chunks = (n + CHUNK_FLOATS - 1) / CHUNK_FLOATS;
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (chunks > 1)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t first = c * CHUNK_FLOATS;
        int64_t count = n - first < CHUNK_FLOATS ? n - first : CHUNK_FLOATS;
        memset(p + first, 0, sizeof(float) * (size_t)count);
    }
}
