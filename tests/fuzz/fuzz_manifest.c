// libFuzzer target: the dataset manifest parser on arbitrary text.
#include <stdlib.h>
#include <string.h>

#include "jepa/dataset.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    jepa_dataset ds;
    char err[256];
    memset(&ds, 0, sizeof ds);
    jepa_dataset_parse_manifest(&ds, text, "fuzz", err, sizeof err);
    jepa_dataset_close(&ds);
    free(text);
    return 0;
}
