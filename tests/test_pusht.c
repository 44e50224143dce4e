// Push-T against independent oracles: the original's physics (pymunk trajectories), analytic
// physics (a resting block, the PD law's discrete solution, a symmetric push), hand-made success
// cases, hand-computed coverage areas, bit-exact replays after set_state, and a golden checksum
// of rendered frames.
#include <stdlib.h>
#include <string.h>

#include "env/env_impl.h"
#include "env/pusht.h"
#include "testutil.h"

#ifdef JEPA_HAVE_CHIPMUNK

static jepa_env_model *make(const char *options) {
    char err[256];
    jepa_env_model *m = jepa_env_create("pusht", options, err, sizeof err);
    if (!m) fprintf(stderr, "pusht: %s\n", err);
    return m;
}

enum { DIM = JEPA_ENV_MAX_DIM }; // room for any state

// a state at rest but for the agent's velocity
static void set(jepa_env_model *m, jepa_env_data *d, float ax, float ay, float bx, float by,
                float angle, float vx, float vy) {
    const float s[DIM] = {ax, ay, bx, by, angle, vx, vy};
    CHECK(jepa_env_set_state(m, d, s) == JEPA_OK);
}

// the T's 8 outline corners in world coordinates (body frame: bar y in [0,30], stem to 120)
static void t_corners(const float *s, double *xy) {
    static const double lx[8] = {-60, 60, 60, 15, 15, -15, -15, -60};
    static const double ly[8] = {0, 0, 30, 30, 120, 120, 30, 30};
    double c = cos(s[4]), sn = sin(s[4]);
    for (int k = 0; k < 8; k++) {
        xy[2 * k] = s[2] + c * lx[k] - sn * ly[k];
        xy[2 * k + 1] = s[3] + sn * lx[k] + c * ly[k];
    }
}

// with the agent kept far away, the block does not move by a single bit
static void test_block_rests_untouched(void) {
    jepa_env_model *m = make(NULL);
    jepa_env_data *d = jepa_env_data_create(m);
    set(m, d, 60, 60, 350, 330, 1.0f, 0, 0);
    jepa_rng rng;
    jepa_rng_init(&rng, 5, 0);
    float s[DIM];
    for (int t = 0; t < 100; t++) {
        jepa_env_get_state(m, d, s);
        // wander around (60, 60): the T's nearest point is > 150 px away
        float a[2] = {(60 - s[0]) / 100 + 0.3f * jepa_rng_normal(&rng),
                      (60 - s[1]) / 100 + 0.3f * jepa_rng_normal(&rng)};
        CHECK(jepa_env_step(m, d, a) == JEPA_OK);
    }
    jepa_env_get_state(m, d, s);
    CHECK(s[2] == 350.0f && s[3] == 330.0f && s[4] == 1.0f);
    CHECK(fabsf(s[0] - 60) > 1e-3f || fabsf(s[1] - 60) > 1e-3f); // the agent did move
    jepa_env_data_free(d);
    jepa_env_free(m);
}

// deepest excursion of the T's corners past the walls' inner faces (7 and 504), in px
static double wall_penetration(const float *s) {
    double xy[16], worst = 0;
    t_corners(s, xy);
    for (int k = 0; k < 16; k++) worst = fmax(worst, fmax(7 - xy[k], xy[k] - 504));
    return worst;
}

// Random pushing for many steps never gets the block out of the arena. The kinematic agent
// (infinite mass) can squeeze the block into a wall, as in the original; the original's 4-px
// walls then let it through, our backing sends it back: the centre of gravity stays inside,
// and once the agent leaves, the block is inside again within the solver's slop.
static void test_block_stays_inside(void) {
    jepa_env_model *m = make(NULL);
    jepa_env_data *d = jepa_env_data_create(m);
    double worst = 0, worst_after = 0;
    int squeezed = 0;
    for (int e = 0; e < 24; e++) {
        jepa_env_reset(m, d, 300 + (uint64_t)e);
        jepa_rng rng;
        jepa_rng_init(&rng, 300 + (uint64_t)e, 9);
        float s[DIM] = {0}, a[2];
        double episode_worst = 0;
        for (int t = 0; t < 200; t++) {
            if (e % 3 == 0)
                a[0] = jepa_rng_uniform_range(&rng, -1, 1),
                a[1] = jepa_rng_uniform_range(&rng, -1, 1);
            else
                jepa_env_policy_act(m, d, e % 3 == 1 ? JEPA_POLICY_RANDOM : JEPA_POLICY_MIXED, &rng,
                                    a);
            jepa_env_step(m, d, a);
            jepa_env_get_state(m, d, s);
            double cx = s[2] - 45 * sin(s[4]), cy = s[3] + 45 * cos(s[4]); // the cog (0, 45)
            CHECK(cx > 7 && cx < 504 && cy > 7 && cy < 504);
            episode_worst = fmax(episode_worst, wall_penetration(s));
        }
        squeezed += episode_worst > 1;
        worst = fmax(worst, episode_worst);
        // the agent leaves (to the far side of the window): 20 steps later the block is inside
        s[0] = s[2] < 256 ? 480 : 30, s[1] = s[3] < 256 ? 480 : 30, s[5] = s[6] = 0;
        CHECK(jepa_env_set_state(m, d, s) == JEPA_OK);
        for (int t = 0; t < 20; t++) jepa_env_step(m, d, (float[]){0, 0});
        jepa_env_get_state(m, d, s);
        worst_after = fmax(worst_after, wall_penetration(s));
    }
    printf(
        "  walls: %d of 24 episodes squeezed the block > 1 px, deepest %.2f px, after: %.3f px\n",
        squeezed, worst, worst_after);
    CHECK(worst < 60);        // never through: the backing holds it
    CHECK(worst_after < 0.2); // Chipmunk's collision slop is 0.1
    jepa_env_data_free(d);
    jepa_env_free(m);
}

// The original's physics: trajectories that pymunk 6.2.1 (Chipmunk 7.0.3) produced with the
// original PushTEnv's bodies and PD loop (tools/pusht_reference.py), for expert pushes.
static void test_matches_pymunk(void) {
    FILE *f = fopen("tests/data/pusht_reference.txt", "r");
    CHECK(f != NULL);
    if (!f) return;
    jepa_env_model *m = make(NULL);
    jepa_env_data *d = jepa_env_data_create(m);
    enum { T = 50 };
    static char line[1 << 16];
    int episodes = 0;
    double max_pos = 0, max_angle = 0, moved = 0;
    float init[DIM] = {0}, actions[2 * T], ref[7 * T];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        // an episode: initial state and actions, then the reference states
        char *p = line;
        for (int i = 0; i < 7; i++) init[i] = strtof(p, &p);
        for (int i = 0; i < 2 * T; i++) actions[i] = strtof(p, &p);
        CHECK(fgets(line, sizeof line, f) != NULL);
        p = line;
        for (int i = 0; i < 7 * T; i++) ref[i] = strtof(p, &p);
        CHECK(jepa_env_set_state(m, d, init) == JEPA_OK);
        for (int t = 0; t < T; t++) {
            float s[DIM];
            CHECK(jepa_env_step(m, d, actions + 2 * t) == JEPA_OK);
            jepa_env_get_state(m, d, s);
            const float *r = ref + 7 * t;
            for (int i = 0; i < 7; i++)
                if (i != 4) max_pos = fmax(max_pos, fabs(s[i] - r[i]) / (i >= 5 ? 10 : 1));
            max_angle = fmax(max_angle, fabs(remainder((double)s[4] - r[4], 2 * M_PI)));
        }
        moved += hypot(ref[7 * (T - 1) + 2] - init[2], ref[7 * (T - 1) + 3] - init[3]);
        episodes++;
    }
    fclose(f);
    CHECK(episodes == 4);
    CHECK(moved / episodes > 50); // they push the block a good way
    printf("  against pymunk: %d episodes, max error %.2e px (velocities /10), %.2e rad\n",
           episodes, max_pos, max_angle);
    // float rounding of the state at each control step is all that differs
    CHECK(max_pos < 1e-2);
    CHECK(max_angle < 1e-4);
    jepa_env_data_free(d);
    jepa_env_free(m);
}

// x_{n+1} = A x_n for x = (p - target, v): v += (-kp e - kv v) dt, then p += v dt. Sylvester's
// formula with A's two real eigenvalues gives A^n in closed form.
static void pd_closed_form(double e0, double v0, int n, double *e, double *v) {
    const double kp = 100, kv = 20, dt = 0.01;
    const double a11 = 1 - kp * dt * dt, a12 = dt * (1 - kv * dt), a21 = -kp * dt,
                 a22 = 1 - kv * dt;
    double tr = a11 + a22, det = a11 * a22 - a12 * a21, disc = sqrt(tr * tr / 4 - det);
    double l1 = tr / 2 + disc, l2 = tr / 2 - disc, p1 = pow(l1, n), p2 = pow(l2, n);
    // A^n = (l1^n (A - l2 I) - l2^n (A - l1 I)) / (l1 - l2)
    double m11 = (p1 * (a11 - l2) - p2 * (a11 - l1)) / (l1 - l2);
    double m12 = (p1 - p2) * a12 / (l1 - l2);
    double m21 = (p1 - p2) * a21 / (l1 - l2);
    double m22 = (p1 * (a22 - l2) - p2 * (a22 - l1)) / (l1 - l2);
    *e = m11 * e0 + m12 * v0;
    *v = m21 * e0 + m22 * v0;
}

// a free agent follows the PD law exactly (10 substeps of 0.01 s per control step)
static void test_pd_law(void) {
    for (int absolute = 0; absolute < 2; absolute++) {
        jepa_env_model *m = make(absolute ? "{\"action_mode\": \"absolute\"}" : NULL);
        jepa_env_data *d = jepa_env_data_create(m);
        set(m, d, 120, 150, 400, 380, 0, 3, -2); // the block far away in a corner
        double p[2] = {120, 150}, v[2] = {3, -2}, max_p = 0, max_v = 0;
        const float actions[8][2] = {{0.5f, -0.3f},  {1, 1},       {-1, 0.2f},     {0, 0},
                                     {-0.7f, -0.9f}, {0.1f, 0.6f}, {-0.4f, 0.25f}, {0.3f, 0}};
        for (int t = 0; t < 24; t++) {
            const float *a = actions[t % 8];
            float scale = absolute ? 0.3f : 1.0f; // absolute targets stay in the top-left
            float act[2] = {a[0] * scale - (absolute ? 0.5f : 0),
                            a[1] * scale - (absolute ? 0.4f : 0)};
            CHECK(jepa_env_step(m, d, act) == JEPA_OK);
            for (int k = 0; k < 2; k++) {
                double target = absolute ? ((double)act[k] + 1) * 256 : p[k] + 100 * (double)act[k];
                double e, vel;
                pd_closed_form(p[k] - target, v[k], 10, &e, &vel);
                p[k] = target + e;
                v[k] = vel;
            }
            float s[DIM];
            jepa_env_get_state(m, d, s);
            CHECK(s[2] == 400.0f && s[3] == 380.0f); // never touched
            for (int k = 0; k < 2; k++) {
                max_p = fmax(max_p, fabs(s[k] - p[k]));
                max_v = fmax(max_v, fabs(s[5 + k] - v[k]));
            }
        }
        // float state vs double oracle: rounding of ~3e-5 px per step, no drift
        CHECK_NEAR(max_p, 0, 2e-3);
        CHECK_NEAR(max_v, 0, 2e-3);
        float pr[4], s[DIM];
        jepa_env_proprio(m, d, pr);
        jepa_env_get_state(m, d, s);
        CHECK(pr[0] == s[0] && pr[1] == s[1] && pr[2] == s[5] && pr[3] == s[6]);
        jepa_env_data_free(d);
        jepa_env_free(m);
    }
}

// pushing the bar's top straight down through the cog translates the T without turning it
static void test_symmetric_push(void) {
    jepa_env_model *m = make(NULL);
    jepa_env_data *d = jepa_env_data_create(m);
    set(m, d, 256, 150, 256, 200, 0, 0, 0);
    for (int t = 0; t < 8; t++) CHECK(jepa_env_step(m, d, (float[]){0, 0.4f}) == JEPA_OK);
    float s[DIM];
    jepa_env_get_state(m, d, s);
    printf("  symmetric push: block y %.3f, agent y %.3f\n", s[3], s[1]);
    CHECK(s[3] > 230);                               // pushed down a good way
    CHECK_NEAR(s[2], 256, 1e-4);                     // not sideways
    CHECK(fabs(remainder(s[4], 2 * M_PI)) < 1e-6);   // not turned
    CHECK(s[3] - s[1] > 14.5 && s[3] - s[1] < 15.5); // the agent rests on the top edge
    jepa_env_data_free(d);
    jepa_env_free(m);
}

static void test_success(void) {
    jepa_env_model *m = make(NULL);
    const float goal[DIM] = {200, 300, 256, 256, (float)(M_PI / 4), 5, -5, 1, 2, 3, 4, 5, 6};
    float s[DIM];
    memcpy(s, goal, sizeof s);
    CHECK(jepa_env_success(m, s, goal));
    CHECK(jepa_env_distance(m, s, goal) == 0.0f);
    // velocities do not count
    s[5] = 100, s[6] = -80;
    CHECK(jepa_env_success(m, s, goal));
    // the block 19 vs 21 px off
    s[2] = goal[2] + 19;
    CHECK(jepa_env_success(m, s, goal));
    s[2] = goal[2] + 21;
    CHECK(!jepa_env_success(m, s, goal));
    // one norm over agent and block: 12 and 15 px give 19.2, 12 and 17 give 20.8
    memcpy(s, goal, sizeof s);
    s[0] = goal[0] + 12, s[3] = goal[3] - 15;
    CHECK(jepa_env_success(m, s, goal));
    s[3] = goal[3] - 17;
    CHECK(!jepa_env_success(m, s, goal));
    // the angle just inside and just outside pi/9, both ways
    memcpy(s, goal, sizeof s);
    s[4] = goal[4] + (float)(M_PI / 9) - 1e-3f;
    CHECK(jepa_env_success(m, s, goal));
    s[4] = goal[4] - (float)(M_PI / 9) + 1e-3f;
    CHECK(jepa_env_success(m, s, goal));
    s[4] = goal[4] + (float)(M_PI / 9) + 1e-3f;
    CHECK(!jepa_env_success(m, s, goal));
    s[4] = goal[4] - (float)(M_PI / 9) - 1e-3f;
    CHECK(!jepa_env_success(m, s, goal));
    // wrap-around: 0.05 and 2pi - 0.05 are 0.1 apart; so are 0.05 and -0.05 + 4pi
    float g2[DIM], s2[DIM];
    memcpy(g2, goal, sizeof g2);
    memcpy(s2, goal, sizeof s2);
    g2[4] = (float)(2 * M_PI - 0.05), s2[4] = 0.05f;
    CHECK(jepa_env_success(m, s2, g2));
    CHECK_NEAR(jepa_env_distance(m, s2, g2), 0.1, 1e-5);
    g2[4] = (float)(4 * M_PI - 0.05);
    CHECK(jepa_env_success(m, s2, g2));
    g2[4] = (float)(M_PI + 0.05); // half a turn is far
    CHECK(!jepa_env_success(m, s2, g2));
    // the distance: a 3-4-5 triangle in the block's position
    memcpy(s, goal, sizeof s);
    s[2] += 3, s[3] += 4;
    CHECK_NEAR(jepa_env_distance(m, s, goal), 5, 1e-5);
    jepa_env_free(m);
}

static void test_coverage(void) {
    // the T's area is 120*30 + 30*90 = 6300
    const float g[3] = {256, 256, (float)(M_PI / 4)};
    CHECK_NEAR(jepa_pusht_coverage(g, g), 1.0, 1e-12);
    // translation along the body x axis by dx < 30: bars overlap (120-dx)*30, stems (30-dx)*90
    for (int k = 0; k < 3; k++) {
        const double angles[3] = {0, 0.7, -2.3}, shifts[3] = {10, 4.5, 27};
        double th = angles[k], dx = shifts[k];
        const float a[3] = {100, 200, (float)th};
        const float b[3] = {(float)(100 + dx * cos(th)), (float)(200 + dx * sin(th)), (float)th};
        double expect = ((120 - dx) * 30 + (30 - dx) * 90) / 6300;
        CHECK_NEAR(jepa_pusht_coverage(b, a), expect, 1e-5);
        // along the body y axis by dy < 30: bars 120*(30-dy), stems 30*(90-dy), stem-bar 30*dy
        const float c[3] = {(float)(100 - dx * sin(th)), (float)(200 + dx * cos(th)), (float)th};
        CHECK_NEAR(jepa_pusht_coverage(c, a), (6300 - 120 * dx) / 6300, 1e-5);
    }
    // far apart: nothing; half a turn about the origin: only the bars' ... nothing either
    const float far[3] = {400, 400, 0}, near[3] = {100, 100, 0};
    CHECK(jepa_pusht_coverage(far, near) == 0.0);
    // a half turn about the bar's top middle: the bar flips to y in [-30, 0], the stem to
    // [-120, -30]: they meet the original only along the line y = 0
    const float flip[3] = {100, 100, (float)M_PI};
    CHECK_NEAR(jepa_pusht_coverage(flip, near), 0.0, 1e-5);
}

static void record(jepa_env_model *m, jepa_env_data *d, const float *actions, int n,
                   float *states) {
    for (int t = 0; t < n; t++) {
        jepa_env_step(m, d, actions + 2 * t);
        jepa_env_get_state(m, d, states + DIM * t);
    }
}

// set_state(get_state) replays a contact-rich stretch bit for bit, in the same or a new data
static void test_state_round_trip(void) {
    jepa_env_model *m = make(NULL);
    jepa_env_data *d = jepa_env_data_create(m), *d2 = jepa_env_data_create(m);
    enum { PRE = 25, N = 60 };
    jepa_rng rng;
    jepa_rng_init(&rng, 77, 0);
    jepa_env_reset(m, d, 77);
    float a[2], s0[DIM] = {0}, actions[2 * N], run[DIM * N] = {0}, again[DIM * N] = {0},
                fresh[DIM * N] = {0};
    for (int t = 0; t < PRE; t++) {
        jepa_env_policy_act(m, d, JEPA_POLICY_EXPERT, &rng, a);
        jepa_env_step(m, d, a);
    }
    jepa_env_get_state(m, d, s0);
    // roll on with the expert, keeping its actions
    for (int t = 0; t < N; t++) {
        jepa_env_policy_act(m, d, JEPA_POLICY_EXPERT, &rng, actions + 2 * t);
        jepa_env_step(m, d, actions + 2 * t);
        jepa_env_get_state(m, d, run + DIM * t);
    }
    // the stretch pushes the block (else the test would prove little)
    CHECK(hypot(run[DIM * (N - 1) + 2] - s0[2], run[DIM * (N - 1) + 3] - s0[3]) > 20);
    CHECK(jepa_env_set_state(m, d, s0) == JEPA_OK);
    float back[DIM] = {0};
    jepa_env_get_state(m, d, back);
    CHECK(memcmp(back, s0, sizeof back) == 0);
    record(m, d, actions, N, again);
    CHECK(memcmp(again, run, sizeof run) == 0);
    // a data with another history: a different episode first
    jepa_env_reset(m, d2, 5);
    for (int t = 0; t < 30; t++) jepa_env_step(m, d2, actions + 2 * t);
    CHECK(jepa_env_set_state(m, d2, s0) == JEPA_OK);
    record(m, d2, actions, N, fresh);
    CHECK(memcmp(fresh, run, sizeof run) == 0);
    // states it cannot hold change nothing
    float bad[DIM];
    memcpy(bad, s0, sizeof bad);
    bad[3] = NAN;
    CHECK(jepa_env_set_state(m, d2, bad) == JEPA_ERR_INVALID);
    bad[3] = 1e6f;
    CHECK(jepa_env_set_state(m, d2, bad) == JEPA_ERR_INVALID);
    float now[DIM] = {0};
    jepa_env_get_state(m, d2, now);
    CHECK(memcmp(now, fresh + DIM * (N - 1), sizeof now) == 0);
    CHECK(jepa_env_step(m, d2, (float[]){NAN, 0}) == JEPA_ERR_INVALID);
    jepa_env_get_state(m, d2, now);
    CHECK(memcmp(now, fresh + DIM * (N - 1), sizeof now) == 0);
    jepa_env_data_free(d);
    jepa_env_data_free(d2);
    jepa_env_free(m);
}

// In the T's concave corner the agent touches bar and stem at once, and the bar's end reaches
// the wall: several contacts solved in sequence, warm-started from cached impulses in Chipmunk.
// After set_state, a data that was pushing a moment ago (its contact cache full) and a fresh
// one agree bit for bit.
static void test_corner_replay(void) {
    jepa_env_model *m = make(NULL);
    enum { N = 12 };
    // bar underside at y = 230, stem's right side at x = 95: the agent at (110, 245)
    const float corner[DIM] = {110, 245, 80, 200, 0, -40, -40};
    const float push[2] = {-0.4f, -0.1f};
    float first[N * DIM] = {0};
    for (int history = 0; history < 8; history++) {
        jepa_env_data *d = jepa_env_data_create(m);
        CHECK(jepa_env_set_state(m, d, corner) == JEPA_OK);
        for (int t = 0; t < history; t++) jepa_env_step(m, d, push);
        CHECK(jepa_env_set_state(m, d, corner) == JEPA_OK);
        float states[N * DIM] = {0};
        for (int t = 0; t < N; t++) {
            jepa_env_step(m, d, push);
            jepa_env_get_state(m, d, states + DIM * t);
        }
        if (history == 0) {
            memcpy(first, states, sizeof first);
            CHECK(hypot(states[DIM * (N - 1) + 2] - 80, states[DIM * (N - 1) + 3] - 200) > 10);
        } else {
            CHECK(memcmp(states, first, sizeof first) == 0);
        }
        jepa_env_data_free(d);
    }
    jepa_env_free(m);
}

// one mixed-policy episode: the FNV-1a hash of its first `frames` 64x64 frames and its states
static uint64_t episode_hash(jepa_env_model *m, jepa_env_data *d, uint64_t seed, int frames,
                             uint8_t *first) {
    jepa_rng rng;
    jepa_rng_init(&rng, seed, 1);
    jepa_env_reset(m, d, seed);
    uint8_t rgb[64 * 64 * 3];
    uint64_t h = 14695981039346656037ull;
    for (int t = 0; t < frames; t++) {
        float a[2], s[DIM];
        jepa_env_render(m, d, rgb, 64, 64, NULL);
        if (t == 0 && first) memcpy(first, rgb, sizeof rgb);
        jepa_env_get_state(m, d, s);
        h = test_fnv1a(rgb, sizeof rgb, h);
        h = test_fnv1a(s, sizeof s, h);
        jepa_env_policy_act(m, d, JEPA_POLICY_MIXED, &rng, a);
        jepa_env_step(m, d, a);
    }
    return h;
}

static void test_determinism_and_golden(void) {
    jepa_env_model *m = make(NULL);
    jepa_env_data *d = jepa_env_data_create(m), *d2 = jepa_env_data_create(m);
    uint8_t first[64 * 64 * 3];
    uint64_t h1 = episode_hash(m, d, 2024, 40, first);
    uint64_t h2 = episode_hash(m, d2, 2024, 40, NULL);
    uint64_t h3 = episode_hash(m, d, 2025, 40, NULL);
    CHECK(h1 == h2);
    CHECK(h1 != h3);
    // the golden value was taken once, after looking at the frames; it pins libm's sin/cos and
    // Chipmunk 7.0.3's solver too
    const uint64_t golden = 0x8fd3505318f9dc73ull;
    if (h1 != golden) fprintf(stderr, "pusht golden hash: 0x%016llx\n", (unsigned long long)h1);
    CHECK(h1 == golden);
    // frame 0 (seen as a picture): the agent's light disc and the block's light fill in full
    int blue = 0, slate = 0;
    for (int i = 0; i < 64 * 64; i++) {
        const uint8_t *p = first + 3 * i;
        blue += p[0] == 78 && p[1] == 126 && p[2] == 255;
        slate += p[0] == 142 && p[1] == 163 && p[2] == 183;
    }
    CHECK(blue >= 1 && slate > 30);
    // white inside, the light-gray walls along the border
    CHECK(first[3 * (60 * 64 + 5)] == 255 && first[3 * (60 * 64 + 5) + 2] == 255);
    CHECK(first[3 * (32 * 64)] < 250 && first[3 * (32 * 64)] > 211);
    // 224 x 224 (the reference systems' size): the agent's light disc, 4.8 px in radius
    static uint8_t big[224 * 224 * 3];
    jepa_env_render(m, d, big, 224, 224, NULL);
    blue = 0;
    for (int i = 0; i < 224 * 224; i++) blue += big[3 * i] == 78 && big[3 * i + 2] == 255;
    CHECK(blue > 40 && blue < 100); // pi 4.8^2 = 72
    // the goal overlay: LightGreen (144, 238, 144) at half strength over white, rounded, is
    // (200, 247, 200) in the middle of the goal's bar, body point (0, 15)
    float goal[DIM] = {0, 0, 256, 256, (float)(M_PI / 4)};
    set(m, d, 60, 60, 400, 120, 0, 0, 0);
    jepa_env_render(m, d, big, 224, 224, goal);
    double gx = 256 - 15 * sin(M_PI / 4), gy = 256 + 15 * cos(M_PI / 4);
    const uint8_t *g = big + 3 * ((size_t)(gy * 224 / 512) * 224 + (size_t)(gx * 224 / 512));
    CHECK(g[0] == 200 && g[1] == 247 && g[2] == 200);
    jepa_env_data_free(d);
    jepa_env_data_free(d2);
    jepa_env_free(m);
}

// the vtable driven by hand gives what jepa_env_create gives; reset ranges; options
static void test_vtable_and_options(void) {
    jepa_env_model hand = {0};
    cJSON *resolved = cJSON_CreateObject();
    char err[256] = "";
    hand.vt = &jepa_env_pusht;
    CHECK(jepa_env_pusht.model_init(&hand, NULL, resolved, err, sizeof err) == JEPA_OK);
    CHECK(hand.action_dim == 2 && hand.state_dim == 13 && hand.proprio_dim == 4);
    CHECK(hand.action_lo[0] == -1 && hand.action_hi[1] == 1);
    jepa_env_data dh = {.m = &hand};
    CHECK(jepa_env_pusht.data_init(&hand, &dh) == JEPA_OK);
    jepa_env_model *m = make(NULL);
    jepa_env_data *d = jepa_env_data_create(m);
    for (uint64_t seed = 0; seed < 200; seed++) {
        jepa_rng init;
        jepa_rng_init(&init, seed, 0);
        jepa_env_pusht.reset(&hand, &dh, &init);
        jepa_env_reset(m, d, seed);
        float a[DIM], b[DIM];
        jepa_env_pusht.get_state(&hand, &dh, a);
        jepa_env_get_state(m, d, b);
        CHECK(memcmp(a, b, sizeof a) == 0);
        // the agent does not move in the settling substep: integers in [50, 450)
        CHECK(b[0] == floorf(b[0]) && b[0] >= 50 && b[0] < 450);
        CHECK(b[1] == floorf(b[1]) && b[1] >= 50 && b[1] < 450);
        // the block only if the agent was placed on it
        CHECK(b[2] >= 100 - 30 && b[2] < 400 + 30 && b[3] >= 100 - 30 && b[3] < 400 + 30);
        CHECK(b[4] >= 0 && b[4] < (float)(2 * M_PI) && b[5] == 0 && b[6] == 0);
        const float act[2] = {0.3f, -0.6f};
        jepa_env_pusht.step(&hand, &dh, act);
        jepa_env_step(m, d, act);
        jepa_env_pusht.get_state(&hand, &dh, a);
        jepa_env_get_state(m, d, b);
        CHECK(memcmp(a, b, sizeof a) == 0);
    }
    jepa_env_pusht.data_free(&dh);
    jepa_env_pusht.model_free(&hand);
    cJSON_Delete(resolved);
    // options
    const char *opts = jepa_env_options_json(m);
    CHECK(strstr(opts, "\"action_mode\":\"relative\"") != NULL);
    CHECK(strstr(opts, "\"friction\":0") != NULL);
    CHECK(jepa_env_create("pusht", "{\"gravity\": 1}", err, sizeof err) == NULL);
    CHECK(strstr(err, "gravity") != NULL);
    CHECK(jepa_env_create("pusht", "{\"action_mode\": \"polar\"}", err, sizeof err) == NULL);
    CHECK(jepa_env_create("pusht", "{\"friction\": -1}", err, sizeof err) == NULL);
    CHECK(jepa_env_create("pusht", "{\"expert_reach\": 0}", err, sizeof err) == NULL);
    CHECK(strstr(err, "expert_reach") != NULL);
    jepa_env_model *mf = make("{\"friction\": 1, \"action_mode\": \"absolute\"}");
    CHECK(mf != NULL);
    jepa_env_free(mf);
    CHECK(jepa_env_create("pusht", "{\"proprio\": \"block\"}", err, sizeof err) == NULL);
    CHECK(strstr(err, "proprio") != NULL);
    // proprio=agent_pose: the agent's 4 values, then the block's x, y, cos and sin of its angle
    jepa_env_model *mp = make("{\"proprio\": \"agent_pose\"}");
    jepa_env_data *dp = jepa_env_data_create(mp);
    CHECK(jepa_env_proprio_dim(mp) == 8 && jepa_env_proprio_dim(m) == 4);
    set(mp, dp, 100, 120, 300, 280, 2.5f, 7, -3);
    float pp[8], sp[DIM];
    jepa_env_proprio(mp, dp, pp);
    jepa_env_get_state(mp, dp, sp);
    CHECK(pp[0] == 100 && pp[1] == 120 && pp[2] == 7 && pp[3] == -3);
    CHECK(pp[4] == 300 && pp[5] == 280);
    CHECK_NEAR(pp[6], cos(2.5), 1e-6);
    CHECK_NEAR(pp[7], sin(2.5), 1e-6);
    CHECK(sp[2] == pp[4] && sp[3] == pp[5]);
    jepa_env_data_free(dp);
    jepa_env_free(mp);
    jepa_env_data_free(d);
    jepa_env_free(m);
}

// the expert's speed: its relative actions' spread over 20 episodes of 100 steps, unlimited
// (0.30 a dimension measured) and with expert_reach 30 (0.20: a target at most 30 px away,
// an action of at most 0.3 before the 0.05 noise), and every limited action inside that
static double expert_action_std(const char *options, double *largest) {
    jepa_env_model *m = make(options);
    jepa_env_data *d = jepa_env_data_create(m);
    double sum = 0, sq = 0;
    int n = 0;
    *largest = 0;
    for (uint64_t ep = 0; ep < 20; ep++) {
        jepa_rng rng;
        jepa_rng_init(&rng, 500 + ep, 0);
        jepa_env_reset(m, d, 500 + ep);
        for (int t = 0; t < 100; t++, n += 2) {
            float a[2];
            jepa_env_policy_act(m, d, JEPA_POLICY_EXPERT, &rng, a);
            jepa_env_step(m, d, a);
            sum += a[0] + a[1], sq += a[0] * a[0] + a[1] * a[1];
            *largest = fmax(*largest, hypot(a[0], a[1]));
        }
    }
    jepa_env_data_free(d);
    jepa_env_free(m);
    return sqrt(sq / n - (sum / n) * (sum / n));
}

static void test_expert_reach(void) {
    double top_free, top_30;
    double free_std = expert_action_std(NULL, &top_free);
    double std_30 = expert_action_std("{\"expert_reach\": 30}", &top_30);
    printf("expert action std: %.3f unlimited (largest %.2f), %.3f with expert_reach 30 (largest "
           "%.2f)\n", free_std, top_free, std_30, top_30);
    CHECK(free_std > 0.27 && free_std < 0.33);
    CHECK(std_30 > 0.18 && std_30 < 0.22);
    CHECK(top_free > 0.9 && top_30 < 0.3 + 6 * 0.05);
}

int main(void) {
    test_block_rests_untouched();
    test_block_stays_inside();
    test_matches_pymunk();
    test_pd_law();
    test_symmetric_push();
    test_success();
    test_coverage();
    test_state_round_trip();
    test_corner_replay();
    test_determinism_and_golden();
    test_vtable_and_options();
    test_expert_reach();
    return test_finish("pusht");
}
#else
int main(void) {
    printf("pusht: skipped (this build has no Chipmunk2D)\n");
    return 0;
}
#endif
