// Test helpers.
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

int test_failures = 0, test_checks = 0;

static char g_tmpdir[256];

const char *test_build_dir(void) {
    const char *dir = getenv("JEPA_BUILD_DIR");
    return dir && *dir ? dir : "build";
}

const char *test_jepa_bin(void) {
    static char path[512];
    snprintf(path, sizeof path, "%s/jepa", test_build_dir());
    return path;
}

int test_have_jepa_bin(void) {
    if (test_exists(test_jepa_bin())) return 1;
    fprintf(stderr, "%s is missing: run from the repository root after building\n", test_jepa_bin());
    return 0;
}

const char *test_tmpdir(const char *name) {
    snprintf(g_tmpdir, sizeof g_tmpdir, "%s/tests/%s_XXXXXX", test_build_dir(), name);
    if (!mkdtemp(g_tmpdir)) {
        fprintf(stderr, "cannot make %s (run from the repository root after building)\n", g_tmpdir);
        return NULL;
    }
    return g_tmpdir;
}

const char *test_root(void) { return g_tmpdir; }

void test_tmpdir_remove(void) {
    if (!g_tmpdir[0] || test_failures) return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmpdir);
    CHECK(system(cmd) == 0);
}

const char *test_path(const char *dir, const char *name) {
    static char path[4][512];
    static int which = 0;
    which = (which + 1) % 4;
    snprintf(path[which], sizeof path[which], "%s/%s%s%s", g_tmpdir, dir, name ? "/" : "",
             name ? name : "");
    return path[which];
}

int test_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

char *test_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *size = (size_t)n;
    }
    return buf;
}

int test_same_file(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    char *pa = test_read_file(a, &na), *pb = test_read_file(b, &nb);
    int same = pa && pb && na == nb && memcmp(pa, pb, na) == 0;
    if (!same) fprintf(stderr, "  %s and %s differ (or one is missing)\n", a, b);
    free(pa);
    free(pb);
    return same;
}

int test_finish(const char *name) {
    printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
    return test_failures ? 1 : 0;
}

uint64_t test_fnv1a(const void *data, size_t n, uint64_t hash) {
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) hash = (hash ^ p[i]) * 0x100000001b3ull;
    return hash;
}

double test_compare(const float *a, const float *b, int64_t n, double atol, double rtol) {
    double worst = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - (double)b[i]) / (atol + rtol * fabs((double)b[i]));
        if (isnan(e)) return e; // a NaN on either side is a failure, whatever follows
        if (e > worst) worst = e;
    }
    return worst;
}

jepa_tensor *test_tensor(int ndim, const int64_t *shape, uint64_t seed, float lo, float hi) {
    jepa_tensor *t = malloc(sizeof *t);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    float *data = malloc(sizeof(float) * (size_t)(n ? n : 1));
    float *grad = calloc((size_t)(n ? n : 1), sizeof(float));
    if (!t || !data || !grad) {
        fprintf(stderr, "test: out of memory\n");
        abort();
    }
    jepa_rng rng;
    jepa_rng_init(&rng, seed, 0);
    jepa_rng_fill_uniform(&rng, data, n, lo, hi);
    jepa_tensor_wrap(t, data, grad, ndim, shape);
    return t;
}

void test_tensor_free(jepa_tensor *t) {
    if (!t) return;
    free(t->data);
    free(t->grad);
    free(t);
}

void test_avoid_zero(jepa_tensor *t, float margin) {
    int64_t n = jepa_numel(t);
    for (int64_t i = 0; i < n; i++) {
        float *x = &t->data[i];
        if (fabsf(*x) < margin) *x = *x < 0 ? -margin - 0.5f * margin : margin + 0.5f * margin;
    }
}

static double weighted_sum(const jepa_tensor *out, const float *r) {
    int64_t n = jepa_numel(out);
    float *tmp = malloc(sizeof(float) * (size_t)(n ? n : 1));
    jepa_tensor_gather(tmp, out);
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) s += (double)tmp[i] * (double)r[i];
    free(tmp);
    return s;
}

int test_gradcheck(const char *name, test_build_fn build, void *user, jepa_tensor **inputs,
                   int n_inputs, double eps, double atol, double rtol, int max_coords) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i]->requires_grad) memset(inputs[i]->grad, 0, sizeof(float) * (size_t)jepa_numel(inputs[i]));

    // analytic gradient of L = sum(out * R)
    jepa_tensor *out = build(ctx, inputs, user);
    int64_t n_out = jepa_numel(out);
    float *r = malloc(sizeof(float) * (size_t)(n_out ? n_out : 1));
    jepa_rng rng;
    jepa_rng_init(&rng, 12345, 99);
    jepa_rng_fill_uniform(&rng, r, n_out, -1.0f, 1.0f);
    jepa_status st = jepa_backward_seed(ctx, out, r);
    int ok = st == JEPA_OK;
    if (!ok) fprintf(stderr, "FAIL gradcheck %s: output does not require grad\n", name);

    double worst = 0.0;
    for (int i = 0; ok && i < n_inputs; i++) {
        jepa_tensor *x = inputs[i];
        if (!x->requires_grad) continue;
        int64_t n = jepa_numel(x);
        int64_t count = n < max_coords ? n : max_coords;
        for (int64_t c = 0; c < count; c++) {
            // every coordinate when few, else a random sample
            int64_t j = n <= max_coords ? c : (int64_t)jepa_rng_below(&rng, (uint32_t)n);
            float *p = x->data + j; // wrapped leaves are contiguous
            float orig = *p;
            jepa_ctx_set_grad(ctx, 0);
            *p = orig + (float)eps;
            jepa_ctx_reset(ctx);
            double lp = weighted_sum(build(ctx, inputs, user), r);
            *p = orig - (float)eps;
            jepa_ctx_reset(ctx);
            double lm = weighted_sum(build(ctx, inputs, user), r);
            *p = orig;
            double h = ((double)(orig + (float)eps) - (double)(orig - (float)eps));
            double num = (lp - lm) / h, ana = x->grad[j];
            double err = fabs(num - ana) / (atol + rtol * fmax(fabs(num), fabs(ana)));
            if (!(err <= worst)) worst = err;
            if (!(err <= 1.0)) {
                fprintf(stderr, "FAIL gradcheck %s: input %d [%lld]: numeric %.7g analytic %.7g\n",
                        name, i, (long long)j, num, ana);
                ok = 0;
                break;
            }
        }
    }
    test_checks++;
    if (!ok) test_failures++;
    else printf("gradcheck %-28s ok (worst error %.3f of tolerance)\n", name, worst);
    free(r);
    jepa_ctx_free(ctx);
    return ok;
}

// `steps` random-policy steps of d, recording states (steps, S) and 64x64 frames
static void env_rollout(const jepa_env_model *m, jepa_env_data *d, jepa_rng *rng, int steps,
                        float *actions, float *states, uint8_t *frames) {
    int A = jepa_env_action_dim(m), S = jepa_env_state_dim(m);
    for (int t = 0; t < steps; t++) {
        jepa_env_policy_act(m, d, JEPA_POLICY_RANDOM, rng, actions + A * t);
        CHECK(jepa_env_step(m, d, actions + A * t) == JEPA_OK);
        jepa_env_get_state(m, d, states + (size_t)S * t);
        jepa_env_render(m, d, frames + (size_t)t * 64 * 64 * 3, 64, 64, NULL);
    }
}

// replay recorded actions in d, recording states and frames
static void env_replay(const jepa_env_model *m, jepa_env_data *d, int steps, const float *actions,
                       float *states, uint8_t *frames) {
    int A = jepa_env_action_dim(m), S = jepa_env_state_dim(m);
    for (int t = 0; t < steps; t++) {
        CHECK(jepa_env_step(m, d, actions + A * t) == JEPA_OK);
        jepa_env_get_state(m, d, states + (size_t)S * t);
        jepa_env_render(m, d, frames + (size_t)t * 64 * 64 * 3, 64, 64, NULL);
    }
}

void test_env_restores_exactly(const jepa_env_model *m, int steps, int episodes, float p_negative,
                               uint64_t seed) {
    int A = jepa_env_action_dim(m), S = jepa_env_state_dim(m);
    jepa_env_data *a = jepa_env_data_create(m), *b = jepa_env_data_create(m);
    float *acts = malloc(sizeof(float) * (size_t)(A * steps));
    float *sa = malloc(sizeof(float) * (size_t)(S * steps)), *sb = malloc(sizeof(float) * (size_t)(S * steps));
    uint8_t *fa = malloc((size_t)64 * 64 * 3 * steps), *fb = malloc((size_t)64 * 64 * 3 * steps);
    // same seed, same policy stream: the same episode
    jepa_rng ra, rb;
    jepa_env_reset(m, a, seed);
    jepa_env_reset(m, b, seed);
    jepa_rng_init(&ra, seed, 5);
    jepa_rng_init(&rb, seed, 5);
    env_rollout(m, a, &ra, steps, acts, sa, fa);
    env_rollout(m, b, &rb, steps, acts, sb, fb);
    CHECK(memcmp(sa, sb, sizeof(float) * (size_t)(S * steps)) == 0);
    CHECK(memcmp(fa, fb, (size_t)64 * 64 * 3 * steps) == 0);
    // restore the state reached into an instance with another history: the same future
    float mid[JEPA_ENV_MAX_DIM];
    jepa_env_get_state(m, a, mid);
    env_rollout(m, a, &ra, steps, acts, sa, fa);
    jepa_env_reset(m, b, seed + 77);
    CHECK(jepa_env_set_state(m, b, mid) == JEPA_OK);
    env_replay(m, b, steps, acts, sb, fb);
    CHECK(memcmp(sa, sb, sizeof(float) * (size_t)(S * steps)) == 0);
    CHECK(memcmp(fa, fb, (size_t)64 * 64 * 3 * steps) == 0);
    // every step restored, under bang-bang actions that drive into walls and joint limits
    int mismatches = 0;
    for (int ep = 0; ep < episodes; ep++) {
        jepa_env_reset(m, a, seed + 100 + (uint64_t)ep);
        jepa_rng_init(&ra, (uint64_t)ep, 6);
        for (int t = 0; t < 200; t++) {
            float act[JEPA_ENV_MAX_DIM], s1[JEPA_ENV_MAX_DIM], s2[JEPA_ENV_MAX_DIM];
            for (int i = 0; i < A; i++) act[i] = jepa_rng_uniform(&ra) < p_negative ? -1.0f : 1.0f;
            jepa_env_get_state(m, a, s1);
            CHECK(jepa_env_set_state(m, b, s1) == JEPA_OK);
            jepa_env_step(m, a, act);
            jepa_env_step(m, b, act);
            jepa_env_get_state(m, a, s1);
            jepa_env_get_state(m, b, s2);
            mismatches += memcmp(s1, s2, sizeof(float) * (size_t)S) != 0;
        }
    }
    CHECK(mismatches == 0);
    free(acts), free(sa), free(sb), free(fa), free(fb);
    jepa_env_data_free(a);
    jepa_env_data_free(b);
}

uint64_t test_env_frames_hash(const jepa_env_model *m, uint64_t seed, int frames) {
    jepa_env_data *d = jepa_env_data_create(m);
    jepa_env_reset(m, d, seed);
    jepa_rng rng;
    jepa_rng_init(&rng, seed, 1);
    uint8_t frame[64 * 64 * 3];
    uint64_t hash = TEST_FNV1A_INIT;
    for (int t = 0; t < frames; t++) {
        if (t > 0) {
            float a[JEPA_ENV_MAX_DIM];
            jepa_env_policy_act(m, d, JEPA_POLICY_RANDOM, &rng, a);
            jepa_env_step(m, d, a);
        }
        jepa_env_render(m, d, frame, 64, 64, NULL);
        hash = test_fnv1a(frame, sizeof frame, hash);
    }
    jepa_env_data_free(d);
    return hash;
}

void test_tiny_config(jepa_wm_config *cfg) {
    jepa_wm_config_defaults(cfg);
    snprintf(cfg->recipe, sizeof cfg->recipe, "pldm");
    cfg->image = 16;
    cfg->cnn_stages = 2;
    cfg->latent = 8;
}

void test_constant_readout(jepa_model *m, const float *state, float shift, float scale) {
    float f[2 * JEPA_WM_MAX_STATE];
    jepa_model_state_features(m, state, f);
    int F = m->state_features;
    float *w = jepa_params_tensor(&m->params, m->state_fc.weight)->data;
    float *b = jepa_params_tensor(&m->params, m->state_fc.bias)->data;
    float *sh = jepa_params_tensor(&m->params, m->state_shift)->data;
    float *sc = jepa_params_tensor(&m->params, m->state_scale)->data;
    memset(w, 0, sizeof(float) * (size_t)(F * m->state_fc.in));
    for (int k = 0; k < F; k++) sh[k] = shift, sc[k] = scale, b[k] = (f[k] - shift) * scale;
}

int test_tiny_model(jepa_model *m, int action_dim, int proprio_dim, int use_proprio) {
    jepa_wm_config cfg;
    test_tiny_config(&cfg);
    cfg.use_proprio = use_proprio;
    char err[256] = "";
    if (jepa_model_create(m, &cfg, action_dim, proprio_dim, 0, 0, err, sizeof err) == JEPA_OK) return 1;
    fprintf(stderr, "tiny model: %s\n", err);
    return 0;
}
