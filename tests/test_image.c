// PNG and GIF writers, read back by the libraries' own decoders; their files get the mode a new
// file gets (0666 less the umask), not the temporary file's 0600.
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#ifdef JEPA_HAVE_PNG
#include <png.h>
#endif
#ifdef JEPA_HAVE_GIF
#include <gif_lib.h>
#endif

enum { W = 37, H = 23, FRAMES = 3 };

static void fill(uint8_t *rgb, int n) {
    jepa_rng rng;
    jepa_rng_init(&rng, 11, 0);
    for (int i = 0; i < n; i++) rgb[i] = (uint8_t)jepa_rng_u32(&rng);
}

// the mode of path is 0644 (written under umask 022)
static int mode_0644(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0644;
}

int main(void) {
    umask(022);
    static uint8_t rgb[FRAMES * W * H * 3];
    fill(rgb, (int)sizeof rgb);
    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/jepa_test_image_%ld", (long)getpid());
#ifdef JEPA_HAVE_PNG
    // the PNG decodes to the same pixels
    CHECK(jepa_png_write(path, rgb, W, H, err, sizeof err) == JEPA_OK && mode_0644(path));
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    static uint8_t back[W * H * 3];
    CHECK(png_image_begin_read_from_file(&image, path) && image.width == W && image.height == H);
    image.format = PNG_FORMAT_RGB;
    CHECK(png_image_finish_read(&image, NULL, back, 0, NULL));
    CHECK(memcmp(back, rgb, sizeof back) == 0);
#endif
#ifdef JEPA_HAVE_GIF
    // the GIF has every frame, and each pixel within half a palette step of the original
    CHECK(jepa_gif_write(path, rgb, FRAMES, W, H, 10, err, sizeof err) == JEPA_OK &&
          mode_0644(path));
    int code = 0;
    GifFileType *gif = DGifOpenFileName(path, &code);
    CHECK(gif && DGifSlurp(gif) == GIF_OK);
    if (gif) {
        CHECK(gif->SWidth == W && gif->SHeight == H && gif->ImageCount == FRAMES);
        int worst = 0;
        for (int f = 0; f < gif->ImageCount && f < FRAMES; f++) {
            const SavedImage *img = &gif->SavedImages[f];
            const ColorMapObject *map =
                img->ImageDesc.ColorMap ? img->ImageDesc.ColorMap : gif->SColorMap;
            for (int i = 0; i < W * H; i++) {
                const GifColorType *c = &map->Colors[img->RasterBits[i]];
                const uint8_t *p = rgb + (size_t)f * W * H * 3 + (size_t)i * 3;
                int e[3] = {abs(c->Red - p[0]), abs(c->Green - p[1]), abs(c->Blue - p[2])};
                for (int k = 0; k < 3; k++) worst = e[k] > worst ? e[k] : worst;
            }
        }
        CHECK(worst <= 26); // half of 255 / 5, the coarsest step (red and blue)
        DGifCloseFile(gif, &code);
    }
#endif
    // an unwritable path is an error with the path in it
    CHECK(jepa_png_write("/nonexistent/x.png", rgb, W, H, err, sizeof err) != JEPA_OK &&
          strstr(err, "/nonexistent/x.png") != NULL);
    CHECK(jepa_gif_write("/nonexistent/x.gif", rgb, 1, W, H, 10, err, sizeof err) != JEPA_OK &&
          strstr(err, "/nonexistent/x.gif") != NULL);
    unlink(path);
    return test_finish("test_image");
}
