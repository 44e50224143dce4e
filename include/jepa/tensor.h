// Float32 tensors: up to 5 dimensions with strides, so views cost nothing.
#ifndef JEPA_TENSOR_H
#define JEPA_TENSOR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JEPA_MAX_DIMS 5
#define JEPA_MAX_SRC 4
#define JEPA_MAX_PARAMS 8

typedef struct jepa_tensor jepa_tensor;

// A tensor is a view: shape and strides over data it does not own. The tensors of one step come
// from a context's arena (see autograd.h); parameters wrap memory their module owns.
struct jepa_tensor {
    int ndim;
    int64_t shape[JEPA_MAX_DIMS];
    int64_t stride[JEPA_MAX_DIMS]; // in elements
    float *data;                   // the element at index 0
    // gradient: NULL, or numel floats laid out contiguously in row-major order over `shape`,
    // whatever the strides of `data`. Backward adds into it.
    float *grad;
    int requires_grad;
    // how it was made: the op, its sources and parameters (JEPA_OP_LEAF for inputs)
    int op;
    jepa_tensor *src[JEPA_MAX_SRC];
    int64_t ip[JEPA_MAX_PARAMS]; // integer parameters of the op
    float fp[JEPA_MAX_PARAMS];   // float parameters of the op
    float *saved;                // values saved by the forward for the backward (arena)
    const char *name;            // optional, for messages (static or owned by the module)
};

// Number of elements (1 for a 0-d tensor).
int64_t jepa_numel(const jepa_tensor *t);

// Whether the strides are the row-major strides of the shape.
int jepa_is_contiguous(const jepa_tensor *t);

// Whether two tensors have the same shape.
int jepa_same_shape(const jepa_tensor *a, const jepa_tensor *b);

// Fill row-major strides for a shape; returns the number of elements.
int64_t jepa_contiguous_strides(int ndim, const int64_t *shape, int64_t *stride);

// Make t a contiguous leaf over caller-owned memory. data holds numel floats; grad is NULL or
// holds numel floats (then t requires grad). Used for parameters and persistent inputs.
void jepa_tensor_wrap(jepa_tensor *t, float *data, float *grad, int ndim, const int64_t *shape);

// The offset (in elements) of a multi-index, following the strides.
int64_t jepa_offset(const jepa_tensor *t, const int64_t *index);

// Copy a tensor of any strides into dst (numel floats, row-major).
void jepa_tensor_gather(float *dst, const jepa_tensor *t);

// p[0..n) = 0, on the threads of jepa_threads_get() when n is large (gradients, parameters).
void jepa_zero_floats(float *p, int64_t n);

// Write "[3, 5, 7]" into buf.
const char *jepa_shape_str(const jepa_tensor *t, char *buf, int size);

#ifdef __cplusplus
}
#endif
#endif
