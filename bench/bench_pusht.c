// Push-T by hand: the step + render rate at 64x64 on one core, and what the data-collection
// policies do to the block (100 episodes of 100 steps each).
//   build/bench/bench_pusht [episodes]
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef JEPA_HAVE_CHIPMUNK
#include "env/pusht.h"
#include "jepa.h"
#include "jepa/env.h"

static jepa_env_model *create(const char *options) {
    char err[256];
    jepa_env_model *m = jepa_env_create("pusht", options, err, sizeof err);
    if (!m) fprintf(stderr, "%s\n", err);
    return m;
}

// step + render of a mixed-policy episode stream; the policy is timed apart
static int bench_rate(void) {
    jepa_env_model *m = create(NULL);
    if (!m) return 1;
    jepa_env_data *d = jepa_env_data_create(m);
    enum { FRAMES = 20000, EPISODE = 100 };
    float *actions = malloc(sizeof(float) * 2 * FRAMES);
    uint8_t rgb[64 * 64 * 3];
    jepa_rng rng;
    jepa_rng_init(&rng, 1, 0);
    // the actions first (the policy reads the state, so roll the episodes once)
    double t0 = jepa_time_now();
    for (int i = 0; i < FRAMES; i++) {
        if (i % EPISODE == 0) jepa_env_reset(m, d, (uint64_t)(i / EPISODE));
        jepa_env_policy_act(m, d, JEPA_POLICY_MIXED, &rng, actions + 2 * i);
        jepa_env_step(m, d, actions + 2 * i);
    }
    double t_policy_step = jepa_time_now() - t0;
    unsigned sum = 0;
    t0 = jepa_time_now();
    for (int i = 0; i < FRAMES; i++) {
        if (i % EPISODE == 0) jepa_env_reset(m, d, (uint64_t)(i / EPISODE));
        jepa_env_step(m, d, actions + 2 * i);
        jepa_env_render(m, d, rgb, 64, 64, NULL);
        sum += rgb[(i * 97) % sizeof rgb];
    }
    double t_step_render = jepa_time_now() - t0;
    t0 = jepa_time_now();
    for (int i = 0; i < FRAMES; i++) jepa_env_render(m, d, rgb, 64, 64, NULL);
    double t_render = jepa_time_now() - t0;
    printf("step+render 64x64: %.0f frames/s (render alone %.0f/s, policy+step %.0f/s) [%u]\n",
           FRAMES / t_step_render, FRAMES / t_render, FRAMES / t_policy_step, sum & 1);
    free(actions);
    jepa_env_data_free(d);
    jepa_env_free(m);
    return 0;
}

// fraction of episodes that move the block (> 50 px or > 0.5 rad), and that reach the goal
static int bench_policy(const char *label, const char *options, jepa_env_policy policy,
                        int episodes) {
    jepa_env_model *m = create(options);
    if (!m) return 1;
    jepa_env_data *d = jepa_env_data_create(m);
    const float goal[JEPA_ENV_MAX_DIM] = {0, 0, 256, 256, (float)(3.14159265358979 / 4), 0, 0};
    int moved = 0, reached = 0, reached_end = 0, covered = 0, covered_end = 0;
    for (int e = 0; e < episodes; e++) {
        jepa_rng rng;
        jepa_rng_init(&rng, 1000 + (uint64_t)e, 3);
        jepa_env_reset(m, d, 1000 + (uint64_t)e);
        float s0[JEPA_ENV_MAX_DIM], s[JEPA_ENV_MAX_DIM], a[2];
        jepa_env_get_state(m, d, s0);
        int hit = 0, cov = 0, hit_now = 0, cov_now = 0;
        for (int t = 0; t < 100; t++) {
            jepa_env_policy_act(m, d, policy, &rng, a);
            jepa_env_step(m, d, a);
            jepa_env_get_state(m, d, s);
            double dth = fabs(remainder((double)s[4] - goal[4], 2 * 3.14159265358979));
            hit_now = hypot(s[2] - goal[2], s[3] - goal[3]) < 20 && dth < 3.14159265358979 / 9;
            cov_now = jepa_pusht_coverage(s + 2, goal + 2) >= 0.95;
            hit |= hit_now;
            cov |= cov_now;
        }
        double dth0 = fabs(remainder((double)s[4] - s0[4], 2 * 3.14159265358979));
        moved += hypot(s[2] - s0[2], s[3] - s0[3]) > 50 || dth0 > 0.5;
        reached += hit, reached_end += hit_now, covered += cov, covered_end += cov_now;
    }
    printf("%-28s moved %3.0f %% | block at goal (<20 px, <pi/9): ever %3.0f %%, at end %3.0f %% | "
           "coverage >= 0.95: ever %3.0f %%, at end %3.0f %%\n",
           label, 100.0 * moved / episodes, 100.0 * reached / episodes,
           100.0 * reached_end / episodes, 100.0 * covered / episodes,
           100.0 * covered_end / episodes);
    jepa_env_data_free(d);
    jepa_env_free(m);
    return 0;
}

int main(int argc, char **argv) {
    int episodes = argc > 1 ? atoi(argv[1]) : 100;
    int rc = bench_rate();
    rc |= bench_policy("random", NULL, JEPA_POLICY_RANDOM, episodes);
    rc |= bench_policy("expert (default targets)", NULL, JEPA_POLICY_EXPERT, episodes);
    rc |= bench_policy("mixed (default)", NULL, JEPA_POLICY_MIXED, episodes);
    rc |= bench_policy("expert, always the goal", "{\"expert_goal_fraction\": 1}",
                       JEPA_POLICY_EXPERT, episodes);
    rc |= bench_policy("mixed, always the goal", "{\"expert_goal_fraction\": 1}", JEPA_POLICY_MIXED,
                       episodes);
    return rc;
}
#else
int main(void) {
    printf("bench_pusht: this build has no Chipmunk2D\n");
    return 0;
}
#endif
