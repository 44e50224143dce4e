// The autograd context: step arena, tape, tensor constructors and backward.
#include <stdlib.h>
#include <string.h>

#include "autograd/internal.h"
#include "jepa/autograd.h"

struct jepa_ctx {
    jepa_arena *arena;
    jepa_tensor **tape; // ops recorded this step, in order (a topological order)
    int tape_size, tape_cap;
    int grad_enabled;
};

const char *jepa_op_name(int op) {
    static const char *names[] = {
        "leaf",
#define JEPA_OP(ENUM, name) #name,
#include "jepa/ops.def"
#undef JEPA_OP
    };
    return op >= 0 && op < JEPA_OP_COUNT ? names[op] : "unknown";
}

jepa_ctx *jepa_ctx_create(size_t arena_bytes) {
    jepa_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->arena = jepa_arena_create(arena_bytes ? arena_bytes : (size_t)16 << 20);
    ctx->tape_cap = 256;
    ctx->tape = malloc(sizeof(jepa_tensor *) * (size_t)ctx->tape_cap);
    if (!ctx->arena || !ctx->tape) {
        jepa_ctx_free(ctx);
        return NULL;
    }
    ctx->grad_enabled = 1;
    return ctx;
}

void jepa_ctx_free(jepa_ctx *ctx) {
    if (!ctx) return;
    jepa_arena_free(ctx->arena);
    free(ctx->tape);
    free(ctx);
}

void jepa_ctx_reset(jepa_ctx *ctx) {
    jepa_arena_reset(ctx->arena);
    ctx->tape_size = 0;
}

int jepa_ctx_set_grad(jepa_ctx *ctx, int enabled) {
    int before = ctx->grad_enabled;
    ctx->grad_enabled = enabled != 0;
    return before;
}

int jepa_ctx_grad_enabled(const jepa_ctx *ctx) { return ctx->grad_enabled; }
jepa_arena *jepa_ctx_arena(jepa_ctx *ctx) { return ctx->arena; }
int jepa_ctx_tape_size(const jepa_ctx *ctx) { return ctx->tape_size; }

float *jepa_ctx_floats(jepa_ctx *ctx, int64_t n) {
    JEPA_CHECK(n >= 0);
    float *p = jepa_arena_alloc(ctx->arena, sizeof(float) * (size_t)(n > 0 ? n : 1));
    JEPA_CHECK_MSG(p != NULL, "out of memory in the step arena");
    return p;
}

static jepa_tensor *tensor_alloc(jepa_ctx *ctx) {
    jepa_tensor *t = jepa_arena_calloc(ctx->arena, sizeof *t);
    JEPA_CHECK_MSG(t != NULL, "out of memory in the step arena");
    return t;
}

jepa_tensor *jepa_new(jepa_ctx *ctx, int ndim, const int64_t *shape) {
    JEPA_CHECK(ndim >= 0 && ndim <= JEPA_MAX_DIMS);
    for (int i = 0; i < ndim; i++) JEPA_CHECK(shape[i] >= 0);
    jepa_tensor *t = tensor_alloc(ctx);
    t->ndim = ndim;
    if (ndim > 0) memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim); // shape may be NULL for 0-d
    int64_t n = jepa_contiguous_strides(ndim, shape, t->stride);
    t->data = jepa_ctx_floats(ctx, n);
    t->op = JEPA_OP_LEAF;
    return t;
}

jepa_tensor *jepa_zeros(jepa_ctx *ctx, int ndim, const int64_t *shape) {
    jepa_tensor *t = jepa_new(ctx, ndim, shape);
    jepa_zero_floats(t->data, jepa_numel(t));
    return t;
}

jepa_tensor *jepa_new1(jepa_ctx *ctx, int64_t d0) { return jepa_new(ctx, 1, &d0); }
jepa_tensor *jepa_new2(jepa_ctx *ctx, int64_t d0, int64_t d1) {
    return jepa_new(ctx, 2, (int64_t[]){d0, d1});
}
jepa_tensor *jepa_new3(jepa_ctx *ctx, int64_t d0, int64_t d1, int64_t d2) {
    return jepa_new(ctx, 3, (int64_t[]){d0, d1, d2});
}
jepa_tensor *jepa_new4(jepa_ctx *ctx, int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
    return jepa_new(ctx, 4, (int64_t[]){d0, d1, d2, d3});
}

jepa_tensor *jepa_wrap(jepa_ctx *ctx, float *data, float *grad, int ndim, const int64_t *shape) {
    jepa_tensor *t = tensor_alloc(ctx);
    jepa_tensor_wrap(t, data, grad, ndim, shape);
    return t;
}

void jepa_requires_grad(jepa_ctx *ctx, jepa_tensor *t) {
    JEPA_CHECK_MSG(t->op == JEPA_OP_LEAF, "only a leaf can be made to require grad");
    jepa_grad_of(ctx, t);
    t->requires_grad = 1;
}

float *jepa_grad_of(jepa_ctx *ctx, jepa_tensor *t) {
    // a reshape maps its source one to one: accumulating into its gradient is accumulating
    // into the source's
    if (!t->grad && t->op == JEPA_OP_RESHAPE) t->grad = jepa_grad_of(ctx, t->src[0]);
    if (!t->grad) {
        int64_t n = jepa_numel(t);
        t->grad = jepa_ctx_floats(ctx, n);
        jepa_zero_floats(t->grad, n);
    }
    return t->grad;
}

float *jepa_grad_for_write(jepa_ctx *ctx, jepa_tensor *t, int *fresh) {
    *fresh = !t->grad && t->op != JEPA_OP_RESHAPE;
    if (*fresh) t->grad = jepa_ctx_floats(ctx, jepa_numel(t));
    return *fresh ? t->grad : jepa_grad_of(ctx, t);
}

static void tape_push(jepa_ctx *ctx, jepa_tensor *t) {
    if (ctx->tape_size == ctx->tape_cap) {
        // grows during the first step only: later steps record the same ops
        int cap = ctx->tape_cap * 2;
        jepa_tensor **tape = realloc(ctx->tape, sizeof(jepa_tensor *) * (size_t)cap);
        JEPA_CHECK_MSG(tape != NULL, "out of memory for the tape");
        ctx->tape = tape;
        ctx->tape_cap = cap;
    }
    ctx->tape[ctx->tape_size++] = t;
}

// fill in op, sources and requires_grad, and record t if it needs a backward
static void record(jepa_ctx *ctx, jepa_tensor *t, int op, int nsrc, jepa_tensor *const *src) {
    JEPA_CHECK(nsrc >= 0 && nsrc <= JEPA_MAX_SRC);
    t->op = op;
    int needs = 0;
    for (int i = 0; i < nsrc && src[i]; i++) {
        t->src[i] = src[i];
        needs |= src[i]->requires_grad;
    }
    t->requires_grad = needs && ctx->grad_enabled;
    if (t->requires_grad) tape_push(ctx, t);
}

jepa_tensor *jepa_op_new(jepa_ctx *ctx, int op, int ndim, const int64_t *shape, int nsrc,
                         jepa_tensor *const *src) {
    jepa_tensor *t = jepa_new(ctx, ndim, shape);
    record(ctx, t, op, nsrc, src);
    return t;
}

jepa_tensor *jepa_op_view_header(jepa_ctx *ctx, int op, jepa_tensor *src) {
    jepa_tensor *t = tensor_alloc(ctx);
    record(ctx, t, op, 1, &src);
    return t;
}

jepa_status jepa_backward_seed(jepa_ctx *ctx, jepa_tensor *out, const float *dout) {
    if (!out->requires_grad) return JEPA_ERR_INVALID;
    float *g = jepa_grad_of(ctx, out);
    int64_t n = jepa_numel(out);
    for (int64_t i = 0; i < n; i++) g[i] += dout[i];
    // reverse order of recording is a reverse topological order
    for (int i = ctx->tape_size - 1; i >= 0; i--) {
        jepa_tensor *node = ctx->tape[i];
        if (!node->grad) continue; // no gradient reached it
        switch (node->op) {
#define JEPA_OP(ENUM, name)                                                                        \
    case JEPA_OP_##ENUM: jepa_backward_##name(ctx, node); break;
#include "jepa/ops.def"
#undef JEPA_OP
        default: JEPA_CHECK_MSG(0, "op without a backward on the tape");
        }
    }
    return JEPA_OK;
}

jepa_status jepa_backward(jepa_ctx *ctx, jepa_tensor *loss) {
    JEPA_CHECK_MSG(jepa_numel(loss) == 1, "backward needs a scalar; use jepa_backward_seed");
    const float one = 1.0f;
    return jepa_backward_seed(ctx, loss, &one);
}
