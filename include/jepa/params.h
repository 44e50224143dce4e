// A model's parameters: a table of named tensors over one contiguous buffer each for values and
// gradients (llm.c style), so the optimizer is one flat loop and a checkpoint one write.
//
//   jepa_params p;
//   jepa_params_init(&p);
//   int w = jepa_params_add(&p, "encoder.proj.weight", 2, (int64_t[]){256, 2048}, 0);
//   int b = jepa_params_add(&p, "encoder.proj.bias", 1, (int64_t[]){256}, 1);
//   jepa_params_finalize(&p);          // allocates; now jepa_params_tensor(&p, w) is usable
#ifndef JEPA_PARAMS_H
#define JEPA_PARAMS_H

#include <stdint.h>

#include "jepa/status.h"
#include "jepa/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define JEPA_PARAM_NAME_MAX 96

// How a parameter's values are first set (PyTorch's defaults for each layer).
typedef enum jepa_init {
    JEPA_INIT_ZERO = 0,
    JEPA_INIT_CONST,        // every value = arg
    JEPA_INIT_UNIFORM,      // U(-arg, arg)
    JEPA_INIT_NORMAL,       // N(0, arg^2)
    JEPA_INIT_TRUNC_NORMAL, // N(0, arg^2) truncated to [-2, 2] (timm's trunc_normal_)
} jepa_init;

typedef struct jepa_param {
    char name[JEPA_PARAM_NAME_MAX]; // PyTorch state_dict name, e.g. "blocks.0.attn.qkv.weight"
    int64_t offset;                 // into the flat buffers, in floats
    int no_decay;                   // excluded from weight decay (norms, biases)
    int trainable;                  // 0 for buffers such as BatchNorm running statistics
    int init;                       // a jepa_init
    float init_arg;
    jepa_tensor tensor;             // a contiguous view into data and grad
} jepa_param;

typedef struct jepa_params {
    jepa_param *items;
    int count, capacity;
    int64_t total;   // floats in all
    float *data;     // total floats, owned
    float *grad;     // total floats, owned (zero for buffers)
    int finalized;
} jepa_params;

void jepa_params_init(jepa_params *p);
// Free the table and the buffers. NULL-safe fields; the struct itself is the caller's.
void jepa_params_free(jepa_params *p);

// Declare a parameter (before finalize); returns its index. A repeated name is misuse.
int jepa_params_add(jepa_params *p, const char *name, int ndim, const int64_t *shape, int no_decay);
// Declare a non-trainable buffer (e.g. running_mean): saved in checkpoints, never optimized.
int jepa_params_add_buffer(jepa_params *p, const char *name, int ndim, const int64_t *shape);

// Before finalize: keep parameter i as it is, as a buffer (no gradient, never optimized).
void jepa_params_freeze(jepa_params *p, int i);

// Allocate the buffers (zero-filled) and point every tensor into them.
jepa_status jepa_params_finalize(jepa_params *p);

// Set how parameter i is initialised (before or after finalize).
void jepa_params_set_init(jepa_params *p, int i, jepa_init init, float arg);

// Fill every parameter and buffer by its init rule; parameter i draws from stream i of seed,
// so a value does not depend on the other parameters.
void jepa_params_reset(jepa_params *p, uint64_t seed);

// The tensor of parameter i (valid after finalize, as long as p lives).
jepa_tensor *jepa_params_tensor(jepa_params *p, int i);

// The index of a name, or -1.
int jepa_params_find(const jepa_params *p, const char *name);

// Zero every gradient (one memset).
void jepa_params_zero_grad(jepa_params *p);

// Number of trainable floats.
int64_t jepa_params_trainable_count(const jepa_params *p);

#ifdef __cplusplus
}
#endif
#endif
