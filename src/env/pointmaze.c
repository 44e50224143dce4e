// pointmaze: a point mass in a maze on MuJoCo, as D4RL's maze2d (maze_model.py) and DINO-WM's
// point_maze, with their constants: 1x1 cells, walls as boxes at (row + 1, col + 1), the ball a
// sphere of radius 0.1 (density 1000) on two slide joints of a body at (1.2, 1.2), joint damping
// 1, timestep 0.01 with the Euler integrator, 5 physics steps per control step (DINO-WM), motor
// gear 100, control in [-1, 1]^2, and qvel clipped to +-5 before each control step.
//
// State (4) = proprio (4) = (x, y, vx, vy), the joint positions and velocities, as D4RL
// observes them (the ball's world position is (x + 1.2, y + 1.2)). Two departures from the
// original, both so that the float state restores an instance bit for bit: qpos and qvel are
// rounded to float after each control step, and the constraint solver's warm start is off.
// The render is top-down and orthographic: the image's rows run along x (the maze string's rows),
// its columns along y, so the picture reads like the layout string; the ball is drawn with the
// radius 0.2 of the site DINO-WM renders.
// Policies: random = a momentum walk; expert = D4RL's waypoint controller (shortest cell path to
// a random goal cell, PD gains 10 and 1); mixed = the expert plus N(0, 0.5^2) action noise, as
// D4RL's maze2d data.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/env_impl.h"
#include "env/mujoco_model.h"

#ifdef JEPA_HAVE_MUJOCO

#define PM_MAX_SIDE 16         // the largest maze is 9 x 12
#define PM_BODY_OFFSET 1.2     // the particle body's position: world = qpos + 1.2
#define PM_RADIUS 0.1f         // the ball's collision radius
#define PM_DRAW_RADIUS 0.2f    // the particle site DINO-WM renders
#define PM_FRAME_SKIP 5        // physics steps per control step
#define PM_VEL_CLIP 5.0        // |qvel| limit applied before each control step
#define PM_SINK_LIMIT 0.02f    // set_state refuses a centre closer than this to a wall
#define PM_SUCCESS_RADIUS 0.5f // success when |xy - goal| < 0.5
#define PM_RESET_NOISE 0.1f    // reset: cell + U(-0.1, 0.1), velocity N(0, 0.1^2)
#define PM_POLICY_RHO 0.8f     // random policy: a <- rho a + sqrt(1 - rho^2) sigma n
#define PM_POLICY_SIGMA 0.6f
#define PM_EXPERT_P 10.0f // D4RL's waypoint controller: p_gain 10, d_gain -1
#define PM_EXPERT_D 1.0f
#define PM_MIXED_NOISE 0.5f // D4RL's noisy data: action + N(0, 0.5^2)

// the layouts of D4RL's maze_model.py ('#' wall, 'O' free, 'G' the default goal), rows by '/'
static const char *const pm_maze_names[] = {"umaze", "open", "medium", "large", NULL};
static const char *const pm_maze_layouts[] = {
    "#####/#GOO#/###O#/#OOO#/#####",
    "#######/#OOOOO#/#OOGOO#/#OOOOO#/#######",
    "########/#OO##OO#/#OO#OOO#/##OOO###/#OO#OOO#/#O#OO#O#/#OOO#OG#/########",
    ("############/#OOOO#OOOOO#/#O##O#O#O#O#/#OOOOOO#OOO#/#O####O###O#/#OO#O#OOOOO#/"
     "##O#O#O#O###/#OO#OOO#OGO#/############"),
};

static const uint8_t pm_floor[3] = {38, 64, 89};   // between the checker's .1 .2 .3 and .2 .3 .4
static const uint8_t pm_wall[3] = {178, 128, 76};  // material "wall" .7 .5 .3
static const uint8_t pm_ball[3] = {77, 153, 77};   // particle_site .3 .6 .3
static const uint8_t pm_target[3] = {153, 77, 77}; // material "target" .6 .3 .3

typedef struct pointmaze_model {
    mjModel *mj; // first: jepa_mujoco_model reads it
    int rows, cols;
    int n_free;                                    // empty cells (sorted) then the goal, as D4RL
    float free_cell[PM_MAX_SIDE * PM_MAX_SIDE][2]; // (row, col) = the qpos of the cell's reset
    int n_walls;
    float wall[PM_MAX_SIDE * PM_MAX_SIDE][4]; // world boxes from MuJoCo's geoms: x0, x1, y0, y1
    unsigned char is_wall[PM_MAX_SIDE][PM_MAX_SIDE]; // the same boxes on the cell grid
} pointmaze_model;

typedef struct pointmaze_data {
    mjData *mj;      // first: jepa_mujoco_data reads it
    float action[2]; // the random policy's previous action
    // the expert's plan: waypoints (qpos) along the shortest cell path to a goal cell
    int n_waypoints, next_waypoint;
    float waypoint[PM_MAX_SIDE * PM_MAX_SIDE][2];
} pointmaze_data;

// the MJCF document of D4RL's point_maze() for one layout (ground and visuals left out: the
// ground plane only touches the ball along z, which no joint moves)
static char *pm_xml(const char *layout, int *rows, int *cols) {
    size_t cap = 4096 + strlen(layout) * 160, len = 0;
    char *xml = malloc(cap);
    if (!xml) return NULL;
    len += (size_t)snprintf(
        xml + len, cap - len,
        "<mujoco model=\"pointmaze\">\n"
        "  <compiler inertiafromgeom=\"true\" angle=\"radian\"/>\n"
        "  <option timestep=\"0.01\" gravity=\"0 0 0\" iterations=\"20\" integrator=\"Euler\">\n"
        "    <flag warmstart=\"disable\"/>\n"
        "  </option>\n"
        "  <default>\n"
        "    <joint damping=\"1\" limited=\"false\"/>\n"
        "    <geom friction=\".5 .1 .1\" density=\"1000\" margin=\"0.002\" condim=\"1\" "
        "contype=\"2\" conaffinity=\"1\"/>\n"
        "  </default>\n"
        "  <worldbody>\n"
        "    <body name=\"particle\" pos=\"%g %g 0\">\n"
        "      <geom name=\"particle_geom\" type=\"sphere\" size=\"%g\" contype=\"1\"/>\n"
        "      <joint name=\"ball_x\" type=\"slide\" pos=\"0 0 0\" axis=\"1 0 0\"/>\n"
        "      <joint name=\"ball_y\" type=\"slide\" pos=\"0 0 0\" axis=\"0 1 0\"/>\n"
        "    </body>\n",
        PM_BODY_OFFSET, PM_BODY_OFFSET, (double)PM_RADIUS);
    int r = 0, c = 0, width = 0;
    for (const char *p = layout;; p++) {
        if (*p == '/' || *p == '\0') {
            if (r == 0) width = c;
            r++;
            if (*p == '\0') break;
            c = 0;
            continue;
        }
        if (*p == '#')
            len += (size_t)snprintf(xml + len, cap - len,
                                    "    <geom name=\"wall_%d_%d\" type=\"box\" pos=\"%d %d 0\" "
                                    "size=\"0.5 0.5 0.2\" conaffinity=\"1\"/>\n",
                                    r, c, r + 1, c + 1);
        c++;
    }
    snprintf(xml + len, cap - len,
             "  </worldbody>\n"
             "  <actuator>\n"
             "    <motor joint=\"ball_x\" ctrlrange=\"-1 1\" ctrllimited=\"true\" gear=\"100\"/>\n"
             "    <motor joint=\"ball_y\" ctrlrange=\"-1 1\" ctrllimited=\"true\" gear=\"100\"/>\n"
             "  </actuator>\n"
             "</mujoco>\n");
    *rows = r;
    *cols = width;
    return xml;
}

static jepa_status pm_model_init(jepa_env_model *m, const cJSON *options, cJSON *resolved,
                                 char *err, size_t err_size) {
    static const char *const known[] = {"maze", NULL};
    jepa_status st = jepa_env_check_keys("pointmaze", options, known, err, err_size);
    int maze = 0;
    if (st == JEPA_OK)
        st = jepa_env_opt_choice("pointmaze", options, resolved, "maze", pm_maze_names, 0, &maze,
                                 err, err_size);
    if (st != JEPA_OK) return st;
    pointmaze_model *pm = calloc(1, sizeof *pm);
    if (!pm) return jepa_fail(err, err_size, JEPA_ERR_NOMEM, "pointmaze: out of memory");
    m->impl = pm;
    const char *layout = pm_maze_layouts[maze];
    char *xml = pm_xml(layout, &pm->rows, &pm->cols);
    if (!xml) return jepa_fail(err, err_size, JEPA_ERR_NOMEM, "pointmaze: out of memory");
    pm->mj = jepa_mujoco_load_xml("pointmaze", xml, err, err_size);
    free(xml);
    if (!pm->mj) return JEPA_ERR_INVALID;

    // free cells: the empty ones in (row, col) order, then the goal, as D4RL's reset list
    int goal_r = -1, goal_c = -1;
    for (int r = 0; r < pm->rows; r++)
        for (int c = 0; c < pm->cols; c++) {
            char t = layout[r * (pm->cols + 1) + c];
            if (t == 'O') {
                pm->free_cell[pm->n_free][0] = (float)r;
                pm->free_cell[pm->n_free][1] = (float)c;
                pm->n_free++;
            } else if (t == 'G') {
                goal_r = r;
                goal_c = c;
            }
        }
    pm->free_cell[pm->n_free][0] = (float)goal_r;
    pm->free_cell[pm->n_free][1] = (float)goal_c;
    pm->n_free++;

    // the walls as MuJoCo placed them
    for (int g = 0; g < pm->mj->ngeom; g++) {
        if (pm->mj->geom_type[g] != mjGEOM_BOX) continue;
        const mjtNum *pos = pm->mj->geom_pos + 3 * g, *size = pm->mj->geom_size + 3 * g;
        float *w = pm->wall[pm->n_walls++];
        w[0] = (float)(pos[0] - size[0]);
        w[1] = (float)(pos[0] + size[0]);
        w[2] = (float)(pos[1] - size[1]);
        w[3] = (float)(pos[1] + size[1]);
        pm->is_wall[(int)lround(pos[0]) - 1][(int)lround(pos[1]) - 1] = 1;
    }

    m->action_dim = 2;
    m->state_dim = 4;
    m->proprio_dim = 4;
    for (int i = 0; i < 2; i++) {
        m->action_lo[i] = -1.0f;
        m->action_hi[i] = 1.0f;
    }
    return JEPA_OK;
}

static void pm_model_free(jepa_env_model *m) {
    pointmaze_model *pm = m->impl;
    if (pm) mj_deleteModel(pm->mj);
    free(pm);
    m->impl = NULL;
}

static jepa_status pm_data_init(const jepa_env_model *m, jepa_env_data *d) {
    const pointmaze_model *pm = m->impl;
    pointmaze_data *pd = calloc(1, sizeof *pd);
    if (!pd) return JEPA_ERR_NOMEM;
    pd->mj = mj_makeData(pm->mj);
    if (!pd->mj) {
        free(pd);
        return JEPA_ERR_NOMEM;
    }
    mj_forward(pm->mj, pd->mj);
    d->impl = pd;
    return JEPA_OK;
}

static void pm_data_free(jepa_env_data *d) {
    pointmaze_data *pd = d->impl;
    if (pd) mj_deleteData(pd->mj);
    free(pd);
    d->impl = NULL;
}

// put the ball at (x, y, vx, vy) and recompute positions
static void pm_place(const pointmaze_model *pm, mjData *md, const float *state) {
    mj_resetData(pm->mj, md);
    for (int i = 0; i < 2; i++) {
        md->qpos[i] = state[i];
        md->qvel[i] = state[2 + i];
    }
    mj_forward(pm->mj, md);
}

static void pm_reset(const jepa_env_model *m, jepa_env_data *d, jepa_rng *rng) {
    const pointmaze_model *pm = m->impl;
    pointmaze_data *pd = d->impl;
    // a random free cell plus U(-0.1, 0.1), velocity N(0, 0.1^2) (D4RL's reset_model)
    const float *cell = pm->free_cell[jepa_rng_below(rng, (uint32_t)pm->n_free)];
    float state[4];
    for (int i = 0; i < 2; i++)
        state[i] = cell[i] + jepa_rng_uniform_range(rng, -PM_RESET_NOISE, PM_RESET_NOISE);
    for (int i = 0; i < 2; i++) state[2 + i] = PM_RESET_NOISE * jepa_rng_normal(rng);
    pm_place(pm, pd->mj, state);
    pd->action[0] = pd->action[1] = 0.0f;
    pd->n_waypoints = pd->next_waypoint = 0;
}

static void pm_step(const jepa_env_model *m, jepa_env_data *d, const float *action) {
    const pointmaze_model *pm = m->impl;
    mjData *md = ((pointmaze_data *)d->impl)->mj;
    // D4RL's clip_velocity, then frame_skip physics steps under a constant control
    for (int i = 0; i < 2; i++) {
        md->qvel[i] = md->qvel[i] < -PM_VEL_CLIP
                          ? -PM_VEL_CLIP
                          : (md->qvel[i] > PM_VEL_CLIP ? PM_VEL_CLIP : md->qvel[i]);
        md->ctrl[i] = action[i];
    }
    for (int k = 0; k < PM_FRAME_SKIP; k++) mj_step(pm->mj, md);
    jepa_mujoco_round_state(pm->mj, md);
    mj_forward(pm->mj, md);
}

// the walls over the floor, each pixel mixed by the exact area of wall cells under it (the cells
// tile the plane, so the areas add up: no seam where two walls meet)
static void pm_draw_walls(const pointmaze_model *pm, jepa_canvas *c) {
    float pw = 1.0f / c->sx, ph = 1.0f / c->sy; // a pixel in world units (columns: y, rows: x)
    for (int j = 0; j < c->height; j++) {
        // the maze rows under this pixel row and the fraction of it each covers; cell (r, col)
        // spans [r + 0.5, r + 1.5] x [col + 0.5, col + 1.5]
        float xa = c->y0 + (float)j * ph, xb = xa + ph, ox[PM_MAX_SIDE];
        int r0 = (int)floorf(xa - 0.5f), r1 = (int)floorf(xb - 0.5f);
        r0 = r0 < 0 ? 0 : r0;
        r1 = r1 >= pm->rows ? pm->rows - 1 : r1;
        for (int r = r0; r <= r1; r++)
            ox[r - r0] = (fminf(xb, (float)r + 1.5f) - fmaxf(xa, (float)r + 0.5f)) / ph;
        uint8_t *p = c->rgb + 3 * (size_t)j * (size_t)c->width;
        for (int i = 0; i < c->width; i++, p += 3) {
            float ya = c->x0 + (float)i * pw, yb = ya + pw, cover = 0.0f;
            int c0 = (int)floorf(ya - 0.5f), c1 = (int)floorf(yb - 0.5f);
            c0 = c0 < 0 ? 0 : c0;
            c1 = c1 >= pm->cols ? pm->cols - 1 : c1;
            for (int col = c0; col <= c1; col++) {
                float oy = (fminf(yb, (float)col + 1.5f) - fmaxf(ya, (float)col + 0.5f)) / pw;
                for (int r = r0; r <= r1; r++)
                    if (pm->is_wall[r][col]) cover += ox[r - r0] * oy;
            }
            for (int k = 0; k < 3; k++)
                p[k] = (uint8_t)((float)pm_floor[k] +
                                 ((float)pm_wall[k] - (float)pm_floor[k]) * cover + 0.5f);
        }
    }
}

static void pm_render(const jepa_env_model *m, const jepa_env_data *d, jepa_canvas *canvas,
                      const float *goal_state) {
    const pointmaze_model *pm = m->impl;
    const mjData *md = ((const pointmaze_data *)d->impl)->mj;
    // canvas x = world y (columns), canvas y = world x (rows, downward); a square view
    float side = (float)(pm->rows > pm->cols ? pm->rows : pm->cols);
    float mid_x = 0.5f * (float)(pm->rows + 1), mid_y = 0.5f * (float)(pm->cols + 1);
    jepa_canvas_init(canvas, canvas->rgb, canvas->width, canvas->height, mid_y - 0.5f * side,
                     mid_x - 0.5f * side, mid_y + 0.5f * side, mid_x + 0.5f * side, 0);
    pm_draw_walls(pm, canvas);
    // the goal, faint, then the ball at MuJoCo's body position
    if (goal_state)
        jepa_canvas_circle(canvas, goal_state[1] + (float)PM_BODY_OFFSET,
                           goal_state[0] + (float)PM_BODY_OFFSET, PM_DRAW_RADIUS, pm_target, 0.5f);
    const mjtNum *ball = md->xpos + 3 * 1; // body 1: the particle
    jepa_canvas_circle(canvas, (float)ball[1], (float)ball[0], PM_DRAW_RADIUS, pm_ball, 1.0f);
}

static void pm_get_state(const jepa_env_model *m, const jepa_env_data *d, float *state) {
    (void)m;
    const mjData *md = ((const pointmaze_data *)d->impl)->mj;
    for (int i = 0; i < 2; i++) {
        state[i] = (float)md->qpos[i];
        state[2 + i] = (float)md->qvel[i];
    }
}

// the distance from point (x, y) to an axis-aligned box (0 inside)
static float pm_box_distance(const float *box, float x, float y) {
    float dx = fmaxf(fmaxf(box[0] - x, x - box[1]), 0.0f);
    float dy = fmaxf(fmaxf(box[2] - y, y - box[3]), 0.0f);
    return sqrtf(dx * dx + dy * dy);
}

static jepa_status pm_set_state(const jepa_env_model *m, jepa_env_data *d, const float *state) {
    const pointmaze_model *pm = m->impl;
    // refuse a ball whose centre comes within 0.02 of a wall (contacts are soft: a ball that hits
    // a wall at full speed sinks up to about 0.06 of its 0.1 radius, and such states must restore)
    float x = state[0] + (float)PM_BODY_OFFSET, y = state[1] + (float)PM_BODY_OFFSET;
    for (int i = 0; i < pm->n_walls; i++)
        if (pm_box_distance(pm->wall[i], x, y) < PM_SINK_LIMIT) return JEPA_ERR_INVALID;
    // outside the maze's outer walls
    if (x < 0.5f || y < 0.5f || x > (float)pm->rows + 0.5f || y > (float)pm->cols + 0.5f)
        return JEPA_ERR_INVALID;
    pm_place(pm, ((pointmaze_data *)d->impl)->mj, state);
    return JEPA_OK;
}

static void pm_proprio(const jepa_env_model *m, const jepa_env_data *d, float *proprio) {
    pm_get_state(m, d, proprio);
}

static float pm_distance(const jepa_env_model *m, const float *state, const float *goal) {
    (void)m;
    float dx = state[0] - goal[0], dy = state[1] - goal[1];
    return sqrtf(dx * dx + dy * dy);
}

static int pm_plan_features(const jepa_env_model *m, const float *state, int is_goal, float *out) {
    (void)m, (void)is_goal;
    out[0] = state[0], out[1] = state[1];
    return 2;
}

static int pm_success(const jepa_env_model *m, const float *state, const float *goal) {
    return pm_distance(m, state, goal) < PM_SUCCESS_RADIUS;
}

// random: actions that keep momentum (an AR(1) process with correlation 0.8 and stationary
// deviation 0.6, clipped), so the ball travels along corridors rather than jittering in place
static void pm_policy_random(pointmaze_data *pd, jepa_rng *rng, float *action) {
    const float innovation = sqrtf(1.0f - PM_POLICY_RHO * PM_POLICY_RHO) * PM_POLICY_SIGMA;
    for (int i = 0; i < 2; i++) {
        float a = PM_POLICY_RHO * pd->action[i] + innovation * jepa_rng_normal(rng);
        a = a < -1.0f ? -1.0f : (a > 1.0f ? 1.0f : a);
        pd->action[i] = a;
        action[i] = a;
    }
}

// the cell (row, col) that holds qpos (x, y): cell r spans qpos [r - 0.7, r + 0.3)
static int pm_cell_of(const pointmaze_model *pm, const float *xy) {
    int r = (int)floorf(xy[0] + (float)PM_BODY_OFFSET - 0.5f);
    int c = (int)floorf(xy[1] + (float)PM_BODY_OFFSET - 0.5f);
    r = r < 0 ? 0 : (r >= pm->rows ? pm->rows - 1 : r);
    c = c < 0 ? 0 : (c >= pm->cols ? pm->cols - 1 : c);
    return r * PM_MAX_SIDE + c;
}

// a new plan, as D4RL's waypoint controller: a random free goal cell, the shortest path of cells
// to it (breadth-first), each intermediate waypoint a cell centre moved by U(-0.1, 0.1)
static void pm_plan(const pointmaze_model *pm, pointmaze_data *pd, const float *xy, jepa_rng *rng) {
    int start = pm_cell_of(pm, xy), parent[PM_MAX_SIDE * PM_MAX_SIDE],
        queue[PM_MAX_SIDE * PM_MAX_SIDE];
    const float *goal_cell = pm->free_cell[jepa_rng_below(rng, (uint32_t)pm->n_free)];
    int goal = (int)goal_cell[0] * PM_MAX_SIDE + (int)goal_cell[1];
    for (int i = 0; i < PM_MAX_SIDE * PM_MAX_SIDE; i++) parent[i] = -1;
    parent[start] = start;
    int head = 0, tail = 0;
    queue[tail++] = start;
    while (head < tail && parent[goal] < 0) {
        int cell = queue[head++], r = cell / PM_MAX_SIDE, c = cell % PM_MAX_SIDE;
        static const int step[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        for (int k = 0; k < 4; k++) {
            int nr = r + step[k][0], nc = c + step[k][1], next = nr * PM_MAX_SIDE + nc;
            if (nr < 0 || nc < 0 || nr >= pm->rows || nc >= pm->cols || pm->is_wall[nr][nc] ||
                parent[next] >= 0)
                continue;
            parent[next] = cell;
            queue[tail++] = next;
        }
    }
    // the path backwards from the goal (a ball pushed into a wall cell finds none: stay)
    int n = 0;
    for (int cell = goal; parent[goal] >= 0 && cell != start; cell = parent[cell])
        queue[n++] = cell;
    pd->n_waypoints = n;
    pd->next_waypoint = 0;
    for (int i = 0; i < n; i++) {
        int cell = queue[n - 1 - i];
        float noise = i == n - 1 ? 0.0f : PM_RESET_NOISE;
        for (int k = 0; k < 2; k++)
            pd->waypoint[i][k] = (float)(k ? cell % PM_MAX_SIDE : cell / PM_MAX_SIDE) + 1.0f -
                                 (float)PM_BODY_OFFSET +
                                 noise * jepa_rng_uniform_range(rng, -1.0f, 1.0f);
    }
}

// expert: D4RL's PD law toward the next waypoint, a = clip(10 (w - x) - v); a waypoint counts as
// passed within 0.25 (the last, the goal, within 0.1), then a new goal is drawn
static void pm_policy_expert(const pointmaze_model *pm, pointmaze_data *pd, jepa_rng *rng,
                             float *action) {
    const mjData *md = pd->mj;
    float xy[2] = {(float)md->qpos[0], (float)md->qpos[1]};
    for (int tries = 0; tries < 2; tries++) {
        if (pd->next_waypoint >= pd->n_waypoints) pm_plan(pm, pd, xy, rng);
        while (pd->next_waypoint < pd->n_waypoints) {
            const float *w = pd->waypoint[pd->next_waypoint];
            int last = pd->next_waypoint == pd->n_waypoints - 1;
            if (hypotf(w[0] - xy[0], w[1] - xy[1]) >= (last ? 0.1f : 0.25f)) break;
            pd->next_waypoint++;
        }
        if (pd->next_waypoint < pd->n_waypoints) break;
    }
    if (pd->next_waypoint >= pd->n_waypoints) {
        action[0] = action[1] = 0.0f;
        return;
    }
    const float *w = pd->waypoint[pd->next_waypoint];
    for (int i = 0; i < 2; i++) {
        float a = PM_EXPERT_P * (w[i] - xy[i]) - PM_EXPERT_D * (float)md->qvel[i];
        action[i] = a < -1.0f ? -1.0f : (a > 1.0f ? 1.0f : a);
    }
}

// random: the momentum walk; expert: the waypoint controller; mixed: the expert with N(0, 0.5^2)
// action noise, as D4RL generated its maze2d datasets
static void pm_policy(const jepa_env_model *m, jepa_env_data *d, jepa_env_policy policy,
                      jepa_rng *rng, float *action) {
    pointmaze_data *pd = d->impl;
    if (policy == JEPA_POLICY_RANDOM) {
        pm_policy_random(pd, rng, action);
        return;
    }
    pm_policy_expert(m->impl, pd, rng, action);
    if (policy == JEPA_POLICY_MIXED)
        for (int i = 0; i < 2; i++) {
            float a = action[i] + PM_MIXED_NOISE * jepa_rng_normal(rng);
            action[i] = a < -1.0f ? -1.0f : (a > 1.0f ? 1.0f : a);
        }
}

const jepa_env_vtable jepa_env_pointmaze = {
    .name = "pointmaze",
    .state_names = (const char *const[]){"x", "y", "vx", "vy"},
    .model_init = pm_model_init,
    .model_free = pm_model_free,
    .data_init = pm_data_init,
    .data_free = pm_data_free,
    .reset = pm_reset,
    .step = pm_step,
    .render = pm_render,
    .get_state = pm_get_state,
    .set_state = pm_set_state,
    .proprio = pm_proprio,
    .success = pm_success,
    .distance = pm_distance,
    .plan_features = pm_plan_features,
    .policy = pm_policy,
};

#else
typedef int jepa_pointmaze_off; // ISO C wants a declaration in every translation unit
#endif
