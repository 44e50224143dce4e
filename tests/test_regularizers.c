// Regularizers and collapse monitors: values and gradients against PyTorch / numpy
// (tests/ref/regularizers.safetensors from tools/gen_regularizer_reference.py), gradients
// against finite differences, the fused Epps-Pulley kernels against their naive twins, the
// Jacobi solver against a matrix with known eigenvalues, and sanity properties.
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define REF_PATH "tests/ref/regularizers.safetensors"

static jepa_safetensors ref;
static int have_ref;

// a malloc'd float copy of reference tensor name, which must hold n elements (NULL: a failure)
static float *ref_floats(const char *name, int64_t n) {
    const jepa_st_tensor *t = have_ref ? jepa_st_find(&ref, name) : NULL;
    char err[256];
    int64_t numel = 1;
    for (int i = 0; t && i < t->ndim; i++) numel *= t->shape[i];
    CHECK(t != NULL && numel == n);
    if (!t || numel != n) {
        fprintf(stderr, "reference tensor %s missing or of the wrong size\n", name);
        return NULL;
    }
    float *out = malloc(sizeof(float) * (size_t)n);
    CHECK(jepa_st_to_f32(t, out, err, sizeof err) == JEPA_OK);
    return out;
}

// a leaf in ctx with a zeroed grad holding the reference tensor name of the given shape
static jepa_tensor *ref_leaf(jepa_ctx *ctx, const char *name, int ndim, const int64_t *shape) {
    jepa_tensor *t = jepa_new(ctx, ndim, shape);
    float *v = ref_floats(name, jepa_numel(t));
    if (!v) return NULL;
    memcpy(t->data, v, sizeof(float) * (size_t)jepa_numel(t));
    free(v);
    jepa_requires_grad(ctx, t);
    return t;
}

// the value of out and the gradient of z against the references prefix.value / prefix.grad:
// relative 1e-4 on the value, 1e-3 on the gradient (scaled by its largest entry, atol 1e-3 of
// it, so entries near 0 compare absolutely)
static void compare_ref(jepa_ctx *ctx, const char *what, jepa_tensor *out, jepa_tensor *z,
                        const char *value_name, const char *grad_name) {
    float *v = ref_floats(value_name, 1), *g = ref_floats(grad_name, jepa_numel(z));
    if (!v || !g) {
        free(v);
        free(g);
        return;
    }
    CHECK(jepa_backward(ctx, out) == JEPA_OK);
    double gmax = 0.0;
    for (int64_t i = 0; i < jepa_numel(z); i++) gmax = fmax(gmax, fabs(g[i]));
    double ev = test_compare(out->data, v, 1, 0.0, 1e-4);
    double eg = test_compare(z->grad, g, jepa_numel(z), 1e-3 * gmax, 1e-3);
    printf("reference %-22s value %.7g (torch %.7g), errors %.3f %.3f of tolerance\n", what,
           out->data[0], v[0], ev, eg);
    CHECK(ev <= 1.0);
    CHECK(eg <= 1.0);
    free(v);
    free(g);
}

static void test_against_reference(void) {
    char err[256];
    have_ref = jepa_st_open(&ref, REF_PATH, err, sizeof err) == JEPA_OK;
    CHECK(have_ref); // a missing reference file is a failure, not a skip
    if (!have_ref) {
        fprintf(stderr, "%s (run tools/gen_regularizer_reference.py)\n", err);
        return;
    }
    jepa_ctx *ctx = jepa_ctx_create(0);

    // SIGReg with the directions the reference used
    const char *cases[] = {"sigreg2", "sigreg3", "sigreg_k9"};
    for (int c = 0; c < 3; c++) {
        jepa_ctx_reset(ctx);
        char name[64], gname[64];
        snprintf(name, sizeof name, "%s.z", cases[c]);
        const jepa_st_tensor *zt = jepa_st_find(&ref, name);
        snprintf(name, sizeof name, "%s.dirs", cases[c]);
        const jepa_st_tensor *dt = jepa_st_find(&ref, name);
        CHECK(zt && dt);
        if (!zt || !dt) continue;
        snprintf(name, sizeof name, "%s.z", cases[c]);
        jepa_tensor *z = ref_leaf(ctx, name, zt->ndim, zt->shape);
        snprintf(name, sizeof name, "%s.dirs", cases[c]);
        jepa_tensor *dirs = ref_leaf(ctx, name, 2, dt->shape);
        snprintf(name, sizeof name, "%s.params", cases[c]);
        float *params = ref_floats(name, 2);
        if (!z || !dirs || !params) {
            free(params);
            continue;
        }
        jepa_tensor *out = jepa_sigreg_with_directions(ctx, z, dirs, (int)params[0], params[1]);
        CHECK(out->ndim == 0);
        snprintf(name, sizeof name, "%s.value", cases[c]);
        snprintf(gname, sizeof gname, "%s.grad", cases[c]);
        compare_ref(ctx, cases[c], out, z, name, gname);
        free(params);
    }

    // VICReg variance and covariance, (N, D) and (G, N, D)
    const char *vic[] = {"vic2", "vic3"};
    for (int c = 0; c < 2; c++) {
        char zname[64], vname[64], gname[64];
        snprintf(zname, sizeof zname, "%s.z", vic[c]);
        const jepa_st_tensor *zt = jepa_st_find(&ref, zname);
        CHECK(zt != NULL);
        if (!zt) continue;
        for (int term = 0; term < 2; term++) {
            jepa_ctx_reset(ctx);
            jepa_tensor *z = ref_leaf(ctx, zname, zt->ndim, zt->shape);
            if (!z) continue;
            const char *which = term == 0 ? "var" : "cov";
            snprintf(vname, sizeof vname, "%s.%s_value", vic[c], which);
            snprintf(gname, sizeof gname, "%s.%s_grad", vic[c], which);
            jepa_tensor *out = term == 0 ? jepa_vicreg_variance(ctx, z, 1.0f, 1e-4f)
                                         : jepa_vicreg_covariance(ctx, z);
            compare_ref(ctx, vname, out, z, vname, gname);
        }
    }

    // temporal smoothness of (B, T, D)
    jepa_ctx_reset(ctx);
    jepa_tensor *z = ref_leaf(ctx, "smooth.z", 3, (int64_t[]){3, 5, 4});
    if (z)
        compare_ref(ctx, "temporal_smoothness", jepa_temporal_smoothness(ctx, z), z, "smooth.value",
                    "smooth.grad");

    // monitors against numpy (std with ddof 1; effective rank by SVD)
    float *mz = ref_floats("monitor.z", 50 * 12), *mstd = ref_floats("monitor.std", 1),
          *mrank = ref_floats("monitor.erank", 1);
    if (mz && mstd && mrank) {
        float s = jepa_embedding_std(mz, 50, 12), r = jepa_effective_rank(mz, 50, 12);
        printf("reference monitors: std %.7g (numpy %.7g), effective rank %.7g (numpy %.7g)\n", s,
               mstd[0], r, mrank[0]);
        // both in double here and there: relative 1e-5
        CHECK_NEAR(s, mstd[0], 1e-5 * mstd[0]);
        CHECK_NEAR(r, mrank[0], 1e-5 * mrank[0]);
    }
    free(mz);
    free(mstd);
    free(mrank);
    mz = ref_floats("monitor_wide.z", 9 * 14);
    mrank = ref_floats("monitor_wide.erank", 1);
    if (mz && mrank) {
        float r = jepa_effective_rank(mz, 9, 14);
        printf("reference monitors: effective rank of 9 samples in 14-D %.7g (numpy %.7g)\n", r,
               mrank[0]);
        CHECK_NEAR(r, mrank[0], 1e-5 * mrank[0]);
    }
    free(mz);
    free(mrank);
    jepa_ctx_free(ctx);
    jepa_st_close(&ref);
}

// ---- gradients against finite differences ----

typedef struct {
    int n_points;
    float t_max;
} ep_args;

static jepa_tensor *build_sigreg(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    ep_args *a = user;
    return jepa_sigreg_with_directions(ctx, in[0], in[1], a->n_points, a->t_max);
}

// LeWM's call: the (B, T, D) embeddings transposed to (T, B, D), a view
static jepa_tensor *build_sigreg_transposed(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    ep_args *a = user;
    return jepa_sigreg_with_directions(ctx, jepa_transpose(ctx, in[0], 0, 1), in[1], a->n_points,
                                       a->t_max);
}

static jepa_tensor *build_epps_pulley(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    ep_args *a = user;
    return jepa_epps_pulley(ctx, in[0], a->n_points, a->t_max);
}

static jepa_tensor *build_variance(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    (void)user;
    return jepa_vicreg_variance(ctx, in[0], 1.0f, 1e-4f);
}

static jepa_tensor *build_covariance(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    (void)user;
    return jepa_vicreg_covariance(ctx, in[0]);
}

static jepa_tensor *build_smoothness(jepa_ctx *ctx, jepa_tensor **in, void *user) {
    (void)user;
    return jepa_temporal_smoothness(ctx, in[0]);
}

// unit columns for dirs (D, M)
static void normalize_columns(jepa_tensor *dirs) {
    int64_t D = dirs->shape[0], M = dirs->shape[1];
    for (int64_t m = 0; m < M; m++) {
        double sq = 0.0;
        for (int64_t i = 0; i < D; i++) sq += dirs->data[i * M + m] * dirs->data[i * M + m];
        for (int64_t i = 0; i < D; i++) dirs->data[i * M + m] /= (float)sqrt(sq);
    }
}

static void test_gradients(void) {
    ep_args lewm = {17, 3.0f}, odd = {9, 2.5f};
    // SIGReg of z (7, 5) on 16 directions, w.r.t. z and the directions too
    jepa_tensor *in[2] = {test_tensor(2, (int64_t[]){7, 5}, 1, -1.5f, 1.5f),
                          test_tensor(2, (int64_t[]){5, 16}, 2, -1, 1)};
    normalize_columns(in[1]);
    // eps 1e-2, atol 1e-4, rtol 1e-3 (the statistic is smooth; values ~1-10)
    test_gradcheck("sigreg (7,5) x 16 dirs", build_sigreg, &lewm, in, 2, 1e-2, 1e-4, 1e-3, 200);
    in[1]->requires_grad = 0; // the directions as a constant
    test_gradcheck("sigreg 9 points t_max 2.5", build_sigreg, &odd, in, 2, 1e-2, 1e-4, 1e-3, 200);
    test_tensor_free(in[0]);
    // grouped (3, 7, 5), and a transposed (7, 3, 5) view as LeWM's (B, T, D) -> (T, B, D)
    in[0] = test_tensor(3, (int64_t[]){3, 7, 5}, 3, -2, 2);
    test_gradcheck("sigreg (3,7,5)", build_sigreg, &lewm, in, 2, 1e-2, 1e-4, 1e-3, 200);
    test_tensor_free(in[0]);
    in[0] = test_tensor(3, (int64_t[]){7, 3, 5}, 4, -2, 2);
    test_gradcheck("sigreg of a transposed view", build_sigreg_transposed, &lewm, in, 2, 1e-2, 1e-4,
                   1e-3, 200);
    test_tensor_free(in[0]);
    test_tensor_free(in[1]);

    // the Epps-Pulley op itself on (7, 5), wide values (|x| up to 4: many turns of cos)
    jepa_tensor *x = test_tensor(2, (int64_t[]){7, 5}, 5, -4, 4);
    test_gradcheck("epps_pulley (7,5)", build_epps_pulley, &lewm, &x, 1, 1e-2, 1e-4, 1e-3, 200);
    test_tensor_free(x);

    // VICReg variance: columns scaled to stds on both sides of gamma 1, away from the kink
    jepa_tensor *z = test_tensor(2, (int64_t[]){7, 5}, 6, -1, 1);
    for (int n = 0; n < 7; n++) {
        z->data[n * 5 + 1] *= 4.0f;
        z->data[n * 5 + 3] *= 5.0f;
    }
    // eps 1e-3 (sqrt of a small variance curves fast), atol 1e-4, rtol 1e-3
    test_gradcheck("vicreg_variance (7,5)", build_variance, NULL, &z, 1, 1e-3, 1e-4, 1e-3, 200);
    test_gradcheck("vicreg_covariance (7,5)", build_covariance, NULL, &z, 1, 1e-2, 1e-4, 1e-3, 200);
    test_tensor_free(z);
    z = test_tensor(3, (int64_t[]){3, 7, 5}, 7, -1, 1);
    test_gradcheck("vicreg_variance (3,7,5)", build_variance, NULL, &z, 1, 1e-3, 1e-4, 1e-3, 200);
    test_gradcheck("vicreg_covariance (3,7,5)", build_covariance, NULL, &z, 1, 1e-2, 1e-4, 1e-3,
                   200);
    test_tensor_free(z);

    // temporal smoothness of (3, 7, 5): quadratic, so the differences are exact up to rounding
    z = test_tensor(3, (int64_t[]){3, 7, 5}, 8, -1, 1);
    test_gradcheck("temporal_smoothness (3,7,5)", build_smoothness, NULL, &z, 1, 1e-2, 1e-5, 1e-3,
                   200);
    test_tensor_free(z);
}

// ---- fused kernels against their naive twins ----

static void test_kernels(void) {
    jepa_epps_pulley_dims d = {2, 37, 23, 17, 3.0f};
    int64_t n = d.G * d.N * d.M, moments = d.G * d.M * d.n_points;
    jepa_tensor *x = test_tensor(3, (int64_t[]){2, 37, 23}, 9, -3, 3);
    float *cm = malloc(sizeof(float) * (size_t)moments * 2), *sm = cm + moments;
    float *g1 = calloc((size_t)n, sizeof(float)), *g2 = calloc((size_t)n, sizeof(float));
    double f1 = jepa_epps_pulley_forward(cm, sm, x->data, &d);
    double f2 = jepa_epps_pulley_forward_ref(x->data, &d);
    // 16 rotations in double, moments rounded to float: relative 1e-6
    CHECK_NEAR(f1, f2, 1e-6 * fabs(f2));
    jepa_epps_pulley_backward(g1, x->data, cm, sm, &d, 0.7f);
    jepa_epps_pulley_backward_ref(g2, x->data, &d, 0.7f);
    double gmax = 0.0;
    for (int64_t i = 0; i < n; i++) gmax = fmax(gmax, fabs(g2[i]));
    // float moments in the fused backward: atol 1e-5 of the largest entry, rtol 1e-5
    CHECK(test_compare(g1, g2, n, 1e-5 * gmax, 1e-5) <= 1.0);

    // the same bits on 1 and on 2 threads, forward and backward
    float *g3 = calloc((size_t)n, sizeof(float));
    double on[2];
    for (int threads = 1; threads <= 2; threads++) {
        jepa_threads_set(threads);
        on[threads - 1] = jepa_epps_pulley_forward(cm, sm, x->data, &d);
        memset(threads == 1 ? g1 : g3, 0, sizeof(float) * (size_t)n);
        jepa_epps_pulley_backward(threads == 1 ? g1 : g3, x->data, cm, sm, &d, 0.7f);
    }
    CHECK(on[0] == on[1]);
    CHECK(memcmp(g1, g3, sizeof(float) * (size_t)n) == 0);
    free(cm);
    free(g1);
    free(g2);
    free(g3);
    test_tensor_free(x);
}

// ---- sanity properties and analytic values ----

// sum_k w_k (1 - phi_k^2): the expectation of the statistic for N(0, 1) samples of any size
// (E |ecf(t) - phi(t)|^2 = (1 - phi(t)^2) / N), with the trapezoid rule written out here
static double normal_expectation(int K, double t_max) {
    double dt = t_max / (K - 1), e = 0.0;
    for (int k = 0; k < K; k++) {
        double t = k * dt, phi = exp(-0.5 * t * t);
        e += (k == 0 || k == K - 1 ? dt : 2 * dt) * phi * (1.0 - phi * phi);
    }
    return e;
}

static void test_sanity(void) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_rng rng;
    jepa_rng_init(&rng, 77, 0);

    // SIGReg of 2048 standard normals in 64-D over 256 directions, averaged over 8 samples and
    // steps: the expectation above (one sample's statistic has sd ~20 % of it: 7 % for 8)
    int64_t N = 2048, D = 64;
    jepa_tensor *z = jepa_new2(ctx, N, D);
    double expect = normal_expectation(17, 3.0), gauss = 0.0;
    for (int rep = 0; rep < 8; rep++) {
        jepa_rng_fill_normal(&rng, z->data, N * D, 0.0f, 1.0f);
        gauss += jepa_sigreg(ctx, z, 256, 17, 3.0f, 1, (uint64_t)rep)->data[0] / 8.0;
    }
    printf("sigreg of N(0, I): %.4f (expectation %.4f)\n", gauss, expect);
    // within 3 sd of the mean
    CHECK(fabs(gauss - expect) < 0.2 * expect);
    // collapsed to one point: N times a fixed error; at 0 exactly N sum_k w_k (1 - phi_k)^2
    for (int64_t i = 0; i < N * D; i++) z->data[i] = 0.0f;
    double dt = 3.0 / 16, at_zero = 0.0;
    for (int k = 0; k < 17; k++) {
        double phi = exp(-0.5 * (k * dt) * (k * dt));
        at_zero += (k == 0 || k == 16 ? dt : 2 * dt) * phi * (1 - phi) * (1 - phi);
    }
    at_zero *= (double)N;
    float collapsed = jepa_sigreg(ctx, z, 256, 17, 3.0f, 1, 0)->data[0];
    printf("sigreg of a collapsed sample: %.2f (analytic %.2f)\n", collapsed, at_zero);
    CHECK_NEAR(collapsed, at_zero, 1e-5 * at_zero);
    CHECK(collapsed > 100.0f * gauss);
    for (int64_t i = 0; i < N * D; i++) z->data[i] = 0.3f * (float)(i % D) - 1.0f; // a point
    CHECK(jepa_sigreg(ctx, z, 256, 17, 3.0f, 1, 0)->data[0] > 100.0f * gauss);

    // the seeded call is the explicit one with jepa_sigreg_directions(seed, step); new steps
    // draw new directions; directions are unit columns
    jepa_ctx_reset(ctx);
    jepa_tensor *small = jepa_new2(ctx, 33, 6);
    jepa_rng_fill_normal(&rng, small->data, 33 * 6, 0.5f, 1.5f);
    jepa_tensor *dirs = jepa_new2(ctx, 6, 64);
    jepa_sigreg_directions(dirs->data, 6, 64, 5, 9);
    for (int m = 0; m < 64; m++) {
        double sq = 0.0;
        for (int i = 0; i < 6; i++) sq += dirs->data[i * 64 + m] * dirs->data[i * 64 + m];
        CHECK_NEAR(sq, 1.0, 1e-6);
    }
    float a = jepa_sigreg(ctx, small, 64, 17, 3.0f, 5, 9)->data[0];
    float b = jepa_sigreg_with_directions(ctx, small, dirs, 17, 3.0f)->data[0];
    float c = jepa_sigreg(ctx, small, 64, 17, 3.0f, 5, 10)->data[0];
    CHECK(a == b);
    CHECK(a != c);

    // VICReg variance is 0 (value and gradient) when every dim's std >= gamma
    jepa_ctx_reset(ctx);
    jepa_tensor *wide = jepa_new2(ctx, 64, 8);
    jepa_rng_fill_normal(&rng, wide->data, 64 * 8, 0.0f, 1.0f);
    for (int j = 0; j < 8; j++) {
        // each column rescaled to std exactly 1.5 (unbiased)
        double m = 0.0, s = 0.0;
        for (int n = 0; n < 64; n++) m += wide->data[n * 8 + j] / 64.0;
        for (int n = 0; n < 64; n++) s += pow(wide->data[n * 8 + j] - m, 2) / 63.0;
        for (int n = 0; n < 64; n++) wide->data[n * 8 + j] *= (float)(1.5 / sqrt(s));
    }
    jepa_requires_grad(ctx, wide);
    jepa_tensor *v = jepa_vicreg_variance(ctx, wide, 1.0f, 1e-4f);
    CHECK(v->data[0] == 0.0f);
    CHECK(jepa_backward(ctx, v) == JEPA_OK);
    int all_zero = 1;
    for (int i = 0; i < 64 * 8; i++) all_zero &= wide->grad[i] == 0.0f;
    CHECK(all_zero);
    // and gamma - sqrt(eps) for a collapsed (constant) sample
    for (int i = 0; i < 64 * 8; i++) wide->data[i] = 0.25f;
    CHECK_NEAR(jepa_vicreg_variance(ctx, wide, 1.0f, 1e-4f)->data[0], 0.99, 1e-6);
    CHECK(jepa_vicreg_covariance(ctx, wide)->data[0] == 0.0f);
    CHECK(jepa_embedding_std(wide->data, 64, 8) == 0.0f);
    CHECK(jepa_effective_rank(wide->data, 64, 8) == 0.0f);

    // effective rank: isotropic data near D, rank-1 data 1
    jepa_ctx_reset(ctx);
    int64_t n_iso = 4000, d_iso = 16;
    float *iso = malloc(sizeof(float) * (size_t)(n_iso * d_iso));
    jepa_rng_fill_normal(&rng, iso, n_iso * d_iso, 0.0f, 2.0f);
    float er = jepa_effective_rank(iso, n_iso, d_iso);
    printf("effective rank: isotropic %.4f of %lld\n", er, (long long)d_iso);
    // singular values within ~sqrt(D/N) = 6 % of each other: entropy loss < 1 %
    CHECK(er > 0.99f * (float)d_iso && er <= (float)d_iso + 1e-4f);
    for (int64_t i = 0; i < n_iso; i++) {
        float u = jepa_rng_normal(&rng);
        for (int64_t j = 0; j < d_iso; j++) iso[i * d_iso + j] = u * (float)(j + 1) + 3.0f;
    }
    er = jepa_effective_rank(iso, n_iso, d_iso);
    printf("effective rank: rank-1 %.6f\n", er);
    // the other singular values are rounding noise ~1e-7 of the first
    CHECK_NEAR(er, 1.0, 1e-3);
    free(iso);
    jepa_ctx_free(ctx);
}

// the Jacobi solver on the (n, n) second-difference matrix: eigenvalues 2 - 2 cos(k pi/(n+1))
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_jacobi(void) {
    // odd (a dummy in the round-robin) and even sizes
    for (int n = 36; n <= 37; n++) {
        double *a = calloc((size_t)(n * n), sizeof(double)),
               *w = malloc(sizeof(double) * (size_t)n);
        for (int i = 0; i < n; i++) {
            a[i * n + i] = 2.0;
            if (i + 1 < n) a[i * n + i + 1] = a[(i + 1) * n + i] = -1.0;
        }
        CHECK(jepa_symmetric_eigenvalues(a, n, w) == JEPA_OK);
        qsort(w, (size_t)n, sizeof(double), cmp_double);
        double worst = 0.0;
        for (int k = 1; k <= n; k++)
            worst = fmax(worst, fabs(w[k - 1] - (2.0 - 2.0 * cos(k * M_PI / (n + 1)))));
        printf("jacobi %d x %d: largest eigenvalue error %.3g\n", n, n, worst);
        CHECK(worst < 1e-12); // double precision on a matrix of norm ~4
        free(a);
        free(w);
    }
}

int main(void) {
    test_against_reference();
    test_gradients();
    test_kernels();
    test_sanity();
    test_jacobi();
    return test_finish("test_regularizers");
}
