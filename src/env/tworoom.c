// tworoom: a point agent in two rooms joined by a door (PLDM's and EB-JEPA's wall world).
//
// World 64 x 64 px, y down. Border walls fill the outer 4 px; a vertical wall 3 px wide at
// x = wall_x has a door of half-height 4 around y = door. The agent moves p <- p + a with
// |a| <= 2.45; a move into a wall stops at the wall and is pushed back into free space by
// |N(0, 0.5^2)|, at least 0.3 px. State: (x, y, door, wall_x), so set_state restores the layout.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "env/env_impl.h"

#define WORLD 64.0f
#define BORDER 4.0f
#define WALL_HALF_WIDTH 1.5f
#define MAX_STEP 2.45f
#define BLOB_SIGMA 1.3f
#define SUCCESS_RADIUS 4.5f
#define PUSH_SD 0.5f
#define PUSH_MIN 0.3f
#define PUSH_MAX 2.0f
#define FAR 1.0e6f
#define PI_F 3.14159265358979323846f
// random-walk policy: step length N(1.0, 0.4) on [0.2, 1.8], heading noise von Mises kappa 5
#define STEP_MEAN 1.0f
#define STEP_SD 0.4f
#define STEP_LO 0.2f
#define STEP_HI 1.8f
#define HEADING_KAPPA 5.0f
#define STEER_KAPPA 20.0f
// a steered episode starts this close to the door (horizontal gap to the wall, vertical offset)
#define NEAR_DOOR_GAP 6.0f
#define NEAR_DOOR_SPREAD 6.0f

enum { STATE_X, STATE_Y, STATE_DOOR, STATE_WALL, STATE_DIM };

typedef struct tworoom_model {
    int random_door, random_wall;
    float door, wall_x, door_half, cross_wall_rate;
} tworoom_model;

typedef struct tworoom_data {
    float x, y, door, wall_x;
    // policy memory: heading, whether this episode is steered through the door, its stage
    // (0: to the door's mouth, 1: through to the far side, 2: done), the side it started on,
    // and the outward normal of the wall hit by the last step (0, 0 when none)
    float heading, hit_nx, hit_ny;
    int steer, stage, side;
    // the static walls drawn once for (cache_w, cache_h, cache_door, cache_wall)
    uint8_t *cache;
    size_t cache_cap;
    int cache_w, cache_h;
    float cache_door, cache_wall;
} tworoom_data;

typedef struct box {
    float x0, y0, x1, y1;
} box;

// the walls as closed boxes: four borders and the two pieces of the middle wall
static int wall_boxes(float door, float wall_x, float door_half, box *b) {
    b[0] = (box){-FAR, -FAR, BORDER, FAR};
    b[1] = (box){WORLD - BORDER, -FAR, FAR, FAR};
    b[2] = (box){-FAR, -FAR, FAR, BORDER};
    b[3] = (box){-FAR, WORLD - BORDER, FAR, FAR};
    b[4] = (box){wall_x - WALL_HALF_WIDTH, -FAR, wall_x + WALL_HALF_WIDTH, door - door_half};
    b[5] = (box){wall_x - WALL_HALF_WIDTH, door + door_half, wall_x + WALL_HALF_WIDTH, FAR};
    return 6;
}

static int is_free(const box *b, int n, float x, float y) {
    for (int i = 0; i < n; i++)
        if (x >= b[i].x0 && x <= b[i].x1 && y >= b[i].y0 && y <= b[i].y1) return 0;
    return 1;
}

// the entry time in [0, 1] of the segment p + t d into box b, and the outward normal of the
// face it enters by; -1 when it does not enter (slab method)
static float segment_entry(const box *b, float px, float py, float dx, float dy, float *nx,
                           float *ny) {
    float lo[2] = {b->x0, b->y0}, hi[2] = {b->x1, b->y1}, p[2] = {px, py}, d[2] = {dx, dy};
    float t_in = -INFINITY, t_out = INFINITY;
    int axis = -1;
    for (int k = 0; k < 2; k++) {
        if (d[k] == 0.0f) {
            if (p[k] < lo[k] || p[k] > hi[k]) return -1.0f;
            continue;
        }
        float t0 = (lo[k] - p[k]) / d[k], t1 = (hi[k] - p[k]) / d[k];
        if (t0 > t1) {
            float tmp = t0;
            t0 = t1;
            t1 = tmp;
        }
        if (t0 > t_in) {
            t_in = t0;
            axis = k;
        }
        if (t1 < t_out) t_out = t1;
    }
    if (axis < 0 || !(t_in < t_out) || t_in < 0.0f || t_in > 1.0f) return -1.0f;
    *nx = axis == 0 ? (dx > 0 ? -1.0f : 1.0f) : 0.0f;
    *ny = axis == 1 ? (dy > 0 ? -1.0f : 1.0f) : 0.0f;
    return t_in;
}

static jepa_status model_init(jepa_env_model *m, const cJSON *options, cJSON *resolved, char *err,
                              size_t err_size) {
    static const char *const known[] = {
        "door", "door_center", "door_half_height", "wall", "wall_x", "cross_wall_rate", NULL};
    static const char *const modes[] = {"fixed", "random", NULL};
    const char *env = "tworoom";
    jepa_status st = jepa_env_check_keys(env, options, known, err, err_size);
    if (st != JEPA_OK) return st;
    tworoom_model *t = calloc(1, sizeof *t);
    if (!t) return jepa_fail(err, err_size, JEPA_ERR_NOMEM, "tworoom: out of memory");
    m->impl = t;
    double door, door_half, wall_x, cross;
    if ((st = jepa_env_opt_choice(env, options, resolved, "door", modes, 0, &t->random_door, err,
                                  err_size)) ||
        (st = jepa_env_opt_number(env, options, resolved, "door_center", 32, 10, 54, &door, err,
                                  err_size)) ||
        (st = jepa_env_opt_number(env, options, resolved, "door_half_height", 4, 2, 8, &door_half,
                                  err, err_size)) ||
        (st = jepa_env_opt_choice(env, options, resolved, "wall", modes, 0, &t->random_wall, err,
                                  err_size)) ||
        (st = jepa_env_opt_number(env, options, resolved, "wall_x", 32, 20, 44, &wall_x, err,
                                  err_size)) ||
        (st = jepa_env_opt_number(env, options, resolved, "cross_wall_rate", 0.3, 0, 1, &cross, err,
                                  err_size)))
        return st;
    t->door = (float)door;
    t->door_half = (float)door_half;
    t->wall_x = (float)wall_x;
    t->cross_wall_rate = (float)cross;
    m->action_dim = 2;
    m->state_dim = STATE_DIM;
    m->proprio_dim = 2;
    for (int i = 0; i < 2; i++) {
        m->action_lo[i] = -MAX_STEP;
        m->action_hi[i] = MAX_STEP;
    }
    return JEPA_OK;
}

static void model_free(jepa_env_model *m) {
    free(m->impl);
}

static jepa_status data_init(const jepa_env_model *m, jepa_env_data *d) {
    (void)m;
    tworoom_data *s = calloc(1, sizeof *s);
    if (!s) return JEPA_ERR_NOMEM;
    s->cache_cap = 64 * 64 * 3;
    s->cache = malloc(s->cache_cap);
    if (!s->cache) {
        free(s);
        return JEPA_ERR_NOMEM;
    }
    d->impl = s;
    return JEPA_OK;
}

static void data_free(jepa_env_data *d) {
    tworoom_data *s = d->impl;
    free(s->cache);
    free(s);
}

static void reset(const jepa_env_model *m, jepa_env_data *d, jepa_rng *rng) {
    const tworoom_model *t = m->impl;
    tworoom_data *s = d->impl;
    // the layout
    s->door = t->random_door ? jepa_rng_uniform_range(rng, 10.0f, 54.0f) : t->door;
    s->wall_x = t->random_wall ? jepa_rng_uniform_range(rng, 20.0f, 44.0f) : t->wall_x;
    // a steered episode starts near the door; the others anywhere in free space
    s->steer = jepa_rng_uniform(rng) < t->cross_wall_rate;
    box b[6];
    int nb = wall_boxes(s->door, s->wall_x, t->door_half, b);
    do {
        if (s->steer) {
            float side = jepa_rng_uniform(rng) < 0.5f ? -1.0f : 1.0f;
            float gap = jepa_rng_uniform_range(rng, PUSH_MIN, NEAR_DOOR_GAP);
            s->x = s->wall_x + side * (WALL_HALF_WIDTH + gap);
            s->y = s->door + jepa_rng_uniform_range(rng, -NEAR_DOOR_SPREAD, NEAR_DOOR_SPREAD);
        } else {
            s->x = jepa_rng_uniform_range(rng, BORDER + PUSH_MIN, WORLD - BORDER - PUSH_MIN);
            s->y = jepa_rng_uniform_range(rng, BORDER + PUSH_MIN, WORLD - BORDER - PUSH_MIN);
        }
    } while (!is_free(b, nb, s->x, s->y));
    // the policy's memory
    s->heading = jepa_rng_uniform_range(rng, -PI_F, PI_F);
    s->hit_nx = s->hit_ny = 0.0f;
    s->stage = 0;
    s->side = s->x < s->wall_x ? -1 : 1;
}

static void step(const jepa_env_model *m, jepa_env_data *d, const float *action) {
    const tworoom_model *t = m->impl;
    tworoom_data *s = d->impl;
    // clip the step's length
    float ax = action[0], ay = action[1], len = sqrtf(ax * ax + ay * ay);
    if (len > MAX_STEP) {
        ax *= MAX_STEP / len;
        ay *= MAX_STEP / len;
    }
    // the first wall on the way, if any
    box b[6];
    int nb = wall_boxes(s->door, s->wall_x, t->door_half, b);
    float t_hit = 2.0f, nx = 0.0f, ny = 0.0f;
    for (int i = 0; i < nb; i++) {
        float bx, by, ti = segment_entry(&b[i], s->x, s->y, ax, ay, &bx, &by);
        if (ti >= 0.0f && ti < t_hit) {
            t_hit = ti;
            nx = bx;
            ny = by;
        }
    }
    s->hit_nx = s->hit_ny = 0.0f;
    if (t_hit > 1.0f) {
        s->x += ax;
        s->y += ay;
        return;
    }
    // stop at the wall, pushed back into free space by |N(0, 0.5^2)|, at least 0.3 px
    float push = fabsf(jepa_rng_normal(&d->rng)) * PUSH_SD;
    push = push < PUSH_MIN ? PUSH_MIN : (push > PUSH_MAX ? PUSH_MAX : push);
    float x = s->x + t_hit * ax + push * nx, y = s->y + t_hit * ay + push * ny;
    if (is_free(b, nb, x, y)) {
        s->x = x;
        s->y = y;
    }
    s->hit_nx = nx;
    s->hit_ny = ny;
}

static void fill_background(const tworoom_model *t, const tworoom_data *s, jepa_canvas *c) {
    static const uint8_t floor_color[3] = {0, 0, 0}, wall_color[3] = {150, 150, 150};
    jepa_canvas_clear(c, floor_color);
    box b[6];
    int nb = wall_boxes(s->door, s->wall_x, t->door_half, b);
    for (int i = 0; i < nb; i++) {
        // clamp the far edges to just outside the world
        float x0 = fmaxf(b[i].x0, -1.0f), y0 = fmaxf(b[i].y0, -1.0f);
        float x1 = fminf(b[i].x1, WORLD + 1.0f), y1 = fminf(b[i].y1, WORLD + 1.0f);
        float xy[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
        jepa_canvas_polygon(c, xy, 4, wall_color, 1.0f);
    }
}

static void render(const jepa_env_model *m, const jepa_env_data *d, jepa_canvas *c,
                   const float *goal_state) {
    static const uint8_t agent_color[3] = {255, 80, 60}, goal_color[3] = {60, 220, 90};
    const tworoom_model *t = m->impl;
    tworoom_data *s = d->impl;
    jepa_canvas_init(c, c->rgb, c->width, c->height, 0.0f, 0.0f, WORLD, WORLD, 0);
    size_t bytes = (size_t)c->width * (size_t)c->height * 3;
    // the static walls: drawn once per size and layout, then copied
    if (bytes > s->cache_cap) {
        uint8_t *grown = realloc(s->cache, bytes);
        if (grown) {
            s->cache = grown;
            s->cache_cap = bytes;
        }
        s->cache_w = 0;
    }
    if (bytes <= s->cache_cap) {
        if (s->cache_w != c->width || s->cache_h != c->height || s->cache_door != s->door ||
            s->cache_wall != s->wall_x) {
            fill_background(t, s, c);
            memcpy(s->cache, c->rgb, bytes);
            s->cache_w = c->width;
            s->cache_h = c->height;
            s->cache_door = s->door;
            s->cache_wall = s->wall_x;
        } else {
            memcpy(c->rgb, s->cache, bytes);
        }
    } else {
        fill_background(t, s, c);
    }
    // the goal as a faint dot under the agent
    if (goal_state)
        jepa_canvas_blob(c, goal_state[STATE_X], goal_state[STATE_Y], BLOB_SIGMA, goal_color, 0.5f);
    jepa_canvas_blob(c, s->x, s->y, BLOB_SIGMA, agent_color, 1.0f);
}

static void get_state(const jepa_env_model *m, const jepa_env_data *d, float *state) {
    (void)m;
    const tworoom_data *s = d->impl;
    state[STATE_X] = s->x;
    state[STATE_Y] = s->y;
    state[STATE_DOOR] = s->door;
    state[STATE_WALL] = s->wall_x;
}

static jepa_status set_state(const jepa_env_model *m, jepa_env_data *d, const float *state) {
    const tworoom_model *t = m->impl;
    tworoom_data *s = d->impl;
    float door = state[STATE_DOOR], wall_x = state[STATE_WALL];
    if (!(door >= 10.0f && door <= 54.0f && wall_x >= 20.0f && wall_x <= 44.0f))
        return JEPA_ERR_INVALID;
    box b[6];
    int nb = wall_boxes(door, wall_x, t->door_half, b);
    if (!is_free(b, nb, state[STATE_X], state[STATE_Y])) return JEPA_ERR_INVALID;
    s->x = state[STATE_X];
    s->y = state[STATE_Y];
    s->door = door;
    s->wall_x = wall_x;
    s->side = s->x < s->wall_x ? -1 : 1;
    return JEPA_OK;
}

static void proprio(const jepa_env_model *m, const jepa_env_data *d, float *out) {
    (void)m;
    const tworoom_data *s = d->impl;
    out[0] = s->x;
    out[1] = s->y;
}

static float distance(const jepa_env_model *m, const float *state, const float *goal) {
    (void)m;
    float dx = state[STATE_X] - goal[STATE_X], dy = state[STATE_Y] - goal[STATE_Y];
    return sqrtf(dx * dx + dy * dy);
}

static int plan_features(const jepa_env_model *m, const float *state, int is_goal, float *out) {
    (void)m, (void)is_goal;
    out[0] = state[STATE_X], out[1] = state[STATE_Y];
    return 2;
}

static int success(const jepa_env_model *m, const float *state, const float *goal) {
    return distance(m, state, goal) <= SUCCESS_RADIUS;
}

// steer: head for the door's mouth on the starting side, then for a point past the far mouth
static int steer_heading(tworoom_data *s, float *heading) {
    if (s->stage == 0 && fabsf(s->x - s->wall_x) <= WALL_HALF_WIDTH + 1.0f &&
        fabsf(s->y - s->door) < 2.0f)
        s->stage = 1;
    if (s->stage == 1 && (float)s->side * (s->x - s->wall_x) < -(WALL_HALF_WIDTH + 3.0f))
        s->stage = 2;
    if (s->stage >= 2) return 0;
    float gx = s->wall_x + (float)s->side * (WALL_HALF_WIDTH + 1.0f);
    if (s->stage == 1) gx = s->wall_x - (float)s->side * (WALL_HALF_WIDTH + 5.0f);
    *heading = atan2f(s->door - s->y, gx - s->x);
    return 1;
}

static void policy(const jepa_env_model *m, jepa_env_data *d, jepa_env_policy kind, jepa_rng *rng,
                   float *action) {
    (void)m;
    tworoom_data *s = d->impl;
    int steer = kind == JEPA_POLICY_EXPERT || (kind == JEPA_POLICY_MIXED && s->steer);
    float target;
    if (steer && steer_heading(s, &target)) {
        s->heading = jepa_rng_vonmises(rng, target, STEER_KAPPA);
    } else {
        // after hitting a wall, reflect the heading off it
        float hx = cosf(s->heading), hy = sinf(s->heading), dot = hx * s->hit_nx + hy * s->hit_ny;
        if (dot < 0.0f)
            s->heading = atan2f(hy - 2.0f * dot * s->hit_ny, hx - 2.0f * dot * s->hit_nx);
        s->heading = jepa_rng_vonmises(rng, s->heading, HEADING_KAPPA);
    }
    float len = jepa_rng_truncnormal(rng, STEP_MEAN, STEP_SD, STEP_LO, STEP_HI);
    action[0] = len * cosf(s->heading);
    action[1] = len * sinf(s->heading);
}

int jepa_tworoom_crossed(const float *states, int n, int state_dim) {
    for (int i = 1; i < n; i++) {
        const float *a = states, *b = states + (size_t)i * (size_t)state_dim;
        if ((a[STATE_X] < a[STATE_WALL]) != (b[STATE_X] < b[STATE_WALL])) return 1;
    }
    return 0;
}

const jepa_env_vtable jepa_env_tworoom = {
    .name = "tworoom",
    .state_names = (const char *const[]){"x", "y", "door", "wall_x"},
    .model_init = model_init,
    .model_free = model_free,
    .data_init = data_init,
    .data_free = data_free,
    .reset = reset,
    .step = step,
    .render = render,
    .get_state = get_state,
    .set_state = set_state,
    .proprio = proprio,
    .success = success,
    .distance = distance,
    .plan_features = plan_features,
    .policy = policy,
};
