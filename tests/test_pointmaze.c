// pointmaze against independent oracles: wall boxes from the layout strings, the analytic decay of
// a damped point mass (mass from the sphere's volume and density), D4RL's velocity clip, the
// success radius on hand-made states, bit-exact restore, determinism and golden frames.
#include <stdlib.h>
#include <string.h>

#include "env/mujoco_model.h"
#include "jepa/env.h"
#include "testutil.h"

#ifdef JEPA_HAVE_MUJOCO

// D4RL's layouts and geometry, written out again here: the wall of cell (r, c) is the box
// [r + 0.5, r + 1.5] x [c + 0.5, c + 1.5] in the world, and the ball's qpos is its world position
// minus the particle body's offset 1.2
static const char *const layouts[][2] = {
    {"umaze", "#####/#GOO#/###O#/#OOO#/#####"},
    {"medium", "########/#OO##OO#/#OO#OOO#/##OOO###/#OO#OOO#/#O#OO#O#/#OOO#OG#/########"},
};
static const double radius = 0.1, density = 1000.0, damping = 1.0, gear = 100.0, h = 0.01;
static const int frame_skip = 5;
static const double body_offset = 1.2, vel_clip = 5.0;

// the smallest distance from qpos (x, y) to any wall box of a layout
static double wall_distance(const char *layout, double x, double y) {
    double best = 1e9;
    int r = 0, c = 0;
    for (const char *p = layout; *p; p++) {
        if (*p == '/') {
            r++;
            c = 0;
            continue;
        }
        if (*p == '#') {
            double x0 = r + 0.5 - body_offset, x1 = r + 1.5 - body_offset;
            double y0 = c + 0.5 - body_offset, y1 = c + 1.5 - body_offset;
            double dx = fmax(fmax(x0 - x, x - x1), 0.0), dy = fmax(fmax(y0 - y, y - y1), 0.0);
            best = fmin(best, sqrt(dx * dx + dy * dy));
        }
        c++;
    }
    return best;
}

static double ball_mass(void) {
    return 4.0 / 3.0 * M_PI * radius * radius * radius * density;
}

static jepa_env_model *create(const char *options) {
    char err[256] = "";
    jepa_env_model *m = jepa_env_create("pointmaze", options, err, sizeof err);
    if (!m) fprintf(stderr, "pointmaze: %s\n", err);
    CHECK(m != NULL);
    return m;
}

static void test_interface(void) {
    jepa_env_model *m = create(NULL);
    CHECK(jepa_env_action_dim(m) == 2 && jepa_env_state_dim(m) == 4 &&
          jepa_env_proprio_dim(m) == 4);
    CHECK(strcmp(jepa_env_options_json(m), "{\"maze\":\"umaze\"}") == 0);
    float lo[2], hi[2];
    jepa_env_action_bounds(m, lo, hi);
    CHECK(lo[0] == -1.0f && hi[1] == 1.0f);
    jepa_env_free(m);
    // bad options fail with a message naming them
    char err[256] = "";
    CHECK(jepa_env_create("pointmaze", "{\"maze\":\"huge\"}", err, sizeof err) == NULL);
    CHECK(strstr(err, "maze") != NULL);
    CHECK(jepa_env_create("pointmaze", "{\"size\":3}", err, sizeof err) == NULL);
    CHECK(strstr(err, "size") != NULL);
    for (int i = 0; i < 4; i++) {
        static const char *const names[] = {"{\"maze\":\"umaze\"}", "{\"maze\":\"open\"}",
                                            "{\"maze\":\"medium\"}", "{\"maze\":\"large\"}"};
        m = create(names[i]);
        // any image size renders, down to a pixel smaller than a cell
        jepa_env_data *d = jepa_env_data_create(m);
        jepa_env_reset(m, d, 1);
        static uint8_t rgb[224 * 224 * 3];
        jepa_env_render(m, d, rgb, 7, 5, NULL);
        jepa_env_render(m, d, rgb, 224, 224, NULL);
        // the corner is outer wall in the square mazes (umaze, medium): the wall's colour
        if (i == 0 || i == 2) CHECK(rgb[0] == 178 && rgb[1] == 128 && rgb[2] == 76);
        jepa_env_data_free(d);
        jepa_env_free(m);
    }
}

// the ball stays in the free cells under the random policy and under bang-bang actions; away from
// walls the velocity never exceeds the clip plus what one control step of full force adds (a
// contact may push harder: a ball sunk into a wall is pushed out)
static void test_walls_and_clip(void) {
    // one control step of full force from the clip: 5 substeps of gear / m
    const double vmax = vel_clip + frame_skip * h * gear / ball_mass();
    for (int l = 0; l < 2; l++) {
        char options[64];
        snprintf(options, sizeof options, "{\"maze\":\"%s\"}", layouts[l][0]);
        jepa_env_model *m = create(options);
        jepa_env_data *d = jepa_env_data_create(m);
        double closest = 1e9, fastest = 0.0, fastest_free = 0.0;
        int reset_ok = 1;
        for (int ep = 0; ep < 60; ep++) {
            jepa_env_reset(m, d, (uint64_t)ep);
            jepa_rng rng;
            jepa_rng_init(&rng, (uint64_t)ep, 99);
            float s[4], a[2];
            jepa_env_get_state(m, d, s);
            // D4RL's reset: a free cell's index plus at most 0.1 (0.3 from the wall-free centre)
            reset_ok &= wall_distance(layouts[l][1], s[0], s[1]) >= 0.5 - 0.3 - 1e-6;
            for (int t = 0; t < 200; t++) {
                if (ep % 2) {
                    jepa_env_policy_act(m, d, JEPA_POLICY_RANDOM, &rng, a);
                } else {
                    for (int i = 0; i < 2; i++) a[i] = jepa_rng_uniform(&rng) < 0.5f ? -1.0f : 1.0f;
                }
                // no contact within this step when the ball is further from every wall than it
                // can travel in one step at vmax (0.05 s) plus its radius
                double clear = wall_distance(layouts[l][1], s[0], s[1]);
                CHECK(jepa_env_step(m, d, a) == JEPA_OK);
                jepa_env_get_state(m, d, s);
                double speed = fmax(fabs(s[2]), fabs(s[3]));
                closest = fmin(closest, wall_distance(layouts[l][1], s[0], s[1]));
                fastest = fmax(fastest, speed);
                if (clear > radius + vmax * frame_skip * h + 0.01)
                    fastest_free = fmax(fastest_free, speed);
            }
        }
        CHECK(reset_ok);
        // contacts are soft: at full speed the ball sinks up to about 0.06 into a wall
        if (!(closest >= radius - 0.065))
            fprintf(stderr, "%s: closest %g\n", layouts[l][0], closest);
        CHECK(closest >= radius - 0.065);
        if (!(fastest_free <= vmax + 1e-4))
            fprintf(stderr, "%s: fastest %g away from walls, bound %g\n", layouts[l][0],
                    fastest_free, vmax);
        CHECK(fastest_free <= vmax + 1e-4);
        CHECK(fastest_free > vel_clip); // the clip acts before the step, as in D4RL
        CHECK(fastest < 2.0 * vmax);    // contacts push, they do not blow up
        jepa_env_data_free(d);
        jepa_env_free(m);
    }
}

// a free ball under zero action: MuJoCo's Euler integrator treats damping implicitly, so each
// physics step scales v by m / (m + h b), within O(h^2) of the continuous v0 exp(-b t / m)
static void test_damping_decay(void) {
    jepa_env_model *m = create("{\"maze\":\"open\"}");
    jepa_env_data *d = jepa_env_data_create(m);
    const double mass = ball_mass();
    CHECK_NEAR(jepa_mujoco_model(m)->body_mass[1], mass, 1e-9 * mass); // what MuJoCo compiled
    const float v0[2] = {0.3f, 0.5f};
    float s[4] = {1.8f, 2.8f, v0[0], v0[1]}; // the centre of the open maze (cell 2, 3)
    CHECK(jepa_env_set_state(m, d, s) == JEPA_OK);
    const float zero[2] = {0.0f, 0.0f};
    double x = s[0], y = s[1];
    for (int t = 1; t <= 40; t++) {
        CHECK(jepa_env_step(m, d, zero) == JEPA_OK);
        jepa_env_get_state(m, d, s);
        double n = (double)(t * frame_skip), time = n * h;
        double discrete = pow(mass / (mass + h * damping), n);
        double continuous = exp(-damping * time / mass);
        for (int i = 0; i < 2; i++) {
            CHECK_NEAR(s[2 + i], v0[i] * discrete, 2e-6);                // float rounding only
            CHECK_NEAR(s[2 + i] / v0[i], continuous, 2e-3 * continuous); // O(h^2) per step
        }
        // the position is the discrete sum of the velocities: x += h v after each step
        for (int k = 0; k < frame_skip; k++) {
            double ratio = pow(mass / (mass + h * damping), (double)((t - 1) * frame_skip + k + 1));
            x += h * v0[0] * ratio;
            y += h * v0[1] * ratio;
        }
        CHECK_NEAR(s[0], x, 1e-5);
        CHECK_NEAR(s[1], y, 1e-5);
    }
    // the clip: a ball at (8, -8) leaves the next step at +-5 decayed by five steps of damping
    float fast[4] = {1.8f, 2.8f, 8.0f, -8.0f};
    CHECK(jepa_env_set_state(m, d, fast) == JEPA_OK);
    CHECK(jepa_env_step(m, d, zero) == JEPA_OK);
    jepa_env_get_state(m, d, s);
    double decay5 = pow(mass / (mass + h * damping), frame_skip);
    CHECK_NEAR(s[2], vel_clip * decay5, 2e-6);
    CHECK_NEAR(s[3], -vel_clip * decay5, 2e-6);
    // full force from rest: each physics step adds h (gear - b v) / (m + h b)
    float rest[4] = {1.8f, 2.8f, 0.0f, 0.0f};
    const float push[2] = {1.0f, -0.5f};
    CHECK(jepa_env_set_state(m, d, rest) == JEPA_OK);
    CHECK(jepa_env_step(m, d, push) == JEPA_OK);
    jepa_env_get_state(m, d, s);
    for (int i = 0; i < 2; i++) {
        double v = 0.0;
        for (int k = 0; k < frame_skip; k++)
            v += h * (gear * push[i] - damping * v) / (mass + h * damping);
        CHECK_NEAR(s[2 + i], v, 1e-5);
    }
    jepa_env_data_free(d);
    jepa_env_free(m);
}

static void test_success_and_states(void) {
    jepa_env_model *m = create(NULL);
    const float origin[4] = {1.0f, 1.0f, 3.0f, -2.0f};
    const float near[4] = {1.3f, 1.3f, 0.0f, 0.0f}; // 0.424 away: success
    const float edge[4] = {1.5f, 1.0f, 0.0f, 0.0f}; // 0.5 away: not (strictly less)
    const float inside[4] = {1.49f, 1.0f, -4.0f, 4.0f};
    const float far[4] = {4.0f, 5.0f, 0.0f, 0.0f}; // (3, 4) away
    CHECK(jepa_env_success(m, near, origin));
    CHECK(!jepa_env_success(m, edge, origin));
    CHECK(jepa_env_success(m, inside, origin));
    CHECK(!jepa_env_success(m, far, origin));
    CHECK_NEAR(jepa_env_distance(m, far, origin), 5.0, 1e-6);
    CHECK_NEAR(jepa_env_distance(m, near, origin), sqrt(0.18), 1e-6);
    // set_state refuses a ball inside a wall, outside the maze or NaN, and changes nothing then
    jepa_env_data *d = jepa_env_data_create(m);
    jepa_env_reset(m, d, 3);
    float before[4], after[4];
    jepa_env_get_state(m, d, before);
    const float free_cell[4] = {0.8f, 0.8f, 0.0f, 0.0f}; // the centre of free cell (1, 1)
    const float wall_cell[4] = {1.8f, 0.8f, 0.0f, 0.0f}; // the centre of wall cell (2, 1)
    const float outside[4] = {-3.0f, 1.0f, 0.0f, 0.0f};
    const float nan_state[4] = {1.0f, NAN, 0.0f, 0.0f};
    CHECK(jepa_env_set_state(m, d, free_cell) == JEPA_OK);
    CHECK(jepa_env_set_state(m, d, before) == JEPA_OK);
    CHECK(jepa_env_set_state(m, d, wall_cell) == JEPA_ERR_INVALID);
    CHECK(jepa_env_set_state(m, d, outside) == JEPA_ERR_INVALID);
    CHECK(jepa_env_set_state(m, d, nan_state) == JEPA_ERR_INVALID);
    const float nan_action[2] = {NAN, 0.0f};
    CHECK(jepa_env_step(m, d, nan_action) == JEPA_ERR_INVALID);
    jepa_env_get_state(m, d, after);
    CHECK(memcmp(before, after, sizeof before) == 0);
    float proprio[4];
    jepa_env_proprio(m, d, proprio);
    CHECK(memcmp(proprio, after, sizeof after) == 0);
    jepa_env_data_free(d);
    jepa_env_free(m);
}

static void test_restore_and_determinism(void) {
    // the medium maze: bang-bang actions drive the ball into walls, so contacts (and the
    // solver's state between steps) are part of what a state must restore
    jepa_env_model *m = create("{\"maze\":\"medium\"}");
    test_env_restores_exactly(m, 60, 30, 0.5f, 11);
    // another seed: another episode
    jepa_env_data *a = jepa_env_data_create(m), *b = jepa_env_data_create(m);
    float s11[4], s12[4];
    jepa_env_reset(m, a, 11);
    jepa_env_reset(m, b, 12);
    jepa_env_get_state(m, a, s11);
    jepa_env_get_state(m, b, s12);
    CHECK(memcmp(s11, s12, sizeof s11) != 0);
    jepa_env_data_free(a);
    jepa_env_data_free(b);
    jepa_env_free(m);
}

// the expert (shortest cell path, PD to each waypoint) and the mixed policy (the expert with
// noise) go everywhere: every free cell of the U within 400 steps, in every episode; and the
// expert stops on its goals, cell centres (the random walk almost never comes to rest on one)
static void test_expert(void) {
    jepa_env_model *m = create(NULL);
    jepa_env_data *d = jepa_env_data_create(m);
    for (int policy = JEPA_POLICY_EXPERT; policy <= JEPA_POLICY_MIXED; policy++)
        for (int ep = 0; ep < 5; ep++) {
            jepa_env_reset(m, d, (uint64_t)ep);
            jepa_rng rng;
            jepa_rng_init(&rng, (uint64_t)ep, 4);
            int visited[5][5] = {{0}}, n = 0, arrivals = 0, resting = 0;
            for (int t = 0; t < 400; t++) {
                float a[2], s[4];
                jepa_env_policy_act(m, d, (jepa_env_policy)policy, &rng, a);
                CHECK(fabsf(a[0]) <= 1.0f && fabsf(a[1]) <= 1.0f);
                jepa_env_step(m, d, a);
                jepa_env_get_state(m, d, s);
                // cell r spans qpos [r - 0.7, r + 0.3)
                int r = (int)floor(s[0] + 0.7), c = (int)floor(s[1] + 0.7);
                CHECK(r >= 0 && r < 5 && c >= 0 && c < 5);
                if (r >= 0 && r < 5 && c >= 0 && c < 5 && !visited[r][c]) {
                    visited[r][c] = 1;
                    n++;
                }
                // within 0.1 of the centre (r - 0.2, c - 0.2) and slower than 0.5
                int rest =
                    hypot(s[0] - (r - 0.2), s[1] - (c - 0.2)) < 0.1 && hypot(s[2], s[3]) < 0.5;
                arrivals += rest && !resting;
                resting = rest;
            }
            CHECK(n == 7);
            if (policy == JEPA_POLICY_EXPERT) CHECK(arrivals >= 3);
        }
    jepa_env_data_free(d);
    jepa_env_free(m);
}

// golden: FNV-1a of the first four 64x64 frames of seed 2025 (umaze, random policy, stream 1),
// frozen after looking at them; a change in physics, policy or render shows here
static void test_golden_frames(void) {
    jepa_env_model *m = create(NULL);
    uint64_t hash = test_env_frames_hash(m, 2025, 4);
    const uint64_t golden = 0x107a334a08f9dff6ull;
    if (hash != golden)
        fprintf(stderr, "pointmaze golden frames: 0x%016llx\n", (unsigned long long)hash);
    CHECK(hash == golden);
    jepa_env_free(m);
}

int main(void) {
    test_interface();
    test_walls_and_clip();
    test_damping_decay();
    test_success_and_states();
    test_restore_and_determinism();
    test_expert();
    test_golden_frames();
    return test_finish("test_pointmaze");
}

#else
int main(void) {
    printf("test_pointmaze: MuJoCo not found, skipped\n");
    return 0;
}
#endif
