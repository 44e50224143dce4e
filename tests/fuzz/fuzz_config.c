// libFuzzer target: the world-model config parser on arbitrary text, then its JSON round trip.
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "jepa/wm_config.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    jepa_wm_config c;
    char err[256];
    jepa_wm_config_defaults(&c);
    if (jepa_wm_config_parse(&c, text, "fuzz", err, sizeof err) == JEPA_OK) {
        // an accepted config prints and parses back to itself
        char *json = jepa_wm_config_json(&c);
        jepa_wm_config back;
        jepa_wm_config_defaults(&back);
        if (!json || jepa_wm_config_parse(&back, json, "round trip", err, sizeof err) != JEPA_OK)
            abort();
        cJSON_free(json);
    }
    free(text);
    return 0;
}
