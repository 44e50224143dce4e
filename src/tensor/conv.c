// conv2d by im2col + GEMM. The batch is cut into groups of images; a group's patches form one
// column matrix col (K = C*KH*KW, G*P) with P = OH*OW, so each GEMM runs over G*P columns
// (long even when the late layers have 4x4 outputs), and the threads take whole groups with
// their own slice of the workspace (no allocation, no locks, BLAS single-threaded inside).
#include <string.h>

#include "jepa/ops_conv.h"
#include "jepa/ops_linalg.h"
#include "jepa/threads.h"

// a group aims at this many GEMM columns, its column matrix at most at this many floats
#define CONV_GROUP_COLUMNS 256
#define CONV_GROUP_FLOATS (512 * 1024)

// the group plan of one call
typedef struct {
    int64_t k, p;       // GEMM depth C*KH*KW, output pixels per image OH*OW
    int64_t images;     // images per group (the last group may have fewer)
    int64_t groups;     // number of groups
    int threads;        // threads that take groups (1: the BLAS threads itself)
    int64_t col, y, dw; // floats per thread: column matrix, gathered output, private dw
} conv_plan;

static conv_plan plan_make(const jepa_conv_geom *g) {
    conv_plan pl;
    pl.k = g->c * g->kh * g->kw;
    pl.p = g->oh * g->ow;
    int threads = jepa_threads_get();
    // enough columns for an efficient GEMM, a column matrix that stays in the cache
    int64_t images = (CONV_GROUP_COLUMNS + pl.p - 1) / pl.p;
    int64_t fit = CONV_GROUP_FLOATS / (pl.k * pl.p);
    if (images > fit) images = fit;
    if (images < 1) images = 1;
    // at least one group per thread when the batch allows
    int64_t per_thread = (g->n + threads - 1) / threads;
    if (images > per_thread) images = per_thread;
    pl.images = images;
    pl.groups = (g->n + images - 1) / images;
    pl.threads = pl.groups >= threads ? threads : 1;
    pl.col = pl.k * images * pl.p;
    pl.y = images > 1 ? g->o * images * pl.p : 0;
    pl.dw = pl.threads > 1 ? g->o * pl.k : 0;
    return pl;
}

int64_t jepa_conv2d_workspace_floats(const jepa_conv_geom *g) {
    conv_plan pl = plan_make(g);
    return (pl.col + pl.y + pl.dw) * pl.threads;
}

// the output pixels [lo, hi) of a row whose input column iw = ow*stride - pad + kw is inside
static void valid_columns(const jepa_conv_geom *g, int64_t kw, int64_t *lo, int64_t *hi) {
    int64_t first = g->pad_w - kw; // iw >= 0  <=>  ow*stride >= first
    *lo = first > 0 ? (first + g->stride_w - 1) / g->stride_w : 0;
    int64_t last = g->w - 1 + g->pad_w - kw; // iw <= W-1  <=>  ow*stride <= last
    *hi = last < 0 ? 0 : last / g->stride_w + 1;
    if (*hi > g->ow) *hi = g->ow;
    if (*lo > *hi) *lo = *hi;
}

// col (K, nb*P): row (c,kh,kw), column (image i, oh, ow) = x (nb,C,H,W) at the tap, 0 in padding
static void im2col(float *col, const float *x, int64_t nb, const jepa_conv_geom *g) {
    int64_t cols = nb * g->oh * g->ow, plane = g->h * g->w;
    for (int64_t i = 0; i < nb; i++)
        for (int64_t c = 0; c < g->c; c++)
            for (int64_t kh = 0; kh < g->kh; kh++)
                for (int64_t kw = 0; kw < g->kw; kw++) {
                    int64_t lo, hi;
                    valid_columns(g, kw, &lo, &hi);
                    const float *src = x + (i * g->c + c) * plane;
                    float *dst = col + ((c * g->kh + kh) * g->kw + kw) * cols + i * g->oh * g->ow;
                    for (int64_t oh = 0; oh < g->oh; oh++, dst += g->ow) {
                        int64_t ih = oh * g->stride_h - g->pad_h + kh;
                        if (ih < 0 || ih >= g->h) {
                            memset(dst, 0, sizeof(float) * (size_t)g->ow);
                            continue;
                        }
                        // zeros left and right, the strided row of x between
                        for (int64_t ow = 0; ow < lo; ow++) dst[ow] = 0.0f;
                        const float *row = src + ih * g->w;
                        int64_t off = kw - g->pad_w;
                        if (g->stride_w == 1) {
                            memcpy(dst + lo, row + lo + off, sizeof(float) * (size_t)(hi - lo));
                        } else {
                            for (int64_t ow = lo; ow < hi; ow++)
                                dst[ow] = row[ow * g->stride_w + off];
                        }
                        for (int64_t ow = hi; ow < g->ow; ow++) dst[ow] = 0.0f;
                    }
                }
}

// dx (nb,C,H,W) += col (K, nb*P) summed back onto the pixels each column read
static void col2im(float *dx, const float *col, int64_t nb, const jepa_conv_geom *g) {
    int64_t cols = nb * g->oh * g->ow, plane = g->h * g->w;
    for (int64_t i = 0; i < nb; i++)
        for (int64_t c = 0; c < g->c; c++)
            for (int64_t kh = 0; kh < g->kh; kh++)
                for (int64_t kw = 0; kw < g->kw; kw++) {
                    int64_t lo, hi;
                    valid_columns(g, kw, &lo, &hi);
                    float *dst = dx + (i * g->c + c) * plane;
                    const float *src =
                        col + ((c * g->kh + kh) * g->kw + kw) * cols + i * g->oh * g->ow;
                    for (int64_t oh = 0; oh < g->oh; oh++, src += g->ow) {
                        int64_t ih = oh * g->stride_h - g->pad_h + kh;
                        if (ih < 0 || ih >= g->h) continue;
                        float *row = dst + ih * g->w;
                        int64_t off = kw - g->pad_w;
                        for (int64_t ow = lo; ow < hi; ow++) row[ow * g->stride_w + off] += src[ow];
                    }
                }
}

// copy nb*o planes of p floats between NCHW (image stride o*p, channel stride p) and the GEMM's
// group layout (O, nb*P) (image stride p, channel stride nb*p)
static void copy_planes(float *dst, int64_t dst_image, int64_t dst_channel, const float *src,
                        int64_t src_image, int64_t src_channel, int64_t nb, int64_t o, int64_t p) {
    for (int64_t i = 0; i < nb; i++)
        for (int64_t j = 0; j < o; j++)
            memcpy(dst + i * dst_image + j * dst_channel, src + i * src_image + j * src_channel,
                   sizeof(float) * (size_t)p);
}

void jepa_conv2d_forward(float *out, const float *x, const float *w, const float *bias,
                         const jepa_conv_geom *g, float *work) {
    conv_plan pl = plan_make(g);
    int64_t in_image = g->c * g->h * g->w, out_image = g->o * pl.p;
#pragma omp parallel num_threads(pl.threads)
    {
        float *col = work + (int64_t)jepa_thread_index() * (pl.col + pl.y + pl.dw);
        float *y = col + pl.col;
#pragma omp for schedule(static)
        for (int64_t gi = 0; gi < pl.groups; gi++) {
            int64_t n0 = gi * pl.images;
            int64_t nb = g->n - n0 < pl.images ? g->n - n0 : pl.images;
            float *dst = out + n0 * out_image;
            im2col(col, x + n0 * in_image, nb, g);
            // out = w (O,K) @ col (K, nb*P), straight into NCHW when the group is one image
            jepa_sgemm(0, 0, g->o, nb * pl.p, pl.k, 1.0f, w, pl.k, col, nb * pl.p, 0.0f,
                       nb == 1 ? dst : y, nb * pl.p);
            if (nb > 1) copy_planes(dst, out_image, pl.p, y, pl.p, nb * pl.p, nb, g->o, pl.p);
            if (bias)
                for (int64_t i = 0; i < nb * g->o; i++) {
                    float b = bias[i % g->o];
                    for (int64_t j = 0; j < pl.p; j++) dst[i * pl.p + j] += b;
                }
        }
    }
}

void jepa_conv2d_backward(float *dx, float *dw, const float *dout, const float *x, const float *w,
                          const jepa_conv_geom *g, float *work) {
    if (!dx && !dw) return;
    conv_plan pl = plan_make(g);
    int64_t in_image = g->c * g->h * g->w, out_image = g->o * pl.p;
    int64_t per_thread = pl.col + pl.y + pl.dw;
#pragma omp parallel num_threads(pl.threads)
    {
        int t = jepa_thread_index();
        float *col = work + t * per_thread, *y = col + pl.col, *mine = y + pl.y;
        // thread 0 adds into dw, the others into their own copy, summed at the end
        float *dw_t = t == 0 ? dw : mine;
        if (dw && t > 0) memset(mine, 0, sizeof(float) * (size_t)pl.dw);
#pragma omp for schedule(static)
        for (int64_t gi = 0; gi < pl.groups; gi++) {
            int64_t n0 = gi * pl.images;
            int64_t nb = g->n - n0 < pl.images ? g->n - n0 : pl.images;
            int64_t cols = nb * pl.p;
            // dout of the group as (O, nb*P)
            const float *dy = dout + n0 * out_image;
            if (nb > 1) {
                copy_planes(y, pl.p, nb * pl.p, dy, out_image, pl.p, nb, g->o, pl.p);
                dy = y;
            }
            if (dw) {
                // dw (O,K) += dy (O, cols) @ col^T (cols, K)
                im2col(col, x + n0 * in_image, nb, g);
                jepa_sgemm(0, 1, g->o, pl.k, cols, 1.0f, dy, cols, col, cols, 1.0f, dw_t, pl.k);
            }
            if (dx) {
                // dcol (K, cols) = w^T (K,O) @ dy (O, cols), folded back onto the pixels
                jepa_sgemm(1, 0, pl.k, cols, g->o, 1.0f, w, pl.k, dy, cols, 0.0f, col, cols);
                col2im(dx + n0 * in_image, col, nb, g);
            }
        }
    }
    // the threads' dw copies, in thread order (deterministic for a thread count)
    if (dw && pl.threads > 1) {
        int64_t n = g->o * pl.k;
        for (int t = 1; t < pl.threads; t++) {
            const float *mine = work + t * per_thread + pl.col + pl.y;
            for (int64_t i = 0; i < n; i++) dw[i] += mine[i];
        }
    }
}
