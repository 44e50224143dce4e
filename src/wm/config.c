// World-model configs, driven by the field table in wm_config.h.
#include "jepa/wm_config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jepa_wm_config_defaults(jepa_wm_config *c) {
    memset(c, 0, sizeof *c);
#define SET_INT(name, def) c->name = (int)(def);
#define SET_FLOAT(name, def) c->name = (double)(def);
#define SET_STR(name, def) snprintf(c->name, sizeof c->name, "%s", (const char *)(def));
#define X(type, name, def, lo, hi, doc) SET_##type(name, def)
    JEPA_WM_CONFIG_FIELDS(X)
#undef X
}

// whether word is one of the '|'-separated choices
static int is_choice(const char *word, const char *choices) {
    size_t n = strlen(word);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0) return 1;
        if (!bar) break;
        p = bar + 1;
    }
    return 0;
}

static jepa_status parse_number(const cJSON *v, const char *what, const char *key, int integer,
                                double lo, double hi, double *out, char *err, size_t n) {
    // floor, not a cast to an integer: 1e40 has no long long (undefined behaviour)
    if (!cJSON_IsNumber(v) || (integer && v->valuedouble != floor(v->valuedouble)))
        return jepa_fail(err, n, JEPA_ERR_INVALID, "%s: '%s' must be %s", what, key,
                         integer ? "a whole number" : "a number");
    if (!(v->valuedouble >= lo && v->valuedouble <= hi))
        return jepa_fail(err, n, JEPA_ERR_INVALID, "%s: '%s' = %g is outside [%g, %g]", what, key,
                         v->valuedouble, lo, hi);
    *out = v->valuedouble;
    return JEPA_OK;
}

jepa_status jepa_wm_config_parse(jepa_wm_config *c, const char *json, const char *what, char *err,
                                 size_t n) {
    cJSON *root = cJSON_Parse(json);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return jepa_fail(err, n, JEPA_ERR_INVALID, "%s: not a JSON object", what);
    }
    jepa_status st = JEPA_OK;
    for (const cJSON *v = root->child; v && st == JEPA_OK; v = v->next) {
        const char *key = v->string;
        int known = 0;
        double num = 0;
#define PARSE_INT(name, lo, hi)                                                                    \
    if (st == JEPA_OK && (st = parse_number(v, what, key, 1, (double)(lo), (double)(hi), &num, err, n)) == JEPA_OK) \
        c->name = (int)num;
#define PARSE_FLOAT(name, lo, hi)                                                                  \
    if (st == JEPA_OK && (st = parse_number(v, what, key, 0, (double)(lo), (double)(hi), &num, err, n)) == JEPA_OK) \
        c->name = num;
#define PARSE_STR(name, lo, hi)                                                                    \
    if (!cJSON_IsString(v) || !is_choice(v->valuestring, (const char *)(lo)))                      \
        st = jepa_fail(err, n, JEPA_ERR_INVALID, "%s: '%s' must be one of %s", what, key,         \
                       (const char *)(lo));                                                       \
    else snprintf(c->name, sizeof c->name, "%s", v->valuestring);
#define X(type, name, def, lo, hi, doc)                                                            \
    if (!known && strcmp(key, #name) == 0) {                                                       \
        known = 1;                                                                                 \
        PARSE_##type(name, lo, hi)                                                                 \
    }
        JEPA_WM_CONFIG_FIELDS(X)
#undef X
        if (!known) st = jepa_fail(err, n, JEPA_ERR_INVALID, "%s: unknown key '%s'", what, key);
    }
    cJSON_Delete(root);
    return st;
}

jepa_status jepa_wm_config_load(jepa_wm_config *c, const char *path, char *err, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) return jepa_fail(err, n, JEPA_ERR_IO, "%s: %s", path, strerror(errno));
    char text[65536];
    size_t len = fread(text, 1, sizeof text - 1, f);
    int too_long = !feof(f);
    fclose(f);
    if (too_long) return jepa_fail(err, n, JEPA_ERR_INVALID, "%s: larger than 64 KB", path);
    text[len] = '\0';
    jepa_wm_config_defaults(c);
    return jepa_wm_config_parse(c, text, path, err, n);
}

char *jepa_wm_config_json(const jepa_wm_config *c) {
    cJSON *o = cJSON_CreateObject();
#define JSON_INT(name) cJSON_AddNumberToObject(o, #name, c->name);
#define JSON_FLOAT(name) cJSON_AddNumberToObject(o, #name, c->name);
#define JSON_STR(name) cJSON_AddStringToObject(o, #name, c->name);
#define X(type, name, def, lo, hi, doc) JSON_##type(name)
    JEPA_WM_CONFIG_FIELDS(X)
#undef X
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

void jepa_wm_config_print_doc(void) {
#define DOC_INT(name, def, lo, hi, doc) printf("  %-18s %-10d %s (%d..%d)\n", #name, (int)(def), doc, (int)(lo), (int)(hi));
#define DOC_FLOAT(name, def, lo, hi, doc) printf("  %-18s %-10g %s\n", #name, (double)(def), doc);
#define DOC_STR(name, def, lo, hi, doc) printf("  %-18s %-10s %s (%s)\n", #name, (const char *)(def), doc, (const char *)(lo));
#define X(type, name, def, lo, hi, doc) DOC_##type(name, def, lo, hi, doc)
    JEPA_WM_CONFIG_FIELDS(X)
#undef X
}
