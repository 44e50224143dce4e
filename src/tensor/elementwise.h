// Kernels of the elementwise, reduction, activation, loss and dropout ops (internal to the
// library and its tests). Each optimized kernel has a naive `_ref` twin, kept as the oracle.
//
// Broadcasting: an operand is read through strides over the output's index space, with stride 0
// on the dimensions it is broadcast along. A reduction `mask` has bit d set when dimension d is
// reduced; the reduced tensor keeps those dimensions with size 1 ("keepdim" layout).
#ifndef JEPA_TENSOR_ELEMENTWISE_H
#define JEPA_TENSOR_ELEMENTWISE_H

#include <stdint.h>

// below this many elements a kernel runs on one thread
#define JEPA_PARALLEL_MIN ((int64_t)1 << 15)
// a sum of everything is cut into at most this many parts, fixed by the size alone and added in
// order, so its result does not depend on the number of threads
#define JEPA_SUM_PARTS 256

typedef enum jepa_binary_kind {
    JEPA_BINARY_ADD,
    JEPA_BINARY_SUB,
    JEPA_BINARY_MUL,
    JEPA_BINARY_DIV,
} jepa_binary_kind;

// out (shape, contiguous) = a op b; a and b read through strides sa, sb over shape (0 where
// broadcast). out may alias an operand whose strides are the contiguous strides of shape.
void jepa_binary_kernel(jepa_binary_kind kind, float *out, const float *a, const int64_t *sa,
                        const float *b, const int64_t *sb, int ndim, const int64_t *shape);
void jepa_binary_kernel_ref(jepa_binary_kind kind, float *out, const float *a, const int64_t *sa,
                            const float *b, const int64_t *sb, int ndim, const int64_t *shape);

// out (shape with the masked dims 1) += alpha * sum of x (shape, contiguous) over masked dims
// (alpha in double, so a mean of integers divides exactly).
void jepa_reduce_sum_kernel(float *out, const float *x, int ndim, const int64_t *shape,
                            unsigned mask, double alpha);
void jepa_reduce_sum_kernel_ref(float *out, const float *x, int ndim, const int64_t *shape,
                                unsigned mask, double alpha);

// dst (shape, contiguous) += alpha * src (shape with the masked dims 1), broadcast.
void jepa_expand_add_kernel(float *dst, const float *src, int ndim, const int64_t *shape,
                            unsigned mask, float alpha);
void jepa_expand_add_kernel_ref(float *dst, const float *src, int ndim, const int64_t *shape,
                                unsigned mask, float alpha);

// out (shape with the masked dims 1) = max of x (shape, contiguous) over masked dims, and
// arg (same) = the flat index into x of the first maximum. NaN counts as the largest value.
void jepa_reduce_max_kernel(float *out, int64_t *arg, const float *x, int ndim,
                            const int64_t *shape, unsigned mask);
void jepa_reduce_max_kernel_ref(float *out, int64_t *arg, const float *x, int ndim,
                                const int64_t *shape, unsigned mask);

// Unary maps y = f(x; p); p is the scale, the added constant or the clamp bound where used.
typedef enum jepa_unary_kind {
    JEPA_UNARY_SCALE,      // p * x
    JEPA_UNARY_ADD_SCALAR, // x + p
    JEPA_UNARY_EXP,
    JEPA_UNARY_LOG,
    JEPA_UNARY_SQRT,
    JEPA_UNARY_SQUARE,
    JEPA_UNARY_ABS,
    JEPA_UNARY_COS,
    JEPA_UNARY_SIN,
    JEPA_UNARY_CLAMP_MIN, // max(x, p); gradient passes where x >= p (as PyTorch)
    JEPA_UNARY_RELU,      // gradient 0 at x = 0 (as PyTorch)
    JEPA_UNARY_GELU,      // x Phi(x), exact (erf)
    JEPA_UNARY_GELU_TANH, // PyTorch's approximate='tanh'
    JEPA_UNARY_SILU,      // x sigmoid(x)
    JEPA_UNARY_TANH,
    JEPA_UNARY_SIGMOID,
} jepa_unary_kind;

// y (n) = f(x (n)).
void jepa_unary_kernel(jepa_unary_kind kind, float *y, const float *x, int64_t n, float p);
void jepa_unary_kernel_ref(jepa_unary_kind kind, float *y, const float *x, int64_t n, float p);

// gx (n) += g (n) * f'(x): x (n) the input, y (n) its output.
void jepa_unary_backward_kernel(jepa_unary_kind kind, float *gx, const float *g, const float *x,
                                const float *y, int64_t n, float p);
void jepa_unary_backward_kernel_ref(jepa_unary_kind kind, float *gx, const float *g, const float *x,
                                    const float *y, int64_t n, float p);

// Softmax (or log-softmax when log_out) of x (outer, n, inner) along the middle axis, shifted
// by the maximum so it never overflows. y same shape.
void jepa_softmax_kernel(float *y, const float *x, int64_t outer, int64_t n, int64_t inner,
                         int log_out);
void jepa_softmax_kernel_ref(float *y, const float *x, int64_t outer, int64_t n, int64_t inner,
                             int log_out);

// gx += the gradient through softmax (log_out 0) or log-softmax (1): y the forward output,
// g its gradient, all (outer, n, inner).
void jepa_softmax_backward_kernel(float *gx, const float *g, const float *y, int64_t outer,
                                  int64_t n, int64_t inner, int log_out);
void jepa_softmax_backward_kernel_ref(float *gx, const float *g, const float *y, int64_t outer,
                                      int64_t n, int64_t inner, int log_out);

typedef enum jepa_loss_kind {
    JEPA_LOSS_MSE,       // (p - t)^2
    JEPA_LOSS_L1,        // |p - t|
    JEPA_LOSS_SMOOTH_L1, // 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta 0: L1)
} jepa_loss_kind;

// The sum over n elements of the loss of pred (n) against target (n).
double jepa_loss_kernel(jepa_loss_kind kind, const float *pred, const float *target, int64_t n,
                        float beta);
double jepa_loss_kernel_ref(jepa_loss_kind kind, const float *pred, const float *target, int64_t n,
                            float beta);

// gp (n) += scale * dloss/dpred and gt (n) -= the same; either may be NULL.
void jepa_loss_backward_kernel(jepa_loss_kind kind, float *gp, float *gt, const float *pred,
                               const float *target, int64_t n, float beta, float scale);
void jepa_loss_backward_kernel_ref(jepa_loss_kind kind, float *gp, float *gt, const float *pred,
                                   const float *target, int64_t n, float beta, float scale);

// Whether element i of a dropout mask keyed by (seed, stream) is kept with probability
// 1 - p: Philox block i/4 of stream `stream`, word i%4, as jepa_rng draws it, read as a
// uniform u in [0, 1) with 24 bits; kept when u >= p.
int jepa_dropout_keep(uint64_t seed, uint64_t stream, int64_t i, float p);

// out (n) += alpha * x (n) where kept, element i of the mask being element i of x. Adds, so
// the forward runs it on a zeroed output and the backward on the input's gradient.
void jepa_dropout_kernel(float *out, const float *x, int64_t n, float p, uint64_t seed,
                         uint64_t stream, float alpha);
void jepa_dropout_kernel_ref(float *out, const float *x, int64_t n, float p, uint64_t seed,
                             uint64_t stream, float alpha);

#endif
