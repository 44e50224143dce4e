// Frames collected per second for each environment at 64x64 on one thread: the rollout loop
// alone (policy, step, render, state) and a whole `jepa collect` into a temporary folder (the
// files written and fsynced, so the disk shows in it).
// Targets: tworoom >= 20 000 frames/s, pusht >= 2 000 frames/s.
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jepa.h"

enum { SIZE = 64, STEPS = 17 };

// frames per second of the bare loop, run for at least min_seconds
static double loop_rate(const jepa_env_model *m, double min_seconds) {
    jepa_env_data *d = jepa_env_data_create(m);
    uint8_t *frame = malloc(SIZE * SIZE * 3);
    float action[JEPA_ENV_MAX_DIM], state[JEPA_ENV_MAX_DIM];
    jepa_rng rng;
    jepa_rng_init(&rng, 1, 2);
    long frames = 0;
    double start = jepa_time_now(), elapsed = 0.0;
    unsigned sink = 0;
    for (uint64_t episode = 0; elapsed < min_seconds; episode++) {
        jepa_env_reset(m, d, episode);
        for (int t = 0; t <= STEPS; t++) {
            jepa_env_render(m, d, frame, SIZE, SIZE, NULL);
            jepa_env_get_state(m, d, state);
            sink += frame[(SIZE / 2 * SIZE + SIZE / 2) * 3];
            frames++;
            if (t == STEPS) break;
            jepa_env_policy_act(m, d, JEPA_POLICY_MIXED, &rng, action);
            jepa_env_step(m, d, action);
        }
        elapsed = jepa_time_now() - start;
    }
    if (sink == 1) printf(" ");
    free(frame);
    jepa_env_data_free(d);
    return (double)frames / elapsed;
}

// frames per second of jepa_collect (rollouts, files, manifest), or -1 on failure
static double collect_rate(const char *env, int episodes) {
    char dir[64], err[512];
    snprintf(dir, sizeof dir, "/tmp/jepa_bench_collect_%ld", (long)getpid());
    jepa_collect_config c = {.env = env,
                             .episodes = episodes,
                             .steps = STEPS,
                             .seed = 1,
                             .policy = JEPA_POLICY_MIXED,
                             .size = SIZE};
    jepa_collect_result r;
    jepa_status st = jepa_collect(&c, dir, &r, err, sizeof err);
    static const char *files[] = {"manifest.json", "frames.npy", "actions.npy", "states.npy",
                                  "proprio.npy"};
    char path[128];
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    if (st != JEPA_OK) {
        fprintf(stderr, "bench_collect: %s\n", err);
        return -1.0;
    }
    return (double)r.frames / r.seconds;
}

int main(void) {
    jepa_threads_set(1);
    printf("frames per second at %dx%d, one thread, %d-step episodes\n", SIZE, SIZE, STEPS);
    printf("%-10s %14s %14s\n", "env", "loop", "collect");
    const char *const *names = jepa_env_names();
    for (int i = 0; names[i]; i++) {
        char err[256];
        jepa_env_model *m = jepa_env_create(names[i], NULL, err, sizeof err);
        if (!m) {
            fprintf(stderr, "bench_collect: %s\n", err);
            return 1;
        }
        double loop = loop_rate(m, 1.0);
        // about a second of collection, at most 20 000 frames (240 MB)
        int episodes = (int)(loop / (STEPS + 1));
        if (episodes > 20000 / (STEPS + 1)) episodes = 20000 / (STEPS + 1);
        double whole = collect_rate(names[i], episodes < 10 ? 10 : episodes);
        printf("%-10s %14.0f %14.0f\n", names[i], loop, whole);
        jepa_env_free(m);
    }
    return 0;
}
