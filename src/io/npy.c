// NPY read (mmap, strict header check) and write (header + mapped data).
#define _POSIX_C_SOURCE 200809L
#include "jepa/npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char MAGIC[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
static const char *const DESCR[] = {"|u1", "<f4"};

size_t jepa_npy_dtype_size(jepa_npy_dtype dtype) {
    return dtype == JEPA_NPY_F32 ? 4 : 1;
}

size_t jepa_npy_header(char *out, size_t out_size, jepa_npy_dtype dtype, int ndim,
                       const int64_t *shape) {
    if (ndim < 0 || ndim > JEPA_NPY_MAX_DIM) return 0;
    // the dict as numpy prints it: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    char dict[256], dims[160] = "";
    for (int i = 0; i < ndim; i++) {
        size_t len = strlen(dims);
        snprintf(dims + len, sizeof dims - len, "%s%lld%s", i ? ", " : "", (long long)shape[i],
                 ndim == 1 ? "," : "");
    }
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                     DESCR[dtype], dims);
    // pad with spaces so that the whole header, '\n' included, is a multiple of 64 bytes
    size_t total = 10 + (size_t)n + 1;
    total = (total + 63) / 64 * 64;
    if (total > out_size || total - 10 > 65535) return 0;
    memcpy(out, MAGIC, 6);
    out[6] = 1;
    out[7] = 0;
    out[8] = (char)((total - 10) & 0xff);
    out[9] = (char)((total - 10) >> 8);
    memcpy(out + 10, dict, (size_t)n);
    memset(out + 10 + n, ' ', total - 10 - (size_t)n - 1);
    out[total - 1] = '\n';
    return total;
}

// ---- header parsing: a python dict literal with exactly descr, fortran_order and shape ----

typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
}

static int expect(cursor *c, char ch) {
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

// a quoted string ('...' or "...") into out (at most out_size - 1 chars)
static int parse_string(cursor *c, char *out, size_t out_size) {
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
    char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        if (n + 1 >= out_size) return 0;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end) return 0;
    c->p++;
    out[n] = '\0';
    return 1;
}

static int parse_word(cursor *c, const char *word) {
    skip_space(c);
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return 0;
    c->p += n;
    return 1;
}

// "(d0, d1, ...)" with an optional trailing comma; dims are decimal integers < 2^53
static const char *parse_shape(cursor *c, int64_t *shape, int *ndim) {
    if (!expect(c, '(')) return "shape is not a tuple";
    *ndim = 0;
    for (;;) {
        skip_space(c);
        if (c->p < c->end && *c->p == ')') {
            c->p++;
            return NULL;
        }
        if (*ndim == JEPA_NPY_MAX_DIM) return "shape has more than 5 dimensions";
        int64_t v = 0;
        int digits = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (++digits > 15) return "shape has a dimension that is too large";
            v = v * 10 + (*c->p++ - '0');
        }
        if (!digits) return "shape has a dimension that is not a non-negative integer";
        shape[(*ndim)++] = v;
        skip_space(c);
        if (c->p < c->end && *c->p == ',')
            c->p++;
        else if (!(c->p < c->end && *c->p == ')'))
            return "shape is not a tuple of integers";
    }
}

static const char *parse_dict(cursor *c, jepa_npy *arr) {
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (!expect(c, '{')) return "header is not a dict";
    for (;;) {
        skip_space(c);
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            break;
        }
        char key[32], value[32];
        if (!parse_string(c, key, sizeof key)) return "header has a malformed key";
        if (!expect(c, ':')) return "header has a key without a value";
        if (strcmp(key, "descr") == 0 && !have_descr++) {
            if (!parse_string(c, value, sizeof value)) return "descr is not a string";
            if (strcmp(value, DESCR[JEPA_NPY_U8]) == 0)
                arr->dtype = JEPA_NPY_U8;
            else if (strcmp(value, DESCR[JEPA_NPY_F32]) == 0)
                arr->dtype = JEPA_NPY_F32;
            else
                return "unsupported dtype (only '|u1' and '<f4')";
        } else if (strcmp(key, "fortran_order") == 0 && !have_order++) {
            if (parse_word(c, "True")) return "fortran_order True is not supported";
            if (!parse_word(c, "False")) return "fortran_order is not False";
        } else if (strcmp(key, "shape") == 0 && !have_shape++) {
            const char *why = parse_shape(c, arr->shape, &arr->ndim);
            if (why) return why;
        } else {
            return "header has an unknown or repeated key";
        }
        skip_space(c);
        if (c->p < c->end && *c->p == ',')
            c->p++;
        else if (!(c->p < c->end && *c->p == '}'))
            return "header dict is malformed";
    }
    if (!have_descr || !have_order || !have_shape)
        return "header lacks descr, fortran_order or shape";
    // only spaces, then one newline, after the dict
    skip_space(c);
    if (c->end - c->p != 1 || *c->p != '\n') return "header does not end with a newline";
    return NULL;
}

jepa_status jepa_npy_parse(jepa_npy *arr, const void *bytes, size_t size, const char *what,
                           char *err, size_t err_size) {
    memset(arr, 0, sizeof *arr);
    arr->fd = -1;
    if (size < 12)
        return jepa_fail(err, err_size, JEPA_ERR_FORMAT, "%s: too short to be an NPY file", what);
    const unsigned char *b = bytes;
    const char *why = NULL;
    size_t header_end = 0;
    // magic, version, header length
    if (memcmp(b, MAGIC, 6) != 0)
        why = "not an NPY file (bad magic)";
    else if (!((b[6] == 1 || b[6] == 2) && b[7] == 0))
        why = "unsupported NPY version";
    else {
        size_t prefix = b[6] == 1 ? 10 : 12;
        size_t hlen = b[6] == 1 ? (size_t)b[8] | (size_t)b[9] << 8
                                : (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 |
                                      (size_t)b[11] << 24;
        if (hlen > size - prefix)
            why = "header is longer than the file";
        else {
            header_end = prefix + hlen;
            cursor c = {(const char *)b + prefix, (const char *)b + header_end};
            why = parse_dict(&c, arr);
        }
    }
    // the data's size must match the file's exactly
    if (!why) {
        size_t n = jepa_npy_dtype_size(arr->dtype);
        for (int i = 0; i < arr->ndim && !why; i++) {
            size_t d = (size_t)arr->shape[i];
            if (d && n > (SIZE_MAX / d))
                why = "shape is too large";
            else
                n *= d;
        }
        if (!why && n != size - header_end) why = "file size does not match the header's shape";
        arr->nbytes = n;
    }
    if (why) {
        memset(arr, 0, sizeof *arr);
        arr->fd = -1;
        return jepa_fail(err, err_size, JEPA_ERR_FORMAT, "%s: %s", what, why);
    }
    arr->data = arr->nbytes ? (void *)((const char *)bytes + header_end) : NULL;
    return JEPA_OK;
}

jepa_status jepa_npy_map(jepa_npy *arr, const char *path, char *err, size_t err_size) {
    memset(arr, 0, sizeof *arr);
    arr->fd = -1;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    if (size < 12) {
        close(fd);
        return jepa_fail(err, err_size, JEPA_ERR_FORMAT, "%s: too short to be an NPY file", path);
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: mmap: %s", path, strerror(errno));
    jepa_status status = jepa_npy_parse(arr, map, size, path, err, err_size);
    if (status != JEPA_OK) {
        munmap(map, size);
        return status;
    }
    arr->map = map;
    arr->map_size = size;
    return JEPA_OK;
}

jepa_status jepa_npy_create(jepa_npy *arr, const char *path, jepa_npy_dtype dtype, int ndim,
                            const int64_t *shape, char *err, size_t err_size) {
    memset(arr, 0, sizeof *arr);
    arr->fd = -1;
    char header[512];
    size_t hlen = jepa_npy_header(header, sizeof header, dtype, ndim, shape);
    if (!hlen) return jepa_fail(err, err_size, JEPA_ERR_INVALID, "%s: bad NPY shape", path);
    size_t n = jepa_npy_dtype_size(dtype);
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || (shape[i] && n > (SIZE_MAX / 2) / (size_t)shape[i]))
            return jepa_fail(err, err_size, JEPA_ERR_INVALID, "%s: bad NPY shape", path);
        n *= (size_t)shape[i];
    }
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: %s", path, strerror(errno));
    // reserve the blocks now (a full disk is an error here, not a SIGBUS when a page is written)
    void *map = MAP_FAILED;
    int e = 0;
    if (write(fd, header, hlen) != (ssize_t)hlen)
        e = errno ? errno : EIO;
    else if ((e = posix_fallocate(fd, 0, (off_t)(hlen + n))) == 0) {
        map = mmap(NULL, hlen + n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) e = errno;
    }
    if (map == MAP_FAILED) {
        close(fd);
        unlink(path);
        return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: %s", path, strerror(e));
    }
    arr->dtype = dtype;
    arr->ndim = ndim;
    for (int i = 0; i < ndim; i++) arr->shape[i] = shape[i];
    arr->nbytes = n;
    arr->map = map;
    arr->map_size = hlen + n;
    arr->data = n ? (char *)map + hlen : NULL;
    arr->fd = fd;
    arr->writable = 1;
    return JEPA_OK;
}

jepa_status jepa_npy_finish(jepa_npy *arr, const char *path, char *err, size_t err_size) {
    int ok = munmap(arr->map, arr->map_size) == 0;
    ok = fsync(arr->fd) == 0 && ok;
    ok = close(arr->fd) == 0 && ok;
    int e = errno;
    memset(arr, 0, sizeof *arr);
    arr->fd = -1;
    return ok ? JEPA_OK : jepa_fail(err, err_size, JEPA_ERR_IO, "%s: %s", path, strerror(e));
}

void jepa_npy_close(jepa_npy *arr) {
    if (arr->map) munmap(arr->map, arr->map_size);
    if (arr->writable && arr->fd >= 0) close(arr->fd);
    memset(arr, 0, sizeof *arr);
    arr->fd = -1;
}

jepa_status jepa_npy_write(const char *path, jepa_npy_dtype dtype, int ndim, const int64_t *shape,
                           const void *data, char *err, size_t err_size) {
    jepa_npy arr;
    jepa_status st = jepa_npy_create(&arr, path, dtype, ndim, shape, err, err_size);
    if (st != JEPA_OK) return st;
    if (arr.nbytes) memcpy(arr.data, data, arr.nbytes);
    return jepa_npy_finish(&arr, path, err, err_size);
}
