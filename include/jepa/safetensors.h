// Checkpoints in the safetensors format (Hugging Face): an 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {key: string}}, then the
// raw little-endian tensors. Read by memory-mapping, every header field validated before use;
// written to a temporary file in the same folder, fsynced, then renamed.
#ifndef JEPA_SAFETENSORS_H
#define JEPA_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "jepa/params.h"
#include "jepa/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define JEPA_ST_MAX_HEADER (100u << 20) // 100 MB, as the reference implementation

typedef enum jepa_st_dtype {
    JEPA_ST_F64, JEPA_ST_F32, JEPA_ST_F16, JEPA_ST_BF16, JEPA_ST_I64, JEPA_ST_I32, JEPA_ST_I16,
    JEPA_ST_I8, JEPA_ST_U8, JEPA_ST_BOOL,
} jepa_st_dtype;

typedef struct jepa_st_tensor {
    char *name; // owned by the file handle
    jepa_st_dtype dtype;
    int ndim;
    int64_t shape[8];
    const unsigned char *data; // inside the mapping
    size_t nbytes;
} jepa_st_tensor;

typedef struct jepa_safetensors {
    void *map;
    size_t size;
    jepa_st_tensor *tensors;
    int count;
    void *metadata; // cJSON object or NULL (internal)
} jepa_safetensors;

// Map and validate a file. On failure st is left closed and err names the file and the problem.
jepa_status jepa_st_open(jepa_safetensors *st, const char *path, char *err, size_t err_size);
// Validate a safetensors image already in memory (not copied: it must outlive st). Used by
// jepa_st_open and by the fuzzer.
jepa_status jepa_st_parse(jepa_safetensors *st, const void *bytes, size_t size, const char *what,
                          char *err, size_t err_size);
void jepa_st_close(jepa_safetensors *st);

const jepa_st_tensor *jepa_st_find(const jepa_safetensors *st, const char *name);
// A __metadata__ value, or NULL.
const char *jepa_st_metadata(const jepa_safetensors *st, const char *key);

// Convert a F32, F16 or BF16 tensor to float32 (numel floats); other dtypes are an error.
jepa_status jepa_st_to_f32(const jepa_st_tensor *t, float *out, char *err, size_t err_size);

// Load every parameter (and buffer) of p from st: each must be present with the same shape.
// Tensors in st that p lacks are an error, except names starting with skip_prefix (may be NULL),
// e.g. "optim." for optimizer state. The error names the tensor.
jepa_status jepa_st_load_params(const jepa_safetensors *st, jepa_params *p, const char *skip_prefix,
                                char *err, size_t err_size);

// One tensor to write (float32).
typedef struct jepa_st_entry {
    const char *name;
    int ndim;
    const int64_t *shape;
    const float *data;
} jepa_st_entry;

// Write entries and metadata (a JSON object of string values as text, or NULL) to path
// atomically: temporary file in the same folder, fsync, rename. Names must be unique.
jepa_status jepa_st_save(const char *path, const jepa_st_entry *entries, int count,
                         const char *metadata_json, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
