// Push-T: push a T-shaped block onto a target pose with a round pusher, on Chipmunk2D (the
// engine under pymunk), with the constants of Diffusion Policy's PushTEnv as DINO-WM and LeWM
// use it (relative actions scaled by 100, state with the agent's velocity).
//
// Facts taken from the original (diffusion_policy/env/pusht/pusht_env.py, gym-pusht, DINO-WM's
// env/pusht/pusht_env.py), and where we differ:
// - 512 x 512 window, image convention (y down); 4 static wall segments through (5,5) and
//   (506,506), radius 2; gravity 0; space damping 0, so every substep starts the block from rest
//   (quasi-static pushing: the block moves only while pushed).
// - Agent: a kinematic circle of radius 15. One control step (10 Hz) = 10 substeps of 0.01 s, each
//   v += (100 (target - p) - 20 v) dt, then the space steps. A kinematic body passes through the
//   static walls (Chipmunk never solves infinite-mass pairs), as in the original.
// - Block: mass 1, a 120 x 30 bar (body y in [0, 30]) and a 30 x 90 stem below it (y in
//   [30, 120]); the body origin is the middle of the bar's top edge. Moment: the original sums
//   moment_for_poly over the bar TWICE (its second term reuses the bar's vertices), giving 3000
//   about the origin; we keep that. Centre of gravity (0, 45): the mean of the two boxes'
//   centroids.
// - Friction: the original writes `body.friction = 1`, an attribute pymunk bodies do not have,
//   so its shapes keep pymunk's default friction 0: contacts are frictionless. Option
//   `friction` (default 0, the original's behaviour) sets the agent's and block's shapes.
// - Reset: agent integers in [50, 450)^2, block integers in [100, 400)^2, then one 0.01 s
//   substep that separates overlaps (as the original). Angle uniform in [-pi, pi) (the
//   original's `randn() * 2pi - pi` is a normal, a slip the brief corrects). Ours: a block pose
//   that puts part of the T into a wall (the stem reaches 120 px from the origin) is drawn
//   again.
// - Walls: ours adds solid static boxes behind the 4 segments, from their centre lines outward.
//   They change nothing until the block sinks 2 px into a wall, which happens only when the
//   kinematic agent (infinite mass) squeezes it there; behind a bare 4-px segment such a block
//   is then pushed out of the arena for good, behind the backing it comes back. Exploration
//   also avoids pressing a block that touches a wall toward it.
// - Actions in [-1, 1]^2. action_mode "relative" (default, DINO-WM): target = agent + 100 a;
//   "absolute" (the original's action space, rescaled): target = (a + 1) / 2 * 512.
//
// State (13 floats): [0..6] as DINO-WM's 7: agent x, y, block x, y (body origin), block angle
// in [0, 2pi), agent vx, vy; then what exact restore needs besides: [7..9] the block's velocity
// (vx, vy, angular) and [10..12] its bias velocity (the solver's penetration correction, same
// order). Chipmunk integrates positions at the START of a step with the velocities the previous
// step's solver left, so these move the block in the next substep although damping 0 zeroes
// the velocity before the next solve; dropping them loses a substep of motion per control step.
// Exact restore: at the start of every control step the physics is rebuilt from the 13 floats
// (bodies set, the moving shapes removed and re-added with the same ids, which forgets cached
// contacts and the broad phase's history), and at its end the bodies are read back and rounded
// to float. The dynamics is thus a pure function of the state: set_state reproduces a trajectory
// bit for bit. The price: contact impulses are not warm-started across control steps (the
// original carries them over); against pymunk 6.2.1 running the original's loop, expert pushing
// episodes agree to 1e-4 px over 50 steps (tests/test_pusht.c, tools/pusht_reference.py).
// Proprio (4): agent x, y, vx, vy (DINO-WM's `with_velocity` proprio); with the option
// proprio=agent_pose (8) the block's x, y and the cos and sin of its angle follow: a diagnostic
// that gives the model the block's true pose, which the reference systems read from the frames.
// Options: action_mode, proprio (agent, agent_pose), friction, goal_x, goal_y, goal_angle (the
// goal pose the expert aims at, default (256, 256, pi/4)), expert_goal_fraction (0.5: expert
// episodes aimed at the goal, the rest at random poses), mixed_random_fraction (0.25: segments of
// a mixed episode that explore), expert_reach (1000 px: no limit; the farthest the expert's PD
// target lies from the agent: 30 gives the action std 0.20 and agent speed std 75 px/s of
// DINO-WM's human pusht data, against 0.30 and 111 unlimited).
// Policies: expert picks, among points on the T's outline, the push whose instantaneous effect
// (translation along the push, rotation by torque / moment) best matches the wanted motion,
// walks around the block to stand behind it, then pushes; random heads for random waypoints
// (half of them near the block); mixed alternates the two in segments of 10-30 steps.
// Chipmunk itself allocates only while its pools grow (the first contacts); a step allocates
// nothing of ours.
#define _POSIX_C_SOURCE 200809L
#ifdef JEPA_HAVE_CHIPMUNK // else the build has no pusht (see CMakeLists.txt)
#include <chipmunk/chipmunk.h>
#include <chipmunk/chipmunk_structs.h> // cpSpace.shapeIDCounter: see physics_load
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env/env_impl.h"
#include "env/pusht.h"

#define PUSHT_PI 3.14159265358979323846
#define PUSHT_MAX_CONTACTS 64
#define PUSHT_STATE_DIM 13

// ---- the original's constants ----
static const struct pusht_constants {
    double world; // window size in pixels (x and y in [0, world])
    double wall_lo, wall_hi, wall_radius;
    double wall_backing; // ours: solid static boxes this thick behind the walls
    double agent_radius;
    double kp, kv;       // the agent's PD velocity law
    double dt;           // physics substep (sim_hz = 100)
    int substeps;        // sim_hz / control_hz
    double action_scale; // relative actions: target = agent + action_scale * a
    double block_mass;
    double t_scale, t_length; // the T: bar t_length*t_scale x t_scale, stem t_scale wide
    int reset_agent_lo, reset_agent_hi, reset_block_lo, reset_block_hi;
    double success_position; // |(agent, block) position error| < this (px)
    double success_angle;    // |block angle error| < this (rad)
} PUSHT = {
    .world = 512,
    .wall_lo = 5,
    .wall_hi = 506,
    .wall_radius = 2,
    .wall_backing = 200,
    .agent_radius = 15,
    .kp = 100,
    .kv = 20,
    .dt = 0.01,
    .substeps = 10,
    .action_scale = 100,
    .block_mass = 1,
    .t_scale = 30,
    .t_length = 4,
    .reset_agent_lo = 50,
    .reset_agent_hi = 450,
    .reset_block_lo = 100,
    .reset_block_hi = 400,
    .success_position = 20,
    .success_angle = PUSHT_PI / 9,
};

// the T's two boxes in body coordinates (x0, y0, x1, y1): the bar, then the stem
static void t_box(int box, double *b) {
    double s = PUSHT.t_scale, half = PUSHT.t_length * s / 2;
    if (box == 0) {
        b[0] = -half, b[1] = 0, b[2] = half, b[3] = s;
    } else {
        b[0] = -s / 2, b[1] = s, b[2] = s / 2, b[3] = PUSHT.t_length * s;
    }
}

// colours (pygame's named colours) and the original's lighter fill (1.2 x, clipped)
static const uint8_t COLOR_BACKGROUND[3] = {255, 255, 255};
static const uint8_t COLOR_WALL[3] = {211, 211, 211};       // LightGray
static const uint8_t COLOR_GOAL[3] = {144, 238, 144};       // LightGreen
static const uint8_t COLOR_BLOCK[3] = {119, 136, 153};      // LightSlateGray (outline)
static const uint8_t COLOR_BLOCK_FILL[3] = {142, 163, 183}; // its light fill
static const uint8_t COLOR_AGENT[3] = {65, 105, 225};       // RoyalBlue (rim)
static const uint8_t COLOR_AGENT_FILL[3] = {78, 126, 255};  // its light fill
static const float GOAL_ALPHA = 0.5f;                       // the goal overlay is faint
static const double OUTLINE = 2;                            // the original's polygon outline radius

// A push the scripted policy may make: a point on the T's outline and its outward normal, in
// body coordinates.
typedef struct pusht_contact {
    double x, y, nx, ny;
} pusht_contact;

typedef struct pusht_model {
    int absolute;                 // action_mode: 0 relative, 1 absolute
    int proprio_pose;             // proprio: 1 appends the block's pose to the agent's
    double friction;              // the agent's and block's shape friction
    float goal[3];                // the goal pose of the block (x, y, angle)
    double expert_goal_fraction;  // expert episodes aimed at the goal pose (else random poses)
    double mixed_random_fraction; // segments of a mixed episode that explore at random
    double expert_reach;          // the expert's target lies at most this far from the agent (px)
    int n_contacts;
    pusht_contact contacts[PUSHT_MAX_CONTACTS];
} pusht_model;

// The data-collection policy's memory.
typedef struct pusht_policy {
    int started;
    int segment_random; // mixed: the current segment explores at random
    int segment_left;   // mixed: steps left in the segment
    float target[3];    // expert: the block's target pose
    int target_is_goal;
    int contact;     // expert: the chosen push (index into contacts), -1 none
    int pushing;     // expert: 0 going to the pre-push point, 1 pushing
    cpVect waypoint; // random: where the agent heads
    int waypoint_left;
} pusht_policy;

typedef struct pusht_data {
    cpSpace *space;
    cpBody *agent, *block;
    cpShape *walls[8];  // the 4 segments, then their solid backing
    cpShape *moving[3]; // agent circle, bar, stem: re-added in this order at every step
    cpHashValue first_id;
    float state[PUSHT_STATE_DIM];
    pusht_policy policy;
} pusht_data;

// ---- geometry ----

static cpVect body_to_world(const float *pose, cpVect local) {
    double c = cos(pose[2]), s = sin(pose[2]);
    return cpv(pose[0] + c * local.x - s * local.y, pose[1] + s * local.x + c * local.y);
}

static cpVect block_cog_local(void) {
    double bar[4], stem[4];
    t_box(0, bar);
    t_box(1, stem);
    return cpv(0.25 * (bar[0] + bar[2] + stem[0] + stem[2]),
               0.25 * (bar[1] + bar[3] + stem[1] + stem[3]));
}

// box `box` of the T at pose, grown by `grow` on every side, as 4 world corners (positive area)
static void t_box_world(const float *pose, int box, double grow, double *xy) {
    double b[4];
    t_box(box, b);
    double lx[4] = {b[0] - grow, b[2] + grow, b[2] + grow, b[0] - grow};
    double ly[4] = {b[1] - grow, b[1] - grow, b[3] + grow, b[3] + grow};
    for (int k = 0; k < 4; k++) {
        cpVect w = body_to_world(pose, cpv(lx[k], ly[k]));
        xy[2 * k] = w.x;
        xy[2 * k + 1] = w.y;
    }
}

// distance from world point p to the T at pose (0 inside)
static double t_distance(const float *pose, cpVect p) {
    double c = cos(pose[2]), s = sin(pose[2]), dx = p.x - pose[0], dy = p.y - pose[1];
    double lx = c * dx + s * dy, ly = -s * dx + c * dy, best = INFINITY;
    for (int box = 0; box < 2; box++) {
        double b[4];
        t_box(box, b);
        double ex = fmax(fmax(b[0] - lx, lx - b[2]), 0), ey = fmax(fmax(b[1] - ly, ly - b[3]), 0);
        best = fmin(best, sqrt(ex * ex + ey * ey));
    }
    return best;
}

// whether the T at pose lies inside the walls' inner faces
static int t_inside_walls(const float *pose) {
    double lo = PUSHT.wall_lo + PUSHT.wall_radius, hi = PUSHT.wall_hi - PUSHT.wall_radius;
    for (int box = 0; box < 2; box++) {
        double xy[8];
        t_box_world(pose, box, 0, xy);
        for (int k = 0; k < 8; k++)
            if (xy[k] < lo || xy[k] > hi) return 0;
    }
    return 1;
}

static double polygon_area(const double *xy, int n) {
    double a = 0;
    for (int k = 0; k < n; k++) {
        int j = (k + 1) % n;
        a += xy[2 * k] * xy[2 * j + 1] - xy[2 * j] * xy[2 * k + 1];
    }
    return 0.5 * a;
}

// area of the intersection of two convex polygons of positive area (Sutherland-Hodgman)
static double convex_intersection_area(const double *a, int na, const double *b, int nb) {
    enum { MAX = 32 };
    double buf[2][2 * MAX];
    int n = na;
    memcpy(buf[0], a, sizeof(double) * 2 * (size_t)na);
    for (int e = 0; e < nb && n > 0; e++) {
        const double *in = buf[e & 1];
        double *out = buf[(e + 1) & 1];
        double ax = b[2 * e], ay = b[2 * e + 1];
        double ex = b[2 * ((e + 1) % nb)] - ax, ey = b[2 * ((e + 1) % nb) + 1] - ay;
        int m = 0;
        for (int k = 0; k < n; k++) {
            int j = (k + 1) % n;
            double px = in[2 * k], py = in[2 * k + 1], qx = in[2 * j], qy = in[2 * j + 1];
            double sp = ex * (py - ay) - ey * (px - ax), sq = ex * (qy - ay) - ey * (qx - ax);
            // keep the part on the left of the edge (inside a positive-area polygon)
            if (sp >= 0 && m < MAX) out[2 * m] = px, out[2 * m + 1] = py, m++;
            if (((sp >= 0) != (sq >= 0)) && m < MAX) {
                double t = sp / (sp - sq);
                out[2 * m] = px + t * (qx - px), out[2 * m + 1] = py + t * (qy - py), m++;
            }
        }
        n = m;
    }
    return n >= 3 ? fabs(polygon_area(buf[nb & 1], n)) : 0.0;
}

double jepa_pusht_coverage(const float *block_pose, const float *goal_pose) {
    // the boxes of one T meet only along an edge, so the areas of the 4 box pairs add up
    double a[2][8], g[2][8], inter = 0, area = 0;
    for (int i = 0; i < 2; i++) {
        t_box_world(block_pose, i, 0, a[i]);
        t_box_world(goal_pose, i, 0, g[i]);
        area += polygon_area(g[i], 4);
    }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) inter += convex_intersection_area(a[i], 4, g[j], 4);
    return inter / area;
}

// |a - b| wrapped to [0, pi]
static double angle_error(double a, double b) {
    return fabs(remainder(a - b, 2 * PUSHT_PI));
}

// ---- physics ----

// Rebuild the physics from pd->state, forgetting every trace of the past (see the top comment).
static void physics_load(pusht_data *pd) {
    const float *s = pd->state;
    for (int i = 0; i < 3; i++) cpSpaceRemoveShape(pd->space, pd->moving[i]);
    // the angle first: Chipmunk rotates about the centre of gravity, then places the origin
    cpBodySetAngle(pd->block, s[4]);
    cpBodySetPosition(pd->block, cpv(s[2], s[3]));
    cpBodySetVelocity(pd->block, cpv(s[7], s[8]));
    cpBodySetAngularVelocity(pd->block, s[9]);
    pd->block->v_bias = cpv(s[10], s[11]); // no setter: the solver's own scratch
    pd->block->w_bias = s[12];
    cpBodySetPosition(pd->agent, cpv(s[0], s[1]));
    cpBodySetVelocity(pd->agent, cpv(s[5], s[6]));
    // the same shape ids as every time: the broad phase's hash order depends on them
    pd->space->shapeIDCounter = pd->first_id;
    for (int i = 0; i < 3; i++) cpSpaceAddShape(pd->space, pd->moving[i]);
}

// Read the bodies back into pd->state, rounded to float, the angle in [0, 2pi).
static void physics_store(pusht_data *pd) {
    cpVect a = cpBodyGetPosition(pd->agent), v = cpBodyGetVelocity(pd->agent);
    cpVect b = cpBodyGetPosition(pd->block);
    double theta = cpBodyGetAngle(pd->block), two_pi = 2 * PUSHT_PI;
    if (!(theta >= 0 && theta < two_pi)) theta -= two_pi * floor(theta / two_pi);
    float th = (float)theta;
    if ((double)th >= two_pi) th = 0.0f; // rounding up to float may reach 2pi
    const cpBody *k = pd->block;
    float out[PUSHT_STATE_DIM] = {
        (float)a.x,         (float)a.y,         (float)b.x,      (float)b.y,    th,
        (float)v.x,         (float)v.y,         (float)k->v.x,   (float)k->v.y, (float)k->w,
        (float)k->v_bias.x, (float)k->v_bias.y, (float)k->w_bias};
    memcpy(pd->state, out, sizeof out);
}

static void physics_substep(pusht_data *pd, cpVect target) {
    cpVect p = cpBodyGetPosition(pd->agent), v = cpBodyGetVelocity(pd->agent);
    cpVect acc = cpvsub(cpvmult(cpvsub(target, p), PUSHT.kp), cpvmult(v, PUSHT.kv));
    cpBodySetVelocity(pd->agent, cpvadd(v, cpvmult(acc, PUSHT.dt)));
    cpSpaceStep(pd->space, PUSHT.dt);
}

// ---- the vtable ----

// the last six are the solver's velocities: the block's, and its position-correction bias
static const char *const STATE_NAMES[PUSHT_STATE_DIM] = {
    "agent_x",       "agent_y",       "block_x",          "block_y",  "block_angle",
    "agent_vx",      "agent_vy",      "block_vx",         "block_vy", "block_vangle",
    "block_bias_vx", "block_bias_vy", "block_bias_vangle"};

static const char *const OPTION_KEYS[] = {"action_mode", "proprio", "friction", "goal_x",
                                          "goal_y", "goal_angle", "expert_goal_fraction",
                                          "mixed_random_fraction", "expert_reach", NULL};

// the policy's candidate pushes: points along the T's outline, clear of the concave corners by
// the agent's radius and of the convex ones by a few pixels
static void build_contacts(pusht_model *pm) {
    double s = PUSHT.t_scale, half = PUSHT.t_length * s / 2, r = PUSHT.agent_radius, m = 3;
    double bottom = PUSHT.t_length * s, stem = s / 2;
    const double edges[8][6] = {
        {-half + m, 0, half - m, 0, 0, -1},          // bar top
        {half, m, half, s - m, 1, 0},                // bar right end
        {stem + r, s, half - m, s, 0, 1},            // bar underside, right
        {stem, s + r, stem, bottom - m, 1, 0},       // stem right
        {-stem + m, bottom, stem - m, bottom, 0, 1}, // stem bottom
        {-stem, s + r, -stem, bottom - m, -1, 0},    // stem left
        {-half + m, s, -stem - r, s, 0, 1},          // bar underside, left
        {-half, m, -half, s - m, -1, 0},             // bar left end
    };
    pm->n_contacts = 0;
    for (int e = 0; e < 8; e++) {
        double len = hypot(edges[e][2] - edges[e][0], edges[e][3] - edges[e][1]);
        int n = 1 + (int)(len / 9);
        for (int k = 0; k < n && pm->n_contacts < PUSHT_MAX_CONTACTS; k++) {
            double t = n == 1 ? 0.5 : (double)k / (n - 1);
            pusht_contact *c = &pm->contacts[pm->n_contacts++];
            c->x = edges[e][0] + t * (edges[e][2] - edges[e][0]);
            c->y = edges[e][1] + t * (edges[e][3] - edges[e][1]);
            c->nx = edges[e][4];
            c->ny = edges[e][5];
        }
    }
}

// Debian's Chipmunk is built with debugging on: its first cpSpaceNew in a process prints two
// lines to stdout. Make that first space here, once, with stdout pointed at /dev/null, so the
// lines never mix with a command's output.
static void chipmunk_quiet_init(void) {
    static int done = 0;
    if (done) return;
    done = 1;
    fflush(stdout);
    int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
    if (saved >= 0 && null >= 0) dup2(null, STDOUT_FILENO);
    cpSpaceFree(cpSpaceNew());
    fflush(stdout);
    if (saved >= 0) {
        dup2(saved, STDOUT_FILENO);
        close(saved);
    }
    if (null >= 0) close(null);
}

static jepa_status pusht_model_init(jepa_env_model *m, const cJSON *options, cJSON *resolved,
                                    char *err, size_t err_size) {
    chipmunk_quiet_init(); // models are created on one thread, before any data
    static const char *const modes[] = {"relative", "absolute", NULL};
    static const char *const proprios[] = {"agent", "agent_pose", NULL};
    jepa_status st = jepa_env_check_keys("pusht", options, OPTION_KEYS, err, err_size);
    if (st != JEPA_OK) return st;
    pusht_model *pm = calloc(1, sizeof *pm);
    if (!pm) return jepa_fail(err, err_size, JEPA_ERR_NOMEM, "pusht: out of memory");
    m->impl = pm;
    double gx, gy, ga;
    st = jepa_env_opt_choice("pusht", options, resolved, "action_mode", modes, 0, &pm->absolute,
                             err, err_size);
    if (st == JEPA_OK)
        st = jepa_env_opt_choice("pusht", options, resolved, "proprio", proprios, 0,
                                 &pm->proprio_pose, err, err_size);
    if (st == JEPA_OK)
        st = jepa_env_opt_number("pusht", options, resolved, "friction", 0, 0, 10, &pm->friction,
                                 err, err_size);
    if (st == JEPA_OK)
        st = jepa_env_opt_number("pusht", options, resolved, "goal_x", 256, 0, PUSHT.world, &gx,
                                 err, err_size);
    if (st == JEPA_OK)
        st = jepa_env_opt_number("pusht", options, resolved, "goal_y", 256, 0, PUSHT.world, &gy,
                                 err, err_size);
    if (st == JEPA_OK)
        st = jepa_env_opt_number("pusht", options, resolved, "goal_angle", PUSHT_PI / 4,
                                 -2 * PUSHT_PI, 2 * PUSHT_PI, &ga, err, err_size);
    if (st == JEPA_OK)
        st = jepa_env_opt_number("pusht", options, resolved, "expert_goal_fraction", 0.5, 0, 1,
                                 &pm->expert_goal_fraction, err, err_size);
    if (st == JEPA_OK)
        st = jepa_env_opt_number("pusht", options, resolved, "mixed_random_fraction", 0.25, 0, 1,
                                 &pm->mixed_random_fraction, err, err_size);
    if (st == JEPA_OK)
        st = jepa_env_opt_number("pusht", options, resolved, "expert_reach", 1000, 1, 1000,
                                 &pm->expert_reach, err, err_size);
    if (st != JEPA_OK) return st;
    pm->goal[0] = (float)gx;
    pm->goal[1] = (float)gy;
    pm->goal[2] = (float)ga;
    build_contacts(pm);
    m->action_dim = 2;
    m->state_dim = PUSHT_STATE_DIM;
    m->proprio_dim = pm->proprio_pose ? 8 : 4;
    for (int i = 0; i < 2; i++) m->action_lo[i] = -1.0f, m->action_hi[i] = 1.0f;
    return JEPA_OK;
}

static void pusht_model_free(jepa_env_model *m) {
    free(m->impl);
    m->impl = NULL;
}

static void pusht_data_free(jepa_env_data *d) {
    pusht_data *pd = d->impl;
    if (!pd) return;
    // the space first: destroying it touches its bodies
    if (pd->space) cpSpaceFree(pd->space);
    for (int i = 0; i < 8; i++)
        if (pd->walls[i]) cpShapeFree(pd->walls[i]);
    for (int i = 0; i < 3; i++)
        if (pd->moving[i]) cpShapeFree(pd->moving[i]);
    if (pd->agent) cpBodyFree(pd->agent);
    if (pd->block) cpBodyFree(pd->block);
    free(pd);
    d->impl = NULL;
}

static jepa_status pusht_data_init(const jepa_env_model *m, jepa_env_data *d) {
    const pusht_model *pm = m->impl;
    pusht_data *pd = calloc(1, sizeof *pd);
    if (!pd) return JEPA_ERR_NOMEM;
    d->impl = pd;
    pd->space = cpSpaceNew();
    if (!pd->space) {
        pusht_data_free(d);
        return JEPA_ERR_NOMEM;
    }
    cpSpaceSetGravity(pd->space, cpvzero);
    cpSpaceSetDamping(pd->space, 0);
    // the walls, in the original's order
    double lo = PUSHT.wall_lo, hi = PUSHT.wall_hi;
    const cpVect ends[4][2] = {
        {{lo, hi}, {lo, lo}}, {{lo, lo}, {hi, lo}}, {{hi, lo}, {hi, hi}}, {{lo, hi}, {hi, hi}}};
    cpBody *ground = cpSpaceGetStaticBody(pd->space);
    for (int i = 0; i < 4; i++) {
        pd->walls[i] = cpSegmentShapeNew(ground, ends[i][0], ends[i][1], PUSHT.wall_radius);
        cpSpaceAddShape(pd->space, pd->walls[i]);
    }
    // solid backing behind each wall, from its centre line outward (ours, see the top comment)
    double far = PUSHT.wall_backing, w = PUSHT.world;
    const cpBB backing[4] = {cpBBNew(-far, -far, lo, w + far), cpBBNew(-far, -far, w + far, lo),
                             cpBBNew(hi, -far, w + far, w + far),
                             cpBBNew(-far, hi, w + far, w + far)};
    for (int i = 0; i < 4; i++) {
        pd->walls[4 + i] = cpBoxShapeNew2(ground, backing[i], 0);
        cpSpaceAddShape(pd->space, pd->walls[4 + i]);
    }
    pd->first_id = pd->space->shapeIDCounter;
    // the agent: a kinematic circle
    pd->agent = cpSpaceAddBody(pd->space, cpBodyNewKinematic());
    pd->moving[0] = cpCircleShapeNew(pd->agent, PUSHT.agent_radius, cpvzero);
    // the block: two boxes on one body, mass and moment as the original computes them
    cpVect verts[2][4];
    for (int box = 0; box < 2; box++) {
        double b[4];
        t_box(box, b);
        const double vx[4] = {b[0], b[2], b[2], b[0]}, vy[4] = {b[1], b[1], b[3], b[3]};
        for (int k = 0; k < 4; k++) verts[box][k] = cpv(vx[k], vy[k]);
    }
    double moment = 2 * cpMomentForPoly(PUSHT.block_mass, 4, verts[0], cpvzero, 0);
    pd->block = cpSpaceAddBody(pd->space, cpBodyNew(PUSHT.block_mass, moment));
    cpBodySetCenterOfGravity(
        pd->block,
        cpvmult(cpvadd(cpCentroidForPoly(4, verts[0]), cpCentroidForPoly(4, verts[1])), 0.5));
    for (int box = 0; box < 2; box++)
        pd->moving[1 + box] = cpPolyShapeNew(pd->block, 4, verts[box], cpTransformIdentity, 0);
    for (int i = 0; i < 3; i++) {
        cpShapeSetFriction(pd->moving[i], pm->friction);
        cpSpaceAddShape(pd->space, pd->moving[i]);
    }
    // the original's initial layout, until reset
    const float initial[PUSHT_STATE_DIM] = {256, 400, 256, 300, 0};
    memcpy(pd->state, initial, sizeof initial);
    pd->policy.contact = -1;
    return JEPA_OK;
}

static void pusht_reset(const jepa_env_model *m, jepa_env_data *d, jepa_rng *rng) {
    (void)m;
    pusht_data *pd = d->impl;
    uint32_t agent_span = (uint32_t)(PUSHT.reset_agent_hi - PUSHT.reset_agent_lo);
    uint32_t block_span = (uint32_t)(PUSHT.reset_block_hi - PUSHT.reset_block_lo);
    float *s = pd->state;
    s[0] = (float)(PUSHT.reset_agent_lo + (int)jepa_rng_below(rng, agent_span));
    s[1] = (float)(PUSHT.reset_agent_lo + (int)jepa_rng_below(rng, agent_span));
    // the original's ranges can put the stem into a wall: draw the block again until inside
    do {
        s[2] = (float)(PUSHT.reset_block_lo + (int)jepa_rng_below(rng, block_span));
        s[3] = (float)(PUSHT.reset_block_lo + (int)jepa_rng_below(rng, block_span));
        s[4] = jepa_rng_uniform_range(rng, (float)-PUSHT_PI, (float)PUSHT_PI);
    } while (!t_inside_walls(s + 2));
    for (int i = 5; i < PUSHT_STATE_DIM; i++) s[i] = 0.0f;
    // one substep at rest separates an agent placed on the block, as the original does
    physics_load(pd);
    cpSpaceStep(pd->space, PUSHT.dt);
    physics_store(pd);
    memset(&pd->policy, 0, sizeof pd->policy);
    pd->policy.contact = -1;
}

static void pusht_step(const jepa_env_model *m, jepa_env_data *d, const float *action) {
    const pusht_model *pm = m->impl;
    pusht_data *pd = d->impl;
    physics_load(pd);
    cpVect a = cpv(action[0], action[1]), target;
    if (pm->absolute)
        target = cpvmult(cpvadd(a, cpv(1, 1)), 0.5 * PUSHT.world);
    else
        target = cpvadd(cpBodyGetPosition(pd->agent), cpvmult(a, PUSHT.action_scale));
    for (int k = 0; k < PUSHT.substeps; k++) physics_substep(pd, target);
    physics_store(pd);
}

static void draw_t(jepa_canvas *c, const float *pose, double grow, const uint8_t color[3],
                   float alpha) {
    for (int box = 0; box < 2; box++) {
        double xy[8];
        float f[8];
        t_box_world(pose, box, grow, xy);
        for (int k = 0; k < 8; k++) f[k] = (float)xy[k];
        jepa_canvas_polygon(c, f, 4, color, alpha);
    }
}

static void pusht_render(const jepa_env_model *m, const jepa_env_data *d, jepa_canvas *c,
                         const float *goal_state) {
    (void)m;
    const pusht_data *pd = d->impl;
    const float *s = pd->state;
    float w = (float)PUSHT.world, lo = (float)PUSHT.wall_lo, hi = (float)PUSHT.wall_hi;
    float r = (float)PUSHT.wall_radius;
    jepa_canvas_init(c, c->rgb, c->width, c->height, 0, 0, w, w, 0);
    jepa_canvas_clear(c, COLOR_BACKGROUND);
    // the walls: four bars of width 2r
    const float walls[4][4] = {{lo - r, lo - r, hi + r, lo + r},
                               {lo - r, hi - r, hi + r, hi + r},
                               {lo - r, lo - r, lo + r, hi + r},
                               {hi - r, lo - r, hi + r, hi + r}};
    for (int i = 0; i < 4; i++) {
        const float *b = walls[i];
        const float xy[8] = {b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3]};
        jepa_canvas_polygon(c, xy, 4, COLOR_WALL, 1.0f);
    }
    if (goal_state) draw_t(c, goal_state + 2, 0, COLOR_GOAL, GOAL_ALPHA);
    // the block: each box outlined, then its light fill
    for (int box = 0; box < 2; box++) {
        double xy[8];
        float f[8];
        t_box_world(s + 2, box, OUTLINE, xy);
        for (int k = 0; k < 8; k++) f[k] = (float)xy[k];
        jepa_canvas_polygon(c, f, 4, COLOR_BLOCK, 1.0f);
        t_box_world(s + 2, box, -OUTLINE, xy);
        for (int k = 0; k < 8; k++) f[k] = (float)xy[k];
        jepa_canvas_polygon(c, f, 4, COLOR_BLOCK_FILL, 1.0f);
    }
    // the agent: a rim and a light disc 4 px smaller
    jepa_canvas_circle(c, s[0], s[1], (float)PUSHT.agent_radius, COLOR_AGENT, 1.0f);
    jepa_canvas_circle(c, s[0], s[1], (float)PUSHT.agent_radius - 4, COLOR_AGENT_FILL, 1.0f);
}

static void pusht_get_state(const jepa_env_model *m, const jepa_env_data *d, float *state) {
    (void)m;
    const pusht_data *pd = d->impl;
    memcpy(state, pd->state, sizeof pd->state);
}

static jepa_status pusht_set_state(const jepa_env_model *m, jepa_env_data *d, const float *state) {
    (void)m;
    pusht_data *pd = d->impl;
    // the walls are thin and the kinematic agent passes through them, so no pose is forbidden;
    // refuse only what no episode reaches: far outside the window, absurd speeds
    double w = PUSHT.world;
    for (int i = 0; i < 4; i++)
        if (!(state[i] >= -w && state[i] <= 2 * w)) return JEPA_ERR_INVALID;
    for (int i = 4; i < PUSHT_STATE_DIM; i++)
        if (!(fabs(state[i]) <= 1e5)) return JEPA_ERR_INVALID;
    memcpy(pd->state, state, sizeof pd->state);
    return JEPA_OK;
}

static void pusht_proprio(const jepa_env_model *m, const jepa_env_data *d, float *proprio) {
    const pusht_model *pm = m->impl;
    const pusht_data *pd = d->impl;
    const float *s = pd->state;
    proprio[0] = s[0], proprio[1] = s[1], proprio[2] = s[5], proprio[3] = s[6];
    if (pm->proprio_pose)
        proprio[4] = s[2], proprio[5] = s[3], proprio[6] = cosf(s[4]), proprio[7] = sinf(s[4]);
}

// DINO-WM's and LeWM's criterion: the 4 position coordinates (agent and block) within 20 px
// together (one Euclidean norm), and the block's angle within pi/9 (wrapped)
static int pusht_success(const jepa_env_model *m, const float *state, const float *goal) {
    (void)m;
    double p = 0;
    for (int i = 0; i < 4; i++) p += ((double)state[i] - goal[i]) * ((double)state[i] - goal[i]);
    return sqrt(p) < PUSHT.success_position && angle_error(state[4], goal[4]) < PUSHT.success_angle;
}

// agent and block positions (px), and the block's angle as (cos, sin) on a radius of 180 / pi px,
// so that a degree weighs about as much as a pixel (the success test: 20 px, 20 degrees)
static int pusht_plan_features(const jepa_env_model *m, const float *state, int is_goal,
                               float *out) {
    (void)m, (void)is_goal;
    const double radius = 180.0 / PUSHT_PI;
    for (int i = 0; i < 4; i++) out[i] = state[i];
    out[4] = (float)(radius * cos(state[4]));
    out[5] = (float)(radius * sin(state[4]));
    return 6;
}

// DINO-WM's state distance: the L2 norm of the difference of the first 7 entries (the angle
// wrapped; the agent's velocity counts, so it swings from step to step while the agent moves);
// the solver's velocities [7..12] do not count
static float pusht_distance(const jepa_env_model *m, const float *state, const float *goal) {
    (void)m;
    double sum = 0;
    for (int i = 0; i < 7; i++) {
        double e = i == 4 ? angle_error(state[4], goal[4]) : (double)state[i] - goal[i];
        sum += e * e;
    }
    return (float)sqrt(sum);
}

// ---- the data-collection policy ----

static const double POLICY_STANDOFF = 6;  // pre-push point: this far off the outline (px)
static const double POLICY_ORBIT = 100;   // clearance radius around the block's cog (px)
static const double POLICY_RHO = 55;      // sqrt(moment / mass): radians to pixels
static const double POLICY_MARGIN = 20;   // pre-push points stay this far inside the window
static const double POLICY_DONE_PX = 1.5; // a target pose is reached within these
static const double POLICY_DONE_RAD = 0.015;
static const double POLICY_EXPERT_NOISE = 0.05;
static const double POLICY_RANDOM_NOISE = 0.3;

static void policy_new_target(const pusht_model *pm, pusht_policy *ps, jepa_rng *rng) {
    ps->target_is_goal = jepa_rng_uniform(rng) < pm->expert_goal_fraction;
    if (ps->target_is_goal) {
        memcpy(ps->target, pm->goal, sizeof ps->target);
    } else {
        ps->target[0] = jepa_rng_uniform_range(rng, 130, 382);
        ps->target[1] = jepa_rng_uniform_range(rng, 110, 362);
        ps->target[2] = jepa_rng_uniform_range(rng, (float)-PUSHT_PI, (float)PUSHT_PI);
    }
    ps->contact = -1;
    ps->pushing = 0;
}

// where to send the agent to reach dest without touching the block
static cpVect policy_navigate(const float *pose, cpVect cog, cpVect agent, cpVect dest) {
    double clear = PUSHT.agent_radius + 3, len = cpvdist(agent, dest);
    int n = 1 + (int)(len / 5), blocked = 0;
    for (int k = 1; k <= n && !blocked; k++)
        blocked = t_distance(pose, cpvlerp(agent, dest, (double)k / n)) < clear;
    if (!blocked) return dest;
    // touching: step away from the block first
    cpVect out = cpvsub(agent, cog);
    if (t_distance(pose, agent) < PUSHT.agent_radius + 2)
        return cpvadd(agent, cpvmult(cpvnormalize(out), 30));
    // else orbit the cog, spiralling in to the clearance radius, toward dest's bearing
    double radius = fmax(POLICY_ORBIT, cpvlength(out) - 30);
    double phi = atan2(out.y, out.x);
    cpVect to = cpvsub(dest, cog);
    double dphi = remainder(atan2(to.y, to.x) - phi, 2 * PUSHT_PI), step = 50 / radius;
    if (fabs(dphi) < 0.05) return dest; // at the bearing: go in
    dphi = fmax(-step, fmin(step, dphi));
    return cpvadd(cog, cpvmult(cpvforangle(phi + dphi), radius));
}

static cpVect policy_expert(const pusht_model *pm, pusht_data *pd, jepa_rng *rng) {
    pusht_policy *ps = &pd->policy;
    const float *s = pd->state, *pose = s + 2;
    cpVect agent = cpv(s[0], s[1]), cog_local = block_cog_local();
    cpVect cog = body_to_world(pose, cog_local);
    cpVect err = cpvsub(body_to_world(ps->target, cog_local), cog);
    double dth = remainder((double)ps->target[2] - s[4], 2 * PUSHT_PI);
    if (cpvlength(err) < POLICY_DONE_PX && fabs(dth) < POLICY_DONE_RAD) {
        if (ps->target_is_goal) { // done: back off the block and hold
            ps->pushing = 0;
            if (t_distance(pose, agent) > PUSHT.agent_radius + 8) return agent;
            return cpvadd(agent, cpvmult(cpvnormalize(cpvsub(agent, cog)), 20));
        }
        policy_new_target(pm, ps, rng);
        err = cpvsub(body_to_world(ps->target, cog_local), cog);
        dth = remainder((double)ps->target[2] - s[4], 2 * PUSHT_PI);
    }
    // score each push by how well the block's response (translation along the push, rotation
    // by its torque / moment) lines up with the wanted motion, in pixels (radians x rho)
    double want_norm = hypot(cpvlength(err), POLICY_RHO * dth);
    double c = cos(pose[2]), sn = sin(pose[2]);
    int best = -1;
    double best_score = -INFINITY, current_score = -INFINITY;
    double lo = POLICY_MARGIN, hi = PUSHT.world - POLICY_MARGIN;
    for (int i = 0; i < pm->n_contacts; i++) {
        const pusht_contact *ct = &pm->contacts[i];
        cpVect point = body_to_world(pose, cpv(ct->x, ct->y));
        cpVect normal = cpv(c * ct->nx - sn * ct->ny, sn * ct->nx + c * ct->ny);
        cpVect pre = cpvadd(point, cpvmult(normal, PUSHT.agent_radius + POLICY_STANDOFF));
        if (pre.x < lo || pre.x > hi || pre.y < lo || pre.y > hi) continue;
        cpVect push = cpvneg(normal);
        // rotation per pixel pushed: torque / moment, times rho to compare with pixels
        double spin = cpvcross(cpvsub(point, cog), push) / POLICY_RHO;
        double score =
            (cpvdot(push, err) + spin * POLICY_RHO * dth) / (hypot(1.0, spin) * want_norm + 1e-9);
        score -= 0.0005 * cpvdist(pre, agent); // prefer pushes close at hand
        if (i == ps->contact) {
            score += 0.05; // a little loyalty to the push under way
            current_score = score;
        }
        if (score > best_score) best_score = score, best = i;
    }
    if (best < 0) return agent;
    if (best != ps->contact && (current_score < 0.2 || best_score > current_score + 0.15)) {
        ps->contact = best;
        ps->pushing = 0;
    }
    const pusht_contact *ct = &pm->contacts[ps->contact];
    cpVect point = body_to_world(pose, cpv(ct->x, ct->y));
    cpVect normal = cpv(c * ct->nx - sn * ct->ny, sn * ct->nx + c * ct->ny);
    cpVect touch = cpvadd(point, cpvmult(normal, PUSHT.agent_radius));
    if (ps->pushing && cpvdist(agent, touch) > 12) ps->pushing = 0; // slipped off
    if (!ps->pushing) {
        cpVect pre = cpvadd(touch, cpvmult(normal, POLICY_STANDOFF));
        if (cpvdist(agent, pre) > 5) return policy_navigate(pose, cog, agent, pre);
        ps->pushing = 1;
    }
    double depth = fmin(50, 4 + cpvlength(err) + POLICY_RHO * fabs(dth));
    return cpvsub(touch, cpvmult(normal, depth));
}

static cpVect policy_random(pusht_data *pd, jepa_rng *rng) {
    pusht_policy *ps = &pd->policy;
    const float *s = pd->state;
    cpVect agent = cpv(s[0], s[1]);
    if (ps->waypoint_left <= 0 || cpvdist(agent, ps->waypoint) < 10) {
        // half the waypoints near the block, so that exploration touches it
        if (jepa_rng_uniform(rng) < 0.5f) {
            cpVect cog = body_to_world(s + 2, block_cog_local());
            ps->waypoint =
                cpv(cog.x + 50 * jepa_rng_normal(rng), cog.y + 50 * jepa_rng_normal(rng));
        } else {
            ps->waypoint =
                cpv(jepa_rng_uniform_range(rng, 30, 482), jepa_rng_uniform_range(rng, 30, 482));
        }
        ps->waypoint_left = 5 + (int)jepa_rng_below(rng, 16);
    }
    ps->waypoint_left--;
    return ps->waypoint;
}

// Exploration never presses a block that touches a wall toward that wall: the kinematic agent
// would squeeze it into the wall (the original's physics cannot stop it). It backs off instead.
// (The expert pushes toward poses well inside and needs no guard.)
static cpVect policy_wall_guard(const float *s, cpVect agent, cpVect target) {
    const float *pose = s + 2;
    // will the agent touch the block on its way to the target, or coasting on its speed for two
    // steps?
    cpVect coast = cpvadd(agent, cpvmult(cpv(s[5], s[6]), 2 * PUSHT.dt * PUSHT.substeps));
    double len = fmax(cpvdist(agent, target), cpvdist(agent, coast));
    int n = 1 + (int)(len / 5), touches = 0;
    for (int k = 0; k <= n && !touches; k++) {
        double f = (double)k / n;
        touches = t_distance(pose, cpvlerp(agent, target, f)) < PUSHT.agent_radius + 2 ||
                  t_distance(pose, cpvlerp(agent, coast, f)) < PUSHT.agent_radius + 2;
    }
    if (!touches) return target;
    cpVect dir = cpvadd(cpvsub(target, agent), cpvsub(coast, agent));
    double inner_lo = PUSHT.wall_lo + PUSHT.wall_radius,
           inner_hi = PUSHT.wall_hi - PUSHT.wall_radius;
    double reach = 10; // a corner this close to a wall's face touches it
    for (int box = 0; box < 2; box++) {
        double xy[8];
        t_box_world(pose, box, 0, xy);
        for (int k = 0; k < 4; k++) {
            double x = xy[2 * k], y = xy[2 * k + 1];
            if ((x < inner_lo + reach && dir.x < 0) || (x > inner_hi - reach && dir.x > 0) ||
                (y < inner_lo + reach && dir.y < 0) || (y > inner_hi - reach && dir.y > 0)) {
                // brake and step away from the block's centre
                cpVect away = cpvnormalize(cpvsub(agent, body_to_world(pose, block_cog_local())));
                return cpvadd(cpvsub(agent, cpvsub(coast, agent)), cpvmult(away, 25));
            }
        }
    }
    return target;
}

static void pusht_policy_act(const jepa_env_model *m, jepa_env_data *d, jepa_env_policy policy,
                             jepa_rng *rng, float *action) {
    const pusht_model *pm = m->impl;
    pusht_data *pd = d->impl;
    pusht_policy *ps = &pd->policy;
    if (!ps->started) {
        ps->started = 1;
        policy_new_target(pm, ps, rng);
    }
    int random_now = policy == JEPA_POLICY_RANDOM;
    if (policy == JEPA_POLICY_MIXED) {
        if (ps->segment_left <= 0) {
            ps->segment_random = jepa_rng_uniform(rng) < pm->mixed_random_fraction;
            ps->segment_left = 10 + (int)jepa_rng_below(rng, 21);
            ps->pushing = 0;
        }
        ps->segment_left--;
        random_now = ps->segment_random;
    }
    cpVect agent = cpv(pd->state[0], pd->state[1]);
    cpVect target = random_now ? policy_random(pd, rng) : policy_expert(pm, pd, rng);
    if (random_now) target = policy_wall_guard(pd->state, agent, target);
    else target = cpvadd(agent, cpvclamp(cpvsub(target, agent), pm->expert_reach));
    double noise = random_now ? POLICY_RANDOM_NOISE : POLICY_EXPERT_NOISE;
    // keep the agent in the window
    double lo = PUSHT.agent_radius, hi = PUSHT.world - PUSHT.agent_radius;
    double t[2] = {fmax(lo, fmin(hi, target.x)), fmax(lo, fmin(hi, target.y))};
    double p[2] = {agent.x, agent.y};
    for (int k = 0; k < 2; k++) {
        double a =
            pm->absolute ? t[k] / (0.5 * PUSHT.world) - 1 : (t[k] - p[k]) / PUSHT.action_scale;
        a += noise * jepa_rng_normal(rng);
        action[k] = (float)fmax(-1.0, fmin(1.0, a));
    }
}

const jepa_env_vtable jepa_env_pusht = {
    .name = "pusht",
    .state_names = STATE_NAMES,
    .angle_states = 1u << 4,
    .model_init = pusht_model_init,
    .model_free = pusht_model_free,
    .data_init = pusht_data_init,
    .data_free = pusht_data_free,
    .reset = pusht_reset,
    .step = pusht_step,
    .render = pusht_render,
    .get_state = pusht_get_state,
    .set_state = pusht_set_state,
    .proprio = pusht_proprio,
    .success = pusht_success,
    .plan_features = pusht_plan_features,
    .distance = pusht_distance,
    .policy = pusht_policy_act,
};
#else
typedef int jepa_pusht_unavailable; // ISO C wants something in a translation unit
#endif
