// Data-parallel training (this build's jepa under mpirun, run from the repository root): 2 processes of
// batch 4 train as 1 process of batch 8 (the oracle: the single-process run), loss by loss and
// weight by weight, when every loss term is a mean over samples; the default regularized config
// runs with only rank 0 writing, and a resume under mpirun continues it; processes that start
// from different weights stop with a message. Without MPI at configure time the test is skipped
// (exit 77, SKIP_RETURN_CODE in CMakeLists.txt).
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

#ifdef JEPA_TEST_MPIEXEC

// run a shell command; its exit code, its output (stdout, and stderr when merge) into out
static int run(const char *cmd, int merge, char *out, size_t out_size) {
    char full[4200];
    snprintf(full, sizeof full, "%s %s", cmd,
             merge ? "2>&1" : (getenv("JEPA_TEST_VERBOSE") ? "" : "2>/dev/null"));
    FILE *p = popen(full, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, out_size - 1, p);
    out[n] = '\0';
    char sink[256];
    while (fread(sink, 1, sizeof sink, p) > 0) {
    }
    int rc = pclose(p);
    if (getenv("JEPA_TEST_VERBOSE")) fprintf(stderr, "$ %s\n%s", cmd, out);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// `jepa train` of config into run, on np processes (0: without mpirun), one thread each
static int train(int np, const char *config, const char *run_dir, const char *extra, int merge,
                 char *out, size_t out_size) {
    char cmd[2048], launch[512] = "";
    if (np > 0)
        snprintf(launch, sizeof launch, "%s --allow-run-as-root --oversubscribe -np %d ",
                 JEPA_TEST_MPIEXEC, np);
    snprintf(cmd, sizeof cmd, "%s%s train --config %s --data %s --out %s --quiet --threads 1 %s", launch,
             test_jepa_bin(), config, test_path("data", NULL), test_path(run_dir, NULL), extra ? extra : "");
    return run(cmd, merge, out, out_size);
}

static void write_config(const char *name, const char *text) {
    FILE *f = fopen(test_path(name, NULL), "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

// the lines of run/metrics.jsonl, parsed (the caller frees each with cJSON_Delete)
static int read_metrics(const char *run_dir, cJSON **lines, int max) {
    FILE *f = fopen(test_path(run_dir, "metrics.jsonl"), "r");
    char line[8192];
    int n = 0;
    while (f && n < max && fgets(line, sizeof line, f)) lines[n++] = cJSON_Parse(line);
    if (f) fclose(f);
    return n;
}

static double number(const cJSON *line, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(line, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

// 1 when |a - b| <= rtol * |b| (a and b finite)
static int close_to(double a, double b, double rtol) {
    return isfinite(a) && isfinite(b) && fabs(a - b) <= rtol * fabs(b);
}

// every loss term a mean over samples (no VICReg variance or covariance, no smoothness; an MLP
// predictor, an online target): 2 x 4 rows = 1 x 8 rows, up to float summation order
#define PER_SAMPLE                                                                                 \
    "{\"recipe\": \"pldm\", \"encoder\": \"conv\", \"image\": 16, \"cnn_stages\": 2, "             \
    "\"cnn_width\": 8, \"latent\": 8, \"horizon\": 3, \"predictor\": \"mlp\", "                    \
    "\"predictor_hidden\": 32, \"w_var\": 0, \"w_cov\": 0, \"w_smooth\": 0, \"w_idm\": 1, "        \
    "\"steps\": 10, \"warmup\": 2, \"lr\": 0.003, \"log_every\": 1, \"val_every\": 5, "            \
    "\"ckpt_every\": 5, \"seed\": 3, \"batch\": %d}\n"

static void test_same_as_one_process(void) {
    char text[1024], out[4096];
    snprintf(text, sizeof text, PER_SAMPLE, 4);
    write_config("b4.json", text);
    snprintf(text, sizeof text, PER_SAMPLE, 8);
    write_config("b8.json", text);
    CHECK(train(0, test_path("b8.json", NULL), "one", NULL, 0, out, sizeof out) == 0);
    CHECK(train(2, test_path("b4.json", NULL), "two", NULL, 0, out, sizeof out) == 0);
    // the losses of every step and validation: 1e-4 relative (float sums in another order over
    // 10 AdamW steps; a process drawing the other's rows or skipping the average is off by 1e-2)
    const char *keys[] = {"lr", "pred", "idm", "total", "val_loss", "val_pred", "val_idm"};
    cJSON *a[64], *b[64];
    int na = read_metrics("one", a, 64), nb = read_metrics("two", b, 64), ok = na == 12 && nb == na;
    double worst = 0;
    for (int i = 0; ok && i < na; i++) {
        ok &= a[i] && b[i] && number(a[i], "step") == number(b[i], "step");
        for (int k = 0; ok && k < 7; k++) {
            double x = number(b[i], keys[k]), y = number(a[i], keys[k]);
            if (isnan(y) && !cJSON_GetObjectItem(a[i], keys[k])) continue; // not in this line
            if (!close_to(x, y, 1e-4)) {
                fprintf(stderr, "  step %g %s: 2 processes %.9g, 1 process %.9g\n",
                        number(a[i], "step"), keys[k], x, y);
                ok = 0;
            }
            if (y != 0) worst = fmax(worst, fabs(x - y) / fabs(y));
        }
    }
    fprintf(stderr, "  %d metrics lines, largest relative difference of a loss %.2g\n", na, worst);
    CHECK(ok);
    for (int i = 0; i < na; i++) cJSON_Delete(a[i]);
    for (int i = 0; i < nb; i++) cJSON_Delete(b[i]);
    // the final weights: 1e-4 relative with a 1e-5 floor (AdamW's steps are ~lr = 3e-3)
    jepa_model m1, m2;
    char err[512];
    int loaded = jepa_model_load(&m1, test_path("one", "last.safetensors"), NULL, err, sizeof err) == JEPA_OK;
    loaded = loaded && jepa_model_load(&m2, test_path("two", "last.safetensors"), NULL, err, sizeof err) == JEPA_OK;
    CHECK(loaded);
    if (loaded) {
        double d = test_compare(m2.params.data, m1.params.data, m1.params.total, 1e-5, 1e-4);
        fprintf(stderr, "  weights after 10 steps: %.2g of the tolerance\n", d);
        CHECK(m1.params.total == m2.params.total && d <= 1);
        jepa_model_free(&m1);
        jepa_model_free(&m2);
    }
}

// the default pldm recipe (GRU, VICReg, smoothness, inverse dynamics), batch 4 per process
#define REGULARIZED                                                                                \
    "{\"recipe\": \"pldm\", \"encoder\": \"conv\", \"image\": 16, \"cnn_stages\": 2, "             \
    "\"cnn_width\": 8, \"latent\": 8, \"horizon\": 3, \"batch\": 4, \"predictor_hidden\": 32, "    \
    "\"steps\": 4, \"warmup\": 1, \"log_every\": 1, \"val_every\": 2, \"ckpt_every\": 2}\n"

// steps 1..n each once among the training lines of run/metrics.jsonl (one writer)
static int steps_once(const char *run_dir, int n) {
    cJSON *lines[64];
    int count = read_metrics(run_dir, lines, 64), train_lines = 0, ok = 1;
    for (int i = 0; i < count; i++) {
        ok &= lines[i] != NULL;
        if (lines[i] && !cJSON_GetObjectItem(lines[i], "val_loss"))
            ok &= number(lines[i], "step") == ++train_lines;
        cJSON_Delete(lines[i]);
    }
    return ok && train_lines == n;
}

static void test_regularized_and_resume(void) {
    char out[4096];
    write_config("reg.json", REGULARIZED);
    int rc = train(2, test_path("reg.json", NULL), "reg", NULL, 0, out, sizeof out);
    // rank 0 alone prints the result line and writes the metrics
    const char *first = strstr(out, "trained:");
    CHECK(rc == 0 && first && !strstr(first + 1, "trained:"));
    CHECK(steps_once("reg", 4));
    // a resume to step 6 on 2 processes: both load the checkpoint of step 4
    rc = train(2, test_path("reg.json", NULL), "reg", "--resume --steps 6", 0, out, sizeof out);
    CHECK(rc == 0 && steps_once("reg", 6));
    jepa_model m;
    jepa_train_state state;
    char err[512];
    CHECK(jepa_model_load(&m, test_path("reg", "last.safetensors"), &state, err, sizeof err) == JEPA_OK);
    CHECK(state.step == 6);
    jepa_model_free(&m);
}

// 2 processes with other seeds: they stop before the first step, saying why
static void test_different_starts(void) {
    char text[1024], cmd[4096], out[8192];
    snprintf(text, sizeof text, PER_SAMPLE, 4);
    char *seed = strstr(text, "\"seed\": 3");
    if (seed) seed[8] = '4';
    write_config("seed4.json", text);
    const char *data = test_path("data", NULL);
    char one[1024];
    snprintf(one, sizeof one, "%s train --data %s --out %s --quiet --threads 1 --config", test_jepa_bin(),
             data, test_path("split", NULL));
    snprintf(cmd, sizeof cmd, "%s --allow-run-as-root --oversubscribe -np 1 %s %s : -np 1 %s %s",
             JEPA_TEST_MPIEXEC, one, test_path("b4.json", NULL), one, test_path("seed4.json", NULL));
    int rc = run(cmd, 1, out, sizeof out);
    if (rc == 0 || !strstr(out, "different weights")) fprintf(stderr, "  mpirun said:\n%s", out);
    CHECK(rc != 0 && strstr(out, "different weights") != NULL);
    CHECK(!test_exists(test_path("split", "last.safetensors")));
}

int main(void) {
    if (!test_have_jepa_bin()) return 1;
    // Open MPI keeps allocations of MPI_Init to the end of the process: not our leaks (a
    // sanitized build still checks every access)
    setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
    if (!test_tmpdir("mpi")) return 1;
    jepa_collect_config c = {.env = "tworoom",
                             .episodes = 12,
                             .steps = 10,
                             .seed = 3,
                             .policy = JEPA_POLICY_MIXED,
                             .size = 16};
    char err[256];
    jepa_status st = jepa_collect(&c, test_path("data", NULL), NULL, err, sizeof err);
    if (st != JEPA_OK) fprintf(stderr, "collect: %s\n", err);
    CHECK(st == JEPA_OK);
    if (st == JEPA_OK) {
        test_same_as_one_process();
        test_regularized_and_resume();
        test_different_starts();
    }
    test_tmpdir_remove();
    return test_finish("test_mpi");
}

#else

int main(void) {
    fprintf(stderr, "test_mpi: SKIPPED: CMake found no MPI, so jepa train is one process only "
                    "(scripts/install-deps.sh installs Open MPI; then configure again)\n");
    return 77;
}

#endif
