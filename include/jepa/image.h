// Image files: a PNG (libpng) and an animated GIF (giflib) from RGB uint8 pixels. In a build
// without the library, the writer returns JEPA_ERR_UNSUPPORTED with a message.
#ifndef JEPA_IMAGE_H
#define JEPA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "jepa/status.h"

#ifdef __cplusplus
extern "C" {
#endif

// Write rgb (height x width x 3) as an 8-bit RGB PNG.
jepa_status jepa_png_write(const char *path, const uint8_t *rgb, int width, int height, char *err,
                           size_t err_size);

// Write n frames (each height x width x 3, contiguous) as a looping GIF, delay_cs hundredths of a
// second per frame. Colours are quantised to a fixed 6x7x6 cube (252 colours).
jepa_status jepa_gif_write(const char *path, const uint8_t *frames, int n, int width, int height,
                           int delay_cs, char *err, size_t err_size);

// The index of the nearest colour of the GIF palette (6 levels of red, 7 of green, 6 of blue).
int jepa_gif_palette_index(const uint8_t rgb[3]);

#ifdef __cplusplus
}
#endif
#endif
