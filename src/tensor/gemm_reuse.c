// Packed B operands kept between calls: each thread keeps up to REUSE_SLOTS copies (and
// REUSE_MAX_FLOATS floats) in its own slots, whose buffers stay allocated for later scopes; the
// copies are forgotten when the outermost scope ends, or, in a tagged scope, when a scope of
// another tag begins.
#include "gemm_reuse.h"

#include "jepa/ops_linalg.h"

#include <stdlib.h>

#include "jepa/status.h"

#define REUSE_SLOTS 64 // a model's linear layers (pusht's 3-block predictor has 17)
#define REUSE_MAX_FLOATS ((size_t)16 << 20) // 64 MB of packed operands per thread at most

typedef struct reuse_slot {
    const float *B;
    int64_t ldb, K, N;
    int trans_b, bf16;
    float *data;
    size_t cap; // floats allocated at data
} reuse_slot;

static _Thread_local reuse_slot tl_slots[REUSE_SLOTS];
static _Thread_local int tl_depth, tl_used;
static _Thread_local size_t tl_floats;
static _Thread_local uint64_t tl_tag; // the tag of the copies kept (0: none are kept)
static _Atomic uint64_t last_tag;

uint64_t jepa_sgemm_reuse_new_tag(void) {
    return ++last_tag;
}

void jepa_sgemm_reuse_begin_tagged(uint64_t tag) {
    if (tl_depth++ > 0) return; // an inner scope: the outermost one's copies and tag
    if (tag == 0 || tag != tl_tag) tl_used = 0, tl_floats = 0;
    tl_tag = tag;
}

void jepa_sgemm_reuse_begin(void) {
    jepa_sgemm_reuse_begin_tagged(0);
}

void jepa_sgemm_reuse_end(void) {
    JEPA_CHECK_MSG(tl_depth > 0, "jepa_sgemm_reuse_end without a begin");
    if (--tl_depth == 0 && tl_tag == 0) tl_used = 0, tl_floats = 0;
}

float *jepa_gemm_reuse_lookup(const float *B, int64_t ldb, int64_t K, int64_t N, int trans_b,
                              int bf16, size_t floats, int *ready) {
    *ready = 0;
    if (tl_depth == 0) return NULL;
    for (int i = 0; i < tl_used; i++) {
        reuse_slot *s = &tl_slots[i];
        if (s->B == B && s->ldb == ldb && s->K == K && s->N == N && s->trans_b == trans_b &&
            s->bf16 == bf16) {
            *ready = 1;
            return s->data;
        }
    }
    if (tl_used == REUSE_SLOTS || tl_floats + floats > REUSE_MAX_FLOATS) return NULL;
    reuse_slot *s = &tl_slots[tl_used];
    if (s->cap < floats) {
        free(s->data);
        // 64-byte aligned (C11's aligned_alloc wants a size that is a multiple of the alignment)
        s->data = aligned_alloc(64, (sizeof(float) * floats + 63) / 64 * 64);
        s->cap = s->data ? floats : 0;
        if (!s->data) return NULL;
    }
    *s = (reuse_slot){B, ldb, K, N, trans_b, bf16, s->data, s->cap};
    tl_used++;
    tl_floats += floats;
    return s->data;
}
