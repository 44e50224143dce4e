// Safetensors: a strict reader over a memory mapping and an atomic writer.
#define _POSIX_C_SOURCE 200809L
#include "jepa/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jepa/atomic_file.h"

static const struct {
    const char *name;
    size_t size;
} g_dtypes[] = {
    [JEPA_ST_F64] = {"F64", 8}, [JEPA_ST_F32] = {"F32", 4}, [JEPA_ST_F16] = {"F16", 2},
    [JEPA_ST_BF16] = {"BF16", 2}, [JEPA_ST_I64] = {"I64", 8}, [JEPA_ST_I32] = {"I32", 4},
    [JEPA_ST_I16] = {"I16", 2}, [JEPA_ST_I8] = {"I8", 1}, [JEPA_ST_U8] = {"U8", 1},
    [JEPA_ST_BOOL] = {"BOOL", 1},
};
#define N_DTYPES ((int)(sizeof g_dtypes / sizeof g_dtypes[0]))

static int cmp_by_offset(const void *a, const void *b) {
    const jepa_st_tensor *x = a, *y = b;
    return x->data < y->data ? -1 : (x->data > y->data ? 1 : 0);
}

static void st_free(jepa_safetensors *st) {
    for (int i = 0; i < st->count; i++) free(st->tensors[i].name);
    free(st->tensors);
    cJSON_Delete(st->metadata);
    st->tensors = NULL;
    st->metadata = NULL;
    st->count = 0;
}

// read one header entry into t; data_base is the start of the data area of data_size bytes
static jepa_status parse_entry(const cJSON *e, jepa_st_tensor *t, const unsigned char *data_base,
                               uint64_t data_size, const char *what, char *err, size_t n) {
    const char *name = e->string;
    if (!cJSON_IsObject(e))
        return jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: tensor '%s' is not an object", what, name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    int d = -1;
    for (int i = 0; cJSON_IsString(dtype) && i < N_DTYPES; i++)
        if (strcmp(dtype->valuestring, g_dtypes[i].name) == 0) d = i;
    if (d < 0)
        return jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: tensor '%s' has an unknown dtype", what,
                         name);
    t->dtype = (jepa_st_dtype)d;
    if (!cJSON_IsArray(shape) || cJSON_GetArraySize(shape) > 8)
        return jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: tensor '%s' has a bad shape", what, name);
    t->ndim = cJSON_GetArraySize(shape);
    uint64_t count = 1;
    for (int i = 0; i < t->ndim; i++) {
        const cJSON *s = cJSON_GetArrayItem(shape, i);
        if (!cJSON_IsNumber(s) || s->valuedouble < 0 || s->valuedouble > 1e15 ||
            s->valuedouble != (double)(int64_t)s->valuedouble)
            return jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: tensor '%s' has a bad shape", what,
                             name);
        t->shape[i] = (int64_t)s->valuedouble;
        if (t->shape[i] && count > UINT64_MAX / 16 / (uint64_t)t->shape[i])
            return jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: tensor '%s' is too large", what, name);
        count *= (uint64_t)t->shape[i];
    }
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
        return jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: tensor '%s' has bad data_offsets", what,
                         name);
    double b = cJSON_GetArrayItem(offs, 0)->valuedouble, en = cJSON_GetArrayItem(offs, 1)->valuedouble;
    if (!cJSON_IsNumber(cJSON_GetArrayItem(offs, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(offs, 1)) ||
        b < 0 || en < b || en > (double)data_size || b != (double)(uint64_t)b ||
        en != (double)(uint64_t)en)
        return jepa_fail(err, n, JEPA_ERR_FORMAT,
                         "%s: tensor '%s' has data_offsets outside the data area", what, name);
    t->nbytes = (size_t)((uint64_t)en - (uint64_t)b);
    if ((uint64_t)t->nbytes != count * g_dtypes[d].size)
        return jepa_fail(err, n, JEPA_ERR_FORMAT,
                         "%s: tensor '%s' holds %zu bytes, its shape and dtype need %llu", what,
                         name, t->nbytes, (unsigned long long)(count * g_dtypes[d].size));
    t->data = data_base + (uint64_t)b;
    return JEPA_OK;
}

jepa_status jepa_st_parse(jepa_safetensors *st, const void *bytes, size_t size, const char *what,
                          char *err, size_t n) {
    memset(st, 0, sizeof *st);
    const unsigned char *p = bytes;
    if (size < 8)
        return jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: too short for a safetensors file (%zu bytes)",
                         what, size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | p[i];
    if (hlen > JEPA_ST_MAX_HEADER || hlen > size - 8)
        return jepa_fail(err, n, JEPA_ERR_FORMAT,
                         "%s: header length %llu exceeds the file (%zu bytes) or 100 MB", what,
                         (unsigned long long)hlen, size);
    cJSON *header = cJSON_ParseWithLength((const char *)p + 8, (size_t)hlen);
    if (!cJSON_IsObject(header)) {
        cJSON_Delete(header);
        return jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: the header is not a JSON object", what);
    }
    const unsigned char *data_base = p + 8 + hlen;
    uint64_t data_size = size - 8 - hlen;
    int total = cJSON_GetArraySize(header);
    st->tensors = calloc((size_t)(total ? total : 1), sizeof *st->tensors);
    jepa_status status = st->tensors ? JEPA_OK : JEPA_ERR_NOMEM;
    for (cJSON *e = header->child; status == JEPA_OK && e; e = e->next) {
        if (strcmp(e->string, "__metadata__") == 0) {
            for (const cJSON *m = e->child; m && status == JEPA_OK; m = m->next)
                if (!cJSON_IsString(m))
                    status = jepa_fail(err, n, JEPA_ERR_FORMAT,
                                       "%s: __metadata__ value '%s' is not a string", what, m->string);
            if (status == JEPA_OK && cJSON_IsObject(e) && !st->metadata)
                st->metadata = cJSON_Duplicate(e, 1);
            else if (status == JEPA_OK)
                status = jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: bad __metadata__", what);
            continue;
        }
        jepa_st_tensor *t = &st->tensors[st->count];
        status = parse_entry(e, t, data_base, data_size, what, err, n);
        if (status == JEPA_OK) {
            t->name = strdup(e->string);
            if (!t->name) status = JEPA_ERR_NOMEM;
            else st->count++;
        }
    }
    cJSON_Delete(header);
    if (status == JEPA_OK) {
        // no two tensors may share bytes; names are unique by JSON object rules checked here
        jepa_st_tensor *sorted = malloc(sizeof *sorted * (size_t)(st->count ? st->count : 1));
        if (!sorted) status = JEPA_ERR_NOMEM;
        else {
            memcpy(sorted, st->tensors, sizeof *sorted * (size_t)st->count);
            qsort(sorted, (size_t)st->count, sizeof *sorted, cmp_by_offset);
            for (int i = 1; i < st->count && status == JEPA_OK; i++)
                if (sorted[i].data < sorted[i - 1].data + sorted[i - 1].nbytes)
                    status = jepa_fail(err, n, JEPA_ERR_FORMAT,
                                       "%s: tensors '%s' and '%s' overlap", what, sorted[i - 1].name,
                                       sorted[i].name);
            free(sorted);
        }
        for (int i = 0; i < st->count && status == JEPA_OK; i++)
            for (int j = i + 1; j < st->count && status == JEPA_OK; j++)
                if (strcmp(st->tensors[i].name, st->tensors[j].name) == 0)
                    status = jepa_fail(err, n, JEPA_ERR_FORMAT, "%s: tensor '%s' appears twice",
                                       what, st->tensors[i].name);
    }
    if (status == JEPA_ERR_NOMEM) jepa_fail(err, n, status, "%s: out of memory", what);
    if (status != JEPA_OK) st_free(st);
    return status;
}

jepa_status jepa_st_open(jepa_safetensors *st, const char *path, char *err, size_t n) {
    memset(st, 0, sizeof *st);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return jepa_fail(err, n, JEPA_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return jepa_fail(err, n, JEPA_ERR_IO, "%s: not a regular file", path);
    }
    size_t size = (size_t)sb.st_size;
    void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (size && map == MAP_FAILED)
        return jepa_fail(err, n, JEPA_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    jepa_status status = jepa_st_parse(st, map, size, path, err, n);
    if (status != JEPA_OK) {
        if (map) munmap(map, size);
        return status;
    }
    st->map = map;
    st->size = size;
    return JEPA_OK;
}

void jepa_st_close(jepa_safetensors *st) {
    st_free(st);
    if (st->map) munmap(st->map, st->size);
    st->map = NULL;
    st->size = 0;
}

const jepa_st_tensor *jepa_st_find(const jepa_safetensors *st, const char *name) {
    for (int i = 0; i < st->count; i++)
        if (strcmp(st->tensors[i].name, name) == 0) return &st->tensors[i];
    return NULL;
}

const char *jepa_st_metadata(const jepa_safetensors *st, const char *key) {
    const cJSON *v = st->metadata ? cJSON_GetObjectItemCaseSensitive(st->metadata, key) : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        // zero or subnormal: mant * 2^-24
        float f = (float)mant * 0x1p-24f;
        return sign ? -f : f;
    }
    if (exp == 31) bits = sign | 0x7f800000u | (mant << 13);
    else bits = sign | ((exp + 112) << 23) | (mant << 13);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

jepa_status jepa_st_to_f32(const jepa_st_tensor *t, float *out, char *err, size_t n) {
    size_t count = t->nbytes / g_dtypes[t->dtype].size;
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case JEPA_ST_F32:
        memcpy(out, p, t->nbytes); // the file is little-endian, as is every machine we build on
        return JEPA_OK;
    case JEPA_ST_F16:
        for (size_t i = 0; i < count; i++) out[i] = half_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
        return JEPA_OK;
    case JEPA_ST_BF16:
        for (size_t i = 0; i < count; i++) {
            uint32_t bits = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8) << 16;
            memcpy(&out[i], &bits, 4);
        }
        return JEPA_OK;
    default:
        return jepa_fail(err, n, JEPA_ERR_FORMAT, "tensor '%s': dtype %s cannot load as float32",
                         t->name, g_dtypes[t->dtype].name);
    }
}

jepa_status jepa_st_load_params(const jepa_safetensors *st, jepa_params *p, const char *skip_prefix,
                                char *err, size_t n) {
    // every tensor of the file is known, every parameter is present with its shape
    for (int i = 0; i < st->count; i++) {
        const char *name = st->tensors[i].name;
        if (skip_prefix && strncmp(name, skip_prefix, strlen(skip_prefix)) == 0) continue;
        if (jepa_params_find(p, name) < 0)
            return jepa_fail(err, n, JEPA_ERR_FORMAT, "unexpected tensor '%s' in the checkpoint",
                             name);
    }
    for (int i = 0; i < p->count; i++) {
        jepa_tensor *pt = jepa_params_tensor(p, i);
        const jepa_st_tensor *t = jepa_st_find(st, p->items[i].name);
        if (!t)
            return jepa_fail(err, n, JEPA_ERR_FORMAT, "tensor '%s' is missing from the checkpoint",
                             p->items[i].name);
        int same = t->ndim == pt->ndim;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == pt->shape[d];
        if (!same) {
            char want[64];
            return jepa_fail(err, n, JEPA_ERR_SHAPE,
                             "tensor '%s' has the wrong shape in the checkpoint (the model needs %s)",
                             p->items[i].name, jepa_shape_str(pt, want, sizeof want));
        }
        jepa_status s = jepa_st_to_f32(t, pt->data, err, n);
        if (s != JEPA_OK) return s;
    }
    return JEPA_OK;
}

jepa_status jepa_st_save(const char *path, const jepa_st_entry *entries, int count,
                         const char *metadata_json, char *err, size_t n) {
    cJSON *header = cJSON_CreateObject();
    if (!header) return jepa_fail(err, n, JEPA_ERR_NOMEM, "%s: out of memory", path);
    if (metadata_json) {
        cJSON *meta = cJSON_Parse(metadata_json);
        int ok = cJSON_IsObject(meta);
        for (const cJSON *m = ok ? meta->child : NULL; m; m = m->next) ok &= cJSON_IsString(m);
        if (!ok) {
            cJSON_Delete(meta);
            cJSON_Delete(header);
            return jepa_fail(err, n, JEPA_ERR_INVALID,
                             "%s: metadata must be a JSON object of strings", path);
        }
        cJSON_AddItemToObject(header, "__metadata__", meta);
    }
    uint64_t offset = 0;
    for (int i = 0; i < count; i++) {
        const jepa_st_entry *e = &entries[i];
        JEPA_CHECK_MSG(!cJSON_GetObjectItemCaseSensitive(header, e->name), "repeated tensor name");
        cJSON *t = cJSON_AddObjectToObject(header, e->name);
        cJSON_AddStringToObject(t, "dtype", "F32");
        cJSON *shape = cJSON_AddArrayToObject(t, "shape");
        uint64_t numel = 1;
        for (int d = 0; d < e->ndim; d++) {
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)e->shape[d]));
            numel *= (uint64_t)e->shape[d];
        }
        cJSON *offs = cJSON_AddArrayToObject(t, "data_offsets");
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset));
        offset += numel * 4;
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset));
    }
    char *text = cJSON_PrintUnformatted(header);
    cJSON_Delete(header);
    if (!text) return jepa_fail(err, n, JEPA_ERR_NOMEM, "%s: out of memory", path);
    // pad the header with spaces so the data starts 8-byte aligned
    size_t len = strlen(text), padded = (len + 7) / 8 * 8;
    unsigned char lenbytes[8];
    for (int i = 0; i < 8; i++) lenbytes[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    jepa_atomic_file af;
    jepa_status st = jepa_atomic_open(&af, path, err, n);
    if (st == JEPA_OK) {
        fwrite(lenbytes, 1, 8, af.f);
        fwrite(text, 1, len, af.f);
        for (size_t i = len; i < padded; i++) fputc(' ', af.f);
        for (int i = 0; i < count; i++) {
            uint64_t numel = 1;
            for (int d = 0; d < entries[i].ndim; d++) numel *= (uint64_t)entries[i].shape[d];
            fwrite(entries[i].data, 4, (size_t)numel, af.f);
        }
        st = jepa_atomic_commit(&af, err, n);
    }
    cJSON_free(text);
    return st;
}
