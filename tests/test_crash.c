// Crash safety: `jepa train` killed with SIGKILL at 20 random moments. After each kill the last
// checkpoint (when there is one) loads cleanly, and `--resume` continues from it; the finished
// run's weights and metrics equal an uninterrupted run's, on one thread (the oracle: the same
// command run straight through).
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define KILLS 20

// run the jepa tool with argv; with kill_after_ms > 0, SIGKILL it then. Returns the exit code, or
// -SIGKILL when it was killed
static int run_jepa(char *const argv[], int kill_after_ms) {
    fflush(stdout); // or the child would write our buffered output again
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        freopen("/dev/null", "w", stdout);
        execv(test_jepa_bin(), argv);
        _exit(127);
    }
    if (pid < 0) return -1;
    if (kill_after_ms > 0) {
        struct timespec ts = {kill_after_ms / 1000, (long)(kill_after_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int train(const char *cfg, const char *data, const char *run, int resume, int kill_ms) {
    char *argv[] = {"jepa", "train", "--config", (char *)cfg, "--data", (char *)data, "--out",
                    (char *)run, "--quiet", "--threads", "1", resume ? "--resume" : NULL, NULL};
    return run_jepa(argv, kill_ms);
}

// the metrics lines without their wall-clock fields ("time", "samples_per_s")
static char *metrics_without_time(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *out = calloc(1, 1 << 20), line[4096];
    size_t n = 0;
    while (out && fgets(line, sizeof line, f)) {
        for (const char *key = line; *key; key++) {
            if (!strncmp(key, "\"time\":", 7) || !strncmp(key, "\"samples_per_s\":", 16)) {
                while (*key && *key != ',' && *key != '}') key++; // skip the value
                if (*key != ',') { out[n++] = *key; continue; }
                continue;
            }
            if (n + 2 < (1 << 20)) out[n++] = *key;
        }
    }
    fclose(f);
    return out;
}

int main(void) {
    if (!test_tmpdir("crash")) return 1;
    char data[512], cfg[512], straight[512], killed[512];
    snprintf(data, sizeof data, "%s", test_path("data", NULL));
    snprintf(cfg, sizeof cfg, "%s", test_path("pldm.json", NULL));
    snprintf(straight, sizeof straight, "%s", test_path("straight", NULL));
    char *collect[] = {"jepa", "collect", "--env", "tworoom", "--episodes", "12", "--steps", "10",
                       "--size", "16", "--seed", "3", "--out", data, "--quiet", NULL};
    CHECK(run_jepa(collect, 0) == 0);
    FILE *f = fopen(cfg, "w");
    CHECK(f != NULL);
    if (!f) return test_finish("test_crash");
    fprintf(f, "{\"recipe\": \"pldm\", \"encoder\": \"conv\", \"image\": 16, \"cnn_stages\": 2, "
               "\"cnn_width\": 8, \"latent\": 8, \"horizon\": 3, \"batch\": 8, "
               "\"predictor_hidden\": 32, \"target\": \"ema\", \"steps\": 300, \"warmup\": 10, "
               "\"log_every\": 1, \"val_every\": 10, \"ckpt_every\": 3}\n");
    fclose(f);
    // the oracle: one uninterrupted run, and how long it takes
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(train(cfg, data, straight, 0, 0) == 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int span_ms = (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
    // 20 kills at random moments, each followed by a check of the checkpoint: each run is given
    // up to twice its share of the whole (startup included), so most are cut short. The span was
    // timed once, maybe under load: when a chain of runs reaches the end anyway, the next kills
    // start a new chain in a new folder with half the share
    jepa_rng rng;
    jepa_rng_init(&rng, 2026, 0);
    char last[600];
    int killed_count = 0, finished_early = 0, chain = 0, share = 2 * span_ms / KILLS;
    snprintf(killed, sizeof killed, "%s", test_path("killed0", NULL));
    snprintf(last, sizeof last, "%s/last.safetensors", killed);
    long long steps_seen[KILLS];
    for (int k = 0; k < KILLS; k++) {
        int ms = 10 + (int)jepa_rng_below(&rng, (uint32_t)(share > 20 ? share : 20));
        int rc = train(cfg, data, killed, test_exists(last), ms);
        killed_count += rc == -SIGKILL;
        finished_early += rc == 0;
        if (test_exists(last)) {
            jepa_model m;
            jepa_train_state state;
            char err[512];
            jepa_status st = jepa_model_load(&m, last, &state, err, sizeof err);
            if (st != JEPA_OK) fprintf(stderr, "after kill %d: %s\n", k, err);
            CHECK(st == JEPA_OK);
            steps_seen[k] = st == JEPA_OK ? (long long)state.step : -1;
            if (st == JEPA_OK) jepa_model_free(&m);
        } else {
            steps_seen[k] = 0;
        }
        if (rc == 0 && k + 1 < KILLS) {
            char name[32];
            snprintf(name, sizeof name, "killed%d", ++chain);
            snprintf(killed, sizeof killed, "%s", test_path(name, NULL));
            snprintf(last, sizeof last, "%s/last.safetensors", killed);
            share /= 2;
        }
    }
    printf("%d of %d runs killed (%d had already finished, %d chains), run span %d ms; checkpoint "
           "step after each kill:",
           killed_count, KILLS, finished_early, chain + 1, span_ms);
    for (int k = 0; k < KILLS; k++) printf(" %lld", steps_seen[k]);
    printf("\n");
    CHECK(killed_count >= KILLS / 2); // the kills land inside runs
    // finish, then compare with the uninterrupted run
    CHECK(train(cfg, data, killed, test_exists(last), 0) == 0);
    char a[600], b[600];
    snprintf(a, sizeof a, "%s/last.safetensors", straight);
    CHECK(test_same_file(a, last));
    snprintf(a, sizeof a, "%s/metrics.jsonl", straight);
    snprintf(b, sizeof b, "%s/metrics.jsonl", killed);
    char *ma = metrics_without_time(a), *mb = metrics_without_time(b);
    CHECK(ma && mb && strlen(ma) > 1000 && strcmp(ma, mb) == 0);
    free(ma), free(mb);
    test_tmpdir_remove();
    return test_finish("test_crash");
}
