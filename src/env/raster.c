// The rasterizer: analytic anti-aliasing by the distance from each pixel centre to the shape's
// edge (one pixel wide ramp), alpha blending in 8-bit RGB.
#include "env/raster.h"

#include <math.h>
#include <string.h>

void jepa_canvas_init(jepa_canvas *c, uint8_t *rgb, int width, int height, float x0, float y0,
                      float x1, float y1, int y_up) {
    c->rgb = rgb;
    c->width = width;
    c->height = height;
    c->x0 = x0;
    c->sx = (float)width / (x1 - x0);
    if (y_up) {
        c->y0 = y1;
        c->sy = -(float)height / (y1 - y0);
    } else {
        c->y0 = y0;
        c->sy = (float)height / (y1 - y0);
    }
}

void jepa_canvas_clear(jepa_canvas *c, const uint8_t color[3]) {
    int n = c->width * c->height;
    for (int i = 0; i < 3 && i < n; i++) memcpy(c->rgb + 3 * i, color, 3);
    // doubling copies: a few memcpy calls fill the whole image
    for (int done = n < 3 ? n : 3; done < n;) {
        int chunk = done < n - done ? done : n - done;
        memcpy(c->rgb + 3 * done, c->rgb, (size_t)chunk * 3);
        done += chunk;
    }
}

static inline float px_x(const jepa_canvas *c, float x) { return (x - c->x0) * c->sx; }
static inline float px_y(const jepa_canvas *c, float y) { return (y - c->y0) * c->sy; }

static inline void blend(uint8_t *p, const uint8_t color[3], float a) {
    if (a <= 0.0f) return;
    if (a > 1.0f) a = 1.0f;
    for (int k = 0; k < 3; k++) p[k] = (uint8_t)((float)p[k] + ((float)color[k] - (float)p[k]) * a + 0.5f);
}

// the pixel rectangle [*i0, *i1) x [*j0, *j1) covering [x0, x1] x [y0, y1] in pixel units
static int clip_box(const jepa_canvas *c, float x0, float y0, float x1, float y1, int *i0, int *i1,
                    int *j0, int *j1) {
    *i0 = x0 < 0 ? 0 : (int)floorf(x0);
    *j0 = y0 < 0 ? 0 : (int)floorf(y0);
    *i1 = x1 >= (float)c->width ? c->width : (int)ceilf(x1) + 1;
    *j1 = y1 >= (float)c->height ? c->height : (int)ceilf(y1) + 1;
    if (*i1 > c->width) *i1 = c->width;
    if (*j1 > c->height) *j1 = c->height;
    return *i0 < *i1 && *j0 < *j1;
}

void jepa_canvas_circle(jepa_canvas *c, float cx, float cy, float radius, const uint8_t color[3],
                        float alpha) {
    float px = px_x(c, cx), py = px_y(c, cy), r = radius * 0.5f * (fabsf(c->sx) + fabsf(c->sy));
    int i0, i1, j0, j1;
    if (!clip_box(c, px - r - 1, py - r - 1, px + r + 1, py + r + 1, &i0, &i1, &j0, &j1)) return;
    for (int j = j0; j < j1; j++)
        for (int i = i0; i < i1; i++) {
            float dx = (float)i + 0.5f - px, dy = (float)j + 0.5f - py;
            float cover = r - sqrtf(dx * dx + dy * dy) + 0.5f;
            if (cover > 0.0f) blend(c->rgb + 3 * (j * c->width + i), color, fminf(cover, 1.0f) * alpha);
        }
}

void jepa_canvas_polygon(jepa_canvas *c, const float *xy, int n, const uint8_t color[3],
                         float alpha) {
    enum { MAX_VERTICES = 32 };
    if (n < 3 || n > MAX_VERTICES) return;
    float vx[MAX_VERTICES], vy[MAX_VERTICES], nx[MAX_VERTICES], ny[MAX_VERTICES], off[MAX_VERTICES];
    float bx0 = INFINITY, by0 = INFINITY, bx1 = -INFINITY, by1 = -INFINITY, area = 0.0f;
    for (int k = 0; k < n; k++) {
        vx[k] = px_x(c, xy[2 * k]);
        vy[k] = px_y(c, xy[2 * k + 1]);
        bx0 = fminf(bx0, vx[k]);
        by0 = fminf(by0, vy[k]);
        bx1 = fmaxf(bx1, vx[k]);
        by1 = fmaxf(by1, vy[k]);
    }
    for (int k = 0; k < n; k++) area += vx[k] * vy[(k + 1) % n] - vx[(k + 1) % n] * vy[k];
    float sign = area > 0 ? 1.0f : -1.0f;
    // outward unit normals: the signed distance to the polygon is the largest edge distance
    for (int k = 0; k < n; k++) {
        float ex = vx[(k + 1) % n] - vx[k], ey = vy[(k + 1) % n] - vy[k];
        float len = sqrtf(ex * ex + ey * ey);
        if (len == 0.0f) len = 1.0f;
        nx[k] = sign * ey / len;
        ny[k] = -sign * ex / len;
        off[k] = nx[k] * vx[k] + ny[k] * vy[k];
    }
    int i0, i1, j0, j1;
    if (!clip_box(c, bx0 - 1, by0 - 1, bx1 + 1, by1 + 1, &i0, &i1, &j0, &j1)) return;
    for (int j = j0; j < j1; j++)
        for (int i = i0; i < i1; i++) {
            float x = (float)i + 0.5f, y = (float)j + 0.5f, dist = -INFINITY;
            for (int k = 0; k < n; k++) dist = fmaxf(dist, nx[k] * x + ny[k] * y - off[k]);
            float cover = 0.5f - dist;
            if (cover > 0.0f) blend(c->rgb + 3 * (j * c->width + i), color, fminf(cover, 1.0f) * alpha);
        }
}

void jepa_canvas_blob(jepa_canvas *c, float cx, float cy, float sigma, const uint8_t color[3],
                      float alpha) {
    float px = px_x(c, cx), py = px_y(c, cy), s = sigma * 0.5f * (fabsf(c->sx) + fabsf(c->sy));
    float reach = 4.0f * s, inv = -0.5f / (s * s);
    int i0, i1, j0, j1;
    if (!clip_box(c, px - reach, py - reach, px + reach, py + reach, &i0, &i1, &j0, &j1)) return;
    for (int j = j0; j < j1; j++)
        for (int i = i0; i < i1; i++) {
            float dx = (float)i + 0.5f - px, dy = (float)j + 0.5f - py;
            blend(c->rgb + 3 * (j * c->width + i), color, expf((dx * dx + dy * dy) * inv) * alpha);
        }
}
