// libFuzzer target: the safetensors reader on arbitrary bytes, then every tensor to float32.
#include <stdlib.h>

#include "jepa/safetensors.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    jepa_safetensors st;
    char err[256];
    if (jepa_st_parse(&st, data, size, "fuzz", err, sizeof err) != JEPA_OK) return 0;
    // every tensor that converts, into a buffer of exactly its element count
    for (int i = 0; i < st.count; i++) {
        const jepa_st_tensor *t = &st.tensors[i];
        if (t->dtype != JEPA_ST_F32 && t->dtype != JEPA_ST_F16 && t->dtype != JEPA_ST_BF16) continue;
        size_t elem = t->dtype == JEPA_ST_F32 ? 4 : 2;
        float *out = malloc(t->nbytes / elem * sizeof(float) + 1);
        if (out) jepa_st_to_f32(t, out, err, sizeof err);
        free(out);
        if (jepa_st_find(&st, t->name) == NULL) abort();
    }
    jepa_st_metadata(&st, "config");
    jepa_st_close(&st);
    return 0;
}
