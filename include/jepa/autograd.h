// The autograd context: a per-step arena for tensors, the tape of recorded ops, and backward.
//
//   jepa_ctx *ctx = jepa_ctx_create(0);
//   for (step...) {
//       jepa_ctx_reset(ctx);                    // drops the last step's tensors and tape
//       jepa_tensor *loss = model_forward(ctx, ...);
//       memset(grads, 0, ...);                  // parameter gradients: one explicit memset
//       jepa_backward(ctx, loss);               // adds into every requires_grad tensor's grad
//   }
//
// Ops that get at least one source with requires_grad (and run with grad enabled) are
// recorded; backward walks the tape in reverse with one switch over the op enum.
#ifndef JEPA_AUTOGRAD_H
#define JEPA_AUTOGRAD_H

#include <stddef.h>
#include <stdint.h>

#include "jepa/arena.h"
#include "jepa/status.h"
#include "jepa/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

// Every op, from the lists in src/autograd/ops/*.def (one X-macro line per op).
typedef enum jepa_op {
    JEPA_OP_LEAF = 0,
#define JEPA_OP(ENUM, name) JEPA_OP_##ENUM,
#include "jepa/ops.def"
#undef JEPA_OP
    JEPA_OP_COUNT
} jepa_op;

// The op's name, e.g. "matmul".
const char *jepa_op_name(int op);

typedef struct jepa_ctx jepa_ctx;

// Create a context whose arena starts with arena_bytes (0: 16 MiB; it grows as needed and
// stops growing once a step has run). NULL when out of memory. Free with jepa_ctx_free.
jepa_ctx *jepa_ctx_create(size_t arena_bytes);
void jepa_ctx_free(jepa_ctx *ctx);

// Drop every tensor and the tape of the last step; the memory is kept for the next one.
void jepa_ctx_reset(jepa_ctx *ctx);

// Turn recording on or off (no-grad mode records nothing); returns the previous setting.
int jepa_ctx_set_grad(jepa_ctx *ctx, int enabled);
int jepa_ctx_grad_enabled(const jepa_ctx *ctx);

// The context's arena (for callers' per-step scratch memory).
jepa_arena *jepa_ctx_arena(jepa_ctx *ctx);

// Number of ops on the tape.
int jepa_ctx_tape_size(const jepa_ctx *ctx);

// Allocate n floats from the step arena; aborts when memory runs out (a step's tensors are
// sized at init, so this is a bug or a machine without memory, not a user error).
float *jepa_ctx_floats(jepa_ctx *ctx, int64_t n);

// A new contiguous tensor in the step arena: uninitialized, zero-filled, or a leaf that
// requires grad (its zeroed grad is in the arena too).
jepa_tensor *jepa_new(jepa_ctx *ctx, int ndim, const int64_t *shape);
jepa_tensor *jepa_zeros(jepa_ctx *ctx, int ndim, const int64_t *shape);
jepa_tensor *jepa_new1(jepa_ctx *ctx, int64_t d0);
jepa_tensor *jepa_new2(jepa_ctx *ctx, int64_t d0, int64_t d1);
jepa_tensor *jepa_new3(jepa_ctx *ctx, int64_t d0, int64_t d1, int64_t d2);
jepa_tensor *jepa_new4(jepa_ctx *ctx, int64_t d0, int64_t d1, int64_t d2, int64_t d3);

// A view of caller-owned memory as a leaf of this step (no copy). grad may be NULL.
jepa_tensor *jepa_wrap(jepa_ctx *ctx, float *data, float *grad, int ndim, const int64_t *shape);

// Give a leaf a zeroed gradient in the step arena (if it has none) and mark it requires_grad.
void jepa_requires_grad(jepa_ctx *ctx, jepa_tensor *t);

// Backward from a scalar (numel 1): seeds d loss = 1 and adds into every requires_grad grad.
jepa_status jepa_backward(jepa_ctx *ctx, jepa_tensor *loss);

// Backward from any tensor with a given seed gradient dout (numel floats, row-major).
jepa_status jepa_backward_seed(jepa_ctx *ctx, jepa_tensor *out, const float *dout);

// ---- for op implementations ----

// Allocate an op's contiguous output and record it: sources src[0..nsrc) (NULL entries end the
// list early). The result requires grad when grad is enabled and some source does; only then
// does it go on the tape.
jepa_tensor *jepa_op_new(jepa_ctx *ctx, int op, int ndim, const int64_t *shape, int nsrc,
                         jepa_tensor *const *src);

// The gradient buffer of t, zero-filled from the arena on first use (during backward).
float *jepa_grad_of(jepa_ctx *ctx, jepa_tensor *t);
// The same for an op whose backward can write every element: on first use (*fresh = 1) the
// buffer is not zero-filled and the op must assign; else (*fresh = 0) it must add.
float *jepa_grad_for_write(jepa_ctx *ctx, jepa_tensor *t, int *fresh);

#ifdef __cplusplus
}
#endif
#endif
