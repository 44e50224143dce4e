// reacher against independent oracles: the analytic forward kinematics of a two-link arm (links
// 0.12 and 0.12, as dm_control's reacher.xml) against MuJoCo's fingertip, dm_control's reset
// ranges and success radius (target + finger size) on hand-made states, the wrist limit,
// bit-exact restore, determinism and golden frames.
#include <stdlib.h>
#include <string.h>

#include "env/mujoco_model.h"
#include "jepa/env.h"
#include "testutil.h"

#ifdef JEPA_HAVE_MUJOCO

// dm_control's constants, written out again here
static const double link1 = 0.12, link2 = 0.12, finger_size = 0.01;
static const double easy_size = 0.05, hard_size = 0.015;
static const double wrist_limit = 160.0 * M_PI / 180.0;

static void fingertip(double q1, double q2, double *x, double *y) {
    *x = link1 * cos(q1) + link2 * cos(q1 + q2);
    *y = link1 * sin(q1) + link2 * sin(q1 + q2);
}

static jepa_env_model *create(const char *options) {
    char err[256] = "";
    jepa_env_model *m = jepa_env_create("reacher", options, err, sizeof err);
    if (!m) fprintf(stderr, "reacher: %s\n", err);
    CHECK(m != NULL);
    return m;
}

static void test_interface(void) {
    jepa_env_model *m = create(NULL);
    CHECK(jepa_env_action_dim(m) == 2 && jepa_env_state_dim(m) == 6 &&
          jepa_env_proprio_dim(m) == 4);
    CHECK(strcmp(jepa_env_options_json(m), "{\"task\":\"easy\"}") == 0);
    // dm_control's timestep
    CHECK_NEAR(jepa_mujoco_model(m)->opt.timestep, 0.02, 0.0);
    jepa_env_free(m);
    m = create("{\"task\":\"hard\"}");
    jepa_env_free(m);
    char err[256] = "";
    CHECK(jepa_env_create("reacher", "{\"task\":\"medium\"}", err, sizeof err) == NULL);
    CHECK(strstr(err, "task") != NULL);
}

// MuJoCo's finger position against the analytic two-link formula, on set states and along
// random trajectories
static void test_forward_kinematics(void) {
    jepa_env_model *m = create(NULL);
    jepa_env_data *d = jepa_env_data_create(m);
    int finger = mj_name2id(jepa_mujoco_model(m), mjOBJ_GEOM, "finger");
    CHECK(finger >= 0);
    jepa_rng rng;
    jepa_rng_init(&rng, 3, 0);
    double worst = 0.0;
    for (int i = 0; i < 200; i++) {
        float s[6] = {jepa_rng_uniform_range(&rng, -4.0f, 4.0f),
                      jepa_rng_uniform_range(&rng, -2.7f, 2.7f),
                      0,
                      0,
                      0.1f,
                      0.0f};
        if (i % 2) {
            CHECK(jepa_env_set_state(m, d, s) == JEPA_OK);
        } else {
            jepa_env_reset(m, d, (uint64_t)i);
            for (int t = 0; t < 10; t++) {
                float a[2];
                jepa_env_policy_act(m, d, JEPA_POLICY_RANDOM, &rng, a);
                jepa_env_step(m, d, a);
            }
            jepa_env_get_state(m, d, s);
        }
        const mjtNum *tip = jepa_mujoco_data(d)->geom_xpos + 3 * finger;
        double x, y;
        fingertip(s[0], s[1], &x, &y);
        worst = fmax(worst, fmax(fabs(tip[0] - x), fabs(tip[1] - y)));
        CHECK_NEAR(tip[2], 0.01, 1e-12); // the arm's plane
        // the distance to a target at the state's own fingertip plus (0.03, 0.04) is 0.05
        float goal[6] = {0, 0, 0, 0, (float)(x + 0.03), (float)(y + 0.04)};
        CHECK_NEAR(jepa_env_distance(m, s, goal), 0.05, 1e-6);
    }
    CHECK(worst < 1e-6); // the state holds floats
    jepa_env_data_free(d);
    jepa_env_free(m);
}

// success when the fingertip is within target size + finger size of the target (dm_control's
// reward bounds), for both tasks
static void test_success(void) {
    const char *options[2] = {"{\"task\":\"easy\"}", "{\"task\":\"hard\"}"};
    const double sizes[2] = {easy_size, hard_size};
    for (int k = 0; k < 2; k++) {
        jepa_env_model *m = create(options[k]);
        const float s[6] = {0.7f, -1.2f, 0.3f, -0.2f, 0.0f, 0.0f};
        double x, y;
        fingertip(s[0], s[1], &x, &y);
        double reach = sizes[k] + finger_size;
        // targets just inside and just outside, along a diagonal
        const double dir[2] = {0.6, -0.8};
        float in[6] = {
            0, 0, 0, 0, (float)(x + dir[0] * (reach - 1e-3)), (float)(y + dir[1] * (reach - 1e-3))};
        float out[6] = {
            0, 0, 0, 0, (float)(x + dir[0] * (reach + 1e-3)), (float)(y + dir[1] * (reach + 1e-3))};
        float at[6] = {1, 1, 0, 0, (float)x, (float)y};
        CHECK(jepa_env_success(m, s, in));
        CHECK(!jepa_env_success(m, s, out));
        CHECK(jepa_env_success(m, s, at)); // the goal's own arm angles do not matter
        CHECK_NEAR(jepa_env_distance(m, s, out), reach + 1e-3, 1e-6);
        jepa_env_free(m);
    }
}

// dm_control's reset: shoulder on a full turn, wrist within its range, at rest, the target at a
// radius in [0.05, 0.2]; the wrist stays within its (soft) limit under random actions; an arm at
// rest under zero action stays at rest (gravity acts along the hinge axes)
static void test_reset_and_limits(void) {
    jepa_env_model *m = create(NULL);
    jepa_env_data *d = jepa_env_data_create(m);
    double rmin = 1, rmax = 0, qmin = 10, qmax = -10, wrist_lo = 10, wrist_hi = -10, wmax = 0;
    for (int ep = 0; ep < 300; ep++) {
        float s[6];
        jepa_env_reset(m, d, (uint64_t)ep);
        jepa_env_get_state(m, d, s);
        double r = hypot(s[4], s[5]);
        rmin = fmin(rmin, r);
        rmax = fmax(rmax, r);
        qmin = fmin(qmin, s[0]);
        qmax = fmax(qmax, s[0]);
        CHECK(fabs(s[1]) <= wrist_limit);
        wrist_lo = fmin(wrist_lo, s[1]);
        wrist_hi = fmax(wrist_hi, s[1]);
        CHECK(s[2] == 0.0f && s[3] == 0.0f);
        if (ep < 30) {
            jepa_rng rng;
            jepa_rng_init(&rng, (uint64_t)ep, 8);
            for (int t = 0; t < 200; t++) {
                float a[2] = {jepa_rng_uniform(&rng) < 0.5f ? -1.0f : 1.0f,
                              jepa_rng_uniform(&rng) < 0.5f ? -1.0f : 1.0f};
                jepa_env_step(m, d, a);
                jepa_env_get_state(m, d, s);
                wmax = fmax(wmax, fabs(s[1]));
            }
        }
    }
    CHECK(rmin >= 0.05 - 1e-6 && rmax <= 0.2 + 1e-6);
    CHECK(rmin < 0.06 && rmax > 0.19);
    CHECK(qmin < -3.0 && qmax > 3.0 && qmin >= -M_PI - 1e-6 && qmax <= M_PI + 1e-6);
    CHECK(wrist_lo < -wrist_limit + 0.1 && wrist_hi > wrist_limit - 0.1); // the whole range
    CHECK(wmax > wrist_limit - 0.05); // the arm reaches its limit...
    CHECK(wmax < wrist_limit + 0.25); // ...and its soft limit holds it (0.15 past seen)
    // at rest
    const float rest[6] = {0.4f, 1.1f, 0.0f, 0.0f, 0.1f, 0.1f};
    const float zero[2] = {0.0f, 0.0f};
    CHECK(jepa_env_set_state(m, d, rest) == JEPA_OK);
    for (int t = 0; t < 50; t++) jepa_env_step(m, d, zero);
    float s[6];
    jepa_env_get_state(m, d, s);
    CHECK(memcmp(s, rest, sizeof s) == 0);
    // a state the arm cannot hold, NaN: refused, nothing changes
    const float bent[6] = {0.0f, 3.1f, 0.0f, 0.0f, 0.1f, 0.1f};
    const float nan_state[6] = {0.0f, 0.0f, NAN, 0.0f, 0.1f, 0.1f};
    CHECK(jepa_env_set_state(m, d, bent) == JEPA_ERR_INVALID);
    CHECK(jepa_env_set_state(m, d, nan_state) == JEPA_ERR_INVALID);
    jepa_env_get_state(m, d, s);
    CHECK(memcmp(s, rest, sizeof s) == 0);
    float proprio[4];
    jepa_env_proprio(m, d, proprio);
    CHECK(memcmp(proprio, rest, sizeof proprio) == 0);
    jepa_env_data_free(d);
    jepa_env_free(m);
}

static void test_restore_and_determinism(void) {
    // bang-bang actions mostly +1 press the wrist into its limit
    jepa_env_model *m = create(NULL);
    test_env_restores_exactly(m, 80, 20, 0.3f, 21);
    jepa_env_free(m);
}

// the expert (inverse kinematics and joint PD) puts the fingertip in the target of every episode
// within 100 steps, for both target sizes; the mixed policy's noise still lets it get there
static void test_expert(void) {
    const char *options[2] = {"{\"task\":\"easy\"}", "{\"task\":\"hard\"}"};
    for (int k = 0; k < 2; k++) {
        jepa_env_model *m = create(options[k]);
        jepa_env_data *d = jepa_env_data_create(m);
        for (int policy = JEPA_POLICY_EXPERT; policy <= JEPA_POLICY_MIXED; policy++) {
            int reached = 0;
            for (int ep = 0; ep < 50; ep++) {
                jepa_env_reset(m, d, (uint64_t)ep);
                jepa_rng rng;
                jepa_rng_init(&rng, (uint64_t)ep, 4);
                int done = 0;
                for (int t = 0; t < 100 && !done; t++) {
                    float a[2], s[6];
                    jepa_env_policy_act(m, d, (jepa_env_policy)policy, &rng, a);
                    CHECK(fabsf(a[0]) <= 1.0f && fabsf(a[1]) <= 1.0f);
                    jepa_env_step(m, d, a);
                    jepa_env_get_state(m, d, s);
                    done = jepa_env_success(m, s, s);
                }
                reached += done;
            }
            CHECK(reached == 50);
        }
        jepa_env_data_free(d);
        jepa_env_free(m);
    }
}

// golden: FNV-1a of the first four 64x64 frames of seed 2025 (easy, random policy, stream 1),
// frozen after looking at them
static void test_golden_frames(void) {
    jepa_env_model *m = create(NULL);
    uint64_t hash = test_env_frames_hash(m, 2025, 4);
    const uint64_t golden = 0xd7da8140310f5848ull;
    if (hash != golden)
        fprintf(stderr, "reacher golden frames: 0x%016llx\n", (unsigned long long)hash);
    CHECK(hash == golden);
    jepa_env_free(m);
}

int main(void) {
    test_interface();
    test_forward_kinematics();
    test_success();
    test_reset_and_limits();
    test_restore_and_determinism();
    test_expert();
    test_golden_frames();
    return test_finish("test_reacher");
}

#else
int main(void) {
    printf("test_reacher: MuJoCo not found, skipped\n");
    return 0;
}
#endif
