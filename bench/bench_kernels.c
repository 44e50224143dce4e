// Kernel benchmark: GEMM, the BM-1 conv layers and the keypoint autoencoder's, in GFLOPS and in
// % of the fp32 FMA peak that this program measures itself, on 1 and 2 threads. Each figure is
// the best of several runs (the machine is shared, so the best run is the least disturbed one).
//
//   build/bench/bench_kernels            all
//   build/bench/bench_kernels conv       only BM-1's conv layers (likewise gemm, and keypoints:
//                                        the keypoint autoencoder's conv layers)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jepa.h"

#include "bench_peak.h"

// ---- timing ----

typedef void (*bench_fn)(void *user);

// best time of one call, over at least 3 runs and about `budget` seconds, after one warm-up
static double best_time(bench_fn fn, void *user, double budget) {
    fn(user);
    double best = 1e30, start = jepa_time_now();
    for (int rep = 0; rep < 3 || (jepa_time_now() - start < budget && rep < 200); rep++) {
        double t0 = jepa_time_now();
        fn(user);
        double t = jepa_time_now() - t0;
        if (t < best) best = t;
    }
    return best;
}

static void print_header(void) {
    printf("%-34s %7s %10s %9s %8s\n", "kernel / shape", "threads", "ms", "GFLOPS", "% peak");
}

static void print_row(const char *name, int threads, double seconds, double flops, double peak) {
    double gflops = flops / seconds * 1e-9;
    printf("%-34s %7d %10.3f %9.1f %7.1f%%\n", name, threads, seconds * 1e3, gflops,
           100.0 * flops / seconds / peak);
}

static float *random_floats(int64_t n, uint64_t seed) {
    float *p = malloc(sizeof(float) * (size_t)n);
    jepa_rng rng;
    jepa_rng_init(&rng, seed, 0);
    jepa_rng_fill_uniform(&rng, p, n, -1.0f, 1.0f);
    return p;
}

// ---- GEMM ----

typedef struct {
    int64_t m, n, k;
    int trans_b;
    float *a, *b, *c;
} gemm_case;

static void run_gemm(void *user) {
    gemm_case *g = user;
    jepa_sgemm(0, g->trans_b, g->m, g->n, g->k, 1.0f, g->a, g->k, g->b, g->trans_b ? g->k : g->n,
               0.0f, g->c, g->n);
}

static void bench_gemm(int threads, double peak) {
    // square shapes, then BM-1's layers as out (B,OUT) = x (B,IN) @ W^T (IN,OUT)
    struct {
        const char *name;
        int64_t m, n, k;
        int trans_b;
    } cases[] = {
        {"sgemm 64^3", 64, 64, 64, 0},
        {"sgemm 128^3", 128, 128, 128, 0},
        {"sgemm 256^3", 256, 256, 256, 0},
        {"sgemm 512^3", 512, 512, 512, 0},
        {"sgemm 1024^3", 1024, 1024, 1024, 0},
        {"linear 2048->256 B=64", 64, 256, 2048, 1},
        {"linear 2048->256 B=320", 320, 256, 2048, 1},
        {"pred 258->512 B=64", 64, 512, 258, 1},
        {"pred 258->512 B=320", 320, 512, 258, 1},
        {"pred 512->512 B=64", 64, 512, 512, 1},
        {"pred 512->512 B=320", 320, 512, 512, 1},
        {"pred 512->256 B=64", 64, 256, 512, 1},
        {"pred 512->256 B=320", 320, 256, 512, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gemm_case g = {cases[i].m, cases[i].n, cases[i].k, cases[i].trans_b, NULL, NULL, NULL};
        g.a = random_floats(g.m * g.k, 1);
        g.b = random_floats(g.k * g.n, 2);
        g.c = random_floats(g.m * g.n, 3);
        double t = best_time(run_gemm, &g, 0.3);
        print_row(cases[i].name, threads, t, 2.0 * (double)(g.m * g.n * g.k), peak);
        free(g.a);
        free(g.b);
        free(g.c);
    }
}

// ---- conv ----

typedef struct {
    jepa_conv_geom g;
    float *x, *w, *y, *dx, *dw, *work;
    int pass; // 0 forward, 1 backward (dx and dw), 2 dx only, 3 dw only
} conv_case;

static void run_conv(void *user) {
    conv_case *c = user;
    switch (c->pass) {
    case 0:
        jepa_conv2d_forward(c->y, c->x, c->w, NULL, &c->g, c->work);
        break;
    case 1: // dx written over, as training does with a gradient not yet written
        jepa_conv2d_backward(c->dx, 1, c->dw, c->y, c->x, c->w, &c->g, c->work);
        break;
    case 2:
        jepa_conv2d_backward(c->dx, 1, NULL, c->y, c->x, c->w, &c->g, c->work);
        break;
    default:
        jepa_conv2d_backward(NULL, 0, c->dw, c->y, c->x, c->w, &c->g, c->work);
        break;
    }
}

#define BENCH_BATCH 64

// a conv layer of a benchmarked network: input channels, output channels, input size, kernel,
// stride, layouts, and whether training needs its input gradient (not the first layer's)
typedef struct {
    int64_t c, o, size, k, stride;
    int x_nhwc, out_nhwc, needs_dx;
} conv_layer;

// BM-1's encoder: 4x4 kernels, stride 2, pad 1, 64x64 input, channels last between the layers
static const conv_layer bm1_layers[] = {
    {3, 32, 64, 4, 2, 0, 1, 0},
    {32, 64, 32, 4, 2, 1, 1, 1},
    {64, 128, 16, 4, 2, 1, 1, 1},
    {128, 128, 8, 4, 2, 1, 0, 1},
};
// the keypoint autoencoder (configs/pusht_keypoints.json): the encoder (5x5 stride 2, 3x3, 3x3
// to 16 keypoint maps) and the decoder (three 5x5 from the 16 Gaussian maps to 3 channels at
// 32x32), NCHW, as jepa train runs it
static const conv_layer keypoint_layers[] = {
    {3, 32, 64, 5, 2, 0, 0, 0}, {32, 32, 32, 3, 1, 0, 0, 1}, {32, 16, 32, 3, 1, 0, 0, 1},
    {16, 32, 32, 5, 1, 0, 0, 1}, {32, 32, 32, 5, 1, 0, 0, 1}, {32, 3, 32, 5, 1, 0, 0, 1},
};

#define LAYERS(a) ((int)(sizeof(a) / sizeof((a)[0])))

// each layer's passes; totals[0..1]: seconds and FLOPs of every forward and backward (dx + dw);
// totals[2..3]: as in training, where the first layer's input (the frames) needs no gradient
static void bench_conv(const char *net, const conv_layer *layers, int n_layers, int threads,
                       double peak, double *totals) {
    const char *pass_names[4] = {"fwd", "bwd", "bwd-dx", "bwd-dw"};
    for (int layer = 0; layer < n_layers; layer++) {
        const conv_layer *l = &layers[layer];
        conv_case c;
        int64_t pad = l->k % 2 ? l->k / 2 : l->k / 2 - 1; // 5x5: 2, 3x3: 1, BM-1's 4x4: 1
        c.g = jepa_conv_geom_make(BENCH_BATCH, l->c, l->size, l->size, l->o, l->k, l->k,
                                  l->stride, l->stride, pad, pad);
        c.g.x_nhwc = l->x_nhwc;
        c.g.out_nhwc = l->out_nhwc;
        int64_t nx = c.g.n * c.g.c * c.g.h * c.g.w, nw = c.g.o * c.g.c * l->k * l->k;
        int64_t ny = c.g.n * c.g.o * c.g.oh * c.g.ow;
        c.x = random_floats(nx, 4);
        c.w = random_floats(nw, 5);
        c.y = random_floats(ny, 6);
        c.dx = random_floats(nx, 7);
        c.dw = random_floats(nw, 8);
        c.work = malloc(sizeof(float) * (size_t)jepa_conv2d_workspace_floats(&c.g));
        double flops = 2.0 * (double)(c.g.n * c.g.o * c.g.c * l->k * l->k * c.g.oh * c.g.ow);
        for (int pass = 0; pass < 4; pass++) {
            c.pass = pass;
            double t = best_time(run_conv, &c, 0.5);
            double f = pass == 1 ? 2.0 * flops : flops;
            char name[64];
            snprintf(name, sizeof name, "%s%d %lld->%lld %lldx%lld k%lld %s", net, layer + 1,
                     (long long)l->c, (long long)l->o, (long long)l->size, (long long)l->size,
                     (long long)l->k, pass_names[pass]);
            print_row(name, threads, t, f, peak);
            if (pass <= 1) {
                totals[0] += t;
                totals[1] += f;
            }
            if (pass == 0 || (l->needs_dx ? pass == 1 : pass == 3)) {
                totals[2] += t;
                totals[3] += f;
            }
        }
        free(c.x);
        free(c.w);
        free(c.y);
        free(c.dx);
        free(c.dw);
        free(c.work);
    }
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : "";
    int do_gemm = !*only || !strcmp(only, "gemm"), do_conv = !*only || !strcmp(only, "conv");
    int do_keypoints = !*only || !strcmp(only, "keypoints");
    printf("bench_kernels: best of several runs; conv at batch %d frames (channels last between\n"
           "the layers, as BM-1 trains; the keypoint autoencoder's kp layers NCHW), GFLOPS\n"
           "counted as 2*N*O*C*KH*KW*OH*OW per pass (bwd = dx + dw = 2 passes)\n",
           BENCH_BATCH);
    double peak1 = 0.0;
    for (int threads = 1; threads <= 2; threads++) {
        jepa_threads_set(threads);
        double peak = measure_peak(threads);
        printf("\n-- %d thread%s: measured fp32 FMA peak %.1f GFLOPS\n", threads,
               threads > 1 ? "s" : "", peak * 1e-9);
        if (threads == 1) peak1 = peak;
        // the other helpers' work can hold a core: then the cores' sum is the honest peak
        if (peak < 0.9 * threads * peak1) {
            peak = threads * peak1;
            printf("   (a core was busy while measuring: %% of %d x the 1-thread peak = %.1f)\n",
                   threads, peak * 1e-9);
        }
        print_header();
        if (do_gemm) bench_gemm(threads, peak);
        if (do_conv) {
            double totals[4] = {0.0, 0.0, 0.0, 0.0};
            bench_conv("conv", bm1_layers, LAYERS(bm1_layers), threads, peak, totals);
            print_row("conv1-4 fwd+bwd total", threads, totals[0], totals[1], peak);
            print_row("conv1-4 as trained (no conv1 dx)", threads, totals[2], totals[3], peak);
        }
        if (do_keypoints) {
            double totals[4] = {0.0, 0.0, 0.0, 0.0};
            bench_conv("kp", keypoint_layers, LAYERS(keypoint_layers), threads, peak, totals);
            print_row("kp1-6 as trained (no kp1 dx)", threads, totals[2], totals[3], peak);
        }
    }
    return 0;
}
