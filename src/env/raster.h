// The one anti-aliased 2-D rasterizer behind every environment's render: circles, convex
// polygons and Gaussian blobs, alpha-blended onto an RGB canvas, in world coordinates.
#ifndef JEPA_ENV_RASTER_H
#define JEPA_ENV_RASTER_H

#include <stdint.h>

typedef struct jepa_canvas {
    uint8_t *rgb; // height x width x 3
    int width, height;
    // world -> pixel: px = (x - x0) * sx, py = (y - y0) * sy (sy < 0 when y points up)
    float x0, y0, sx, sy;
} jepa_canvas;

// Map the world rectangle [x0, x1] x [y0, y1] onto the whole image. y_up: world y grows upward
// (MuJoCo), else downward (image convention, tworoom and pusht).
void jepa_canvas_init(jepa_canvas *c, uint8_t *rgb, int width, int height, float x0, float y0,
                      float x1, float y1, int y_up);

void jepa_canvas_clear(jepa_canvas *c, const uint8_t color[3]);

// Shapes in world units; alpha in [0, 1] scales the coverage (1 = opaque).
void jepa_canvas_circle(jepa_canvas *c, float cx, float cy, float radius, const uint8_t color[3],
                        float alpha);
// A convex polygon, n vertices (x, y pairs) in either winding.
void jepa_canvas_polygon(jepa_canvas *c, const float *xy, int n, const uint8_t color[3],
                         float alpha);
// A Gaussian blob: coverage exp(-d^2 / (2 sigma^2)) * alpha, sigma in world units.
void jepa_canvas_blob(jepa_canvas *c, float cx, float cy, float sigma, const uint8_t color[3],
                      float alpha);

#endif
