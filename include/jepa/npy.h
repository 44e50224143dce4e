// NPY files (numpy's array format): uint8 and float32 arrays of rank <= 5, little-endian,
// C order, written with a v1.0 header padded to 64 bytes as numpy does, and read by mmap with
// a strict header check, so `numpy.load` opens what we write and we never trust a bad file.
#ifndef JEPA_NPY_H
#define JEPA_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "jepa/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define JEPA_NPY_MAX_DIM 5

typedef enum jepa_npy_dtype {
    JEPA_NPY_U8 = 0,  // '|u1'
    JEPA_NPY_F32 = 1, // '<f4'
} jepa_npy_dtype;

// Bytes per element of a dtype.
size_t jepa_npy_dtype_size(jepa_npy_dtype dtype);

// An array backed by a mapping of its file (read-only for jepa_npy_map, writable for
// jepa_npy_create). Its fields are the caller's to read; close it with jepa_npy_close.
typedef struct jepa_npy {
    jepa_npy_dtype dtype;
    int ndim;
    int64_t shape[JEPA_NPY_MAX_DIM];
    size_t nbytes; // product of shape times the element size
    void *data;    // nbytes bytes (NULL when nbytes is 0)
    // the mapping
    void *map;
    size_t map_size;
    int fd; // -1 when read-only (closed after mapping)
    int writable;
} jepa_npy;

// Memory-map path and check its header strictly (magic, version 1.0 or 2.0, descr '|u1' or
// '<f4', fortran_order False, shape of rank <= 5, file size = header + data). On failure the
// struct is zeroed and err holds one line naming the file and the problem; never crashes on bad
// input. The mapping lives until jepa_npy_close.
jepa_status jepa_npy_map(jepa_npy *arr, const char *path, char *err, size_t err_size);

// Parse an NPY file held in memory (size bytes) with the same strict checks as jepa_npy_map;
// arr->data points into bytes (no mapping is owned; jepa_npy_close on it is a no-op). `what` (a file
// name) starts the message in err. Never crashes on bad input.
jepa_status jepa_npy_parse(jepa_npy *arr, const void *bytes, size_t size, const char *what,
                           char *err, size_t err_size);

// Create path (truncating it) with a header for dtype and shape (ndim <= 5) and map its data
// writable: fill arr->data (from many threads if you like), then jepa_npy_finish.
jepa_status jepa_npy_create(jepa_npy *arr, const char *path, jepa_npy_dtype dtype, int ndim,
                            const int64_t *shape, char *err, size_t err_size);

// Write a created array to disk (msync + fsync) and close it. path is only for messages.
jepa_status jepa_npy_finish(jepa_npy *arr, const char *path, char *err, size_t err_size);

// Unmap without syncing (a read-only map, or a created file being abandoned). Zeroed arr is a
// no-op.
void jepa_npy_close(jepa_npy *arr);

// Write a whole array in one call: create, copy data (nbytes of the shape), finish.
jepa_status jepa_npy_write(const char *path, jepa_npy_dtype dtype, int ndim, const int64_t *shape,
                           const void *data, char *err, size_t err_size);

// The header numpy would write for dtype and shape: "\x93NUMPY", v1.0, the dict, padding to a
// multiple of 64 bytes. Returns its length (0 when out is too small or ndim is out of range).
size_t jepa_npy_header(char *out, size_t out_size, jepa_npy_dtype dtype, int ndim,
                       const int64_t *shape);

#ifdef __cplusplus
}
#endif
#endif
