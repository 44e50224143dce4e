// libFuzzer target: the NPY header parser on arbitrary bytes; every data byte it accepts is read.
#include "jepa/npy.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    jepa_npy arr;
    char err[256];
    if (jepa_npy_parse(&arr, data, size, "fuzz", err, sizeof err) != JEPA_OK) return 0;
    // the data must lie inside the input (AddressSanitizer checks each read)
    volatile unsigned char sum = 0;
    const unsigned char *p = arr.data;
    for (size_t i = 0; i < arr.nbytes; i++) sum ^= p[i];
    (void)sum;
    jepa_npy_close(&arr);
    return 0;
}
