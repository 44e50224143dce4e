// Broadcast kernels: binary ops, reductions over a set of dimensions (sum, max) and their
// broadcast back. The optimized versions merge dimensions into a short loop nest whose inner
// row is contiguous, vectorize the row and spread rows over threads; the _ref twins walk every
// multi-index.
#include <math.h>
#include <string.h>

#include "jepa/tensor.h"
#include "jepa/threads.h"
#include "tensor/elementwise.h"

// elements per unit of parallel work on a long row
#define CHUNK 4096

// a loop nest over merged dimensions, with the strides of two operands
typedef struct {
    int ndim;
    int64_t shape[JEPA_MAX_DIMS];
    int64_t st[2][JEPA_MAX_DIMS];
} nest;

// drop size-1 dimensions and merge a dimension into the one before it when both operands step
// through them as through one; the element order is kept, so row-major positions carry over
static void nest_build(nest *it, int ndim, const int64_t *shape, const int64_t *s0,
                       const int64_t *s1) {
    it->ndim = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 1) continue;
        int k = it->ndim;
        if (k > 0 && it->st[0][k - 1] == s0[d] * shape[d] && it->st[1][k - 1] == s1[d] * shape[d]) {
            it->shape[k - 1] *= shape[d];
            it->st[0][k - 1] = s0[d];
            it->st[1][k - 1] = s1[d];
            continue;
        }
        it->shape[k] = shape[d];
        it->st[0][k] = s0[d];
        it->st[1][k] = s1[d];
        it->ndim++;
    }
    // a single element still makes one row
    if (it->ndim == 0) {
        it->ndim = 1;
        it->shape[0] = 1;
        it->st[0][0] = it->st[1][0] = 0;
    }
}

// the offsets of both operands at row `row` of dimensions [first, ndim-1)
static void nest_offsets(const nest *it, int first, int64_t row, int64_t off[2]) {
    off[0] = off[1] = 0;
    for (int d = it->ndim - 2; d >= first; d--) {
        int64_t i = row % it->shape[d];
        row /= it->shape[d];
        off[0] += i * it->st[0][d];
        off[1] += i * it->st[1][d];
    }
}

static int64_t nest_numel(const nest *it) {
    int64_t n = 1;
    for (int d = 0; d < it->ndim; d++) n *= it->shape[d];
    return n;
}

// row-major strides of shape with 0 on the masked dimensions (the keepdim layout, broadcast)
static void masked_strides(int ndim, const int64_t *shape, unsigned mask, int64_t *stride) {
    int64_t n = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        int reduced = (mask >> d) & 1u;
        stride[d] = reduced ? 0 : n;
        if (!reduced) n *= shape[d];
    }
}

// the multi-index odometer of the _ref kernels: advance index over shape, row-major
static void odometer_next(int ndim, const int64_t *shape, int64_t *index) {
    for (int d = ndim - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) return;
        index[d] = 0;
    }
}

static int64_t dot_index(int ndim, const int64_t *index, const int64_t *stride) {
    int64_t off = 0;
    for (int d = 0; d < ndim; d++) off += index[d] * stride[d];
    return off;
}

static int64_t shape_numel(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    return n;
}

// ---- binary ops ----

static float binary_one(jepa_binary_kind kind, float x, float y) {
    switch (kind) {
    case JEPA_BINARY_ADD:
        return x + y;
    case JEPA_BINARY_SUB:
        return x - y;
    case JEPA_BINARY_MUL:
        return x * y;
    case JEPA_BINARY_DIV:
        return x / y;
    }
    return 0.0f;
}

// one row for each stride pattern, so the common ones vectorize
#define BINARY_ROW(EXPR)                                                                           \
    do {                                                                                           \
        if (sa == 1 && sb == 1) {                                                                  \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                  \
                float x = a[i], y = b[i];                                                          \
                out[i] = EXPR;                                                                     \
            }                                                                                      \
        } else if (sb == 0) {                                                                      \
            const float y = b[0];                                                                  \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                  \
                float x = a[i * sa];                                                               \
                out[i] = EXPR;                                                                     \
            }                                                                                      \
        } else if (sa == 0) {                                                                      \
            const float x = a[0];                                                                  \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                  \
                float y = b[i * sb];                                                               \
                out[i] = EXPR;                                                                     \
            }                                                                                      \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                float x = a[i * sa], y = b[i * sb];                                                \
                out[i] = EXPR;                                                                     \
            }                                                                                      \
        }                                                                                          \
    } while (0)

// out (n) = a (n, stride sa) op b (n, stride sb)
static void binary_row(jepa_binary_kind kind, float *out, const float *a, int64_t sa,
                       const float *b, int64_t sb, int64_t n) {
    switch (kind) {
    case JEPA_BINARY_ADD:
        BINARY_ROW(x + y);
        break;
    case JEPA_BINARY_SUB:
        BINARY_ROW(x - y);
        break;
    case JEPA_BINARY_MUL:
        BINARY_ROW(x * y);
        break;
    case JEPA_BINARY_DIV:
        BINARY_ROW(x / y);
        break;
    }
}

void jepa_binary_kernel(jepa_binary_kind kind, float *out, const float *a, const int64_t *sa,
                        const float *b, const int64_t *sb, int ndim, const int64_t *shape) {
    nest it;
    nest_build(&it, ndim, shape, sa, sb);
    int last = it.ndim - 1;
    int64_t n = nest_numel(&it), len = it.shape[last];
    if (n == 0) return;
    // units of work: rows, long rows cut into chunks
    int64_t per_row = (len + CHUNK - 1) / CHUNK, units = n / len * per_row;
    int64_t sa_row = it.st[0][last], sb_row = it.st[1][last];
#pragma omp parallel for if (n >= JEPA_PARALLEL_MIN) num_threads(jepa_threads_get())               \
    schedule(static)
    for (int64_t u = 0; u < units; u++) {
        int64_t row = u / per_row, start = u % per_row * CHUNK, off[2];
        int64_t m = len - start < CHUNK ? len - start : CHUNK;
        nest_offsets(&it, 0, row, off);
        binary_row(kind, out + row * len + start, a + off[0] + start * sa_row, sa_row,
                   b + off[1] + start * sb_row, sb_row, m);
    }
}

void jepa_binary_kernel_ref(jepa_binary_kind kind, float *out, const float *a, const int64_t *sa,
                            const float *b, const int64_t *sb, int ndim, const int64_t *shape) {
    int64_t n = shape_numel(ndim, shape), index[JEPA_MAX_DIMS] = {0};
    for (int64_t i = 0; i < n; i++) {
        out[i] = binary_one(kind, a[dot_index(ndim, index, sa)], b[dot_index(ndim, index, sb)]);
        odometer_next(ndim, shape, index);
    }
}

// ---- sum over masked dimensions ----

// sum of x (n) in float blocks (vectorized) gathered in double
static double row_sum(const float *x, int64_t n) {
    double acc = 0.0;
    for (int64_t s = 0; s < n; s += 512) {
        int64_t e = n - s < 512 ? n : s + 512;
        float part = 0.0f;
#pragma omp simd reduction(+ : part)
        for (int64_t i = s; i < e; i++) part += x[i];
        acc += part;
    }
    return acc;
}

void jepa_reduce_sum_kernel(float *out, const float *x, int ndim, const int64_t *shape,
                            unsigned mask, double alpha) {
    int64_t xs[JEPA_MAX_DIMS], os[JEPA_MAX_DIMS];
    jepa_contiguous_strides(ndim, shape, xs);
    masked_strides(ndim, shape, mask, os);
    nest it;
    nest_build(&it, ndim, shape, xs, os);
    int64_t n = nest_numel(&it);
    if (n == 0) return;
    int par = n >= JEPA_PARALLEL_MIN;
    // one dimension: a sum of everything, or no reduction at all
    if (it.ndim == 1) {
        if (it.st[1][0] == 0) {
            // a fixed split into parts, summed in order: the same bits on any thread count
            double partial[JEPA_SUM_PARTS], acc = 0.0;
            int64_t parts = (n + CHUNK - 1) / CHUNK;
            parts = parts < JEPA_SUM_PARTS ? parts : JEPA_SUM_PARTS;
            int64_t per = (n + parts - 1) / parts;
#pragma omp parallel for if (par) num_threads(jepa_threads_get())
            for (int64_t c = 0; c < parts; c++)
                partial[c] = row_sum(x + c * per, n - c * per < per ? n - c * per : per);
            for (int64_t c = 0; c < parts; c++) acc += partial[c];
            out[0] += (float)(alpha * acc);
        } else {
#pragma omp parallel for simd if (parallel: par) num_threads(jepa_threads_get())
            for (int64_t i = 0; i < n; i++) out[i] += (float)alpha * x[i];
        }
        return;
    }
    // threads split the outer dimension only when it is kept: their outputs are then disjoint
    int last = it.ndim - 1;
    int64_t len = it.shape[last], rows = n / len / it.shape[0];
    int reduce_row = it.st[1][last] == 0; // else the row is kept, with stride 1 in x and out
#pragma omp parallel for if (par && it.st[1][0] != 0) num_threads(jepa_threads_get())
    for (int64_t i0 = 0; i0 < it.shape[0]; i0++) {
        for (int64_t r = 0; r < rows; r++) {
            int64_t off[2];
            nest_offsets(&it, 1, r, off);
            const float *xr = x + i0 * it.st[0][0] + off[0];
            float *orow = out + i0 * it.st[1][0] + off[1];
            if (reduce_row) {
                orow[0] += (float)(alpha * row_sum(xr, len));
            } else {
#pragma omp simd
                for (int64_t i = 0; i < len; i++) orow[i] += (float)alpha * xr[i];
            }
        }
    }
}

void jepa_reduce_sum_kernel_ref(float *out, const float *x, int ndim, const int64_t *shape,
                                unsigned mask, double alpha) {
    // the kept and the reduced parts of the index space
    int64_t xs[JEPA_MAX_DIMS], kept[JEPA_MAX_DIMS], red[JEPA_MAX_DIMS];
    jepa_contiguous_strides(ndim, shape, xs);
    for (int d = 0; d < ndim; d++) {
        int reduced = (mask >> d) & 1u;
        kept[d] = reduced ? 1 : shape[d];
        red[d] = reduced ? shape[d] : 1;
    }
    int64_t m = shape_numel(ndim, kept), r = shape_numel(ndim, red);
    int64_t ko[JEPA_MAX_DIMS] = {0};
    // every output sums its inputs in double, in row-major order
    for (int64_t o = 0; o < m; o++) {
        int64_t ro[JEPA_MAX_DIMS] = {0};
        double acc = 0.0;
        for (int64_t j = 0; j < r; j++) {
            int64_t off = 0;
            for (int d = 0; d < ndim; d++) off += (ko[d] + ro[d]) * xs[d];
            acc += x[off];
            odometer_next(ndim, red, ro);
        }
        out[o] += (float)(alpha * acc);
        odometer_next(ndim, kept, ko);
    }
}

// ---- broadcast back over masked dimensions ----

void jepa_expand_add_kernel(float *dst, const float *src, int ndim, const int64_t *shape,
                            unsigned mask, float alpha) {
    int64_t ds[JEPA_MAX_DIMS], ss[JEPA_MAX_DIMS];
    jepa_contiguous_strides(ndim, shape, ds);
    masked_strides(ndim, shape, mask, ss);
    nest it;
    nest_build(&it, ndim, shape, ds, ss);
    int last = it.ndim - 1;
    int64_t n = nest_numel(&it), len = it.shape[last];
    if (n == 0) return;
    int64_t per_row = (len + CHUNK - 1) / CHUNK, units = n / len * per_row;
    int64_t s_row = it.st[1][last];
#pragma omp parallel for if (n >= JEPA_PARALLEL_MIN) num_threads(jepa_threads_get())               \
    schedule(static)
    for (int64_t u = 0; u < units; u++) {
        int64_t row = u / per_row, start = u % per_row * CHUNK, off[2];
        int64_t m = len - start < CHUNK ? len - start : CHUNK;
        nest_offsets(&it, 0, row, off);
        float *d = dst + off[0] + start;
        const float *s = src + off[1] + start * s_row;
        if (s_row == 0) {
            const float v = alpha * s[0];
#pragma omp simd
            for (int64_t i = 0; i < m; i++) d[i] += v;
        } else {
#pragma omp simd
            for (int64_t i = 0; i < m; i++) d[i] += alpha * s[i * s_row];
        }
    }
}

void jepa_expand_add_kernel_ref(float *dst, const float *src, int ndim, const int64_t *shape,
                                unsigned mask, float alpha) {
    int64_t ss[JEPA_MAX_DIMS], index[JEPA_MAX_DIMS] = {0}, n = shape_numel(ndim, shape);
    masked_strides(ndim, shape, mask, ss);
    for (int64_t i = 0; i < n; i++) {
        dst[i] += alpha * src[dot_index(ndim, index, ss)];
        odometer_next(ndim, shape, index);
    }
}

// ---- max over masked dimensions ----

// whether v replaces the running maximum best (NaN wins, the first of equals stays)
static int max_beats(float v, float best) {
    return v > best || (isnan(v) && !isnan(best));
}

void jepa_reduce_max_kernel(float *out, int64_t *arg, const float *x, int ndim,
                            const int64_t *shape, unsigned mask) {
    int64_t xs[JEPA_MAX_DIMS], os[JEPA_MAX_DIMS];
    jepa_contiguous_strides(ndim, shape, xs);
    masked_strides(ndim, shape, mask, os);
    nest it;
    nest_build(&it, ndim, shape, xs, os);
    // the fast path wants (outer kept, reduced, inner kept): one reduced merged dimension
    int64_t dims[3] = {1, 1, 1};
    int phase = 0, ok = nest_numel(&it) > 0; // phase: 0 outer, 1 reduced, 2 inner
    for (int d = 0; d < it.ndim && ok; d++) {
        int reduced = it.st[1][d] == 0 && it.shape[d] > 1;
        if (reduced && phase == 2)
            ok = 0;
        else if (reduced)
            phase = 1;
        else if (phase == 1)
            phase = 2;
        dims[phase] *= it.shape[d];
    }
    if (!ok || dims[1] == 1) {
        jepa_reduce_max_kernel_ref(out, arg, x, ndim, shape, mask);
        return;
    }
    int64_t outer = dims[0], r = dims[1], inner = dims[2];
#pragma omp parallel for if (outer * r * inner >= JEPA_PARALLEL_MIN) num_threads(jepa_threads_get())
    for (int64_t o = 0; o < outer; o++) {
        const float *xo = x + o * r * inner;
        for (int64_t i = 0; i < inner; i++) {
            out[o * inner + i] = xo[i];
            arg[o * inner + i] = o * r * inner + i;
        }
        for (int64_t k = 1; k < r; k++)
            for (int64_t i = 0; i < inner; i++) {
                float v = xo[k * inner + i];
                if (max_beats(v, out[o * inner + i])) {
                    out[o * inner + i] = v;
                    arg[o * inner + i] = (o * r + k) * inner + i;
                }
            }
    }
}

void jepa_reduce_max_kernel_ref(float *out, int64_t *arg, const float *x, int ndim,
                                const int64_t *shape, unsigned mask) {
    int64_t os[JEPA_MAX_DIMS], kept[JEPA_MAX_DIMS], index[JEPA_MAX_DIMS] = {0};
    int64_t n = shape_numel(ndim, shape);
    masked_strides(ndim, shape, mask, os);
    for (int d = 0; d < ndim; d++) kept[d] = (mask >> d) & 1u ? 1 : shape[d];
    int64_t m = shape_numel(ndim, kept);
    for (int64_t o = 0; o < m; o++) arg[o] = -1;
    for (int64_t i = 0; i < n; i++) {
        int64_t o = dot_index(ndim, index, os);
        if (arg[o] < 0 || max_beats(x[i], out[o])) {
            out[o] = x[i];
            arg[o] = i;
        }
        odometer_next(ndim, shape, index);
    }
}
