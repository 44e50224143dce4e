// The one recorded op behind every unary elementwise function (math and activations).
#ifndef JEPA_AUTOGRAD_UNARY_H
#define JEPA_AUTOGRAD_UNARY_H

#include "jepa/autograd.h"
#include "tensor/elementwise.h"

// y = f(x; p) for a jepa_unary_kind, recorded as JEPA_OP_UNARY; x may be any view.
jepa_tensor *jepa_op_unary(jepa_ctx *ctx, jepa_tensor *x, jepa_unary_kind kind, float p);

#endif
