// For op implementations: the backward of every op (declared from the op lists, defined beside
// each op) and the recording of views.
#ifndef JEPA_AUTOGRAD_INTERNAL_H
#define JEPA_AUTOGRAD_INTERNAL_H

#include "jepa/autograd.h"

#define JEPA_OP(ENUM, name) void jepa_backward_##name(jepa_ctx *ctx, jepa_tensor *node);
#include "jepa/ops.def"
#undef JEPA_OP

// A tensor header with no data of its own, recorded as op over src; the caller sets its shape,
// strides and data pointer into src's data.
jepa_tensor *jepa_op_view_header(jepa_ctx *ctx, int op, jepa_tensor *src);

#endif
