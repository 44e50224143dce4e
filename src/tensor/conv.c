// conv2d without im2col: every pass is one register-tiled kernel that reads its inputs where
// they lie. A tile is MR "rows" (output pixels, or weight taps for the weight gradient) by 32
// channels (two AVX-512 vectors); for each row the kernel broadcasts values of the source at
// that row's offset, and multiplies them with 32-wide packed weights:
//
//   tile[i][j] (+)= sum_t sum_r src[off[i] + tap_src[t] + r * rstride] * w[tap_w[t] + wstep r + j]
//
// (wstep is 32, packed weights, except in the weight gradient of channels-last x)
//
//   forward      rows: output pixels    r: input channels   t: kernel rows      src: x, channels
//                                       of a row's columns                           last
//   input grad   rows: input pixels of  r: output channels  t: the taps that    src: dout,
//                one stride phase       (32 at a time)      reach the phase     packed 32
//                                                                                    channels wide
//   weight grad  rows: (c, kh, kw)      r: output columns   t: (image, row)     src: x, padded;
//                                                                                    w: the same
//                                                                                    packed dout
//
// In the first two, pixels are grouped by the set of taps that stay inside the source, so taps
// that would read padding are skipped rather than multiplied by zeros. With few input channels
// a second kernel takes over (rows from a packed weight panel, 32 pixels wide): the forward to
// an NCHW output then reads x split into stride phases (to a channels-last output, the tile
// kernel's rows are already its rows), as it does for few output channels (at most 16, such as
// a decoder's 3: a 32-channel tile would be mostly padding, a panel's rows are output channels),
// the input gradient goes through columns and col2im, or,
// for 3 channels at stride 2 (BM-1's first layer), a third kernel: vectors of pixels of one
// stride phase by 3 channels, reduced over output channels and taps from dout framed by zeros.
// The only copies are O(activations) (channels-last or padded images, packed weights), never
// the C*KH*KW-times larger column matrix of im2col. Each thread has its own slice of the
// workspace. The forward hands out sub-batches of images as threads come free (so that one
// slowed down by the machine does not hold the other up), or, with fewer images than threads,
// blocks of output channels. The backward gives each thread a contiguous range of images and
// sums the weight gradient from per-thread copies in thread order (per-chunk copies, handed out
// like the forward's, measured slower: more tiles to write and sum). So results do not depend
// on scheduling.
// Channels-last tensors (x_nhwc, out_nhwc in the geometry) are read and written in place: the
// forward skips its copy of x and stores tiles as they come, the input gradient adds its rows to
// dx without a transpose, dout is packed by rows, and the weight gradient turns around (rows:
// output channels broadcast from dout where it lies; columns: 32 input channels of one kernel
// tap, from x copied row by row into a padded channels-last buffer). An NCHW x with fewer
// output than input channels, under 32, takes that weight gradient too, transposed into the
// buffer. The portable tile kernel computes only the 16-channel halves a tile's columns reach.
#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "jepa/ops_conv.h"
#include "jepa/threads.h"

#if defined(__AVX512F__)
// the mask of the first n of a vector's 16 lanes (none for n <= 0, all for n >= 16)
static inline __mmask16 lanes(int64_t n) {
    return (__mmask16)(n >= 16 ? 0xFFFF : n > 0 ? (1u << n) - 1 : 0);
}
#endif

#if defined(__AVX512F__)
#define MR 14 // rows of a tile (at most 16: store_tile_planar)
#else
#define MR 12 // two blocks of 6 rows (the portable kernel's)
#endif
#define PR 12                   // rows of a panel (the kernel for few channels)
#define NR 32                   // channels of a tile or panel (two AVX-512 vectors)
#define SUB_FLOATS (256 * 1024) // a sub-batch of padded images: about the L2 (1 MB)

// ---- the tile kernel ----

// the rows a short tile needs at most: such tiles (the ends of runs) take an 8-row kernel
#define SHORT_ROWS 8

#if defined(__AVX512F__)
// the kernel's body over a list of rows: 2 accumulators per row, a broadcast per row and step
#define TILE_BODY(ROWS, POINTER, STEP)                                                             \
    ROWS(LOAD)                                                                                     \
    for (int64_t t = 0; t < ntaps; t++) {                                                          \
        POINTER                                                                                    \
        const float *wt = w + tap_w[t];                                                            \
        for (int64_t r = 0, ro = 0; r < reduce; r++, ro += rstride, wt += wstep) {                 \
            __m512 w0 = _mm512_loadu_ps(wt), w1 = _mm512_loadu_ps(wt + 16);                        \
            ROWS(STEP)                                                                             \
        }                                                                                          \
    }                                                                                              \
    ROWS(STORE)
#define ROWS_FULL(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)
#define ROWS_SHORT(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define LOAD(i)                                                                                    \
    __m512 a##i = accumulate ? _mm512_loadu_ps(tile + (i)*NR) : _mm512_setzero_ps();               \
    __m512 b##i = accumulate ? _mm512_loadu_ps(tile + (i)*NR + 16) : _mm512_setzero_ps();
#define FMA2(i, value)                                                                             \
    {                                                                                              \
        __m512 v = _mm512_set1_ps(value);                                                          \
        a##i = _mm512_fmadd_ps(v, w0, a##i);                                                       \
        b##i = _mm512_fmadd_ps(v, w1, b##i);                                                       \
    }
// rows anywhere: a pointer each; rows one float apart (off[i] = off[0] + i): one pointer
#define STEP(i) FMA2(i, s##i[ro])
#define POINTER(i) const float *s##i = src + off[i] + tap_src[t];
#define STEP_RUN(i) FMA2(i, s[ro + (i)])
#define POINTER_RUN const float *s = src + off[0] + tap_src[t];
#define STORE(i)                                                                                   \
    _mm512_storeu_ps(tile + (i)*NR, a##i);                                                         \
    _mm512_storeu_ps(tile + (i)*NR + 16, b##i);
static void tile_kernel_full(float *restrict tile, int accumulate, const float *src,
                             const int64_t *off, const int64_t *tap_src, const int64_t *tap_w,
                             int64_t ntaps, int64_t reduce, int64_t rstride, const float *w,
                             int64_t wstep) {
    TILE_BODY(ROWS_FULL, ROWS_FULL(POINTER), STEP)
}
static void tile_kernel_short(float *restrict tile, int accumulate, const float *src,
                              const int64_t *off, const int64_t *tap_src, const int64_t *tap_w,
                              int64_t ntaps, int64_t reduce, int64_t rstride, const float *w,
                              int64_t wstep) {
    TILE_BODY(ROWS_SHORT, ROWS_SHORT(POINTER), STEP)
}
// a full tile whose rows lie one float apart (off[i] = off[0] + i): one pointer per tap, none
// spilled, for taps that reduce over few values (the weight gradient's short output rows)
static void tile_kernel_run(float *restrict tile, int accumulate, const float *src,
                            const int64_t *off, const int64_t *tap_src, const int64_t *tap_w,
                            int64_t ntaps, int64_t reduce, int64_t rstride, const float *w,
                            int64_t wstep) {
    TILE_BODY(ROWS_FULL, POINTER_RUN, STEP_RUN)
}
#undef TILE_BODY
#undef ROWS_FULL
#undef ROWS_SHORT
#undef LOAD
#undef FMA2
#undef STEP
#undef POINTER
#undef STEP_RUN
#undef POINTER_RUN
#undef STORE

// rows of the tile are needed (the others may hold anything), and its first cols columns (the
// others may hold anything too: all 32 are computed, the two vectors cost what one does)
static void tile_kernel(float *restrict tile, int rows, int cols, int accumulate, const float *src,
                        const int64_t *off, const int64_t *tap_src, const int64_t *tap_w,
                        int64_t ntaps, int64_t reduce, int64_t rstride, const float *w,
                        int64_t wstep) {
    (void)cols;
    int run = rows == MR;
    for (int i = 1; i < MR && run; i++) run = off[i] == off[0] + i;
    if (run)
        tile_kernel_run(tile, accumulate, src, off, tap_src, tap_w, ntaps, reduce, rstride, w,
                        wstep);
    else if (rows <= SHORT_ROWS)
        tile_kernel_short(tile, accumulate, src, off, tap_src, tap_w, ntaps, reduce, rstride, w,
                          wstep);
    else
        tile_kernel_full(tile, accumulate, src, off, tap_src, tap_w, ntaps, reduce, rstride, w,
                         wstep);
}
#else
// portable, in GNU C vectors (AVX2 + FMA registers under -march=native): blocks of at most 6 rows
// by 16 channels (12 accumulators), or, for 3 rows or fewer, the rows by all 32 channels; each
// element summed in the order of the AVX-512 kernel (taps, then r)
typedef float vec8 __attribute__((vector_size(32)));
#define BLOCK_ROWS 6

static inline vec8 load8(const float *p) {
    vec8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

// n <= BLOCK_ROWS rows, 8 * q channels from column 0 of tile and w (n * q <= 12), rows one
// float apart if run (off[i] = off[0] + i: one pointer): constants after inlining, so the
// accumulators stay in registers
static inline __attribute__((always_inline)) void
tile_block(int n, int q, int run, float *restrict tile, int accumulate, const float *src,
           const int64_t *off, const int64_t *tap_src, const int64_t *tap_w, int64_t ntaps,
           int64_t reduce, int64_t rstride, const float *w, int64_t wstep) {
    vec8 acc[BLOCK_ROWS][4];
#pragma GCC unroll 6
    for (int i = 0; i < n; i++)
#pragma GCC unroll 4
        for (int v = 0; v < q; v++)
            acc[i][v] = accumulate ? load8(tile + i * NR + 8 * v) : (vec8){0};
    for (int64_t t = 0; t < ntaps; t++) {
        const float *s[BLOCK_ROWS];
#pragma GCC unroll 6
        for (int i = 0; i < n; i++) s[i] = src + (run ? off[0] + i : off[i]) + tap_src[t];
        const float *wt = w + tap_w[t];
        for (int64_t r = 0, ro = 0; r < reduce; r++, ro += rstride, wt += wstep) {
            vec8 wv[4];
#pragma GCC unroll 4
            for (int v = 0; v < q; v++) wv[v] = load8(wt + 8 * v);
#pragma GCC unroll 6
            for (int i = 0; i < n; i++) { // scalar times vector: one broadcast from memory
                float b = s[i][ro];
#pragma GCC unroll 4
                for (int v = 0; v < q; v++) acc[i][v] += b * wv[v];
            }
        }
    }
#pragma GCC unroll 6
    for (int i = 0; i < n; i++)
#pragma GCC unroll 4
        for (int v = 0; v < q; v++) memcpy(tile + i * NR + 8 * v, &acc[i][v], sizeof(vec8));
}

#define BLOCK_ARGS(i0, h)                                                                          \
    accumulate, src, off + (i0), tap_src, tap_w, ntaps, reduce, rstride, w + (h), wstep
// the first rows rows and cols columns of the tile (the others may hold anything): a second half
// of 16 columns only when cols needs it
static void tile_kernel(float *restrict tile, int rows, int cols, int accumulate, const float *src,
                        const int64_t *off, const int64_t *tap_src, const int64_t *tap_w,
                        int64_t ntaps, int64_t reduce, int64_t rstride, const float *w,
                        int64_t wstep) {
    int half = cols <= 16;
    switch (rows) { // all the columns at once
    case 1:
        if (half)
            tile_block(1, 2, 0, tile, BLOCK_ARGS(0, 0));
        else
            tile_block(1, 4, 0, tile, BLOCK_ARGS(0, 0));
        return;
    case 2:
        if (half)
            tile_block(2, 2, 0, tile, BLOCK_ARGS(0, 0));
        else
            tile_block(2, 4, 0, tile, BLOCK_ARGS(0, 0));
        return;
    case 3:
        if (half)
            tile_block(3, 2, 0, tile, BLOCK_ARGS(0, 0));
        else
            tile_block(3, 4, 0, tile, BLOCK_ARGS(0, 0));
        return;
    default:
        break;
    }
    int run = 1;
    for (int i = 1; i < rows && run; i++) run = off[i] == off[0] + i;
    // the rows in blocks of 3 to 6 (as even as they go), each block by halves of 16 channels in
    // turn (the block's source values are read again while they are in L1)
    int blocks = (rows + BLOCK_ROWS - 1) / BLOCK_ROWS;
    for (int b = 0, i0 = 0; b < blocks; b++) {
        int n = (rows - i0) / (blocks - b);
        for (int h = 0; h < (half ? 16 : NR); h += 16) {
            float *tb = tile + i0 * NR + h;
            switch (n + (run ? 8 : 0)) {
            case 3:
                tile_block(3, 2, 0, tb, BLOCK_ARGS(i0, h));
                break;
            case 4:
                tile_block(4, 2, 0, tb, BLOCK_ARGS(i0, h));
                break;
            case 5:
                tile_block(5, 2, 0, tb, BLOCK_ARGS(i0, h));
                break;
            case 6:
                tile_block(6, 2, 0, tb, BLOCK_ARGS(i0, h));
                break;
            case 8 + 3:
                tile_block(3, 2, 1, tb, BLOCK_ARGS(i0, h));
                break;
            case 8 + 4:
                tile_block(4, 2, 1, tb, BLOCK_ARGS(i0, h));
                break;
            case 8 + 5:
                tile_block(5, 2, 1, tb, BLOCK_ARGS(i0, h));
                break;
            default:
                tile_block(6, 2, 1, tb, BLOCK_ARGS(i0, h));
                break;
            }
        }
        i0 += n;
    }
}
#undef BLOCK_ARGS
#endif

// The second kernel, for few channels: rows come from a packed panel (PR consecutive floats per
// step, one pointer), the 32 columns are 32 consecutive pixels of x:
//
//   tile[i][j] = sum_t sum_r a[(t * reduce + r) * PR + i] * x[tap_x[t] + r * xstride + j]
#if defined(__AVX512F__)
static void panel_kernel(float *restrict tile, int rows, const float *a, const float *x,
                         const int64_t *tap_x, int64_t ntaps, int64_t reduce, int64_t xstride) {
    (void)rows; // all PR rows: as fast as fewer in one pass
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define LOAD(i) __m512 a##i = _mm512_setzero_ps(), b##i = _mm512_setzero_ps();
#define STEP(i)                                                                                    \
    {                                                                                              \
        __m512 v = _mm512_set1_ps(a[i]);                                                           \
        a##i = _mm512_fmadd_ps(v, x0, a##i);                                                       \
        b##i = _mm512_fmadd_ps(v, x1, b##i);                                                       \
    }
#define STORE(i)                                                                                   \
    _mm512_storeu_ps(tile + (i)*NR, a##i);                                                         \
    _mm512_storeu_ps(tile + (i)*NR + 16, b##i);
    ROWS(LOAD)
    for (int64_t t = 0; t < ntaps; t++) {
        const float *xt = x + tap_x[t];
        for (int64_t r = 0; r < reduce; r++, xt += xstride, a += PR) {
            __m512 x0 = _mm512_loadu_ps(xt), x1 = _mm512_loadu_ps(xt + 16);
            ROWS(STEP)
        }
    }
    ROWS(STORE)
#undef ROWS
#undef LOAD
#undef STEP
#undef STORE
}
#else
// portable: blocks of 6 rows by 16 columns, in the AVX-512 kernel's order
static inline __attribute__((always_inline)) void panel_block(float *restrict tile, const float *a,
                                                              const float *x, const int64_t *tap_x,
                                                              int64_t ntaps, int64_t reduce,
                                                              int64_t xstride) {
    vec8 acc[BLOCK_ROWS][2] = {{(vec8){0}}};
    for (int64_t t = 0; t < ntaps; t++) {
        const float *xt = x + tap_x[t];
        for (int64_t r = 0; r < reduce; r++, xt += xstride, a += PR) {
            vec8 x0 = load8(xt), x1 = load8(xt + 8);
#pragma GCC unroll 6
            for (int i = 0; i < BLOCK_ROWS; i++) {
                float b = a[i];
                acc[i][0] += b * x0;
                acc[i][1] += b * x1;
            }
        }
    }
    for (int i = 0; i < BLOCK_ROWS; i++) memcpy(tile + i * NR, acc[i], sizeof acc[i]);
}

static void panel_kernel(float *restrict tile, int rows, const float *a, const float *x,
                         const int64_t *tap_x, int64_t ntaps, int64_t reduce, int64_t xstride) {
    for (int i0 = 0; i0 < rows; i0 += BLOCK_ROWS)
        for (int h = 0; h < NR; h += 16)
            panel_block(tile + i0 * NR + h, a + i0, x + h, tap_x, ntaps, reduce, xstride);
}
#endif

// dst[j] = src[j] + b for j < width (width <= NR)
static void store_row(float *dst, const float *src, float b, int64_t width) {
#if defined(__AVX512F__)
    __m512 vb = _mm512_set1_ps(b);
    for (int64_t j = 0; j < width; j += 16) {
        _mm512_mask_storeu_ps(dst + j, lanes(width - j), _mm512_add_ps(_mm512_loadu_ps(src + j), vb));
    }
#else
    for (int64_t j = 0; j < width; j++) dst[j] = src[j] + b;
#endif
}

// dst[j] += src[j] for j < width
static void add_values(float *dst, const float *src, int64_t width) {
#if defined(__AVX512F__)
    for (int64_t j = 0; j < width; j += 16) {
        __mmask16 m = lanes(width - j);
        _mm512_mask_storeu_ps(dst + j, m,
                              _mm512_add_ps(_mm512_maskz_loadu_ps(m, dst + j),
                                            _mm512_maskz_loadu_ps(m, src + j)));
    }
#else
    for (int64_t j = 0; j < width; j++) dst[j] += src[j];
#endif
}

// ---- the plan: sizes, paddings and the workspace layout ----

typedef struct {
    int64_t k, p, taps;       // C*KH*KW, OH*OW, KH*KW
    int64_t hp, wp, in_image; // padded input: rows, columns, floats per image
    int64_t oblocks, cblocks; // output and input channels in blocks of NR
    int64_t ktiles;           // weight-gradient rows (C*KH*KW) in tiles of MR
    int64_t otiles, kpanels;  // output channels, C*KH*KW, in panels of PR (few channels)
    int64_t mtiles;           // output channels in tiles of MR (weight gradient, x channels last)
    // few input channels (or, for the forward, few output channels): the forward reads a
    // phase-split input (panel kernel), and the input gradient goes through columns (panel
    // kernel + col2im)
    int narrow_forward, narrow_input;
    // the weight gradient with rows of output channels and columns of input channels (x padded
    // channels last): for channels-last x, and for NCHW x with fewer output than input channels
    // below a block (a 32-wide column of few output channels would be mostly padding)
    int dw_nhwc;
    // stride 2, 4 kernel columns, 3 input channels: the input gradient by stride phases (dout
    // framed by zeros, PH x PW per channel, its pixel (0, 0) at phase offset (dh_min, dw_min))
    int phase_input;
    int64_t dh_min, dw_min, ph, pw;
    int64_t phase_cols, phase_plane; // columns of a phase-split row; floats per channel
    int threads;                     // threads that take images (at most one image each)
    int64_t split;                   // forward with fewer images than threads: blocks of output
                                     // channels of one image go to split threads
    int64_t slices;                  // per-thread slices of the workspace
    int64_t per_thread;              // images per thread
    int64_t sub;                     // images per padded sub-batch
    int64_t packed;                  // floats of the shared packed weights
    // floats per thread: padded images, packed dout, tap tables, weight-gradient tiles
    int64_t pad_floats, dout_floats, tap_floats, acc_floats, dx_floats, thread_floats;
} conv_plan;

static int64_t round_up(int64_t a, int64_t b) {
    return (a + b - 1) / b * b;
}
static int64_t ceil_div(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}
static int64_t max64(int64_t a, int64_t b) {
    return a > b ? a : b;
}
// the channels of block b when n channels are cut into blocks of NR
static int block_width(int64_t n, int64_t b) {
    return n - b * NR < NR ? (int)(n - b * NR) : NR;
}

// the stride phase of input row r (r < stride): its pixels are r, r + s, ...; kernel row kh
// reaches it when (r + pad - kh) is a multiple of s, from output row (pixel row + delta)
static int64_t phase_delta(int64_t r, int64_t pad, int64_t k, int64_t s) {
    return (r + pad - k) / s; // exact: the caller checks divisibility
}

// the input gradient by stride phases: when it applies, and the dout rows and columns (relative
// to a phase pixel) that its taps read
static void phase_plan(conv_plan *pl, const jepa_conv_geom *g) {
#if defined(__AVX512F__)
    pl->phase_input = g->c == 3 && g->stride_h == 2 && g->stride_w == 2 && g->kh % 2 == 0 &&
                      g->kh <= 64 && g->kw == 4 && g->h % 2 == 0 && g->w % 2 == 0;
#else
    pl->phase_input = 0;
#endif
    int64_t dh_max = 0, dw_max = 0;
    pl->dh_min = pl->dw_min = 0;
    for (int64_t r = 0; r < 2; r++) {
        for (int64_t k = (r + g->pad_h) % 2; k < g->kh; k += 2) {
            int64_t d = phase_delta(r, g->pad_h, k, 2);
            pl->dh_min = d < pl->dh_min ? d : pl->dh_min;
            dh_max = d > dh_max ? d : dh_max;
        }
        for (int64_t k = (r + g->pad_w) % 2; k < g->kw; k += 2) {
            int64_t d = phase_delta(r, g->pad_w, k, 2);
            pl->dw_min = d < pl->dw_min ? d : pl->dw_min;
            dw_max = d > dw_max ? d : dw_max;
        }
    }
    pl->ph = g->h / 2 + dh_max - pl->dh_min;
    pl->pw = g->w / 2 + dw_max - pl->dw_min;
}

static conv_plan plan_make(const jepa_conv_geom *g) {
    conv_plan pl;
    pl.k = g->c * g->kh * g->kw;
    pl.p = g->oh * g->ow;
    pl.taps = g->kh * g->kw;
    pl.hp = g->h + 2 * g->pad_h;
    pl.wp = g->w + 2 * g->pad_w;
    pl.in_image = g->c * pl.hp * pl.wp;
    pl.oblocks = ceil_div(g->o, NR);
    pl.cblocks = ceil_div(g->c, NR);
    pl.ktiles = ceil_div(pl.k, MR);
    pl.otiles = ceil_div(g->o, PR);
    pl.kpanels = ceil_div(pl.k, PR);
    pl.mtiles = ceil_div(g->o, MR);
    // a channels-last output takes tiles of pixels whatever the channels
    pl.narrow_forward = (g->c < NR / 2 || g->o <= NR / 2) && !g->out_nhwc;
    // the column input gradient reads dout and writes dx as NCHW only, the phase one writes dx
    // as NCHW (and gathers a channels-last dout)
    pl.narrow_input = !g->x_nhwc && !g->out_nhwc && g->c < NR / 2 && pl.p % NR == 0;
    pl.dw_nhwc = g->x_nhwc || (g->o < NR && g->o < g->c);
    phase_plan(&pl, g);
    pl.phase_input = pl.phase_input && !g->x_nhwc;
    // a row split into stride phases, wide enough for 32-pixel loads past the last tile
    pl.phase_cols = round_up(g->ow, NR) + (g->kw - 1) / g->stride_w + 1;
    pl.phase_plane = pl.hp * g->stride_w * pl.phase_cols;
    int threads = jepa_threads_get();
    pl.threads = g->n < threads ? (int)g->n : threads;
    pl.per_thread = ceil_div(g->n, pl.threads);
    int64_t blocks = pl.narrow_forward ? pl.otiles : pl.oblocks;
    pl.split = threads / g->n < blocks ? threads / g->n : blocks;
    if (pl.split < 1) pl.split = 1;
    pl.slices = pl.split > 1 ? g->n * pl.split : pl.threads;
    int64_t image =
        max64(max64(pl.in_image, g->o * pl.p), pl.narrow_forward ? g->c * pl.phase_plane : 0);
    pl.sub = SUB_FLOATS / image;
    if (pl.sub < 1) pl.sub = 1;
    if (pl.sub > pl.per_thread) pl.sub = pl.per_thread;
    pl.packed = max64(max64(pl.oblocks * NR, pl.otiles * PR) * pl.k,
                      max64(pl.cblocks * NR * pl.taps, pl.kpanels * PR) * g->o);
    // (+ NR: the last channel block's loads past a channels-last padded x)
    pl.pad_floats =
        round_up(max64(pl.sub * image, pl.phase_input ? g->o * pl.ph * pl.pw : 0), 16) + NR;
    pl.dout_floats = round_up(pl.oblocks * pl.sub * pl.p * NR, 16);
    // two int64 tables of sub*OH (image, row) taps, or KH*KW kernel taps
    pl.tap_floats = round_up(4 * max64(pl.sub * g->oh, pl.taps), 16);
    pl.acc_floats =
        pl.dw_nhwc ? pl.taps * pl.mtiles * pl.cblocks * MR * NR : pl.oblocks * pl.ktiles * MR * NR;
    // the input gradient of a sub-batch, channels last (C, rounded up to whole blocks)
    pl.dx_floats = round_up(pl.sub * g->h * g->w * pl.cblocks * NR, 16);
    pl.thread_floats =
        pl.pad_floats + pl.dout_floats + pl.tap_floats + pl.acc_floats + pl.dx_floats;
    return pl;
}

int64_t jepa_conv2d_workspace_floats(const jepa_conv_geom *g) {
    conv_plan pl = plan_make(g);
    return pl.packed + pl.slices * pl.thread_floats;
}

// ---- copies ----

// dst (nb, ch, rows + top + bottom, cols + left + right) = src (nb, ch, rows, cols) framed by zeros
static void pad_copy(float *dst, const float *src, int64_t planes, int64_t rows, int64_t cols,
                     int64_t top, int64_t left, int64_t prow, int64_t pcol) {
    for (int64_t q = 0; q < planes; q++) {
        float *d = dst + q * prow * pcol;
        memset(d, 0, sizeof(float) * (size_t)(prow * pcol));
        for (int64_t y = 0; y < rows; y++)
            memcpy(d + (y + top) * pcol + left, src + (q * rows + y) * cols,
                   sizeof(float) * (size_t)cols);
    }
}

// forward weights: packed[ob][kh][kw][c][j] = w[ob*NR + j][c][kh][kw] (0 past O)
static void pack_forward_weights(float *packed, const float *w, const jepa_conv_geom *g,
                                 const conv_plan *pl) {
    // one o at a time: its weights (C*KH*KW floats) stay in L1 while they are scattered (the
    // 32 o's of one (c, tap) lie a whole filter apart, which thrashes L1 sets when gathered)
#pragma omp parallel for collapse(2) num_threads(pl->threads) schedule(static)
    for (int64_t ob = 0; ob < pl->oblocks; ob++)
        for (int64_t j = 0; j < NR; j++) {
            int64_t o = ob * NR + j;
            for (int64_t t = 0; t < pl->taps; t++) {
                float *d = packed + (ob * pl->taps + t) * g->c * NR + j;
                if (o < g->o)
                    for (int64_t c = 0; c < g->c; c++) d[c * NR] = w[(o * g->c + c) * pl->taps + t];
                else
                    for (int64_t c = 0; c < g->c; c++) d[c * NR] = 0.0f;
            }
        }
}

// input-gradient weights: packed[cb][kh][kw][o][j] = w[o][cb*NR + j][kh][kw] (0 past C)
static void pack_input_weights(float *packed, const float *w, const jepa_conv_geom *g,
                               const conv_plan *pl) {
#pragma omp parallel for collapse(2) num_threads(pl->threads) schedule(static)
    for (int64_t cb = 0; cb < pl->cblocks; cb++)
        for (int64_t t = 0; t < pl->taps; t++)
            for (int64_t o = 0; o < g->o; o++) {
                float *d = packed + ((cb * pl->taps + t) * g->o + o) * NR;
                for (int64_t j = 0; j < NR; j++) {
                    int64_t c = cb * NR + j;
                    d[j] = c < g->c ? w[(o * g->c + c) * pl->taps + t] : 0.0f;
                }
            }
}

#if defined(__AVX512F__)
// dst[c * dst_stride + r] (+)= src[r * ld + c] for r, c < 16: a 16x16 transpose in registers
static void transpose16(float *dst, int64_t dst_stride, const float *src, int64_t ld, int add) {
    __m512 r[16], a[16], b[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * ld);
    // pairs of rows interleaved, then pairs of pairs: b[4k+m] holds rows 4k..4k+3 of column
    // 4l+m in its 128-bit lane l
    for (int k = 0; k < 8; k++) {
        a[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
        a[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    for (int k = 0; k < 4; k++) {
        __m512d a0 = _mm512_castps_pd(a[4 * k]), a1 = _mm512_castps_pd(a[4 * k + 1]);
        __m512d a2 = _mm512_castps_pd(a[4 * k + 2]), a3 = _mm512_castps_pd(a[4 * k + 3]);
        b[4 * k] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
        b[4 * k + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
        b[4 * k + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
        b[4 * k + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
    }
    // gather the four lanes of each column
    for (int m = 0; m < 4; m++) {
        __m512 c1 = _mm512_shuffle_f32x4(b[m], b[4 + m], 0x88);
        __m512 c2 = _mm512_shuffle_f32x4(b[m], b[4 + m], 0xdd);
        __m512 c3 = _mm512_shuffle_f32x4(b[8 + m], b[12 + m], 0x88);
        __m512 c4 = _mm512_shuffle_f32x4(b[8 + m], b[12 + m], 0xdd);
        __m512 col[4] = {_mm512_shuffle_f32x4(c1, c3, 0x88), _mm512_shuffle_f32x4(c2, c4, 0x88),
                         _mm512_shuffle_f32x4(c1, c3, 0xdd), _mm512_shuffle_f32x4(c2, c4, 0xdd)};
        for (int q = 0; q < 4; q++) {
            float *d = dst + (4 * q + m) * dst_stride;
            _mm512_storeu_ps(d, add ? _mm512_add_ps(col[q], _mm512_loadu_ps(d)) : col[q]);
        }
    }
}
#endif

#if defined(__AVX512F__)
// RGB planes (3, hw) to pixels (hw, 3), 16 pixels at a time; returns the pixels done (the rest
// are the caller's): out vector k, lane e is float 16k + e of the run, the pixel (16k + e) / 3
// of plane (16k + e) % 3; planes 0 and 1 are one 32-float table, plane 2 merges in
static int64_t interleave_rgb(float *dst, const float *src, int64_t hw) {
    __m512i pair[3], third[3];
    __mmask16 from2[3];
    for (int k = 0; k < 3; k++) {
        int32_t a[16], b[16];
        from2[k] = 0;
        for (int e = 0; e < 16; e++) {
            int f = 16 * k + e, px = f / 3, ch = f % 3;
            a[e] = ch == 1 ? 16 + px : px;
            b[e] = px;
            if (ch == 2) from2[k] |= (__mmask16)(1u << e);
        }
        pair[k] = _mm512_loadu_si512(a);
        third[k] = _mm512_loadu_si512(b);
    }
    int64_t p = 0;
    for (; p + 16 <= hw; p += 16) {
        __m512 v0 = _mm512_loadu_ps(src + p), v1 = _mm512_loadu_ps(src + hw + p);
        __m512 v2 = _mm512_loadu_ps(src + 2 * hw + p);
        for (int k = 0; k < 3; k++) {
            __m512 t = _mm512_permutex2var_ps(v0, pair[k], v1);
            __m512 out = _mm512_mask_permutexvar_ps(t, from2[k], third[k], v2);
            _mm512_storeu_ps(dst + 3 * p + 16 * k, out);
        }
    }
    return p;
}
#endif

// dst (HW, C) = src (C, HW): one image made channels last
static void to_channels_last(float *dst, const float *src, int64_t c, int64_t hw) {
    int64_t p = 0;
#if defined(__AVX512F__)
    if (c % 16 == 0 && hw % 16 == 0) {
        for (int64_t c0 = 0; c0 < c; c0 += 16)
            for (int64_t p0 = 0; p0 < hw; p0 += 16)
                transpose16(dst + p0 * c + c0, c, src + c0 * hw + p0, hw, 0);
        return;
    }
    if (c == 3) p = interleave_rgb(dst, src, hw);
#endif
    for (; p < hw; p++)
        for (int64_t ch = 0; ch < c; ch++) dst[p * c + ch] = src[ch * hw + p];
}

// ---- forward ----

// out[at[i] + (o0 + j) * p] = tile[i][j] + bias[o0 + j] for rows i < rows, channels j < width.
// The tile has 16 rows of room (rows past `rows` may hold anything). Rows whose outputs follow
// one another (at[i + 1] = at[i] + 1) go out as one masked vector per channel.
static void store_tile_planar(float *out, float *tile, int rows, const int64_t *at,
                              const float *bias, int64_t o0, int64_t width, int64_t p) {
#if defined(__AVX512F__)
    float cols[NR * 16]; // cols[j][i] = tile[i][j]
    for (int half = 0; half < NR; half += 16) transpose16(cols + half * 16, 16, tile + half, NR, 0);
    for (int i0 = 0, i1; i0 < rows; i0 = i1) {
        for (i1 = i0 + 1; i1 < rows && at[i1] == at[i1 - 1] + 1; i1++) continue;
        __mmask16 run = (__mmask16)(((1u << (i1 - i0)) - 1) << i0);
        __mmask16 first = (__mmask16)((1u << (i1 - i0)) - 1);
        for (int64_t j = 0; j < width; j++) {
            __m512 v = _mm512_add_ps(_mm512_loadu_ps(cols + j * 16),
                                     _mm512_set1_ps(bias ? bias[o0 + j] : 0.0f));
            _mm512_mask_storeu_ps(out + at[i0] + (o0 + j) * p, first,
                                  _mm512_maskz_compress_ps(run, v));
        }
    }
#else
    for (int64_t j = 0; j < width; j++) {
        float b = bias ? bias[o0 + j] : 0.0f;
        for (int i = 0; i < rows; i++) out[at[i] + (o0 + j) * p] = tile[i * NR + j] + b;
    }
#endif
}

// out[at[i] + o0 + j] = tile[i][j] + bias[o0 + j] for rows i < rows, channels j < width: a
// tile stored channels last
static void store_tile_nhwc(float *out, const float *tile, int rows, const int64_t *at,
                            const float *bias, int64_t o0, int64_t width) {
#if defined(__AVX512F__)
    __mmask16 m0 = lanes(width), m1 = lanes(width - 16);
    __m512 b0 = bias ? _mm512_maskz_loadu_ps(m0, bias + o0) : _mm512_setzero_ps();
    __m512 b1 = bias ? _mm512_maskz_loadu_ps(m1, bias + o0 + 16) : _mm512_setzero_ps();
    for (int i = 0; i < rows; i++) {
        float *d = out + at[i] + o0;
        _mm512_mask_storeu_ps(d, m0, _mm512_add_ps(_mm512_loadu_ps(tile + i * NR), b0));
        _mm512_mask_storeu_ps(d + 16, m1, _mm512_add_ps(_mm512_loadu_ps(tile + i * NR + 16), b1));
    }
#else
    for (int i = 0; i < rows; i++) {
        float *d = out + at[i] + o0;
        for (int64_t j = 0; j < width; j++) d[j] = tile[i * NR + j] + (bias ? bias[o0 + j] : 0.0f);
    }
#endif
}

// the run of outputs [*first, *end) from `first` on whose windows hold the same range of
// kernel taps [*k0, *k1) inside the input (the windows of a run differ only in position)
static void tap_run(int64_t first, int64_t outs, int64_t in, int64_t k, int64_t s, int64_t pad,
                    int64_t *end, int64_t *k0, int64_t *k1) {
    int64_t lo = pad - first * s > 0 ? pad - first * s : 0;
    int64_t hi = in + pad - first * s < k ? in + pad - first * s : k;
    *k0 = lo;
    *k1 = hi > lo ? hi : lo;
    *end = first + 1;
    while (*end < outs) {
        int64_t l = pad - *end * s > 0 ? pad - *end * s : 0;
        int64_t h = in + pad - *end * s < k ? in + pad - *end * s : k;
        if (l != lo || h != hi) break;
        ++*end;
    }
}

// out of images [n0, n0+nb), channel blocks [b0, b1): output pixels are grouped by the taps
// their windows keep inside the input, and a tile's rows come from one group (across images),
// so taps that would read padding are skipped, not multiplied by zero, and x is read in place
static void forward_images(float *out, const float *x, const float *packed, const float *bias,
                           int64_t n0, int64_t nb, int64_t b0, int64_t b1, const jepa_conv_geom *g,
                           const conv_plan *pl, float *mine) {
    int64_t *tap_src = (int64_t *)(mine + pl->pad_floats + pl->dout_floats);
    int64_t *tap_w = tap_src + pl->taps;
    // the images channels last (H*W, C), so a tap's reduction over channels reads one run
    int64_t hw = g->h * g->w, c = g->c;
    const float *src = x + n0 * hw * c;
    if (!g->x_nhwc) {
        for (int64_t img = 0; img < nb; img++)
            to_channels_last(mine + img * hw * c, x + (n0 + img) * c * hw, c, hw);
        src = mine;
    }
    float tile[16 * NR] = {0}; // MR rows, and room for store_tile_planar's 16
    int64_t off[MR], at[MR];
    for (int64_t oh0 = 0, oh1; oh0 < g->oh; oh0 = oh1) {
        int64_t kh0, kh1;
        tap_run(oh0, g->oh, g->h, g->kh, g->stride_h, g->pad_h, &oh1, &kh0, &kh1);
        for (int64_t ow0 = 0, ow1; ow0 < g->ow; ow0 = ow1) {
            int64_t kw0, kw1, ntaps = 0;
            tap_run(ow0, g->ow, g->w, g->kw, g->stride_w, g->pad_w, &ow1, &kw0, &kw1);
            // one tap per kernel row: its columns' channels are one run of x and of the weights
            for (int64_t kh = kh0; kh < kh1; kh++) {
                tap_src[ntaps] = (kh * g->w + kw0) * c;
                tap_w[ntaps++] = (kh * g->kw + kw0) * c * NR;
            }
            int64_t run = (kw1 - kw0) * c;
            int64_t rows_h = oh1 - oh0, cols = ow1 - ow0, pixels = nb * rows_h * cols;
            // one block of output channels at a time, so its packed weights stay in the cache
            for (int64_t ob = b0; ob < b1; ob++)
                // (img, y, xc): pixel q's image and place in the run, counted up row by row
                for (int64_t q = 0, img = 0, y = 0, xc = 0; q < pixels; q += MR) {
                    // the rows' window corners (a short last tile repeats its last pixel)
                    for (int i = 0; i < MR; i++) {
                        int64_t oh = oh0 + y, ow = ow0 + xc;
                        off[i] = img * hw * c + ((oh * g->stride_h - g->pad_h) * g->w +
                                                 ow * g->stride_w - g->pad_w) *
                                                    c;
                        at[i] = g->out_nhwc ? ((n0 + img) * pl->p + oh * g->ow + ow) * g->o
                                            : (n0 + img) * g->o * pl->p + oh * g->ow + ow;
                        if (q + i + 1 < pixels && ++xc == cols) {
                            xc = 0;
                            if (++y == rows_h) y = 0, img++;
                        }
                    }
                    int rows = pixels - q < MR ? (int)(pixels - q) : MR;
                    int width = block_width(g->o, ob);
                    tile_kernel(tile, rows, width, 0, src, off, tap_src, tap_w, ntaps, run, 1,
                                packed + ob * pl->taps * c * NR, NR);
                    if (g->out_nhwc)
                        store_tile_nhwc(out, tile, rows, at, bias, ob * NR, width);
                    else
                        store_tile_planar(out, tile, rows, at, bias, ob * NR, width, pl->p);
                }
        }
    }
}

// narrow forward weights: packed[ot][kh][kw][c][i] = w[ot*PR + i][c][kh][kw] (0 past O)
static void pack_narrow_forward_weights(float *packed, const float *w, const jepa_conv_geom *g,
                                        const conv_plan *pl) {
    for (int64_t ot = 0; ot < pl->otiles; ot++)
        for (int64_t t = 0; t < pl->taps; t++)
            for (int64_t c = 0; c < g->c; c++)
                for (int i = 0; i < PR; i++) {
                    int64_t o = ot * PR + i;
                    packed[((ot * pl->taps + t) * g->c + c) * PR + i] =
                        o < g->o ? w[(o * g->c + c) * pl->taps + t] : 0.0f;
                }
}

// out of images [n0, n0+nb) for few input channels: the padded input is split into its stride
// phases, so that one kernel tap reads 32 consecutive output pixels of a row as one run
static void forward_narrow_images(float *out, const float *x, const float *packed,
                                  const float *bias, int64_t n0, int64_t nb, int64_t b0, int64_t b1,
                                  const jepa_conv_geom *g, const conv_plan *pl, float *mine) {
    float *xs = mine;
    int64_t *tap_x = (int64_t *)(mine + pl->pad_floats + pl->dout_floats);
    int64_t s = g->stride_w, q_len = pl->phase_cols;
    // xs[img][c][y][phase][q] = x padded at row y, column q*s + phase
    // (channels last: the columns of a row lie C apart)
    int64_t cs = g->x_nhwc ? g->c : 1;
    for (int64_t plane = 0; plane < nb * g->c; plane++)
        for (int64_t y = 0; y < pl->hp; y++)
            for (int64_t phase = 0; phase < s; phase++) {
                float *row = xs + ((plane * pl->hp + y) * s + phase) * q_len;
                int64_t iy = y - g->pad_h;
                memset(row, 0, sizeof(float) * (size_t)q_len);
                if (iy < 0 || iy >= g->h) continue;
                // the columns q with 0 <= q*s + phase - pad_w < W
                int64_t first = g->pad_w - phase, q0 = first > 0 ? ceil_div(first, s) : 0;
                int64_t q1 = ceil_div(g->w + g->pad_w - phase, s);
                if (q1 > q_len) q1 = q_len;
                int64_t img = n0 + plane / g->c, ch = plane % g->c;
                const float *src =
                    g->x_nhwc ? x + ((img * g->h + iy) * g->w + phase - g->pad_w) * g->c + ch
                              : x + ((n0 * g->c + plane) * g->h + iy) * g->w + phase - g->pad_w;
                int64_t q = q0;
#if defined(__AVX512F__)
                // stride 2: the even elements of 32 floats, 16 at a time
                if (s == 2 && cs == 1) {
                    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20,
                                                           22, 24, 26, 28, 30);
                    // (both loads inside the row: src[2q + 31] is column 2q + 31 + phase - pad)
                    for (; q + 16 <= q1 && 2 * q + 31 + phase - g->pad_w < g->w; q += 16)
                        _mm512_storeu_ps(row + q,
                                         _mm512_permutex2var_ps(_mm512_loadu_ps(src + 2 * q), even,
                                                                _mm512_loadu_ps(src + 2 * q + 16)));
                }
#endif
                for (; q < q1; q++) row[q] = src[q * s * cs];
            }
    for (int64_t kh = 0; kh < g->kh; kh++)
        for (int64_t kw = 0; kw < g->kw; kw++)
            tap_x[kh * g->kw + kw] = (kh * s + kw % s) * q_len + kw / s;
    float tile[PR * NR];
    for (int64_t img = 0; img < nb; img++)
        for (int64_t oh = 0; oh < g->oh; oh++)
            for (int64_t ow0 = 0; ow0 < g->ow; ow0 += NR) {
                int64_t width = g->ow - ow0 < NR ? g->ow - ow0 : NR;
                const float *base =
                    xs + img * g->c * pl->phase_plane + oh * g->stride_h * s * q_len + ow0;
                for (int64_t ot = b0; ot < b1; ot++) {
                    int rows = g->o - ot * PR < PR ? (int)(g->o - ot * PR) : PR;
                    panel_kernel(tile, rows, packed + ot * pl->taps * g->c * PR, base, tap_x,
                                 pl->taps, g->c, pl->phase_plane);
                    for (int i = 0; i < rows; i++) {
                        int64_t o = ot * PR + i;
                        float b = bias ? bias[o] : 0.0f;
                        float *dst = out + ((n0 + img) * g->o + o) * pl->p + oh * g->ow + ow0;
                        store_row(dst, tile + i * NR, b, width);
                    }
                }
            }
}

void jepa_conv2d_forward(float *out, const float *x, const float *w, const float *bias,
                         const jepa_conv_geom *g, float *work) {
    conv_plan pl = plan_make(g);
    if (pl.narrow_forward)
        pack_narrow_forward_weights(work, w, g, &pl);
    else
        pack_forward_weights(work, w, g, &pl);
    int64_t blocks = pl.narrow_forward ? pl.otiles : pl.oblocks;
    if (pl.split == 1) {
        // sub-batches of images handed out as threads come free, so that a thread slowed down
        // (by the machine, or by its share of the caches) does not hold the other one up; an
        // image's output is its own, so which thread takes it does not change the result
        int64_t chunks = ceil_div(g->n, pl.sub);
#pragma omp parallel num_threads(pl.threads)
        {
            float *mine = work + pl.packed + jepa_thread_index() * pl.thread_floats;
#pragma omp for schedule(dynamic, 1)
            for (int64_t chunk = 0; chunk < chunks; chunk++) {
                int64_t n0 = chunk * pl.sub, nb = g->n - n0 < pl.sub ? g->n - n0 : pl.sub;
                if (pl.narrow_forward)
                    forward_narrow_images(out, x, work, bias, n0, nb, 0, blocks, g, &pl, mine);
                else
                    forward_images(out, x, work, bias, n0, nb, 0, blocks, g, &pl, mine);
            }
        }
        return;
    }
    // fewer images than threads: (one image, a range of channel blocks) each
#pragma omp parallel for num_threads((int)pl.slices) schedule(static)
    for (int64_t item = 0; item < pl.slices; item++) {
        float *mine = work + pl.packed + item * pl.thread_floats;
        int64_t part = item % pl.split, n0 = item / pl.split;
        int64_t b0 = part * blocks / pl.split, b1 = (part + 1) * blocks / pl.split;
        if (pl.narrow_forward)
            forward_narrow_images(out, x, work, bias, n0, 1, b0, b1, g, &pl, mine);
        else
            forward_images(out, x, work, bias, n0, 1, b0, b1, g, &pl, mine);
    }
}

// ---- input gradient ----

// dx of images [n0, n0+nb), one stride phase (rh, rw) at a time: tiles of MR input pixels of
// the phase by NR input channels, reduced over output channels and the taps that reach them
// the kernel rows (a bit each) of stride phase r that reach phase row a from inside dout
static uint64_t phase_taps(int64_t a, int64_t r, int64_t outs, int64_t k, int64_t s, int64_t pad) {
    uint64_t mask = 0;
    for (int64_t kk = 0; kk < k; kk++) {
        if ((r + pad - kk) % s) continue;
        int64_t from = a + phase_delta(r, pad, kk, s);
        if (from >= 0 && from < outs) mask |= (uint64_t)1 << kk;
    }
    return mask;
}

// the run of phase rows [a, *end) that the same kernel rows reach
static int64_t phase_run(int64_t a, int64_t rows, int64_t r, int64_t outs, int64_t k, int64_t s,
                         int64_t pad, uint64_t *mask) {
    *mask = phase_taps(a, r, outs, k, s, pad);
    int64_t end = a + 1;
    while (end < rows && phase_taps(end, r, outs, k, s, pad) == *mask) end++;
    return end;
}

// dx of images [n0, n0+nb), added to dx or, with assign, written over it
static void input_grad_images(float *dx, int assign, const float *packed, int64_t n0, int64_t nb,
                              const jepa_conv_geom *g, const conv_plan *pl, float *mine) {
    int64_t *tap_src = (int64_t *)(mine + pl->pad_floats + pl->dout_floats);
    int64_t *tap_w = tap_src + pl->taps;
    // every input pixel's sum is one tile row: stored, channels last, then added to dx (or
    // stored straight into a channels-last dx that it overwrites and that has whole tiles)
    int64_t ldc = pl->cblocks * NR, hw = g->h * g->w, o = g->o;
    int direct = assign && g->x_nhwc && ldc == g->c;
    float *dxc = direct ? dx + n0 * hw * ldc : mine + pl->thread_floats - pl->dx_floats;
    // dout packed by pack_douts, NR channels wide: a tap's reduction over output channels reads
    // one run per block of NR of them
    const float *dyt = mine + pl->pad_floats;
    int64_t dpix = nb * pl->p;
    float tile[MR * NR];
    int64_t off[MR], at[MR];
    // input pixels by stride phase (rh, rw), then by the taps that reach them from inside dout
    // (pixels that no tap reaches get zero tiles)
    for (int64_t rh = 0; rh < g->stride_h && rh < g->h; rh++)
        for (int64_t rw = 0; rw < g->stride_w && rw < g->w; rw++) {
            int64_t rows = ceil_div(g->h - rh, g->stride_h);
            int64_t cols = ceil_div(g->w - rw, g->stride_w);
            for (int64_t a0 = 0, a1; a0 < rows; a0 = a1) {
                uint64_t mh, mw;
                a1 = phase_run(a0, rows, rh, g->oh, g->kh, g->stride_h, g->pad_h, &mh);
                for (int64_t b0 = 0, b1; b0 < cols; b0 = b1) {
                    b1 = phase_run(b0, cols, rw, g->ow, g->kw, g->stride_w, g->pad_w, &mw);
                    int64_t ntaps = 0;
                    for (int64_t kh = 0; kh < g->kh; kh++)
                        for (int64_t kw = 0; kw < g->kw; kw++) {
                            if (!((mh >> kh) & 1) || !((mw >> kw) & 1)) continue;
                            int64_t dh = phase_delta(rh, g->pad_h, kh, g->stride_h);
                            int64_t dw = phase_delta(rw, g->pad_w, kw, g->stride_w);
                            tap_src[ntaps] = (dh * g->ow + dw) * NR;
                            tap_w[ntaps++] = (kh * g->kw + kw) * o * NR;
                        }
                    int64_t run_cols = b1 - b0, per_image = (a1 - a0) * run_cols;
                    int64_t pixels = nb * per_image;
                    for (int64_t cb = 0; cb < pl->cblocks; cb++)
                        for (int64_t q = 0; q < pixels; q += MR) {
                            for (int i = 0; i < MR; i++) {
                                int64_t pos = q + i < pixels ? q + i : pixels - 1;
                                int64_t img = pos / per_image, rem = pos % per_image;
                                int64_t a = a0 + rem / run_cols, b = b0 + rem % run_cols;
                                off[i] = (img * pl->p + a * g->ow + b) * NR;
                                at[i] = (img * hw + (a * g->stride_h + rh) * g->w +
                                         b * g->stride_w + rw) *
                                            ldc +
                                        cb * NR;
                            }
                            int n_rows = pixels - q < MR ? (int)(pixels - q) : MR;
                            int width = block_width(g->c, cb);
                            for (int64_t ob = 0; ob < pl->oblocks; ob++)
                                tile_kernel(tile, n_rows, width, ob > 0, dyt + ob * dpix * NR, off,
                                            tap_src, tap_w, ntaps, block_width(o, ob), 1,
                                            packed + cb * pl->taps * o * NR + ob * NR * NR, NR);
                            for (int i = 0; i < n_rows; i++)
                                store_row(dxc + at[i], tile + i * NR, 0.0f, NR);
                        }
                }
            }
        }
    if (direct) return;
    if (g->x_nhwc) { // dx (H*W, C) (+)= dxc (H*W, C), one pixel's row at a time
        for (int64_t pix = 0; pix < nb * hw; pix++) {
            float *d = dx + (n0 * hw + pix) * g->c;
            if (assign) memcpy(d, dxc + pix * ldc, sizeof(float) * (size_t)g->c);
            else add_values(d, dxc + pix * ldc, g->c);
        }
        return;
    }
    // dx (C, H*W) (+)= dxc (H*W, C) per image
    for (int64_t img = 0; img < nb; img++) {
        float *d = dx + (n0 + img) * g->c * hw;
        const float *s = dxc + img * hw * ldc;
#if defined(__AVX512F__)
        if (g->c % 16 == 0 && hw % 16 == 0) {
            for (int64_t c0 = 0; c0 < g->c; c0 += 16)
                for (int64_t p0 = 0; p0 < hw; p0 += 16)
                    transpose16(d + c0 * hw + p0, hw, s + p0 * ldc + c0, ldc, !assign);
            continue;
        }
#endif
        for (int64_t c = 0; c < g->c; c++)
            for (int64_t p = 0; p < hw; p++)
                d[c * hw + p] = (assign ? 0.0f : d[c * hw + p]) + s[p * ldc + c];
    }
}

// row[first + step*j] += v[j] for j < NR where 0 <= first + step*j < width (step 1 or 2)
static void add_row(float *row, int64_t width, int64_t first, int64_t step, const float *v) {
#if defined(__AVX512F__)
    // NR values spread over step*NR columns (zeros between them when step is 2), 16 at a time
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 16, 2, 16, 3, 16, 4, 16, 5, 16, 6, 16, 7, 16);
    const __m512i hi =
        _mm512_add_epi32(lo, _mm512_setr_epi32(8, 0, 8, 0, 8, 0, 8, 0, 8, 0, 8, 0, 8, 0, 8, 0));
    __m512 spread[4];
    int parts = 0;
    for (int h = 0; h < NR; h += 16) {
        __m512 x = _mm512_loadu_ps(v + h);
        if (step == 1) {
            spread[parts++] = x;
        } else {
            spread[parts++] = _mm512_permutex2var_ps(x, lo, _mm512_setzero_ps());
            spread[parts++] = _mm512_permutex2var_ps(x, hi, _mm512_setzero_ps());
        }
    }
    for (int q = 0; q < parts; q++) {
        int64_t at = first + 16 * q;
        if (at >= 0 && at + 16 <= width) {
            _mm512_storeu_ps(row + at, _mm512_add_ps(_mm512_loadu_ps(row + at), spread[q]));
            continue;
        }
        // a vector that crosses an edge of the row: its columns inside, one by one
        float lanes[16];
        _mm512_storeu_ps(lanes, spread[q]);
        for (int m = 0; m < 16; m++)
            if (at + m >= 0 && at + m < width) row[at + m] += lanes[m];
    }
#else
    for (int64_t j = 0; j < NR; j++) {
        int64_t col = first + step * j;
        if (col >= 0 && col < width) row[col] += v[j];
    }
#endif
}

// column weights for few input channels: packed[kt][o][i] = w[o][kt*PR + i] (0 past C*KH*KW)
static void pack_narrow_input_weights(float *packed, const float *w, const jepa_conv_geom *g,
                                      const conv_plan *pl) {
    for (int64_t kt = 0; kt < pl->kpanels; kt++)
        for (int64_t o = 0; o < g->o; o++)
            for (int i = 0; i < PR; i++) {
                int64_t k = kt * PR + i;
                packed[(kt * g->o + o) * PR + i] = k < pl->k ? w[o * pl->k + k] : 0.0f;
            }
}

// dx of images [n0, n0+nb) for few input channels: columns (C*KH*KW, 32 pixels) = w^T dout,
// each added back onto the input pixel it came from (P is a multiple of 32)
static void input_narrow_images(float *dx, const float *dout, const float *packed, int64_t n0,
                                int64_t nb, const jepa_conv_geom *g, const conv_plan *pl) {
    float tile[PR * NR];
    int64_t top[NR], left[NR], zero = 0;
    for (int64_t img = n0; img < n0 + nb; img++) {
        float *d = dx + img * g->c * g->h * g->w;
        for (int64_t p0 = 0; p0 < pl->p; p0 += NR) {
            // the top-left input pixel of each output pixel's window
            for (int j = 0; j < NR; j++) {
                top[j] = (p0 + j) / g->ow * g->stride_h - g->pad_h;
                left[j] = (p0 + j) % g->ow * g->stride_w - g->pad_w;
            }
            for (int64_t kt = 0; kt < pl->kpanels; kt++) {
                panel_kernel(tile, PR, packed + kt * g->o * PR, dout + img * g->o * pl->p + p0,
                             &zero, 1, g->o, pl->p);
                for (int i = 0; i < PR && kt * PR + i < pl->k; i++) {
                    int64_t k = kt * PR + i, c = k / pl->taps;
                    int64_t kh = k % pl->taps / g->kw, kw = k % g->kw;
                    float *plane = d + c * g->h * g->w;
                    if (g->ow % NR == 0 && g->stride_w <= 2) {
                        // the 32 pixels are one run of an output row: one input row, in steps
                        // of the stride
                        int64_t ih = top[0] + kh;
                        if (ih >= 0 && ih < g->h)
                            add_row(plane + ih * g->w, g->w, left[0] + kw, g->stride_w,
                                    tile + i * NR);
                        continue;
                    }
                    for (int j = 0; j < NR; j++) {
                        int64_t ih = top[j] + kh, iw = left[j] + kw;
                        if (ih >= 0 && ih < g->h && iw >= 0 && iw < g->w)
                            plane[ih * g->w + iw] += tile[i * NR + j];
                    }
                }
            }
        }
    }
}

// ---- input gradient by stride phases (stride 2, 4 kernel columns, 3 input channels) ----
//
// Input pixel (2a + rh, 2b + rw) gets sum_o sum_kh sum_kw w[o][c][kh][kw] dout[o][a + dh][b + dw]
// over the taps of its phase: kh = rh + pad_h (mod 2), dh = (rh + pad_h - kh) / 2, likewise kw.
// With dout framed by zeros every pixel of a phase takes the same taps, so the long dimension is
// pixels: a tile is 4 runs of up to 16 phase pixels (one vector each) of row phase rh, for both
// column phases and 3 channels (24 accumulators), reduced over output channels and the kernel
// rows of rh; each step loads a run at the 4 kernel columns' offsets and multiplies it by 3
// broadcast weights. The two column phases are interleaved into whole dx rows on the way out.

#if defined(__AVX512F__)
#define PV 4 // runs of 16 pixels in a tile

// phase weights: packed[rh][o][t][q*3 + c] = w[o][c][kh][kw] for the t-th kernel row kh of row
// phase rh and the q-th kernel column kw (q < 2: column phase 0, else 1)
static void pack_phase_weights(float *packed, const float *w, const jepa_conv_geom *g,
                               const int64_t kws[4]) {
    int64_t rows = g->kh / 2;
    for (int64_t rh = 0; rh < 2; rh++)
        for (int64_t o = 0; o < g->o; o++)
            for (int64_t t = 0; t < rows; t++) {
                int64_t kh = (rh + g->pad_h) % 2 + 2 * t;
                float *d = packed + ((rh * g->o + o) * rows + t) * 12;
                for (int q = 0; q < 4; q++)
                    for (int64_t c = 0; c < 3; c++)
                        d[q * 3 + c] = w[((o * 3 + c) * g->kh + kh) * 4 + kws[q]];
            }
}

// dx[v] (3 channels hw apart, 2 * width[v] columns) += the tile whose runs read dout at d[v]
// (width[v] <= 16 pixels; 0: a repeated run, not stored); rows: dout row offsets of the kernel
// rows, cols: dout column offsets of the 4 kernel columns. The loads are masked, which also keeps
// the compiler from folding each of them into the 3 FMAs that use it (3 loads instead of 1).
static void phase_kernel(float *const dx[PV], const int width[PV], int64_t hw,
                         const float *const d[PV], const float *packed, const int64_t *rows,
                         int64_t nrows, const int64_t cols[4], int64_t o, int64_t plane) {
#define RUNS(X) X(0) X(1) X(2) X(3)
#define ZERO(v)                                                                                    \
    __m512 a0##v = _mm512_setzero_ps(), a1##v = _mm512_setzero_ps(), a2##v = _mm512_setzero_ps(),  \
           b0##v = _mm512_setzero_ps(), b1##v = _mm512_setzero_ps(), b2##v = _mm512_setzero_ps();  \
    const float *s##v = d[v];                                                                      \
    const __mmask16 m##v = (__mmask16)((1u << width[v]) - 1);
#define FMA(v, q, acc)                                                                             \
    {                                                                                              \
        __m512 x = _mm512_maskz_loadu_ps(m##v, p##v + c##q);                                       \
        acc##0##v = _mm512_fmadd_ps(w0, x, acc##0##v);                                             \
        acc##1##v = _mm512_fmadd_ps(w1, x, acc##1##v);                                             \
        acc##2##v = _mm512_fmadd_ps(w2, x, acc##2##v);                                             \
    }
#define PTR(v) const float *p##v = s##v + rows[t];
#define COL(q, acc)                                                                                \
    {                                                                                              \
        __m512 w0 = _mm512_set1_ps(pk[3 * (q)]), w1 = _mm512_set1_ps(pk[3 * (q) + 1]);             \
        __m512 w2 = _mm512_set1_ps(pk[3 * (q) + 2]);                                               \
        RUNS_FMA(q, acc)                                                                           \
    }
#define RUNS_FMA(q, acc) FMA(0, q, acc) FMA(1, q, acc) FMA(2, q, acc) FMA(3, q, acc)
#define NEXT(v) s##v += plane;
    RUNS(ZERO)
    const int64_t c0 = cols[0], c1 = cols[1], c2 = cols[2], c3 = cols[3];
    const float *pk = packed;
    for (int64_t oc = 0; oc < o; oc++) {
        for (int64_t t = 0; t < nrows; t++, pk += 12) {
            RUNS(PTR)
            COL(0, a) COL(1, a) COL(2, b) COL(3, b)
        }
        RUNS(NEXT)
    }
    // interleave the column phases: dx columns 2j + rw
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi =
        _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
#define OUT1(v, c)                                                                                 \
    {                                                                                              \
        float *r = dx[v] + (c)*hw;                                                                 \
        _mm512_mask_storeu_ps(r, ml,                                                               \
                              _mm512_add_ps(_mm512_maskz_loadu_ps(ml, r),                          \
                                            _mm512_permutex2var_ps(a##c##v, lo, b##c##v)));        \
        _mm512_mask_storeu_ps(r + 16, mh,                                                          \
                              _mm512_add_ps(_mm512_maskz_loadu_ps(mh, r + 16),                     \
                                            _mm512_permutex2var_ps(a##c##v, hi, b##c##v)));        \
    }
#define OUT(v)                                                                                     \
    if (width[v]) {                                                                                \
        int n = 2 * width[v];                                                                      \
        __mmask16 ml = lanes(n), mh = lanes(n - 16);                                               \
        OUT1(v, 0) OUT1(v, 1) OUT1(v, 2)                                                           \
    }
    RUNS(OUT)
#undef RUNS
#undef ZERO
#undef FMA
#undef PTR
#undef COL
#undef RUNS_FMA
#undef NEXT
#undef OUT1
#undef OUT
}

static int64_t min64(int64_t a, int64_t b) {
    return a < b ? a : b;
}

// dx of images [n0, n0+nb) by stride phases; packed from pack_phase_weights
static void input_phase_images(float *dx, const float *dout, const float *packed, int64_t n0,
                               int64_t nb, const jepa_conv_geom *g, const conv_plan *pl,
                               const int64_t cols[4], float *mine) {
    float *dp = mine; // one image's dout framed by zeros (O, PH, PW)
    int64_t plane = pl->ph * pl->pw, hw = g->h * g->w, runs_row = ceil_div(g->w / 2, 16);
    int64_t runs = g->h / 2 * runs_row, nrows = g->kh / 2;
    int64_t rows[2][32];
    for (int64_t rh = 0; rh < 2; rh++)
        for (int64_t t = 0; t < nrows; t++) {
            int64_t kh = (rh + g->pad_h) % 2 + 2 * t;
            rows[rh][t] = phase_delta(rh, g->pad_h, kh, 2) * pl->pw;
        }
    // the frame: dout row oh = pr + dh_min, column ow = pc + dw_min; its rows [r0, r1) and
    // columns [q0, q1) hold dout, the rest zeros (written once: the images overwrite the inside)
    int64_t r0 = max64(0, pl->dh_min), r1 = min64(g->oh, pl->ph + pl->dh_min);
    int64_t q0 = max64(0, pl->dw_min), q1 = min64(g->ow, pl->pw + pl->dw_min), n = q1 - q0;
    for (int64_t pr = 0; pr < g->o * pl->ph; pr++) {
        int64_t oh = pr % pl->ph + pl->dh_min;
        float *row = dp + pr * pl->pw;
        if (oh < r0 || oh >= r1) {
            memset(row, 0, sizeof(float) * (size_t)pl->pw);
            continue;
        }
        memset(row, 0, sizeof(float) * (size_t)(q0 - pl->dw_min));
        memset(row + q1 - pl->dw_min, 0, sizeof(float) * (size_t)(pl->pw - q1 + pl->dw_min));
    }
    int64_t lines = g->o * g->oh * g->ow / 16, calls = 2 * ceil_div(runs, PV);
    int64_t per_call = ceil_div(lines, calls);
    for (int64_t img = n0; img < n0 + nb; img++) {
        const float *src = dout + img * g->o * g->oh * g->ow;
        __mmask16 tail = (__mmask16)((1u << (n % 16)) - 1);
        for (int64_t oc = 0; oc < g->o; oc++)
            for (int64_t oh = r0; oh < r1; oh++) {
                float *d = dp + oc * plane + (oh - pl->dh_min) * pl->pw + q0 - pl->dw_min;
                if (g->out_nhwc) { // a channel's row lies O apart
                    const float *sr = src + (oh * g->ow + q0) * g->o + oc;
                    for (int64_t j = 0; j < n; j++) d[j] = sr[j * g->o];
                    continue;
                }
                const float *sr = src + (oc * g->oh + oh) * g->ow + q0;
                int64_t j = 0;
                for (; j + 16 <= n; j += 16) _mm512_storeu_ps(d + j, _mm512_loadu_ps(sr + j));
                if (tail) _mm512_mask_storeu_ps(d + j, tail, _mm512_maskz_loadu_ps(tail, sr + j));
            }
        // the next image's dout comes into the cache while this one is computed
        const char *next = img + 1 < n0 + nb ? (const char *)(src + g->o * g->oh * g->ow) : NULL;
        int64_t line = 0;
        float *dxi = dx + img * 3 * hw;
        for (int64_t rh = 0; rh < 2; rh++)
            for (int64_t v0 = 0; v0 < runs; v0 += PV) {
                float *to[PV];
                const float *from[PV];
                int width[PV];
                for (int v = 0; v < PV; v++) {
                    int64_t run = v0 + v < runs ? v0 + v : runs - 1;
                    int64_t a = run / runs_row, b = run % runs_row * 16;
                    to[v] = dxi + (2 * a + rh) * g->w + 2 * b;
                    width[v] = v0 + v < runs ? (int)min64(16, g->w / 2 - b) : 0;
                    from[v] = dp + (a - pl->dh_min) * pl->pw + b - pl->dw_min;
                }
                for (int64_t e = 0; next && e < per_call && line < lines; e++, line++)
                    _mm_prefetch(next + 64 * line, _MM_HINT_T1);
                phase_kernel(to, width, hw, from, packed + rh * g->o * nrows * 12, rows[rh], nrows,
                             cols, g->o, plane);
            }
    }
}
#undef PV
#endif

// ---- weight gradient ----

// d[pix][j] = s[j][pix] for j < width, 0 for width <= j < NR: one image's dout (width, P)
// made NR channels wide
static void pack_dout(float *d, const float *s, int64_t width, int64_t p) {
#if defined(__AVX512F__)
    if (width == NR && p % 16 == 0) {
        for (int64_t half = 0; half < NR; half += 16)
            for (int64_t p0 = 0; p0 < p; p0 += 16)
                transpose16(d + p0 * NR + half, NR, s + half * p + p0, p, 0);
        return;
    }
#endif
    for (int64_t j = 0; j < NR; j++)
        if (j < width)
            for (int64_t pix = 0; pix < p; pix++) d[pix * NR + j] = s[j * p + pix];
        else
            for (int64_t pix = 0; pix < p; pix++) d[pix * NR + j] = 0.0f;
}

// the images [n0, n0+nb) of dout packed NR channels wide, where the weight and input gradients
// read it: dyt[ob][img*P + pix][j] = dout[n0 + img][ob*NR + j][pix] (0 past O)
static void pack_douts(float *dyt, const float *dout, int64_t n0, int64_t nb,
                       const jepa_conv_geom *g, const conv_plan *pl) {
    int64_t pixels = nb * pl->p;
    for (int64_t ob = 0; ob < pl->oblocks; ob++) {
        int64_t width = block_width(g->o, ob);
        if (g->out_nhwc) { // a row of width floats per pixel
            for (int64_t pix = 0; pix < pixels; pix++) {
                float *d = dyt + (ob * pixels + pix) * NR;
                const float *src = dout + (n0 * pl->p + pix) * g->o + ob * NR;
#if defined(__AVX512F__)
                _mm512_storeu_ps(d, _mm512_maskz_loadu_ps(lanes(width), src));
                _mm512_storeu_ps(d + 16, _mm512_maskz_loadu_ps(lanes(width - 16), src + 16));
#else
                memcpy(d, src, sizeof(float) * (size_t)width);
                memset(d + width, 0, sizeof(float) * (size_t)(NR - width));
#endif
            }
            continue;
        }
        for (int64_t img = 0; img < nb; img++)
            pack_dout(dyt + (ob * pixels + img * pl->p) * NR,
                      dout + ((n0 + img) * g->o + ob * NR) * pl->p, width, pl->p);
    }
}

// the weight-gradient tiles acc[ob][kt][MR][NR] (+)= the images [n0, n0+nb) (= when not
// accumulate): rows are weight taps (c, kh, kw), the reduction runs over output pixels, dout
// packed by pack_douts
static void weight_grad_images(float *acc, int accumulate, const float *x, int64_t n0,
                               int64_t nb, const jepa_conv_geom *g, const conv_plan *pl,
                               float *mine) {
    float *xp = mine, *dyt = mine + pl->pad_floats;
    int64_t *tap_src = (int64_t *)(mine + pl->pad_floats + pl->dout_floats);
    int64_t *tap_w = tap_src + nb * g->oh;
    pad_copy(xp, x + n0 * g->c * g->h * g->w, nb * g->c, g->h, g->w, g->pad_h, g->pad_w, pl->hp,
             pl->wp);
    int64_t pixels = nb * pl->p;
    // one tap per (image, output row): the row's pixels are the reduction
    for (int64_t img = 0; img < nb; img++)
        for (int64_t oh = 0; oh < g->oh; oh++) {
            tap_src[img * g->oh + oh] = img * pl->in_image + oh * g->stride_h * pl->wp;
            tap_w[img * g->oh + oh] = (img * pl->p + oh * g->ow) * NR;
        }
    int64_t off[MR];
    for (int64_t kt = 0; kt < pl->ktiles; kt++) {
        for (int i = 0; i < MR; i++) {
            int64_t k = kt * MR + i < pl->k ? kt * MR + i : pl->k - 1;
            int64_t c = k / pl->taps, kh = k % pl->taps / g->kw, kw = k % g->kw;
            off[i] = c * pl->hp * pl->wp + kh * pl->wp + kw;
        }
        int rows = pl->k - kt * MR < MR ? (int)(pl->k - kt * MR) : MR;
        for (int64_t ob = 0; ob < pl->oblocks; ob++)
            tile_kernel(acc + (ob * pl->ktiles + kt) * MR * NR, rows, block_width(g->o, ob),
                        accumulate, xp, off, tap_src, tap_w, nb * g->oh, g->ow, g->stride_w,
                        dyt + ob * pixels * NR, NR);
    }
}

// the weight-gradient tiles by output channels: acc[kt][ot][cb][MR][NR] (+)= the images [n0,
// n0+nb) (as above), one kernel tap kt at a time: rows are output channels, columns NR input
// channels, the reduction runs over output pixels (dout read in place, x padded channels last:
// copied, or for NCHW x transposed)
static void weight_grad_nhwc_images(float *acc, int accumulate, const float *x,
                                    const float *dout, int64_t n0, int64_t nb,
                                    const jepa_conv_geom *g, const conv_plan *pl, float *mine) {
    float *xp = mine;
    int64_t *tap_src = (int64_t *)(mine + pl->pad_floats + pl->dout_floats);
    int64_t *tap_w = tap_src + nb * g->oh;
    int64_t c = g->c, prow = pl->wp * c, image = pl->hp * prow;
    // xp[img][y][x][ch]: x framed by zeros (only the frame is zeroed), then NR zeros for the
    // last block's loads
    int64_t left = g->pad_w * c, inner = g->w * c, right = prow - left - inner;
    for (int64_t img = 0; img < nb; img++) {
        float *xi = xp + img * image;
        memset(xi, 0, sizeof(float) * (size_t)(g->pad_h * prow));
        for (int64_t y = 0; y < g->h; y++) {
            float *row = xi + (y + g->pad_h) * prow;
            memset(row, 0, sizeof(float) * (size_t)left);
            if (g->x_nhwc) {
                memcpy(row + left, x + ((n0 + img) * g->h + y) * inner,
                       sizeof(float) * (size_t)inner);
            } else { // column j of channel ch to row[left + j * C + ch]
                const float *plane = x + ((n0 + img) * c * g->h + y) * g->w;
                for (int64_t ch = 0; ch < c; ch++)
                    for (int64_t j = 0; j < g->w; j++)
                        row[left + j * c + ch] = plane[ch * g->h * g->w + j];
            }
            memset(row + left + inner, 0, sizeof(float) * (size_t)right);
        }
        int64_t below = g->pad_h + g->h;
        memset(xi + below * prow, 0, sizeof(float) * (size_t)((pl->hp - below) * prow));
    }
    memset(xp + nb * image, 0, sizeof(float) * NR);
    // one tap per (image, output row): the row's pixels are the reduction; output channel o of
    // a dout pixel lies at o (channels last) or o * P (NCHW) from the pixel
    int64_t ostep = g->out_nhwc ? 1 : pl->p, rstride = g->out_nhwc ? g->o : 1;
    for (int64_t img = 0; img < nb; img++)
        for (int64_t oh = 0; oh < g->oh; oh++) {
            tap_src[img * g->oh + oh] = g->out_nhwc ? ((n0 + img) * pl->p + oh * g->ow) * g->o
                                                    : (n0 + img) * g->o * pl->p + oh * g->ow;
            tap_w[img * g->oh + oh] = img * image + oh * g->stride_h * prow;
        }
    int64_t off[MR];
    for (int64_t ot = 0; ot < pl->mtiles; ot++) {
        int rows = g->o - ot * MR < MR ? (int)(g->o - ot * MR) : MR;
        for (int i = 0; i < MR; i++) off[i] = (ot * MR + (i < rows ? i : rows - 1)) * ostep;
        for (int64_t kt = 0; kt < pl->taps; kt++) {
            const float *w = xp + kt / g->kw * prow + kt % g->kw * c;
            for (int64_t cb = 0; cb < pl->cblocks; cb++)
                tile_kernel(acc + ((kt * pl->mtiles + ot) * pl->cblocks + cb) * MR * NR, rows,
                            block_width(g->c, cb), accumulate, dout, off, tap_src, tap_w,
                            nb * g->oh, g->ow, rstride, w + cb * NR, g->stride_w * c);
        }
    }
}

void jepa_conv2d_backward(float *dx, int dx_assign, float *dw, const float *dout, const float *x,
                          const float *w, const jepa_conv_geom *g, float *work) {
    if (!dx && !dw) return;
    conv_plan pl = plan_make(g);
#if defined(__AVX512F__)
    // the phase path: kernel columns by column phase, and the dout column each one reads
    int64_t kws[4], cols[4];
    for (int q = 0; q < 4; q++) {
        int64_t rw = q / 2;
        kws[q] = (rw + g->pad_w) % 2 + 2 * (q % 2);
        cols[q] = phase_delta(rw, g->pad_w, kws[q], 2);
    }
    if (dx && pl.phase_input)
        pack_phase_weights(work, w, g, kws);
    else
#endif
        if (dx && pl.narrow_input)
        pack_narrow_input_weights(work, w, g, &pl);
    else if (dx)
        pack_input_weights(work, w, g, &pl);
        // one slice (a range of images, its own workspace and dw tiles) per thread; a loop, so
        // that every slice runs even when the runtime gives fewer threads (nested regions)
#pragma omp parallel for num_threads(pl.threads) schedule(static)
    for (int t = 0; t < pl.threads; t++) {
        float *mine = work + pl.packed + t * pl.thread_floats;
        float *acc = mine + pl.pad_floats + pl.dout_floats + pl.tap_floats;
        int64_t first = t * pl.per_thread, last = first + pl.per_thread;
        if (last > g->n) last = g->n;
        // the first sub-batch writes the dw tiles, the others add to them
        if (dw && first >= last) memset(acc, 0, sizeof(float) * (size_t)pl.acc_floats);
        for (int64_t n0 = first; n0 < last; n0 += pl.sub) {
            int64_t nb = last - n0 < pl.sub ? last - n0 : pl.sub;
            int tiled_input = dx && !pl.phase_input && !pl.narrow_input;
            if ((dw && !pl.dw_nhwc) || tiled_input)
                pack_douts(mine + pl.pad_floats, dout, n0, nb, g, &pl);
            if (dw && pl.dw_nhwc)
                weight_grad_nhwc_images(acc, n0 > first, x, dout, n0, nb, g, &pl, mine);
            else if (dw)
                weight_grad_images(acc, n0 > first, x, n0, nb, g, &pl, mine);
            // the phase and column paths add into dx: an overwritten dx starts from zeros
            int64_t image = g->c * g->h * g->w;
            if (dx && dx_assign && (pl.phase_input || pl.narrow_input))
                memset(dx + n0 * image, 0, sizeof(float) * (size_t)(nb * image));
#if defined(__AVX512F__)
            if (dx && pl.phase_input)
                input_phase_images(dx, dout, work, n0, nb, g, &pl, cols, mine);
            else
#endif
                if (dx && pl.narrow_input)
                input_narrow_images(dx, dout, work, n0, nb, g, &pl);
            else if (dx)
                input_grad_images(dx, dx_assign, work, n0, nb, g, &pl, mine);
        }
    }
    if (!dw) return;
    // dw += the slices' tiles, in slice order (the same sums whatever the schedule), the threads
    // taking ranges of output channels
#pragma omp parallel for num_threads(pl.threads) schedule(static)
    for (int64_t o = 0; o < g->o; o++)
        for (int t = 0; t < pl.threads; t++) {
            const float *acc = work + pl.packed + t * pl.thread_floats + pl.pad_floats +
                               pl.dout_floats + pl.tap_floats;
            if (!pl.dw_nhwc) {
                const float *a = acc + (o / NR) * pl.ktiles * MR * NR + o % NR;
                float *d = dw + o * pl.k;
                for (int64_t k = 0; k < pl.k; k++) d[k] += a[k * NR];
                continue;
            }
            for (int64_t c = 0; c < g->c; c++) {
                float *d = dw + (o * g->c + c) * pl.taps;
                const float *a =
                    acc + (o / MR * pl.cblocks + c / NR) * MR * NR + o % MR * NR + c % NR;
                for (int64_t kt = 0; kt < pl.taps; kt++)
                    d[kt] += a[kt * pl.mtiles * pl.cblocks * MR * NR];
            }
        }
}
