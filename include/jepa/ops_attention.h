// Scaled dot-product attention, softmax(q k^T / sqrt(D) + mask) v, as PyTorch's
// scaled_dot_product_attention, with a fused (flash-attention style) forward and backward.
//
// The fused forward walks the keys in blocks with an online softmax and saves only the
// logsumexp of every query row; the backward recomputes the probabilities block by block. No
// (Tq, Tk) matrix is ever stored. The naive reference materializes scores and softmax.
#ifndef JEPA_OPS_ATTENTION_H
#define JEPA_OPS_ATTENTION_H

#include <stdint.h>

#include "jepa/autograd.h"

#ifdef __cplusplus
extern "C" {
#endif

// Which keys j a query i sees. Every mask keeps a prefix of the keys, key 0 always included.
typedef enum jepa_mask {
    JEPA_MASK_NONE = 0,     // every key
    JEPA_MASK_CAUSAL,       // j <= i, top-left aligned as PyTorch's is_causal (also if Tq != Tk)
    JEPA_MASK_BLOCK_CAUSAL, // j / block <= i / block: frames of `block` tokens see their own
                            // frame and the earlier ones
} jepa_mask;

// Where the rows of problem p = b * H + h sit in one of q, k, v or out: row t of (b, h) starts
// at b * batch + h * head + t * row, and its D (or Dv) values are contiguous.
typedef struct jepa_attention_layout {
    int64_t batch, head, row;
} jepa_attention_layout;

// The sizes of one attention call: BH independent (batch x head) problems. H, lq, lk, lv and lo
// left zero mean H = 1 and contiguous (BH, T, D) arrays. Gradients share the layout of their
// tensor (dq that of q, dout that of out); lse is always contiguous (BH, Tq).
typedef struct jepa_attention_dims {
    int64_t BH, Tq, Tk, D, Dv;
    int mask;  // a jepa_mask
    int block; // tokens per frame for JEPA_MASK_BLOCK_CAUSAL (>= 1)
    int64_t H; // heads: problem p is batch p / H, head p % H
    jepa_attention_layout lq, lk, lv, lo;
} jepa_attention_dims;

// How many keys (a prefix, 1..Tk) query row i sees under the mask.
int64_t jepa_attention_visible(const jepa_attention_dims *d, int64_t i);

// Fused forward. q (BH,Tq,D), k (BH,Tk,D), v (BH,Tk,Dv) -> out (BH,Tq,Dv) and the logsumexp of
// every row's scaled, masked scores lse (BH,Tq), each array in its layout of d. Threads over BH.
void jepa_attention_forward(float *out, float *lse, const float *q, const float *k, const float *v,
                            const jepa_attention_dims *d);

// Fused backward: ADDS into dq (BH,Tq,D), dk (BH,Tk,D), dv (BH,Tk,Dv), each may be NULL.
// dout, out (BH,Tq,Dv) and lse (BH,Tq) from the forward. Threads over BH.
void jepa_attention_backward(float *dq, float *dk, float *dv, const float *dout, const float *out,
                             const float *lse, const float *q, const float *k, const float *v,
                             const jepa_attention_dims *d);

// Naive references (the oracle), on contiguous arrays only (the layouts of d are ignored): the
// whole score matrix in scratch, (Tq,Tk) floats for the forward and 2*(Tq,Tk) for the backward,
// owned by the caller. Same outputs as above; the backward recomputes the softmax and uses its
// textbook gradient (it reads neither out nor lse).
void jepa_attention_forward_ref(float *out, float *lse, const float *q, const float *k,
                                const float *v, const jepa_attention_dims *d, float *scratch);
void jepa_attention_backward_ref(float *dq, float *dk, float *dv, const float *dout, const float *q,
                                 const float *k, const float *v, const jepa_attention_dims *d,
                                 float *scratch);

// The op: q (B,H,Tq,D), k (B,H,Tk,D), v (B,H,Tk,Dv) -> (B,H,Tq,Dv), scale 1/sqrt(D), mask a
// jepa_mask, block the frame size for JEPA_MASK_BLOCK_CAUSAL (ignored otherwise). Inputs that
// are not contiguous are copied. Differentiable w.r.t. q, k and v.
jepa_tensor *jepa_attention(jepa_ctx *ctx, jepa_tensor *q, jepa_tensor *k, jepa_tensor *v, int mask,
                            int block);

// Multi-head self-attention straight from a fused projection: qkv (B,T,3E) holds q, k and v
// side by side, each split into `heads` heads of E/heads -> (B,T,E), the heads side by side.
// The same as splitting and permuting to (B,H,T,E/H), jepa_attention, and permuting back, without
// the copies. Differentiable w.r.t. qkv.
jepa_tensor *jepa_attention_qkv(jepa_ctx *ctx, jepa_tensor *qkv, int heads, int mask, int block);

#ifdef __cplusplus
}
#endif
#endif
