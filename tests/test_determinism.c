// Determinism of the jepa tool (the oracle: the same command run twice): the same command with
// the same seed writes the same bytes on one thread (a dataset, the checkpoints of a training
// run, an evaluation's --json), and an evaluation on two threads the same results (success rate
// included) as on one. Wall-clock figures live apart, in eval's --timings file.
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

// run the jepa tool with arguments from a format (%s for the test folder is the caller's);
// its exit code
static int jepa(const char *fmt, ...) {
    char args[2048], cmd[3072];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s %s", test_jepa_bin(), args,
             getenv("JEPA_TEST_VERBOSE") ? "" : ">/dev/null 2>&1");
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// the same file in two folders holds the same bytes
static int same(const char *dir_a, const char *dir_b, const char *name) {
    char a[600], b[600];
    snprintf(a, sizeof a, "%s", test_path(dir_a, name));
    snprintf(b, sizeof b, "%s", test_path(dir_b, name));
    return test_same_file(a, b);
}

int main(void) {
    const char *root = test_tmpdir("determinism");
    if (!root) return 1;
    // a dataset, twice
    static const char *const DATA[] = {"manifest.json", "frames.npy", "actions.npy", "states.npy",
                                       "proprio.npy"};
    for (int k = 0; k < 2; k++)
        CHECK(jepa("collect --env tworoom --episodes 8 --steps 8 --size 16 --seed 5 --threads 1 "
                   "--quiet --out %s/data%d",
                   root, k) == 0);
    for (int i = 0; i < 5; i++) CHECK(same("data0", "data1", DATA[i]));
    // a training run, twice: both checkpoints byte for byte
    FILE *f = fopen(test_path("tiny.json", NULL), "w");
    CHECK(f != NULL);
    if (!f) return test_finish("test_determinism");
    fprintf(f, "{\"recipe\": \"pldm\", \"image\": 16, \"cnn_stages\": 2, \"cnn_width\": 8, "
               "\"latent\": 8, \"predictor_hidden\": 16, \"horizon\": 2, \"batch\": 4, "
               "\"steps\": 12, \"warmup\": 2, \"val_every\": 4, \"ckpt_every\": 4, "
               "\"val_fraction\": 0.25, \"seed\": 3}\n");
    fclose(f);
    for (int k = 0; k < 2; k++)
        CHECK(jepa("train --config %s/tiny.json --data %s/data0 --out %s/run%d --threads 1 --quiet",
                   root, root, root, k) == 0);
    CHECK(same("run0", "run1", "last.safetensors"));
    CHECK(same("run0", "run1", "best.safetensors"));
    // an evaluation, twice on one thread and once on two: the same --json bytes each time
    const char *eval = "eval --ckpt %s/run0/best.safetensors --env tworoom --episodes 4 --seed 11 "
                       "--samples 32 --elites 4 --iterations 2 --max-steps 12 --threads %d "
                       "--json %s/eval%d.json --timings %s/timings%d.json";
    for (int k = 0; k < 3; k++)
        CHECK(jepa(eval, root, k < 2 ? 1 : 2, root, k, root, k) == 0);
    char a[600], b[600];
    for (int k = 1; k < 3; k++) {
        snprintf(a, sizeof a, "%s", test_path("eval0.json", NULL));
        snprintf(b, sizeof b, "%s/eval%d.json", root, k);
        CHECK(test_same_file(a, b));
    }
    // the results hold no clock reading; the timings file does
    size_t n = 0;
    char *results = test_read_file(a, &n);
    char *timings = test_read_file(test_path("timings2.json", NULL), &n);
    CHECK(results && strstr(results, "\"success_rate\"") && !strstr(results, "seconds") &&
          !strstr(results, "_ms"));
    // one record per episode, whose successes add up to the total
    int records = 0, won = 0, total = -1;
    for (const char *p = results ? strstr(results, "\"per_episode\"") : NULL;
         p && (p = strstr(p, "\"success\":")); p++, records++)
        won += strncmp(p + strlen("\"success\":"), "\ttrue", 5) == 0;
    const char *t = results ? strstr(results, "\"successes\":") : NULL;
    if (t) total = atoi(t + strlen("\"successes\":"));
    CHECK(records == 4 && won == total);
    CHECK(timings && strstr(timings, "\"seconds\"") && strstr(timings, "\"plan_ms_median\"") &&
          strstr(timings, "\"threads\":\t2"));
    free(results);
    free(timings);
    test_tmpdir_remove();
    return test_finish("test_determinism");
}
