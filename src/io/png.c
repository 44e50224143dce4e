// PNG writer (libpng); the file appears whole or not at all (jepa/atomic_file.h).
#include "jepa/image.h"

#include <stdio.h>
#include <string.h>

#ifdef JEPA_HAVE_PNG
#include <png.h>

#include "jepa/atomic_file.h"

jepa_status jepa_png_write(const char *path, const uint8_t *rgb, int width, int height, char *err,
                           size_t err_size) {
    JEPA_CHECK(width > 0 && height > 0);
    jepa_atomic_file af;
    jepa_status st = jepa_atomic_open(&af, path, err, err_size);
    if (st != JEPA_OK) return st;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        jepa_atomic_abort(&af);
        return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: libpng failed to write it", path);
    }
    png_init_io(png, af.f);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    // one row at a time: libpng does not modify the rows
    for (int y = 0; y < height; y++)
        png_write_row(png, (png_const_bytep)(rgb + (size_t)y * (size_t)width * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return jepa_atomic_commit(&af, err, err_size);
}

#else

jepa_status jepa_png_write(const char *path, const uint8_t *rgb, int width, int height, char *err,
                           size_t err_size) {
    (void)rgb;
    (void)width;
    (void)height;
    return jepa_fail(err, err_size, JEPA_ERR_UNSUPPORTED, "%s: this build has no libpng", path);
}

#endif
