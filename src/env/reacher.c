// reacher: the DeepMind Control Suite's two-link planar reacher on MuJoCo, with the constants of
// dm_control's reacher.xml and reacher.py: links of 0.12 (the arm capsule 0.12 long, the hand
// capsule 0.1 long with the finger sphere, radius 0.01, at 0.12), capsule radius 0.01, hinge
// damping 0.01, the wrist limited to +-160 degrees, motors of gear 0.05 with control in [-1, 1],
// timestep 0.02 and contacts off. One control step is one physics step, as dm_control's
// control.Environment runs the reacher (control timestep = physics timestep).
// Tasks: "easy" (target radius 0.05, the default) and "hard" (0.015).
//
// State (6) = (shoulder, wrist, shoulder velocity, wrist velocity, target x, target y);
// proprio (4) = the joint angles and velocities. The target, which dm_control moves by editing
// the model, lives in the instance here; it touches no physics (contacts are off). As in
// pointmaze, qpos and qvel are rounded to float after each step and the solver's warm start is
// off, so that the float state restores an instance bit for bit.
// Policies: random = uniform actions held 1..5 steps; expert = inverse kinematics to the target
// and a joint PD law; mixed = the expert plus N(0, 0.5^2) action noise.
// Render: top-down, orthographic, over the square [-0.31, 0.31]^2 that dm_control's fixed camera
// (0.75 above the ground, 45 degree field of view) sees; x to the right, y up.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "env/env_impl.h"
#include "env/mujoco_model.h"

#ifdef JEPA_HAVE_MUJOCO

#define RE_PI 3.14159265358979323846
#define RE_LINK 0.12f       // shoulder to wrist, and wrist to fingertip
#define RE_HAND_LENGTH 0.1f // the hand capsule (the finger sits at 0.12)
#define RE_CAPSULE_RADIUS 0.01f
#define RE_FINGER_RADIUS 0.01f
#define RE_WRIST_LIMIT (160.0 * RE_PI / 180.0)
#define RE_WRIST_SLACK 0.3    // set_state accepts a wrist this far past its soft limit
#define RE_TARGET_R_MIN 0.05f // the target: radius U(0.05, 0.20), angle U(0, 2 pi)
#define RE_TARGET_R_MAX 0.20f
#define RE_VIEW 0.31f       // 0.75 * tan(22.5 degrees)
#define RE_HOLD_MAX 5       // random policy: each action held for 1..5 steps
#define RE_EXPERT_KP 10.0   // expert: action per radian of joint error
#define RE_EXPERT_KD 0.7    // expert: action per rad/s of joint velocity
#define RE_MIXED_NOISE 0.5f // mixed: the expert's action + N(0, 0.5^2)

static const char *const re_task_names[] = {"easy", "hard", NULL};
static const float re_target_sizes[] = {0.05f, 0.015f};

static const uint8_t re_floor_dark[3] = {26, 51, 77};   // grid checker .1 .2 .3
static const uint8_t re_floor_light[3] = {51, 77, 102}; // and .2 .3 .4
static const uint8_t re_self[3] = {178, 128, 76};       // material "self" .7 .5 .3
static const uint8_t re_effector[3] = {178, 102, 51};   // material "effector" .7 .4 .2
static const uint8_t re_decoration[3] = {77, 128, 178}; // material "decoration" .3 .5 .7
static const uint8_t re_target[3] = {153, 77, 77};      // material "target" .6 .3 .3

// the MJCF of dm_control's arm (the ground, arena walls, root and target are drawn, not simulated)
static const char re_xml[] =
    "<mujoco model=\"two-link planar reacher\">\n"
    "  <option timestep=\"0.02\">\n"
    "    <flag contact=\"disable\" warmstart=\"disable\"/>\n"
    "  </option>\n"
    "  <default>\n"
    "    <joint type=\"hinge\" axis=\"0 0 1\" damping=\"0.01\"/>\n"
    "    <motor gear=\".05\" ctrlrange=\"-1 1\" ctrllimited=\"true\"/>\n"
    "  </default>\n"
    "  <worldbody>\n"
    "    <body name=\"arm\" pos=\"0 0 .01\">\n"
    "      <geom name=\"arm\" type=\"capsule\" fromto=\"0 0 0 0.12 0 0\" size=\".01\"/>\n"
    "      <joint name=\"shoulder\"/>\n"
    "      <body name=\"hand\" pos=\".12 0 0\">\n"
    "        <geom name=\"hand\" type=\"capsule\" fromto=\"0 0 0 0.1 0 0\" size=\".01\"/>\n"
    "        <joint name=\"wrist\" limited=\"true\" range=\"-160 160\"/>\n"
    "        <body name=\"finger\" pos=\".12 0 0\">\n"
    "          <geom name=\"finger\" type=\"sphere\" size=\".01\"/>\n"
    "        </body>\n"
    "      </body>\n"
    "    </body>\n"
    "  </worldbody>\n"
    "  <actuator>\n"
    "    <motor name=\"shoulder\" joint=\"shoulder\"/>\n"
    "    <motor name=\"wrist\" joint=\"wrist\"/>\n"
    "  </actuator>\n"
    "</mujoco>\n";

typedef struct reacher_model {
    mjModel *mj; // first: jepa_mujoco_model reads it
    float target_size;
    int body_arm, body_hand, geom_finger;
} reacher_model;

typedef struct reacher_data {
    mjData *mj;      // first: jepa_mujoco_data reads it
    float target[2]; // the episode's target position
    float action[2]; // the random policy's held action
    int hold;        // steps it is still held
} reacher_data;

static jepa_status re_model_init(jepa_env_model *m, const cJSON *options, cJSON *resolved,
                                 char *err, size_t err_size) {
    static const char *const known[] = {"task", NULL};
    jepa_status st = jepa_env_check_keys("reacher", options, known, err, err_size);
    int task = 0;
    if (st == JEPA_OK)
        st = jepa_env_opt_choice("reacher", options, resolved, "task", re_task_names, 0, &task, err,
                                 err_size);
    if (st != JEPA_OK) return st;
    reacher_model *rm = calloc(1, sizeof *rm);
    if (!rm) return jepa_fail(err, err_size, JEPA_ERR_NOMEM, "reacher: out of memory");
    m->impl = rm;
    rm->target_size = re_target_sizes[task];
    rm->mj = jepa_mujoco_load_xml("reacher", re_xml, err, err_size);
    if (!rm->mj) return JEPA_ERR_INVALID;
    rm->body_arm = mj_name2id(rm->mj, mjOBJ_BODY, "arm");
    rm->body_hand = mj_name2id(rm->mj, mjOBJ_BODY, "hand");
    rm->geom_finger = mj_name2id(rm->mj, mjOBJ_GEOM, "finger");
    m->action_dim = 2;
    m->state_dim = 6;
    m->proprio_dim = 4;
    for (int i = 0; i < 2; i++) {
        m->action_lo[i] = -1.0f;
        m->action_hi[i] = 1.0f;
    }
    return JEPA_OK;
}

static void re_model_free(jepa_env_model *m) {
    reacher_model *rm = m->impl;
    if (rm) mj_deleteModel(rm->mj);
    free(rm);
    m->impl = NULL;
}

static jepa_status re_data_init(const jepa_env_model *m, jepa_env_data *d) {
    const reacher_model *rm = m->impl;
    reacher_data *rd = calloc(1, sizeof *rd);
    if (!rd) return JEPA_ERR_NOMEM;
    rd->mj = mj_makeData(rm->mj);
    if (!rd->mj) {
        free(rd);
        return JEPA_ERR_NOMEM;
    }
    mj_forward(rm->mj, rd->mj);
    d->impl = rd;
    return JEPA_OK;
}

static void re_data_free(jepa_env_data *d) {
    reacher_data *rd = d->impl;
    if (rd) mj_deleteData(rd->mj);
    free(rd);
    d->impl = NULL;
}

// set the full state and recompute positions
static void re_place(const reacher_model *rm, reacher_data *rd, const float *state) {
    mj_resetData(rm->mj, rd->mj);
    for (int i = 0; i < 2; i++) {
        rd->mj->qpos[i] = state[i];
        rd->mj->qvel[i] = state[2 + i];
        rd->target[i] = state[4 + i];
    }
    mj_forward(rm->mj, rd->mj);
}

static void re_reset(const jepa_env_model *m, jepa_env_data *d, jepa_rng *rng) {
    const reacher_model *rm = m->impl;
    reacher_data *rd = d->impl;
    // dm_control: the unlimited shoulder uniform on a turn, the wrist uniform in its range, at
    // rest; the target at radius U(0.05, 0.2) and angle U(0, 2 pi), placed (r sin, r cos)
    float state[6] = {0};
    state[0] = jepa_rng_uniform_range(rng, (float)-RE_PI, (float)RE_PI);
    state[1] = jepa_rng_uniform_range(rng, (float)-RE_WRIST_LIMIT, (float)RE_WRIST_LIMIT);
    float angle = jepa_rng_uniform_range(rng, 0.0f, (float)(2.0 * RE_PI));
    float radius = jepa_rng_uniform_range(rng, RE_TARGET_R_MIN, RE_TARGET_R_MAX);
    state[4] = radius * sinf(angle);
    state[5] = radius * cosf(angle);
    re_place(rm, rd, state);
    rd->hold = 0;
    rd->action[0] = rd->action[1] = 0.0f;
}

static void re_step(const jepa_env_model *m, jepa_env_data *d, const float *action) {
    const reacher_model *rm = m->impl;
    mjData *md = ((reacher_data *)d->impl)->mj;
    for (int i = 0; i < 2; i++) md->ctrl[i] = action[i];
    mj_step(rm->mj, md);
    jepa_mujoco_round_state(rm->mj, md);
    mj_forward(rm->mj, md);
}

// the fingertip of a state: two links of 0.12 from the shoulder at the origin
static void re_fingertip(const float *state, float *tip) {
    tip[0] = RE_LINK * (cosf(state[0]) + cosf(state[0] + state[1]));
    tip[1] = RE_LINK * (sinf(state[0]) + sinf(state[0] + state[1]));
}

// a capsule from a to b in the plane: a rectangle and two round ends
static void re_capsule(jepa_canvas *c, const float *a, const float *b, float radius,
                       const uint8_t color[3]) {
    float dx = b[0] - a[0], dy = b[1] - a[1], len = sqrtf(dx * dx + dy * dy);
    float nx = len > 0 ? -dy / len * radius : 0, ny = len > 0 ? dx / len * radius : 0;
    float quad[8] = {a[0] + nx, a[1] + ny, b[0] + nx, b[1] + ny,
                     b[0] - nx, b[1] - ny, a[0] - nx, a[1] - ny};
    jepa_canvas_polygon(c, quad, 4, color, 1.0f);
    jepa_canvas_circle(c, a[0], a[1], radius, color, 1.0f);
    jepa_canvas_circle(c, b[0], b[1], radius, color, 1.0f);
}

static void re_render(const jepa_env_model *m, const jepa_env_data *d, jepa_canvas *canvas,
                      const float *goal_state) {
    const reacher_model *rm = m->impl;
    const reacher_data *rd = d->impl;
    const mjData *md = rd->mj;
    jepa_canvas_init(canvas, canvas->rgb, canvas->width, canvas->height, -RE_VIEW, -RE_VIEW,
                     RE_VIEW, RE_VIEW, 1);
    // the ground: a checker of 0.5 squares (texrepeat 1 per metre, 2 x 2 squares), meeting at 0
    jepa_canvas_clear(canvas, re_floor_dark);
    const float sq[2][8] = {{0, 0, 0.5f, 0, 0.5f, 0.5f, 0, 0.5f},
                            {-0.5f, -0.5f, 0, -0.5f, 0, 0, -0.5f, 0}};
    for (int i = 0; i < 2; i++) jepa_canvas_polygon(canvas, sq[i], 4, re_floor_light, 1.0f);
    // the arena's low walls at +-0.3, seen from above as thin lines
    const float t = 0.004f, a = 0.3f;
    const float walls[4][8] = {{-a - t, -a, -a + t, -a, -a + t, a, -a - t, a},
                               {a - t, -a, a + t, -a, a + t, a, a - t, a},
                               {-a, -a - t, a, -a - t, a, -a + t, -a, -a + t},
                               {-a, a - t, a, a - t, a, a + t, -a, a + t}};
    for (int i = 0; i < 4; i++) jepa_canvas_polygon(canvas, walls[i], 4, re_decoration, 1.0f);
    // the target, and the goal's fingertip faintly
    jepa_canvas_circle(canvas, rd->target[0], rd->target[1], rm->target_size, re_target, 1.0f);
    if (goal_state) {
        float tip[2];
        re_fingertip(goal_state, tip);
        jepa_canvas_circle(canvas, tip[0], tip[1], 2.0f * RE_FINGER_RADIUS, re_effector, 0.4f);
    }
    // the arm from MuJoCo's body frames: each capsule along its body's local x axis
    const int bodies[2] = {rm->body_arm, rm->body_hand};
    const float lengths[2] = {RE_LINK, RE_HAND_LENGTH};
    for (int i = 0; i < 2; i++) {
        const mjtNum *p = md->xpos + 3 * bodies[i], *r = md->xmat + 9 * bodies[i];
        float from[2] = {(float)p[0], (float)p[1]};
        float to[2] = {(float)(p[0] + lengths[i] * r[0]), (float)(p[1] + lengths[i] * r[3])};
        re_capsule(canvas, from, to, RE_CAPSULE_RADIUS, re_self);
    }
    jepa_canvas_circle(canvas, 0.0f, 0.0f, 0.011f, re_decoration, 1.0f);
    const mjtNum *f = md->geom_xpos + 3 * rm->geom_finger;
    jepa_canvas_circle(canvas, (float)f[0], (float)f[1], RE_FINGER_RADIUS, re_effector, 1.0f);
}

static void re_get_state(const jepa_env_model *m, const jepa_env_data *d, float *state) {
    (void)m;
    const reacher_data *rd = d->impl;
    for (int i = 0; i < 2; i++) {
        state[i] = (float)rd->mj->qpos[i];
        state[2 + i] = (float)rd->mj->qvel[i];
        state[4 + i] = rd->target[i];
    }
}

static jepa_status re_set_state(const jepa_env_model *m, jepa_env_data *d, const float *state) {
    // the wrist's limit is soft: full torque presses it about 0.15 past, so allow 0.3
    if (fabs(state[1]) > RE_WRIST_LIMIT + RE_WRIST_SLACK) return JEPA_ERR_INVALID;
    re_place(m->impl, d->impl, state);
    return JEPA_OK;
}

static void re_proprio(const jepa_env_model *m, const jepa_env_data *d, float *proprio) {
    (void)m;
    const mjData *md = ((const reacher_data *)d->impl)->mj;
    for (int i = 0; i < 2; i++) {
        proprio[i] = (float)md->qpos[i];
        proprio[2 + i] = (float)md->qvel[i];
    }
}

// the fingertip of state to the target of goal (dm_control's finger_to_target_dist)
static float re_distance(const jepa_env_model *m, const float *state, const float *goal) {
    (void)m;
    float tip[2];
    re_fingertip(state, tip);
    float dx = tip[0] - goal[4], dy = tip[1] - goal[5];
    return sqrtf(dx * dx + dy * dy);
}

// the fingertip, or a goal's target
static int re_plan_features(const jepa_env_model *m, const float *state, int is_goal, float *out) {
    (void)m;
    if (is_goal)
        out[0] = state[4], out[1] = state[5];
    else
        re_fingertip(state, out);
    return 2;
}

// dm_control's reward is 1 when the distance lies within target size + finger size
static int re_success(const jepa_env_model *m, const float *state, const float *goal) {
    const reacher_model *rm = m->impl;
    return re_distance(m, state, goal) <= rm->target_size + RE_FINGER_RADIUS;
}

// random: uniform actions in [-1, 1]^2, each held for 1..5 steps
static void re_policy_random(reacher_data *rd, jepa_rng *rng, float *action) {
    if (rd->hold <= 0) {
        for (int i = 0; i < 2; i++) rd->action[i] = jepa_rng_uniform_range(rng, -1.0f, 1.0f);
        rd->hold = 1 + (int)jepa_rng_below(rng, RE_HOLD_MAX);
    }
    rd->hold--;
    action[0] = rd->action[0];
    action[1] = rd->action[1];
}

// expert: the joint angles that put the fingertip on the target (two-link inverse kinematics,
// keeping the elbow on its current side), reached by the PD law a = clip(kp (q* - q) - kd qdot)
static void re_policy_expert(const reacher_data *rd, float *action) {
    const mjData *md = rd->mj;
    double q1 = md->qpos[0], q2 = md->qpos[1], tx = rd->target[0], ty = rd->target[1];
    double l = RE_LINK, c2 = (tx * tx + ty * ty - 2.0 * l * l) / (2.0 * l * l);
    c2 = c2 < -1.0 ? -1.0 : (c2 > 1.0 ? 1.0 : c2);
    double want2 = (q2 < 0 ? -1.0 : 1.0) * acos(c2);
    double want1 = atan2(ty, tx) - atan2(l * sin(want2), l + l * cos(want2));
    // the shoulder turns freely: the shorter way round
    double e1 = remainder(want1 - q1, 2.0 * RE_PI), e2 = want2 - q2;
    double a[2] = {RE_EXPERT_KP * e1 - RE_EXPERT_KD * md->qvel[0],
                   RE_EXPERT_KP * e2 - RE_EXPERT_KD * md->qvel[1]};
    for (int i = 0; i < 2; i++) action[i] = (float)(a[i] < -1.0 ? -1.0 : (a[i] > 1.0 ? 1.0 : a[i]));
}

// random, expert, or mixed: the expert with N(0, 0.5^2) action noise
static void re_policy(const jepa_env_model *m, jepa_env_data *d, jepa_env_policy policy,
                      jepa_rng *rng, float *action) {
    (void)m;
    reacher_data *rd = d->impl;
    if (policy == JEPA_POLICY_RANDOM) {
        re_policy_random(rd, rng, action);
        return;
    }
    re_policy_expert(rd, action);
    if (policy == JEPA_POLICY_MIXED)
        for (int i = 0; i < 2; i++) {
            float a = action[i] + RE_MIXED_NOISE * jepa_rng_normal(rng);
            action[i] = a < -1.0f ? -1.0f : (a > 1.0f ? 1.0f : a);
        }
}

const jepa_env_vtable jepa_env_reacher = {
    .name = "reacher",
    .state_names =
        (const char *const[]){"shoulder", "wrist", "shoulder_v", "wrist_v", "target_x", "target_y"},
    .angle_states = 1u << 0 | 1u << 1,
    .model_init = re_model_init,
    .model_free = re_model_free,
    .data_init = re_data_init,
    .data_free = re_data_free,
    .reset = re_reset,
    .step = re_step,
    .render = re_render,
    .get_state = re_get_state,
    .set_state = re_set_state,
    .proprio = re_proprio,
    .success = re_success,
    .distance = re_distance,
    .plan_features = re_plan_features,
    .policy = re_policy,
};

#else
typedef int jepa_reacher_off; // ISO C wants a declaration in every translation unit
#endif
