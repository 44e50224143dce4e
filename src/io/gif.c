// Animated GIF writer (giflib), with a fixed 6x7x6 colour cube; the file appears whole or not at
// all (jepa/atomic_file.h).
#include "jepa/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LEVELS_R = 6, LEVELS_G = 7, LEVELS_B = 6 };

// the nearest of n evenly spaced levels in 0..255
static int level(uint8_t v, int n) {
    return ((int)v * (n - 1) + 127) / 255;
}

int jepa_gif_palette_index(const uint8_t rgb[3]) {
    return (level(rgb[0], LEVELS_R) * LEVELS_G + level(rgb[1], LEVELS_G)) * LEVELS_B +
           level(rgb[2], LEVELS_B);
}

#ifdef JEPA_HAVE_GIF
#include <gif_lib.h>

#include "jepa/atomic_file.h"

// giflib's output into the temporary file
static int put_bytes(GifFileType *gif, const GifByteType *bytes, int n) {
    jepa_atomic_file *af = gif->UserData;
    return (int)fwrite(bytes, 1, (size_t)n, af->f);
}

jepa_status jepa_gif_write(const char *path, const uint8_t *frames, int n, int width, int height,
                           int delay_cs, char *err, size_t err_size) {
    JEPA_CHECK(n > 0 && width > 0 && height > 0 && width <= 65535 && height <= 65535);
    // the palette: 256 entries, the cube first
    GifColorType colors[256];
    memset(colors, 0, sizeof colors);
    for (int r = 0; r < LEVELS_R; r++)
        for (int g = 0; g < LEVELS_G; g++)
            for (int b = 0; b < LEVELS_B; b++) {
                GifColorType *c = &colors[(r * LEVELS_G + g) * LEVELS_B + b];
                c->Red = (GifByteType)(r * 255 / (LEVELS_R - 1));
                c->Green = (GifByteType)(g * 255 / (LEVELS_G - 1));
                c->Blue = (GifByteType)(b * 255 / (LEVELS_B - 1));
            }
    jepa_atomic_file af;
    jepa_status st = jepa_atomic_open(&af, path, err, err_size);
    if (st != JEPA_OK) return st;
    int code = 0;
    GifFileType *gif = EGifOpen(&af, put_bytes, &code);
    if (!gif) {
        jepa_atomic_abort(&af);
        return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: %s", path, GifErrorString(code));
    }
    // GIF89a: the animation needs its extensions
    EGifSetGifVersion(gif, true);
    ColorMapObject *map = GifMakeMapObject(256, colors);
    GifPixelType *row = malloc((size_t)width);
    int ok = map && row && EGifPutScreenDesc(gif, width, height, 8, 0, map) == GIF_OK;
    // loop forever (the NETSCAPE2.0 application extension)
    static const unsigned char loop[3] = {1, 0, 0};
    ok = ok && EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_OK &&
         EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0") == GIF_OK &&
         EGifPutExtensionBlock(gif, 3, loop) == GIF_OK && EGifPutExtensionTrailer(gif) == GIF_OK;
    for (int f = 0; ok && f < n; f++) {
        unsigned char control[4] = {0, (unsigned char)(delay_cs & 0xff),
                                    (unsigned char)((delay_cs >> 8) & 0xff), 0};
        ok = EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, control) == GIF_OK &&
             EGifPutImageDesc(gif, 0, 0, width, height, false, NULL) == GIF_OK;
        const uint8_t *frame = frames + (size_t)f * (size_t)width * (size_t)height * 3;
        for (int y = 0; ok && y < height; y++) {
            for (int x = 0; x < width; x++)
                row[x] = (GifPixelType)jepa_gif_palette_index(frame + ((size_t)y * width + x) * 3);
            ok = EGifPutLine(gif, row, width) == GIF_OK;
        }
    }
    int close_code = 0;
    if (!ok) code = gif->Error;
    ok = EGifCloseFile(gif, &close_code) == GIF_OK && ok;
    GifFreeMapObject(map);
    free(row);
    if (!ok) {
        jepa_atomic_abort(&af);
        return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: %s", path,
                         GifErrorString(code ? code : close_code));
    }
    return jepa_atomic_commit(&af, err, err_size);
}

#else

jepa_status jepa_gif_write(const char *path, const uint8_t *frames, int n, int width, int height,
                           int delay_cs, char *err, size_t err_size) {
    (void)frames;
    (void)n;
    (void)width;
    (void)height;
    (void)delay_cs;
    return jepa_fail(err, err_size, JEPA_ERR_UNSUPPORTED, "%s: this build has no giflib", path);
}

#endif
