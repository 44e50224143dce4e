// Attention kernels: fused forward and backward over tiles of 64 queries x 64 keys (scores of
// a tile in a stack buffer, products by GEMM), and the naive reference over whole matrices.
#include <math.h>
#include <string.h>

#include "jepa/ops_attention.h"
#include "jepa/ops_linalg.h"
#include "jepa/threads.h"
#include "vmath.h"

#define TILE 64
// below this many multiply-adds a call runs on one thread (a parallel region costs more)
#define PARALLEL_MIN 262144

static int is_big(const jepa_attention_dims *d) {
    return d->BH > 1 && d->BH * d->Tq * d->Tk * (d->D + d->Dv) >= PARALLEL_MIN;
}

int64_t jepa_attention_visible(const jepa_attention_dims *d, int64_t i) {
    int64_t n = d->Tk;
    if (d->mask == JEPA_MASK_CAUSAL)
        n = i + 1;
    else if (d->mask == JEPA_MASK_BLOCK_CAUSAL)
        n = (i / d->block + 1) * d->block;
    return n < d->Tk ? n : d->Tk;
}

static void check_dims(const jepa_attention_dims *d) {
    JEPA_CHECK(d->BH >= 0 && d->Tq >= 0 && d->D >= 1 && d->Dv >= 1 && d->H >= 0);
    JEPA_CHECK_MSG(d->Tk >= 1, "attention: needs at least one key");
    JEPA_CHECK_MSG(d->mask >= JEPA_MASK_NONE && d->mask <= JEPA_MASK_BLOCK_CAUSAL,
                   "attention: unknown mask");
    JEPA_CHECK_MSG(d->mask != JEPA_MASK_BLOCK_CAUSAL || d->block >= 1,
                   "attention: block-causal mask needs block >= 1");
}

// the layouts spelled out: the zero defaults become contiguous (BH, T, D) arrays
static jepa_attention_dims resolved(const jepa_attention_dims *d) {
    jepa_attention_dims r = *d;
    if (r.H == 0) r.H = 1;
    if (r.lq.row == 0) r.lq = (jepa_attention_layout){r.Tq * r.D, 0, r.D};
    if (r.lk.row == 0) r.lk = (jepa_attention_layout){r.Tk * r.D, 0, r.D};
    if (r.lv.row == 0) r.lv = (jepa_attention_layout){r.Tk * r.Dv, 0, r.Dv};
    if (r.lo.row == 0) r.lo = (jepa_attention_layout){r.Tq * r.Dv, 0, r.Dv};
    return r;
}

// where problem p starts in an array of layout l
static int64_t start_of(const jepa_attention_layout *l, int64_t p, int64_t H) {
    return p / H * l->batch + p % H * l->head;
}

static int64_t min64(int64_t a, int64_t b) {
    return a < b ? a : b;
}

// keys of block [j0, j0 + bc) that row i sees: 0..bc
static int64_t visible_in_block(const jepa_attention_dims *d, int64_t i, int64_t j0, int64_t bc) {
    int64_t n = jepa_attention_visible(d, i) - j0;
    return n < 0 ? 0 : min64(n, bc);
}

// ---- fused ----

// one (batch, head): q (Tq,D), k (Tk,D), v (Tk,Dv) -> out (Tq,Dv), lse (Tq); rows lq, lk, lv, lo
// apart
static void forward_one(float *out, float *lse, const float *q, const float *k, const float *v,
                        const jepa_attention_dims *d) {
    float s[TILE * TILE], m[TILE], l[TILE];
    int64_t D = d->D, Dv = d->Dv, lq = d->lq.row, lk = d->lk.row, lv = d->lv.row, lo = d->lo.row;
    float scale = 1.0f / sqrtf((float)D);
    for (int64_t i0 = 0; i0 < d->Tq; i0 += TILE) {
        int64_t br = min64(TILE, d->Tq - i0);
        float *o = out + i0 * lo;
        for (int64_t r = 0; r < br; r++) {
            memset(o + r * lo, 0, sizeof(float) * (size_t)Dv);
            m[r] = -INFINITY;
            l[r] = 0.0f;
        }
        // the last row of the tile sees the most keys (masks keep growing prefixes)
        int64_t kend = jepa_attention_visible(d, i0 + br - 1);
        for (int64_t j0 = 0; j0 < kend; j0 += TILE) {
            int64_t bc = min64(TILE, kend - j0);
            // scores of the tile: s = scale * q k^T
            jepa_sgemm(0, 1, br, bc, D, scale, q + i0 * lq, lq, k + j0 * lk, lk, 0.0f, s, TILE);
            // online softmax: raise the row max, rescale what was accumulated, p into s
            for (int64_t r = 0; r < br; r++) {
                float *sr = s + r * TILE;
                int64_t n = visible_in_block(d, i0 + r, j0, bc);
                float mx = m[r], sum = 0.0f;
#pragma omp simd reduction(max : mx)
                for (int64_t j = 0; j < n; j++) mx = sr[j] > mx ? sr[j] : mx;
#pragma omp simd reduction(+ : sum)
                for (int64_t j = 0; j < n; j++) {
                    sr[j] = jepa_vexpf(sr[j] - mx);
                    sum += sr[j];
                }
                for (int64_t j = n; j < bc; j++) sr[j] = 0.0f;
                if (n == 0) continue;
                float corr = expf(m[r] - mx); // 0 on the first visible block
                l[r] = l[r] * corr + sum;
                m[r] = mx;
                if (corr != 1.0f)
                    for (int64_t e = 0; e < Dv; e++) o[r * lo + e] *= corr;
            }
            // accumulate p v
            jepa_sgemm(0, 0, br, Dv, bc, 1.0f, s, TILE, v + j0 * lv, lv, 1.0f, o, lo);
        }
        // normalize; every row saw key 0, so l > 0
        for (int64_t r = 0; r < br; r++) {
            float inv = 1.0f / l[r];
            for (int64_t e = 0; e < Dv; e++) o[r * lo + e] *= inv;
            lse[i0 + r] = m[r] + logf(l[r]);
        }
    }
}

void jepa_attention_forward(float *out, float *lse, const float *q, const float *k, const float *v,
                            const jepa_attention_dims *dims) {
    check_dims(dims);
    jepa_attention_dims r = resolved(dims);
    const jepa_attention_dims *d = &r;
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (is_big(d))
    for (int64_t b = 0; b < d->BH; b++)
        forward_one(out + start_of(&d->lo, b, d->H), lse + b * d->Tq, q + start_of(&d->lq, b, d->H),
                    k + start_of(&d->lk, b, d->H), v + start_of(&d->lv, b, d->H), d);
}

// one (batch, head) of the backward; dq, dk, dv may be NULL
static void backward_one(float *dq, float *dk, float *dv, const float *dout, const float *out,
                         const float *lse, const float *q, const float *k, const float *v,
                         const jepa_attention_dims *d) {
    float p[TILE * TILE], ds[TILE * TILE], delta[TILE];
    int64_t D = d->D, Dv = d->Dv, lq = d->lq.row, lk = d->lk.row, lv = d->lv.row, lo = d->lo.row;
    float scale = 1.0f / sqrtf((float)D);
    for (int64_t i0 = 0; i0 < d->Tq; i0 += TILE) {
        int64_t br = min64(TILE, d->Tq - i0);
        const float *go = dout + i0 * lo;
        // delta_i = dout_i . out_i = sum_j p_ij dp_ij
        for (int64_t r = 0; r < br; r++) {
            float acc = 0.0f;
            for (int64_t e = 0; e < Dv; e++) acc += go[r * lo + e] * out[(i0 + r) * lo + e];
            delta[r] = acc;
        }
        int64_t kend = jepa_attention_visible(d, i0 + br - 1);
        for (int64_t j0 = 0; j0 < kend; j0 += TILE) {
            int64_t bc = min64(TILE, kend - j0);
            // probabilities recomputed from the saved logsumexp, zero where masked
            jepa_sgemm(0, 1, br, bc, D, scale, q + i0 * lq, lq, k + j0 * lk, lk, 0.0f, p, TILE);
            for (int64_t r = 0; r < br; r++) {
                float *pr = p + r * TILE, lr = lse[i0 + r];
                int64_t n = visible_in_block(d, i0 + r, j0, bc);
#pragma omp simd
                for (int64_t j = 0; j < n; j++) pr[j] = jepa_vexpf(pr[j] - lr);
                for (int64_t j = n; j < bc; j++) pr[j] = 0.0f;
            }
            // dv += p^T dout
            if (dv) jepa_sgemm(1, 0, bc, Dv, br, 1.0f, p, TILE, go, lo, 1.0f, dv + j0 * lv, lv);
            if (!dq && !dk) continue;
            // ds = scale * p * (dout v^T - delta)
            jepa_sgemm(0, 1, br, bc, Dv, 1.0f, go, lo, v + j0 * lv, lv, 0.0f, ds, TILE);
            for (int64_t r = 0; r < br; r++)
                for (int64_t j = 0; j < bc; j++)
                    ds[r * TILE + j] = scale * p[r * TILE + j] * (ds[r * TILE + j] - delta[r]);
            // dq += ds k, dk += ds^T q
            if (dq)
                jepa_sgemm(0, 0, br, D, bc, 1.0f, ds, TILE, k + j0 * lk, lk, 1.0f, dq + i0 * lq, lq);
            if (dk)
                jepa_sgemm(1, 0, bc, D, br, 1.0f, ds, TILE, q + i0 * lq, lq, 1.0f, dk + j0 * lk, lk);
        }
    }
}

void jepa_attention_backward(float *dq, float *dk, float *dv, const float *dout, const float *out,
                             const float *lse, const float *q, const float *k, const float *v,
                             const jepa_attention_dims *dims) {
    check_dims(dims);
    if (!dq && !dk && !dv) return;
    jepa_attention_dims r = resolved(dims);
    const jepa_attention_dims *d = &r;
#pragma omp parallel for num_threads(jepa_threads_get()) schedule(static) if (is_big(d))
    for (int64_t b = 0; b < d->BH; b++) {
        int64_t oq = start_of(&d->lq, b, d->H), ok = start_of(&d->lk, b, d->H),
                ov = start_of(&d->lv, b, d->H), oo = start_of(&d->lo, b, d->H);
        backward_one(dq ? dq + oq : NULL, dk ? dk + ok : NULL, dv ? dv + ov : NULL, dout + oo,
                     out + oo, lse + b * d->Tq, q + oq, k + ok, v + ov, d);
    }
}

// ---- naive reference ----

// whether query i sees key j, straight from the mask's definition
static int ref_sees(const jepa_attention_dims *d, int64_t i, int64_t j) {
    if (d->mask == JEPA_MASK_CAUSAL) return j <= i;
    if (d->mask == JEPA_MASK_BLOCK_CAUSAL) return j / d->block <= i / d->block;
    return 1;
}

// p (Tq,Tk) = softmax of the masked, scaled scores of one (batch, head); lse (Tq) or NULL
static void ref_softmax(float *p, float *lse, const float *q, const float *k,
                        const jepa_attention_dims *d) {
    double scale = 1.0 / sqrt((double)d->D);
    for (int64_t i = 0; i < d->Tq; i++) {
        float *pr = p + i * d->Tk;
        double mx = -INFINITY, sum = 0.0;
        for (int64_t j = 0; j < d->Tk; j++) {
            double s = 0.0;
            for (int64_t e = 0; e < d->D; e++) s += (double)q[i * d->D + e] * k[j * d->D + e];
            pr[j] = ref_sees(d, i, j) ? (float)(s * scale) : -INFINITY;
            mx = fmax(mx, pr[j]);
        }
        for (int64_t j = 0; j < d->Tk; j++) sum += exp(pr[j] - mx);
        for (int64_t j = 0; j < d->Tk; j++) pr[j] = (float)(exp(pr[j] - mx) / sum);
        if (lse) lse[i] = (float)(mx + log(sum));
    }
}

void jepa_attention_forward_ref(float *out, float *lse, const float *q, const float *k,
                                const float *v, const jepa_attention_dims *d, float *scratch) {
    check_dims(d);
    int64_t Tq = d->Tq, Tk = d->Tk, D = d->D, Dv = d->Dv;
    for (int64_t b = 0; b < d->BH; b++) {
        ref_softmax(scratch, lse + b * Tq, q + b * Tq * D, k + b * Tk * D, d);
        // out = p v
        const float *vb = v + b * Tk * Dv;
        for (int64_t i = 0; i < Tq; i++)
            for (int64_t e = 0; e < Dv; e++) {
                double acc = 0.0;
                for (int64_t j = 0; j < Tk; j++)
                    acc += (double)scratch[i * Tk + j] * vb[j * Dv + e];
                out[(b * Tq + i) * Dv + e] = (float)acc;
            }
    }
}

void jepa_attention_backward_ref(float *dq, float *dk, float *dv, const float *dout, const float *q,
                                 const float *k, const float *v, const jepa_attention_dims *d,
                                 float *scratch) {
    check_dims(d);
    int64_t Tq = d->Tq, Tk = d->Tk, D = d->D, Dv = d->Dv;
    double scale = 1.0 / sqrt((double)D);
    float *p = scratch, *ds = scratch + Tq * Tk;
    for (int64_t b = 0; b < d->BH; b++) {
        const float *qb = q + b * Tq * D, *kb = k + b * Tk * D, *vb = v + b * Tk * Dv;
        const float *gb = dout + b * Tq * Dv;
        ref_softmax(p, NULL, qb, kb, d);
        // dp = dout v^T; ds = p * (dp - sum_j p dp), the softmax's Jacobian row by row
        for (int64_t i = 0; i < Tq; i++) {
            double delta = 0.0;
            for (int64_t j = 0; j < Tk; j++) {
                double dp = 0.0;
                for (int64_t e = 0; e < Dv; e++) dp += (double)gb[i * Dv + e] * vb[j * Dv + e];
                ds[i * Tk + j] = (float)dp;
                delta += p[i * Tk + j] * dp;
            }
            for (int64_t j = 0; j < Tk; j++)
                ds[i * Tk + j] = (float)(p[i * Tk + j] * (ds[i * Tk + j] - delta));
        }
        // dq = scale ds k; dk = scale ds^T q; dv = p^T dout
        for (int64_t i = 0; dq && i < Tq; i++)
            for (int64_t e = 0; e < D; e++) {
                double acc = 0.0;
                for (int64_t j = 0; j < Tk; j++) acc += (double)ds[i * Tk + j] * kb[j * D + e];
                dq[(b * Tq + i) * D + e] += (float)(scale * acc);
            }
        for (int64_t j = 0; dk && j < Tk; j++)
            for (int64_t e = 0; e < D; e++) {
                double acc = 0.0;
                for (int64_t i = 0; i < Tq; i++) acc += (double)ds[i * Tk + j] * qb[i * D + e];
                dk[(b * Tk + j) * D + e] += (float)(scale * acc);
            }
        for (int64_t j = 0; dv && j < Tk; j++)
            for (int64_t e = 0; e < Dv; e++) {
                double acc = 0.0;
                for (int64_t i = 0; i < Tq; i++) acc += (double)p[i * Tk + j] * gb[i * Dv + e];
                dv[(b * Tk + j) * Dv + e] += (float)acc;
            }
    }
}
