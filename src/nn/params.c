// The parameter table and its flat buffers.
#include "jepa/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jepa/autograd.h"
#include "jepa/rng.h"

void jepa_params_init(jepa_params *p) { memset(p, 0, sizeof *p); }

void jepa_params_free(jepa_params *p) {
    free(p->items);
    free(p->data);
    free(p->grad);
    memset(p, 0, sizeof *p);
}

static int add(jepa_params *p, const char *name, int ndim, const int64_t *shape, int no_decay,
               int trainable) {
    JEPA_CHECK_MSG(!p->finalized, "parameters are already allocated");
    JEPA_CHECK_MSG(strlen(name) < JEPA_PARAM_NAME_MAX, "parameter name too long");
    JEPA_CHECK_MSG(jepa_params_find(p, name) < 0, "parameter name repeated");
    if (p->count == p->capacity) {
        int cap = p->capacity ? 2 * p->capacity : 32;
        jepa_param *items = realloc(p->items, sizeof *items * (size_t)cap);
        JEPA_CHECK_MSG(items != NULL, "out of memory for the parameter table");
        p->items = items;
        p->capacity = cap;
    }
    jepa_param *it = &p->items[p->count];
    memset(it, 0, sizeof *it);
    snprintf(it->name, sizeof it->name, "%s", name);
    it->no_decay = no_decay;
    it->trainable = trainable;
    it->offset = p->total;
    // the shape is kept in the tensor; data pointers are set by finalize
    jepa_tensor_wrap(&it->tensor, NULL, NULL, ndim, shape);
    it->tensor.name = it->name;
    p->total += jepa_numel(&it->tensor);
    return p->count++;
}

int jepa_params_add(jepa_params *p, const char *name, int ndim, const int64_t *shape, int no_decay) {
    return add(p, name, ndim, shape, no_decay, 1);
}

int jepa_params_add_buffer(jepa_params *p, const char *name, int ndim, const int64_t *shape) {
    return add(p, name, ndim, shape, 1, 0);
}

void jepa_params_freeze(jepa_params *p, int i) {
    JEPA_CHECK_MSG(!p->finalized && i >= 0 && i < p->count, "freeze: parameters already allocated");
    p->items[i].trainable = 0;
}

jepa_status jepa_params_finalize(jepa_params *p) {
    JEPA_CHECK(!p->finalized);
    size_t n = (size_t)(p->total ? p->total : 1);
    p->data = calloc(n, sizeof(float));
    p->grad = calloc(n, sizeof(float));
    if (!p->data || !p->grad) return JEPA_ERR_NOMEM;
    for (int i = 0; i < p->count; i++) {
        jepa_param *it = &p->items[i];
        int64_t shape[JEPA_MAX_DIMS];
        memcpy(shape, it->tensor.shape, sizeof shape); // wrap clears the tensor it fills
        jepa_tensor_wrap(&it->tensor, p->data + it->offset,
                         it->trainable ? p->grad + it->offset : NULL, it->tensor.ndim, shape);
        it->tensor.name = it->name;
    }
    p->finalized = 1; // the table no longer moves: pointers to its tensors stay valid
    return JEPA_OK;
}

jepa_tensor *jepa_params_tensor(jepa_params *p, int i) {
    JEPA_CHECK(p->finalized && i >= 0 && i < p->count);
    return &p->items[i].tensor;
}

int jepa_params_find(const jepa_params *p, const char *name) {
    for (int i = 0; i < p->count; i++)
        if (strcmp(p->items[i].name, name) == 0) return i;
    return -1;
}

void jepa_params_zero_grad(jepa_params *p) {
    jepa_zero_floats(p->grad, p->total ? p->total : 1);
}

int64_t jepa_params_trainable_count(const jepa_params *p) {
    int64_t n = 0;
    for (int i = 0; i < p->count; i++)
        if (p->items[i].trainable) n += jepa_numel(&p->items[i].tensor);
    return n;
}

void jepa_params_set_init(jepa_params *p, int i, jepa_init init, float arg) {
    JEPA_CHECK(i >= 0 && i < p->count);
    p->items[i].init = init;
    p->items[i].init_arg = arg;
}

void jepa_params_reset(jepa_params *p, uint64_t seed) {
    JEPA_CHECK(p->finalized);
    for (int i = 0; i < p->count; i++) {
        const jepa_param *it = &p->items[i];
        float *w = p->data + it->offset, a = it->init_arg;
        int64_t n = jepa_numel(&it->tensor);
        jepa_rng rng;
        jepa_rng_init(&rng, seed, (uint64_t)i);
        for (int64_t j = 0; j < n; j++) {
            switch (it->init) {
            case JEPA_INIT_ZERO: w[j] = 0.0f; break;
            case JEPA_INIT_CONST: w[j] = a; break;
            case JEPA_INIT_UNIFORM: w[j] = jepa_rng_uniform_range(&rng, -a, a); break;
            case JEPA_INIT_NORMAL: w[j] = a * jepa_rng_normal(&rng); break;
            case JEPA_INIT_TRUNC_NORMAL: w[j] = jepa_rng_truncnormal(&rng, 0.0f, a, -2.0f, 2.0f); break;
            default: JEPA_CHECK_MSG(0, "unknown init rule");
            }
        }
    }
}
