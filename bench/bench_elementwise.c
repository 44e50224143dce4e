// Elementwise, reduction, activation and loss kernels: optimized against naive, in GB/s of
// memory traffic (these kernels are bound by memory, not arithmetic), on BM-1 sized tensors, and
// activations on small tensors too (below the size that goes to threads, as a planning batch's:
// these must stay vectorized).
#include <stdio.h>
#include <stdlib.h>

#include "jepa/rng.h"
#include "jepa/threads.h"
#include "jepa/timer.h"
#include "tensor/elementwise.h"

// conv1 of BM-1 at batch 64: (64, 32, 32, 32)
#define N0 64
#define C0 32
#define HW 1024
#define NUMEL ((int64_t)N0 * C0 * HW)
// a small tensor: 96 rows of 128, as a planner's batch of lewm tokens; SMALL_CALLS calls a run
#define SMALL ((int64_t)96 * 128)
#define SMALL_CALLS (NUMEL / SMALL)

static float *x, *y, *z, *bias;

typedef void (*kernel_fn)(int ref);

static void run_add(int ref) {
    int64_t shape[1] = {NUMEL}, s[1] = {1};
    (ref ? jepa_binary_kernel_ref : jepa_binary_kernel)(JEPA_BINARY_ADD, z, x, s, y, s, 1, shape);
}
static void run_bias(int ref) {
    int64_t shape[3] = {N0, C0, HW}, sx[3] = {C0 * HW, HW, 1}, sb[3] = {0, 1, 0};
    (ref ? jepa_binary_kernel_ref : jepa_binary_kernel)(JEPA_BINARY_ADD, z, x, sx, bias, sb, 3,
                                                        shape);
}
static void run_bias_grad(int ref) {
    int64_t shape[3] = {N0, C0, HW};
    (ref ? jepa_reduce_sum_kernel_ref : jepa_reduce_sum_kernel)(bias, x, 3, shape, 5u, 1.0);
}
static void run_relu(int ref) {
    (ref ? jepa_unary_kernel_ref : jepa_unary_kernel)(JEPA_UNARY_RELU, z, x, NUMEL, 0.0f);
}
static void run_gelu(int ref) {
    (ref ? jepa_unary_kernel_ref : jepa_unary_kernel)(JEPA_UNARY_GELU, z, x, NUMEL, 0.0f);
}
static void run_small(int ref, jepa_unary_kind kind) {
    for (int64_t i = 0; i < SMALL_CALLS; i++)
        (ref ? jepa_unary_kernel_ref : jepa_unary_kernel)(kind, z + i * SMALL, x + i * SMALL, SMALL,
                                                          0.0f);
}
static void run_gelu_small(int ref) { run_small(ref, JEPA_UNARY_GELU); }
static void run_silu_small(int ref) { run_small(ref, JEPA_UNARY_SILU); }
static void run_gelu_backward(int ref) {
    (ref ? jepa_unary_backward_kernel_ref : jepa_unary_backward_kernel)(JEPA_UNARY_GELU, z, y, x, x,
                                                                        NUMEL, 0.0f);
}
static void run_sum_rows(int ref) {
    int64_t shape[2] = {NUMEL / 256, 256};
    (ref ? jepa_reduce_sum_kernel_ref : jepa_reduce_sum_kernel)(z, x, 2, shape, 2u, 1.0);
}
static void run_softmax(int ref) {
    (ref ? jepa_softmax_kernel_ref : jepa_softmax_kernel)(z, x, NUMEL / 128, 128, 1, 0);
}
static void run_softmax_backward(int ref) {
    (ref ? jepa_softmax_backward_kernel_ref : jepa_softmax_backward_kernel)(z, y, x, NUMEL / 128,
                                                                            128, 1, 0);
}
static void run_mse(int ref) {
    volatile double s =
        (ref ? jepa_loss_kernel_ref : jepa_loss_kernel)(JEPA_LOSS_MSE, x, y, NUMEL, 0.0f);
    (void)s;
}
static void run_dropout(int ref) {
    (ref ? jepa_dropout_kernel_ref : jepa_dropout_kernel)(z, x, NUMEL, 0.1f, 1, 2, 1.0f);
}

// seconds per call: the best of a few
static double time_it(kernel_fn f, int ref) {
    double best = 1e30;
    for (int r = 0; r < (ref ? 2 : 5); r++) {
        double t0 = jepa_time_now();
        f(ref);
        double t = jepa_time_now() - t0;
        best = t < best ? t : best;
    }
    return best;
}

int main(void) {
    x = malloc(sizeof(float) * NUMEL);
    y = malloc(sizeof(float) * NUMEL);
    z = malloc(sizeof(float) * NUMEL);
    bias = malloc(sizeof(float) * C0);
    jepa_rng rng;
    jepa_rng_init(&rng, 1, 0);
    jepa_rng_fill_uniform(&rng, x, NUMEL, -2, 2);
    jepa_rng_fill_uniform(&rng, y, NUMEL, -2, 2);
    jepa_rng_fill_uniform(&rng, bias, C0, -1, 1);
    struct {
        const char *name;
        kernel_fn f;
        int arrays; // tensors of NUMEL floats read or written per call
    } cases[] = {{"add same shape", run_add, 3},
                 {"bias_add NCHW", run_bias, 2},
                 {"bias grad (sum N,HW)", run_bias_grad, 1},
                 {"relu", run_relu, 2},
                 {"gelu (erf)", run_gelu, 2},
                 {"gelu backward", run_gelu_backward, 4},
                 {"gelu, 12288 at a time", run_gelu_small, 2},
                 {"silu, 12288 at a time", run_silu_small, 2},
                 {"sum rows of 256", run_sum_rows, 1},
                 {"softmax rows of 128", run_softmax, 2},
                 {"softmax backward", run_softmax_backward, 4},
                 {"mse loss", run_mse, 2},
                 {"dropout", run_dropout, 3}};
    printf("%d x %d x %d x %d floats (%.1f MB); GB/s counts each tensor read or written once\n", N0,
           C0, 32, 32, NUMEL * 4 / 1e6);
    for (int threads = 1; threads <= 2; threads++) {
        jepa_threads_set(threads);
        printf("-- %d thread%s\n%-22s %10s %8s %10s %8s\n", threads, threads > 1 ? "s" : "",
               "kernel", "opt ms", "GB/s", "naive ms", "speedup");
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            double t = time_it(cases[c].f, 0), tr = time_it(cases[c].f, 1);
            double bytes = (double)cases[c].arrays * NUMEL * 4;
            printf("%-22s %10.2f %8.1f %10.2f %7.1fx\n", cases[c].name, t * 1e3, bytes / t / 1e9,
                   tr * 1e3, tr / t);
        }
    }
    free(x);
    free(y);
    free(z);
    free(bias);
    return 0;
}
