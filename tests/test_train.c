// Training: the loss of both recipes falls on a tiny tworoom dataset (read from the metrics the
// loop wrote), a resumed run equals an uninterrupted one bit for bit on one thread, failures
// (unknown config key, frames of another size, a NaN loss, an existing run, nothing to resume)
// name their cause and keep the last good checkpoint, gradient clipping keeps an exploding run
// finite, checkpoints round-trip and refuse NaN or truncated files, every config in configs/
// builds its model, and the CLI's exit codes (test_jepa_bin, run from the repository root).
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

// the whole file (malloc'd), its size in *size; NULL when unreadable
static unsigned char *read_bytes(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) b[n] = 0;
    *size = (size_t)n;
    return b;
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

static int same_file(const char *a, const char *b) {
    size_t na, nb;
    unsigned char *x = read_bytes(a, &na), *y = read_bytes(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

static int collect(const char *dir, int episodes, int steps, int size, uint64_t seed) {
    jepa_collect_config c = {.env = "tworoom",
                             .episodes = episodes,
                             .steps = steps,
                             .seed = seed,
                             .policy = JEPA_POLICY_MIXED,
                             .size = size};
    char err[256];
    jepa_status st = jepa_collect(&c, test_path(dir, NULL), NULL, err, sizeof err);
    if (st != JEPA_OK) fprintf(stderr, "collect: %s\n", err);
    return st == JEPA_OK;
}

// the recipes' tiny configs, with extra fields appended
#define PLDM_BASE                                                                                  \
    "\"recipe\": \"pldm\", \"encoder\": \"conv\", \"image\": 16, \"cnn_stages\": 2, "              \
    "\"cnn_width\": 8, \"latent\": 8, \"horizon\": 3, \"batch\": 8, \"predictor_hidden\": 32"
#define LEWM_WINDOW(history, horizon)                                                              \
    "\"recipe\": \"lewm\", \"image\": 16, \"patch\": 4, \"vit_dim\": 16, \"vit_depth\": 1, "       \
    "\"vit_heads\": 2, \"projector_hidden\": 32, \"latent\": 16, \"pred_depth\": 1, "              \
    "\"pred_heads\": 2, \"history\": " #history ", \"horizon\": " #horizon ", "                    \
    "\"sigreg_directions\": 64, \"frameskip\": 2, \"batch\": 8"
#define LEWM_BASE LEWM_WINDOW(2, 1)

// write {base, extra} to test_root()/name, its path into path (512 bytes)
static void write_config(char *path, const char *name, const char *base, const char *extra) {
    char text[2048];
    snprintf(text, sizeof text, "{%s%s%s}\n", base, extra ? ", " : "", extra ? extra : "");
    snprintf(path, 512, "%s", test_path(name, NULL));
    write_bytes(path, text, strlen(text));
}

// a run whose weights start from the checkpoint init (NULL: drawn)
static jepa_status train_from(const char *init, const char *config, const char *data, const char *run,
                              int64_t steps, int64_t stop_after, int resume, char *err, size_t n) {
    jepa_train_options o;
    memset(&o, 0, sizeof o);
    o.init_path = init;
    o.config_path = config;
    o.data_dir = test_path(data, NULL);
    o.run_dir = test_path(run, NULL);
    o.steps = steps;
    o.stop_after = stop_after;
    o.resume = resume;
    err[0] = '\0';
    return jepa_train(&o, err, n);
}

static jepa_status train(const char *config, const char *data, const char *run, int64_t steps,
                         int64_t stop_after, int resume, char *err, size_t n) {
    return train_from(NULL, config, data, run, steps, stop_after, resume, err, n);
}

// the lines of run/metrics.jsonl, parsed (the caller frees each with cJSON_Delete)
static int read_metrics(const char *run, cJSON **lines, int max) {
    FILE *f = fopen(test_path(run, "metrics.jsonl"), "r");
    char line[8192];
    int n = 0;
    while (f && n < max && fgets(line, sizeof line, f)) {
        lines[n] = cJSON_Parse(line);
        if (!lines[n]) fprintf(stderr, "  %s/metrics.jsonl: not JSON: %s", run, line);
        n++;
    }
    if (f) fclose(f);
    return n;
}

static void free_lines(cJSON **lines, int n) {
    for (int i = 0; i < n; i++) cJSON_Delete(lines[i]);
}

static double number(const cJSON *line, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(line, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

// the loss of each recipe falls over 60 steps: the mean total of the last 10 logged steps
// against the first 10, from metrics.jsonl (recipe: the recipe's name, then any suffix)
static void test_loss_falls(const char *recipe, const char *base) {
    char err[1024], name[64];
    snprintf(name, sizeof name, "%s_falls.json", recipe);
    char cfg[512];
    write_config(cfg, name, base,
                 "\"steps\": 60, \"warmup\": 5, \"lr\": 0.003, \"log_every\": 1, "
                 "\"val_every\": 30, \"ckpt_every\": 30");
    snprintf(name, sizeof name, "%s_falls", recipe);
    jepa_status st = train(cfg, "data", name, 0, 0, 0, err, sizeof err);
    if (st != JEPA_OK) fprintf(stderr, "  train %s: %s\n", recipe, err);
    CHECK(st == JEPA_OK);
    cJSON *lines[128];
    int n = read_metrics(name, lines, 128), train_lines = 0, val_lines = 0;
    double first = 0, last = 0, total[60];
    for (int i = 0; i < n; i++) {
        if (!lines[i]) continue;
        if (cJSON_GetObjectItem(lines[i], "val_loss")) {
            // a validation line: losses, the probe's R^2 per state variable (the door and wall
            // of tworoom are constant: null), the embedding statistics
            val_lines++;
            const cJSON *r2 = cJSON_GetObjectItem(lines[i], "probe_r2");
            CHECK(cJSON_GetArraySize(r2) == 4);
            CHECK(cJSON_IsNumber(cJSON_GetArrayItem(r2, 0)) &&
                  cJSON_IsNull(cJSON_GetArrayItem(r2, 2)) &&
                  cJSON_IsNull(cJSON_GetArrayItem(r2, 3)));
            CHECK(isfinite(number(lines[i], "val_loss")) &&
                  number(lines[i], "effective_rank") >= 1);
            continue;
        }
        double step = number(lines[i], "step");
        CHECK(step == train_lines + 1 && isfinite(number(lines[i], "pred")) &&
              number(lines[i], "lr") > 0);
        if (train_lines < 60) total[train_lines] = number(lines[i], "total");
        train_lines++;
    }
    CHECK(train_lines == 60 && val_lines == 2);
    if (train_lines == 60) {
        for (int i = 0; i < 10; i++) {
            first += total[i] / 10;
            last += total[50 + i] / 10;
        }
        fprintf(stderr, "  %s: mean total loss %.4f over steps 1-10, %.4f over 51-60\n", recipe,
                first, last);
        CHECK(last < 0.8 * first);
    }
    free_lines(lines, n);
    // the checkpoints hold the end of the run
    jepa_model m;
    jepa_train_state state;
    CHECK(jepa_model_load(&m, test_path(name, "last.safetensors"), &state, err, sizeof err) ==
          JEPA_OK);
    CHECK(state.step == 60 && isfinite(state.best_val) &&
          strncmp(recipe, m.cfg.recipe, strlen(m.cfg.recipe)) == 0);
    jepa_model_free(&m);
    CHECK(test_exists(test_path(name, "best.safetensors")));
}

// metrics lines equal but for the wall-clock fields
static int same_metrics(const char *a, const char *b) {
    cJSON *la[256], *lb[256];
    int na = read_metrics(a, la, 256), nb = read_metrics(b, lb, 256), same = na == nb && na > 0;
    for (int i = 0; same && i < na; i++) {
        if (!la[i] || !lb[i]) {
            same = 0;
            break;
        }
        for (int k = 0; k < 2; k++) {
            const char *key = k ? "samples_per_s" : "time";
            cJSON_DeleteItemFromObjectCaseSensitive(la[i], key);
            cJSON_DeleteItemFromObjectCaseSensitive(lb[i], key);
        }
        char *ta = cJSON_PrintUnformatted(la[i]), *tb = cJSON_PrintUnformatted(lb[i]);
        same = ta && tb && strcmp(ta, tb) == 0;
        if (!same) fprintf(stderr, "  line %d differs:\n    %s\n    %s\n", i + 1, ta, tb);
        cJSON_free(ta);
        cJSON_free(tb);
    }
    free_lines(la, na);
    free_lines(lb, nb);
    return same;
}

// 12 steps straight; 6, then a resume to 12: the same checkpoints, byte for byte, and the same
// metrics (validation every 5 steps, checkpoints every 4: the stop falls between two); both
// runs start from the checkpoint init when it is not NULL
static void test_resume(const char *recipe, const char *base, const char *extra, const char *init) {
    char err[1024], name[64], straight[64], split[64], fields[512];
    snprintf(name, sizeof name, "%s_resume.json", recipe);
    snprintf(fields, sizeof fields,
             "\"steps\": 12, \"warmup\": 3, \"lr\": 0.003, \"log_every\": 1, \"val_every\": 5, "
             "\"ckpt_every\": 4, \"seed\": 3%s%s",
             extra ? ", " : "", extra ? extra : "");
    char cfg[512];
    write_config(cfg, name, base, fields);
    snprintf(straight, sizeof straight, "%s_straight", recipe);
    snprintf(split, sizeof split, "%s_split", recipe);
    CHECK(train_from(init, cfg, "data", straight, 0, 0, 0, err, sizeof err) == JEPA_OK);
    CHECK(train_from(init, cfg, "data", split, 0, 6, 0, err, sizeof err) == JEPA_OK);
    jepa_model m;
    jepa_train_state state = {0};
    CHECK(jepa_model_load(&m, test_path(split, "last.safetensors"), &state, err, sizeof err) ==
          JEPA_OK);
    CHECK(state.step == 6);
    jepa_model_free(&m);
    jepa_status st = train(NULL, "data", split, 0, 0, 1, err, sizeof err);
    if (st != JEPA_OK) fprintf(stderr, "  resume %s: %s\n", recipe, err);
    CHECK(st == JEPA_OK);
    int same_last =
        same_file(test_path(straight, "last.safetensors"), test_path(split, "last.safetensors"));
    int same_best =
        same_file(test_path(straight, "best.safetensors"), test_path(split, "best.safetensors"));
    if (!same_last || !same_best)
        fprintf(stderr, "  %s: the resumed run's checkpoints differ\n", recipe);
    CHECK(same_last && same_best);
    CHECK(same_metrics(straight, split));
}

// failures name their cause; a NaN keeps the last good checkpoint
static void test_errors(void) {
    char err[1024];
    // an unknown key: named, nothing created
    char cfg[512], noval[512];
    write_config(cfg, "typo.json", PLDM_BASE, "\"lernrate\": 0.1");
    CHECK(train(cfg, "data", "typo", 0, 0, 0, err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "'lernrate'") != NULL && !test_exists(test_path("typo", NULL)));
    // frames of 32 pixels for a model of 16: both sizes named
    write_config(cfg, "pldm.json", PLDM_BASE, "\"steps\": 16, \"log_every\": 1, \"ckpt_every\": 4");
    CHECK(train(cfg, "data32", "big", 0, 0, 0, err, sizeof err) == JEPA_ERR_SHAPE);
    CHECK(strstr(err, "32x32") != NULL && strstr(err, "16") != NULL);
    // no validation episode
    write_config(noval, "noval.json", PLDM_BASE, "\"val_fraction\": 0");
    CHECK(train(noval, "data", "noval", 0, 0, 0, err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "validation") != NULL && !test_exists(test_path("noval", NULL)));
    // 8 good steps, then data whose actions are NaN: the error names the step and the term
    CHECK(train(cfg, "data", "nan", 0, 8, 0, err, sizeof err) == JEPA_OK);
    size_t size;
    unsigned char *good = read_bytes(test_path("nan", "last.safetensors"), &size);
    jepa_status st = train(NULL, "nandata", "nan", 0, 0, 1, err, sizeof err);
    if (!strstr(err, "step 8") || !strstr(err, "loss term 'pred'"))
        fprintf(stderr, "  NaN: %s\n", err);
    CHECK(st == JEPA_ERR_NUMERIC && strstr(err, "step 8") && strstr(err, "loss term 'pred'"));
    // ... and the checkpoint of step 8 is untouched and loads
    size_t after_size;
    unsigned char *after = read_bytes(test_path("nan", "last.safetensors"), &after_size);
    CHECK(good && after && size == after_size && memcmp(good, after, size) == 0);
    free(good);
    free(after);
    jepa_model m;
    jepa_train_state state;
    CHECK(jepa_model_load(&m, test_path("nan", "last.safetensors"), &state, err, sizeof err) ==
          JEPA_OK);
    CHECK(state.step == 8);
    jepa_model_free(&m);
    // a folder holding a run is not trained over without resume
    CHECK(train(cfg, "data", "nan", 0, 0, 0, err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "--resume") != NULL);
    // nothing to resume
    CHECK(train(NULL, "data", "nothing", 0, 0, 1, err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "nothing to resume") != NULL);
    // a step count given for a run is its schedule's length, and a resume keeps it
    CHECK(train(cfg, "data", "short", 5, 0, 0, err, sizeof err) == JEPA_OK);
    CHECK(train(NULL, "data", "short", 0, 0, 1, err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_load(&m, test_path("short", "last.safetensors"), &state, err, sizeof err) ==
          JEPA_OK);
    CHECK(state.step == 5 && m.cfg.steps == 5);
    jepa_model_free(&m);
    // a stop request (Ctrl-C) saves where the run is and says so; a resume finishes it
    volatile sig_atomic_t stop = 1;
    jepa_train_options o = {.config_path = cfg,
                            .data_dir = test_path("data", NULL),
                            .run_dir = test_path("stopped", NULL),
                            .stop = &stop};
    CHECK(jepa_train(&o, err, sizeof err) == JEPA_ERR_INTERRUPTED &&
          strstr(err, "interrupted at step 0"));
    CHECK(train(NULL, "data", "stopped", 0, 0, 1, err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_load(&m, test_path("stopped", "last.safetensors"), &state, err, sizeof err) ==
          JEPA_OK);
    CHECK(state.step == 16);
    jepa_model_free(&m);
}

// Gradient clipping keeps an exploding run finite: actions of 1e15 and an inverse-dynamics weight
// of 1e6 give a finite loss (~1e36) whose gradients pass 1.8e19, whose squares overflow float.
// Without clipping, AdamW's second moment turns Inf (the weight would freeze, and the checkpoint
// could not be resumed): the run stops at once, naming the step and the tensor. With grad_clip
// on, every step, weight and optimizer moment stays finite, and the checkpoint resumes.
static void test_clipping(void) {
    char err[1024], cfg[512];
    write_config(cfg, "noclip.json", PLDM_BASE,
                 "\"steps\": 12, \"warmup\": 0, \"w_idm\": 1e6, \"grad_clip\": 0, "
                 "\"log_every\": 1, \"val_every\": 4, \"ckpt_every\": 4");
    jepa_status st = train(cfg, "hugedata", "noclip", 0, 0, 0, err, sizeof err);
    if (st != JEPA_ERR_NUMERIC || !strstr(err, "step 0: the gradient of '"))
        fprintf(stderr, "  no clipping: %s\n", err);
    CHECK(st == JEPA_ERR_NUMERIC && strstr(err, "step 0: the gradient of '") &&
          strstr(err, "overflows AdamW's second moment") && strstr(err, "grad_clip"));
    write_config(cfg, "clip.json", PLDM_BASE,
                 "\"steps\": 12, \"warmup\": 0, \"w_idm\": 1e6, \"grad_clip\": 1, "
                 "\"log_every\": 1, \"val_every\": 4, \"ckpt_every\": 4");
    st = train(cfg, "hugedata", "clip", 0, 8, 0, err, sizeof err);
    if (st != JEPA_OK) fprintf(stderr, "  clipping: %s\n", err);
    CHECK(st == JEPA_OK);
    // every logged total is finite, and huge: the run did explode
    cJSON *lines[64];
    int nl = read_metrics("clip", lines, 64), steps = 0;
    for (int i = 0; i < nl; i++) {
        if (!cJSON_GetObjectItemCaseSensitive(lines[i], "total")) continue; // a validation line
        double total = number(lines[i], "total");
        steps++;
        CHECK(isfinite(total) && total > 1e30);
    }
    CHECK(steps == 8);
    free_lines(lines, nl);
    // the checkpoint's weights and moments load (both are checked finite), and it resumes
    jepa_model m;
    jepa_adamw opt;
    st = jepa_model_load(&m, test_path("clip", "last.safetensors"), NULL, err, sizeof err);
    CHECK(st == JEPA_OK);
    if (st != JEPA_OK) return;
    CHECK(jepa_adamw_init(&opt, &m.params, 0.9f, 0.999f, 1e-8f, 0.01f) == JEPA_OK);
    CHECK(jepa_model_load_optimizer(&m, &opt, test_path("clip", "last.safetensors"), err,
                                    sizeof err) == JEPA_OK);
    // ... and a moment that is not finite is refused, naming the tensor
    const jepa_param *victim = &m.params.items[1];
    opt.v[victim->offset] = INFINITY;
    const char *bad = test_path("inf_moment.safetensors", NULL);
    CHECK(jepa_model_save(&m, &opt, NULL, bad, err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_load_optimizer(&m, &opt, bad, err, sizeof err) == JEPA_ERR_NUMERIC &&
          strstr(err, "moment v") && strstr(err, victim->name));
    jepa_adamw_free(&opt);
    jepa_model_free(&m);
    CHECK(train(NULL, "hugedata", "clip", 0, 0, 1, err, sizeof err) == JEPA_OK);
}

// every config field of two configs, by the field table
static int same_config(const jepa_wm_config *a, const jepa_wm_config *b) {
    int same = 1;
#define SAME_INT(name) same &= a->name == b->name;
#define SAME_FLOAT(name) same &= a->name == b->name;
#define SAME_STR(name) same &= strcmp(a->name, b->name) == 0;
#define X(type, name, def, lo, hi, doc) SAME_##type(name)
    JEPA_WM_CONFIG_FIELDS(X)
#undef X
    return same;
}

static jepa_status make_model(jepa_model *m, const char *json, char *err, size_t n) {
    jepa_wm_config cfg;
    jepa_wm_config_defaults(&cfg);
    jepa_status st = jepa_wm_config_parse(&cfg, json, "test", err, n);
    return st == JEPA_OK ? jepa_model_create(m, &cfg, 2, 2, 0, 0, err, n) : st;
}

static void test_checkpoints(void) {
    char err[1024];
    const char *path = test_path("ckpt.safetensors", NULL), *bad = test_path("bad.safetensors", NULL);
    // pldm with an EMA target and AdamW moments, every value moved off its initialisation
    jepa_model m, back;
    CHECK(make_model(&m, "{" PLDM_BASE ", \"target\": \"ema\", \"lr\": 0.0123, \"seed\": 11}", err,
                     sizeof err) == JEPA_OK);
    jepa_rng rng;
    jepa_rng_init(&rng, 42, 0);
    jepa_rng_fill_uniform(&rng, m.params.data, m.params.total, -1, 1);
    jepa_rng_fill_uniform(&rng, m.target.data, m.target.total, -1, 1);
    jepa_adamw opt, opt_back;
    CHECK(jepa_adamw_init(&opt, &m.params, 0.9f, 0.999f, 1e-8f, 0.01f) == JEPA_OK);
    jepa_rng_fill_uniform(&rng, opt.m, opt.n, -1, 1);
    jepa_rng_fill_uniform(&rng, opt.v, opt.n, 0, 1);
    opt.step = 17;
    jepa_train_state state = {17, 0.25, 11}, state_back;
    CHECK(jepa_model_save(&m, &opt, &state, path, err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_load(&back, path, &state_back, err, sizeof err) == JEPA_OK);
    CHECK(same_config(&m.cfg, &back.cfg) && back.recipe == JEPA_RECIPE_PLDM);
    CHECK(back.action_dim == 2 && back.proprio_dim == 2 && back.has_target);
    CHECK(back.params.total == m.params.total && back.target.total == m.target.total);
    CHECK(!memcmp(back.params.data, m.params.data, sizeof(float) * (size_t)m.params.total));
    CHECK(!memcmp(back.target.data, m.target.data, sizeof(float) * (size_t)m.target.total));
    CHECK(state_back.step == 17 && state_back.best_val == 0.25 && state_back.data_seed == 11);
    CHECK(jepa_adamw_init(&opt_back, &back.params, 0.9f, 0.999f, 1e-8f, 0.01f) == JEPA_OK);
    CHECK(jepa_model_load_optimizer(&back, &opt_back, path, err, sizeof err) == JEPA_OK);
    CHECK(opt_back.step == 17 && !memcmp(opt_back.m, opt.m, sizeof(float) * (size_t)opt.n) &&
          !memcmp(opt_back.v, opt.v, sizeof(float) * (size_t)opt.n));
    jepa_adamw_free(&opt_back);
    jepa_model_free(&back);
    // a NaN in a weight, or in the target's copy: the tensor is named
    const jepa_param *victim = &m.params.items[2];
    float keep = m.params.data[victim->offset + 1];
    m.params.data[victim->offset + 1] = NAN;
    CHECK(jepa_model_save(&m, NULL, NULL, bad, err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_load(&back, bad, NULL, err, sizeof err) == JEPA_ERR_NUMERIC);
    CHECK(strstr(err, victim->name) != NULL);
    m.params.data[victim->offset + 1] = keep;
    m.target.data[victim->offset] = INFINITY;
    CHECK(jepa_model_save(&m, NULL, NULL, bad, err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_load(&back, bad, NULL, err, sizeof err) == JEPA_ERR_NUMERIC);
    CHECK(strstr(err, "target") != NULL && strstr(err, victim->name) != NULL);
    jepa_adamw_free(&opt);
    jepa_model_free(&m);
    // a truncated checkpoint fails cleanly, naming the file
    size_t size;
    unsigned char *bytes = read_bytes(path, &size);
    const size_t cuts[] = {0, 4, 8, 64, size / 2, size - 4, size - 1};
    for (size_t i = 0; bytes && i < sizeof cuts / sizeof cuts[0]; i++) {
        write_bytes(bad, bytes, cuts[i]);
        err[0] = '\0';
        jepa_status st = jepa_model_load(&back, bad, NULL, err, sizeof err);
        if (st == JEPA_OK) jepa_model_free(&back);
        CHECK(st != JEPA_OK && strstr(err, "bad.safetensors") != NULL);
    }
    free(bytes);
    // a safetensors file without a config is not a checkpoint
    float one = 1;
    jepa_st_entry e = {"w", 1, (int64_t[]){1}, &one};
    CHECK(jepa_st_save(bad, &e, 1, NULL, err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_load(&back, bad, NULL, err, sizeof err) == JEPA_ERR_FORMAT &&
          strstr(err, "config"));
    // lewm (BatchNorm running statistics among the buffers), saved without optimizer or state
    CHECK(make_model(&m, "{" LEWM_BASE "}", err, sizeof err) == JEPA_OK);
    jepa_rng_fill_uniform(&rng, m.params.data, m.params.total, 0.5f, 1);
    CHECK(jepa_model_save(&m, NULL, NULL, path, err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_load(&back, path, &state_back, err, sizeof err) == JEPA_OK);
    CHECK(same_config(&m.cfg, &back.cfg) && back.recipe == JEPA_RECIPE_LEWM && !back.has_target);
    CHECK(back.params.total == m.params.total &&
          !memcmp(back.params.data, m.params.data, sizeof(float) * (size_t)m.params.total));
    CHECK(state_back.step == 0 && isinf(state_back.best_val));
    jepa_model_free(&back);
    jepa_model_free(&m);
    unlink(path);
    unlink(bad);
}

// run the jepa tool with args; its exit code (stdout to out when not NULL)
static int jepa_cli(const char *args, char *out, size_t out_size) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s 2>%s", test_jepa_bin(), args,
             getenv("JEPA_TEST_VERBOSE") ? "&2" : "/dev/null");
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = 0;
    char sink[256];
    if (out) {
        n = fread(out, 1, out_size - 1, p);
        out[n] = '\0';
    }
    while (fread(sink, 1, sizeof sink, p) > 0) {
    }
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_cli(void) {
    if (!test_have_jepa_bin()) {
        CHECK(0);
        return;
    }
    char args[1024], out[4096];
    const char *cfg = test_path("pldm.json", NULL), *data = test_path("data", NULL),
               *run = test_path("cli", NULL);
    snprintf(args, sizeof args, "train --config %s --out %s", cfg, run);
    CHECK(jepa_cli(args, NULL, 0) == 2); // no --data
    snprintf(args, sizeof args, "train --config %s --data %s --out %s --colour red", cfg, data,
             run);
    CHECK(jepa_cli(args, NULL, 0) == 2);
    CHECK(!test_exists(run));
    snprintf(args, sizeof args,
             "train --config %s --data %s --out %s --steps 4 --quiet --threads 1", cfg, data, run);
    CHECK(jepa_cli(args, NULL, 0) == 0 && test_exists(test_path("cli", "last.safetensors")));
    CHECK(jepa_cli(args, NULL, 0) == 1); // a run is there
    snprintf(args, sizeof args, "train --resume --data %s --out %s/none --quiet", data, test_root());
    CHECK(jepa_cli(args, NULL, 0) == 1);
    // probe: one R^2 line per state variable, by name (tworoom's x, y, door, wall_x)
    snprintf(args, sizeof args, "probe --ckpt %s/last.safetensors --data %s", run, data);
    CHECK(jepa_cli(args, out, sizeof out) == 0);
    int lines = 0;
    for (const char *p = out; (p = strchr(p, '\n')); p++) lines++;
    int named = strstr(out, "\n  x ") && strstr(out, "\n  y ") && strstr(out, "\n  door ") &&
                strstr(out, "\n  wall_x ");
    if (lines != 5 || !named) fprintf(stderr, "  jepa probe printed:\n%s", out);
    CHECK(lines == 5 && named);
    snprintf(args, sizeof args, "probe --ckpt %s/last.safetensors --data %s/data32", run, test_root());
    CHECK(jepa_cli(args, NULL, 0) == 1); // frames of 32 for a model of 16
    snprintf(args, sizeof args, "probe --data %s", data);
    CHECK(jepa_cli(args, NULL, 0) == 2);
    snprintf(args, sizeof args, "probe --ckpt %s/none.safetensors --data %s", run, data);
    CHECK(jepa_cli(args, NULL, 0) == 1);
}

// train a tiny lewm (LEWM_BASE with extra fields) for `steps` into run_<name>, then open the
// data and load the run's last checkpoint; 0 (checks failed) when any step fails
// a batch of B of m's windows drawn (with seed) from every episode of ds
static void sample_batch(const jepa_dataset *ds, const jepa_model *m, int64_t B, uint64_t seed,
                         jepa_batch *b) {
    jepa_window w = jepa_model_window(m);
    CHECK(jepa_batch_alloc(b, ds, &w, B) == JEPA_OK);
    int64_t *eps = malloc(sizeof(int64_t) * (size_t)ds->episodes);
    for (int64_t e = 0; e < ds->episodes; e++) eps[e] = e;
    jepa_dataset_sample(ds, &w, eps, ds->episodes, seed, 0, b);
    free(eps);
}

static int train_and_load(const char *name, const char *extra, int64_t steps, jepa_dataset *ds,
                          jepa_model *m) {
    char cfg[512], err[256], file[64], run[64];
    jepa_train_state state;
    snprintf(file, sizeof file, "%s.json", name);
    snprintf(run, sizeof run, "run_%s", name);
    write_config(cfg, file, LEWM_BASE, extra);
    int ok = train(cfg, "data", run, steps, 0, 0, err, sizeof err) == JEPA_OK;
    CHECK(ok);
    if (!ok || jepa_dataset_open(ds, test_path("data", NULL), err, sizeof err) != JEPA_OK) {
        CHECK(0);
        return 0;
    }
    if (jepa_model_load(m, test_path(run, "last.safetensors"), &state, err, sizeof err) != JEPA_OK) {
        CHECK(0);
        jepa_dataset_close(ds);
        return 0;
    }
    return 1;
}

// the buffers shift and scale of the model and its EMA target hold each of the P values' mean
// and 1 / std (numpy's population std; 1 for a constant) over every step of the training episodes
// (all: the values of every step of every episode, P a step)
static void check_normalization(const jepa_dataset *ds, jepa_model *m, const float *all, int64_t P,
                                int shift_index, int scale_index, uint64_t seed) {
    int64_t *tr = NULL, *va = NULL, n_tr = 0, n_va = 0;
    CHECK(jepa_dataset_split(ds, 0.1, seed, &tr, &n_tr, &va, &n_va) == JEPA_OK);
    int64_t T1 = ds->steps + 1;
    for (int64_t i = 0; i < P; i++) {
        double sum = 0, sq = 0, count = (double)(n_tr * T1);
        for (int64_t e = 0; e < n_tr; e++)
            for (int64_t t = 0; t < T1; t++) sum += all[(tr[e] * T1 + t) * P + i];
        for (int64_t e = 0; e < n_tr; e++)
            for (int64_t t = 0; t < T1; t++) {
                double d = all[(tr[e] * T1 + t) * P + i] - sum / count;
                sq += d * d;
            }
        double mean = sum / count, scale = sq > 0 ? 1.0 / sqrt(sq / count) : 1.0;
        // two formulas of the same statistic in double, stored as float: 1e-5 relative
        for (int k = 0; k < 1 + m->has_target; k++) {
            jepa_params *p = k ? &m->target : &m->params;
            CHECK_NEAR(jepa_params_tensor(p, shift_index)->data[i], mean, 1e-5 * (1 + fabs(mean)));
            CHECK_NEAR(jepa_params_tensor(p, scale_index)->data[i], scale, 1e-5 * scale);
        }
    }
    free(tr);
    free(va);
}

// proprio enters normalized by the training episodes' mean and std, in the model and its EMA
// target, and the checkpoint keeps both buffers
static void test_proprio_normalization(void) {
    jepa_dataset ds;
    jepa_model m;
    if (!train_and_load("proprio", "\"use_proprio\": 1, \"target\": \"ema\", \"seed\": 5", 2, &ds, &m)) return;
    CHECK(m.has_target);
    check_normalization(&ds, &m, ds.proprio.data, ds.proprio_dim, m.proprio_shift, m.proprio_scale, 5);
    jepa_model_free(&m);
    jepa_dataset_close(&ds);
}

// the latents of a batch's frames (B*T, D), in training or inference mode, into out
static void encode_batch(jepa_model *m, const jepa_batch *b, int training, float *out) {
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_ctx_set_grad(ctx, 0);
    jepa_tensor *f = jepa_wrap(ctx, b->frames, NULL, 4, (int64_t[]){b->B * b->T, 3, b->H, b->W});
    jepa_tensor *z = jepa_model_encode(ctx, m, &m->params, f, NULL, training);
    memcpy(out, z->data, sizeof(float) * (size_t)jepa_numel(z));
    jepa_ctx_free(ctx);
}

// the loss of a batch in inference mode: its last term before the total, which must be `name`
static float last_term(jepa_ctx *ctx, jepa_model *m, const jepa_batch *b, const char *name) {
    float terms[JEPA_WM_MAX_TERMS];
    const char *names[JEPA_WM_MAX_TERMS];
    int n = 0;
    jepa_model_loss(ctx, m, b, 0, 0, terms, names, &n);
    CHECK(n >= 2 && strcmp(names[n - 2], name) == 0);
    return n >= 2 ? terms[n - 2] : NAN;
}

// the state read-out (w_state): a model needs the data's states for it; the features (an angle as
// its cos and sin); trained, its normalization is the training episodes' and its term is the mean
// squared error of a read-out computed here; the checkpoint keeps it; training lowers the term
static void test_state_readout(void) {
    char err[256];
    jepa_wm_config cfg;
    jepa_model m;
    jepa_wm_config_defaults(&cfg);
    CHECK(jepa_wm_config_parse(&cfg, "{" LEWM_BASE ", \"w_state\": 1}", "test", err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_create(&m, &cfg, 2, 0, 0, 0, err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "'w_state'") != NULL);
    // 3 values, the second an angle (bits past the state's end are ignored)
    CHECK(jepa_model_create(&m, &cfg, 2, 0, 3, 0x2 | 1ull << 40, err, sizeof err) == JEPA_OK);
    CHECK(m.state_features == 4 && m.state_angles == 0x2);
    float f[4];
    jepa_model_state_features(&m, (const float[]){5.0f, 1.0f, -2.0f}, f);
    CHECK(f[0] == 5.0f && f[1] == cosf(1.0f) && f[2] == sinf(1.0f) && f[3] == -2.0f);
    jepa_model_free(&m);

    jepa_dataset ds;
    if (!train_and_load("state", "\"w_state\": 0.5, \"seed\": 6", 2, &ds, &m)) return;
    int64_t S = ds.state_dim, F = m.state_features, D = m.cfg.latent;
    CHECK(m.state_dim == S && F == S && ds.angle_states == 0); // tworoom: no angles
    check_normalization(&ds, &m, ds.states.data, S, m.state_shift, m.state_scale, 6);
    jepa_batch b;
    sample_batch(&ds, &m, 8, 5, &b);
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_ctx_set_grad(ctx, 0);
    float term = last_term(ctx, &m, &b, "state");
    int64_t N = b.B * b.T;
    float *z = malloc(sizeof(float) * (size_t)(N * D));
    encode_batch(&m, &b, 0, z);
    const float *w = jepa_params_tensor(&m.params, m.state_fc.weight)->data;
    const float *bias = jepa_params_tensor(&m.params, m.state_fc.bias)->data;
    const float *shift = jepa_params_tensor(&m.params, m.state_shift)->data;
    const float *scale = jepa_params_tensor(&m.params, m.state_scale)->data;
    double mse = 0;
    for (int64_t i = 0; i < N; i++)
        for (int64_t k = 0; k < F; k++) {
            double read = bias[k];
            for (int64_t d = 0; d < D; d++) read += (double)w[k * D + d] * z[i * D + d];
            double e = read - ((double)b.states[i * S + k] - shift[k]) * scale[k];
            mse += e * e / (double)(N * F);
        }
    printf("state read-out: term %.6f, here %.6f\n", term, mse);
    CHECK_NEAR(term, mse, 1e-5 * (1 + mse));
    CHECK(mse > 0.01);
    free(z);
    jepa_ctx_free(ctx);
    jepa_batch_free(&b);
    jepa_model_free(&m);
    jepa_dataset_close(&ds);
    // training lowers it
    test_loss_falls("lewm_state", LEWM_BASE ", \"w_state\": 1, \"w_pred\": 0, \"w_sigreg\": 0");
}

// the keypoint encoder (either recipe): its latent's size is checked, w_recon needs it; its
// latent is the keypoints' x and y (times keypoint_scale), then the normalized proprio; the recon
// term is the mean squared error of the decoder's drawing of each frame's keypoints (unscaled)
// against the frame in grey
// (its channels' mean over 2 x 2 squares: 16 x 16 frames, recon_side 8), computed here; the
// loss falls with the term alone, in both recipes
#define KEYPOINTS "\"encoder\": \"keypoints\", \"keypoints\": 7, \"recon_side\": 8"
static void test_keypoints(void) {
    char err[256];
    jepa_wm_config cfg;
    jepa_model m;
    jepa_wm_config_defaults(&cfg);
    CHECK(jepa_wm_config_parse(&cfg, "{" LEWM_BASE ", " KEYPOINTS "}", "test", err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_create(&m, &cfg, 2, 0, 0, 0, err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "'keypoints' 7 = 14, not 'latent' 16") != NULL);
    cfg.recon_side = 5;
    cfg.use_proprio = 1; // 14 + 2 proprio values: the latent fits
    CHECK(jepa_model_create(&m, &cfg, 2, 2, 0, 0, err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "'recon_side' 5") != NULL);
    jepa_wm_config_defaults(&cfg);
    CHECK(jepa_wm_config_parse(&cfg, "{" LEWM_BASE ", \"w_recon\": 1}", "test", err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_create(&m, &cfg, 2, 0, 0, 0, err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "'w_recon'") != NULL);

    jepa_dataset ds;
    if (!train_and_load("keypoints", KEYPOINTS ", \"use_proprio\": 1, \"w_recon\": 1, "
                        "\"keypoint_scale\": 2, \"seed\": 7", 2, &ds, &m))
        return;
    int64_t K = 7, D = m.cfg.latent, P = ds.proprio_dim, S = 8;
    CHECK(D == 2 * K + P && P == 2);
    jepa_batch b;
    sample_batch(&ds, &m, 4, 9, &b);
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_ctx_set_grad(ctx, 0);
    float term = last_term(ctx, &m, &b, "recon");
    int64_t N = b.B * b.T;
    jepa_tensor *f = jepa_wrap(ctx, b.frames, NULL, 4, (int64_t[]){N, 3, b.H, b.W});
    jepa_tensor *pr = jepa_wrap(ctx, b.proprio, NULL, 2, (int64_t[]){N, P});
    jepa_tensor *z = jepa_model_encode(ctx, &m, &m.params, f, pr, 0);
    const float *shift = jepa_params_tensor(&m.params, m.proprio_shift)->data;
    const float *scale = jepa_params_tensor(&m.params, m.proprio_scale)->data;
    jepa_tensor *kp = jepa_new2(ctx, N, 2 * K);
    for (int64_t i = 0; i < N; i++) {
        for (int64_t k = 0; k < 2 * K; k++) {
            kp->data[i * 2 * K + k] = z->data[i * D + k] / 2; // keypoint_scale 2
            CHECK(fabsf(z->data[i * D + k]) <= 2.0f);
        }
        for (int64_t k = 0; k < P; k++)
            CHECK_NEAR(z->data[i * D + 2 * K + k], (b.proprio[i * P + k] - shift[k]) * scale[k], 1e-5);
    }
    jepa_tensor *drawn = jepa_keypoint_decoder_forward(ctx, &m.params, &m.keypoint_dec, kp);
    double mse = 0;
    for (int64_t i = 0; i < N; i++)
        for (int64_t y = 0; y < S; y++)
            for (int64_t x = 0; x < S; x++) {
                double grey = 0;
                for (int64_t dy = 0; dy < 2; dy++)
                    for (int64_t dx = 0; dx < 2; dx++)
                        for (int64_t c = 0; c < 3; c++)
                            grey += b.frames[((i * 3 + c) * 16 + 2 * y + dy) * 16 + 2 * x + dx] / 12.0;
                double e = drawn->data[(i * S + y) * S + x] - grey;
                mse += e * e / (double)(N * S * S);
            }
    printf("keypoints: recon term %.6f, here %.6f\n", term, mse);
    CHECK_NEAR(term, mse, 1e-5 * (1 + mse));
    CHECK(mse > 0.001);
    jepa_ctx_free(ctx);
    jepa_batch_free(&b);
    jepa_model_free(&m);
    jepa_dataset_close(&ds);
    test_loss_falls("lewm_keypoints", LEWM_BASE ", " KEYPOINTS ", \"latent\": 14, \"w_recon\": 1, "
                    "\"w_pred\": 0, \"w_sigreg\": 0");
    test_loss_falls("pldm_keypoints", PLDM_BASE ", " KEYPOINTS ", \"latent\": 14, \"w_recon\": 1, "
                    "\"w_pred\": 0, \"w_var\": 0, \"w_cov\": 0, \"w_idm\": 0");
}

// after refitting the batch-norm statistics to one batch, inference latents of that batch are its
// training-mode latents (up to the unbiased variance's n / (n - 1)); before, they were not
static void test_refit_norms(void) {
    jepa_dataset ds;
    jepa_model m;
    jepa_batch b;
    if (!train_and_load("refit", "\"lr\": 0.01, \"warmup\": 0", 6, &ds, &m)) return;
    sample_batch(&ds, &m, 64, 77, &b);
    int64_t n = b.B * b.T * m.cfg.latent;
    float *train_z = malloc(sizeof(float) * (size_t)n), *eval_z = malloc(sizeof(float) * (size_t)n);
    // n = 64 * 3 rows: n / (n - 1) moves the normalized values by 0.26 %; 1e-2 relative to the
    // largest latent (scale) bounds what it does to the latents
    encode_batch(&m, &b, 0, eval_z);
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_model_refit_norms(ctx, &m, &b, 0);
    jepa_ctx_free(ctx);
    encode_batch(&m, &b, 1, train_z);
    double scale = 0, before = 0, after = 0;
    for (int64_t i = 0; i < n; i++) scale = fmax(scale, fabs(train_z[i]));
    for (int64_t i = 0; i < n; i++) before = fmax(before, fabs(eval_z[i] - train_z[i]) / scale);
    encode_batch(&m, &b, 0, eval_z);
    for (int64_t i = 0; i < n; i++) after = fmax(after, fabs(eval_z[i] - train_z[i]) / scale);
    CHECK(after < 1e-2);
    CHECK(before > 1e-2); // the checkpoint's statistics come from other batches
    printf("refit norms: inference vs training latents, worst %.2g before, %.2g after (of the largest)\n",
           before, after);
    free(train_z);
    free(eval_z);
    jepa_batch_free(&b);
    jepa_model_free(&m);
    jepa_dataset_close(&ds);
}

// at initialisation the EMA target is the online encoder, so the prediction loss against its
// latents of frames 1..T-1 (frame 0 is not encoded) is the loss against the online ones
static void test_target_frames(void) {
    char err[256];
    jepa_model online, ema;
    jepa_dataset ds;
    jepa_batch b;
    const char *extra = ", \"use_proprio\": 1, \"seed\": 9}";
    char json[1024];
    snprintf(json, sizeof json, "{" PLDM_BASE "%s", extra);
    CHECK(make_model(&online, json, err, sizeof err) == JEPA_OK);
    snprintf(json, sizeof json, "{" PLDM_BASE ", \"target\": \"ema\"%s", extra);
    CHECK(make_model(&ema, json, err, sizeof err) == JEPA_OK);
    CHECK(jepa_dataset_open(&ds, test_path("data", NULL), err, sizeof err) == JEPA_OK);
    sample_batch(&ds, &online, 8, 5, &b);
    float terms[2][JEPA_WM_MAX_TERMS];
    const char *names[JEPA_WM_MAX_TERMS];
    int n[2];
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_model *models[2] = {&online, &ema};
    for (int k = 0; k < 2; k++) {
        jepa_ctx_reset(ctx);
        jepa_model_loss(ctx, models[k], &b, 0, 1, terms[k], names, &n[k]);
    }
    CHECK(ema.has_target && !online.has_target && n[0] == n[1] && strcmp(names[0], "pred") == 0);
    for (int i = 0; i < n[0]; i++) CHECK_NEAR(terms[1][i], terms[0][i], 1e-6 * (1 + fabsf(terms[0][i])));
    jepa_ctx_free(ctx);
    jepa_batch_free(&b);
    jepa_dataset_close(&ds);
    jepa_model_free(&online);
    jepa_model_free(&ema);
}

// lewm's rollout term: with one frame of history and one step, the predictor's own rollout is
// its teacher-forced prediction, so the two terms agree; over 3 steps from 2 frames the rollout
// term is its own, and training with it lowers the loss; rollout_from 1 starts it from frame 0
#define LEWM_ROLLOUT(history, horizon) LEWM_WINDOW(history, horizon) ", \"w_rollout\": 1"

// a model from the config text (its fields), a batch of 8 windows of the data's 12 episodes, and
// the loss terms of that batch in training mode (n of them; 0 when the model cannot be made)
static int batch_terms(const char *fields, jepa_dataset *ds, jepa_ctx *ctx, jepa_model *m,
                       jepa_batch *b, float *terms, const char **names) {
    char err[256], json[1024];
    int n = 0;
    snprintf(json, sizeof json, "{%s}", fields);
    CHECK(make_model(m, json, err, sizeof err) == JEPA_OK);
    sample_batch(ds, m, 8, 5, b);
    jepa_ctx_reset(ctx);
    jepa_model_loss(ctx, m, b, 0, 1, terms, names, &n);
    return n;
}

static void test_rollout_term(void) {
    char err[256];
    const char *cfgs[3] = {LEWM_ROLLOUT(1, 1), LEWM_ROLLOUT(2, 3), LEWM_ROLLOUT(2, 1) ", \"rollout_from\": 1"};
    jepa_dataset ds;
    CHECK(jepa_dataset_open(&ds, test_path("data", NULL), err, sizeof err) == JEPA_OK);
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_ctx_set_grad(ctx, 0);
    for (int k = 0; k < 3; k++) {
        jepa_model m;
        jepa_batch b;
        float terms[JEPA_WM_MAX_TERMS];
        const char *names[JEPA_WM_MAX_TERMS];
        int n = batch_terms(cfgs[k], &ds, ctx, &m, &b, terms, names);
        CHECK(n >= 2 && !strcmp(names[0], "pred") && !strcmp(names[1], "rollout"));
        printf("rollout term (history %d, horizon %d, from %d): pred %.6f, rollout %.6f\n",
               m.cfg.history, m.cfg.horizon, m.cfg.rollout_from, terms[0], terms[1]);
        if (k == 0) CHECK_NEAR(terms[1], terms[0], 1e-6 * (1 + terms[0]));
        if (k == 1) CHECK(isfinite(terms[1]) && terms[1] != terms[0]);
        if (k == 2) {
            // from frame 0 alone over the window's other two frames
            jepa_ctx_reset(ctx);
            jepa_tensor *f = jepa_wrap(ctx, b.frames, NULL, 4, (int64_t[]){b.B * b.T, 3, b.H, b.W});
            jepa_tensor *z = jepa_reshape(ctx, jepa_model_encode(ctx, &m, &m.params, f, NULL, 1), 3,
                                          (int64_t[]){b.B, b.T, m.cfg.latent});
            jepa_tensor *a = jepa_wrap(ctx, b.actions, NULL, 3, (int64_t[]){b.B, b.T - 1, b.A});
            jepa_tensor *roll = jepa_model_rollout(ctx, &m, jepa_slice(ctx, z, 1, 0, 1), NULL, a);
            float want = jepa_mse_loss(ctx, roll, jepa_slice(ctx, z, 1, 1, b.T))->data[0];
            printf("  the rollout's own MSE from frame 0: %.6f\n", want);
            CHECK_NEAR(terms[1], want, 1e-6 * (1 + want));
        }
        jepa_batch_free(&b);
        jepa_model_free(&m);
    }
    // it cannot start from more frames than the history
    jepa_model m;
    CHECK(make_model(&m, "{" LEWM_ROLLOUT(2, 1) ", \"rollout_from\": 3}", err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "'rollout_from'") != NULL);
    jepa_ctx_free(ctx);
    jepa_dataset_close(&ds);
    test_loss_falls("lewm_rollout", LEWM_ROLLOUT(2, 3));
}

// a planner's rollout from a history one row long, shared by every candidate (the predictor
// reads its positions once), against the same history repeated for each: the same latents, for
// histories shorter than, as long as and longer than the model's, with and without past actions
// (extra: more config fields, or "")
static void test_rollout_shared_history(const char *extra) {
    enum { N = 5, H = 4, D = 16 };
    char err[256], json[512];
    jepa_model m;
    snprintf(json, sizeof json,
             "{\"recipe\": \"lewm\", \"image\": 16, \"patch\": 4, \"vit_dim\": 16, "
             "\"vit_depth\": 1, \"vit_heads\": 2, \"projector_hidden\": 32, \"latent\": 16, "
             "\"pred_depth\": 2, \"pred_heads\": 2, \"history\": 3, \"horizon\": 1, "
             "\"frameskip\": 2%s}",
             extra);
    CHECK(make_model(&m, json, err, sizeof err) == JEPA_OK);
    // AdaLN-zero starts each block as the identity: draw its weights away from zero
    jepa_rng rng;
    jepa_rng_init(&rng, 5, 0);
    for (int i = 0; i < m.params.count; i++)
        if (strstr(m.params.items[i].name, "adaLN")) {
            jepa_tensor *t = jepa_params_tensor(&m.params, i);
            jepa_rng_fill_uniform(&rng, t->data, jepa_numel(t), -0.3f, 0.3f);
        }
    int64_t A = m.step_action_dim;
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_tensor *acts = test_tensor(3, (int64_t[]){N, H, A}, 31, -1, 1);
    for (int64_t th = 1; th <= 4; th++)
        for (int with_past = 0; with_past <= (th > 1); with_past++) {
            jepa_tensor *z = test_tensor(3, (int64_t[]){1, th, D}, 32 + (uint64_t)th, -1, 1);
            jepa_tensor *past = with_past ? test_tensor(3, (int64_t[]){1, th - 1, A}, 40, -1, 1) : NULL;
            jepa_ctx_reset(ctx);
            jepa_tensor *zn = jepa_contiguous(ctx, jepa_expand(ctx, z, 3, (int64_t[]){N, th, D}));
            jepa_tensor *pn =
                past ? jepa_contiguous(ctx, jepa_expand(ctx, past, 3, (int64_t[]){N, th - 1, A})) : NULL;
            jepa_tensor *want = jepa_contiguous(ctx, jepa_model_rollout(ctx, &m, zn, pn, acts));
            jepa_tensor *got = jepa_contiguous(ctx, jepa_model_rollout(ctx, &m, z, past, acts));
            CHECK(got->shape[0] == N && got->shape[1] == H && got->shape[2] == D);
            double e = test_compare(got->data, want->data, N * H * D, 1e-5, 1e-5);
            if (e > 1) fprintf(stderr, "FAIL: shared history of %lld (past %d): off by %g\n", (long long)th, with_past, e);
            CHECK(e <= 1);
            // the candidates' plans differ, and so do their latents
            CHECK(test_compare(got->data, got->data + (N - 1) * H * D, H * D, 1e-4, 0) > 1);
            test_tensor_free(z);
            if (past) test_tensor_free(past);
        }
    test_tensor_free(acts);
    jepa_ctx_free(ctx);
    jepa_model_free(&m);
}

// every config the project ships (configs/*.json; the tests run from the source tree) parses and
// builds its model
static void test_shipped_configs(void) {
    glob_t g;
    CHECK(glob("configs/*.json", 0, NULL, &g) == 0 && g.gl_pathc >= 6);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char err[256];
        jepa_wm_config cfg;
        jepa_model m;
        jepa_status st = jepa_wm_config_load(&cfg, g.gl_pathv[i], err, sizeof err);
        // pusht's sizes: 2 actions, 4 proprio values, 13 state values with an angle (the 5th)
        if (st == JEPA_OK) st = jepa_model_create(&m, &cfg, 2, 4, 13, 1u << 4, err, sizeof err);
        if (st != JEPA_OK) fprintf(stderr, "FAIL: %s: %s\n", g.gl_pathv[i], err);
        CHECK(st == JEPA_OK);
        if (st == JEPA_OK) jepa_model_free(&m);
    }
    printf("shipped configs: %zu parse and build\n", g.gl_pathc);
    globfree(&g);
}

// pred_proj, a BatchNorm MLP on the predictor's output: a one-step rollout is the projector
// applied by hand to the predictor's output without it; refitting the norms covers its batch
// norm (after a refit to one batch, that batch's prediction loss in inference mode is its
// training-mode loss); the loss falls; a resume is exact (its running statistics round-trip)
#define PRED_PROJ "\"pred_proj_hidden\": 32"
static void test_pred_proj(void) {
    jepa_dataset ds;
    jepa_model m;
    jepa_batch b;
    if (!train_and_load("pred_proj", PRED_PROJ ", \"lr\": 0.01, \"warmup\": 0", 6, &ds, &m)) return;
    int64_t D = m.cfg.latent, A = m.step_action_dim, N = 6;
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_ctx_set_grad(ctx, 0);
    jepa_tensor *z = test_tensor(3, (int64_t[]){N, 2, D}, 51, -1, 1);
    jepa_tensor *past = test_tensor(3, (int64_t[]){N, 1, A}, 52, -1, 1);
    jepa_tensor *acts = test_tensor(3, (int64_t[]){N, 1, A}, 53, -1, 1);
    jepa_tensor *got = jepa_contiguous(ctx, jepa_model_rollout(ctx, &m, z, past, acts));
    m.cfg.pred_proj_hidden = 0;
    jepa_tensor *raw = jepa_model_rollout(ctx, &m, z, past, acts);
    m.cfg.pred_proj_hidden = 32;
    jepa_tensor *want = jepa_projector_forward(
        ctx, &m.params, &m.pred_proj, jepa_reshape(ctx, raw, 2, (int64_t[]){N, D}), 0);
    CHECK(test_compare(got->data, want->data, N * D, 1e-5, 1e-5) <= 1);
    CHECK(test_compare(got->data, raw->data, N * D, 1e-2, 1e-2) > 1); // it is no identity
    test_tensor_free(z);
    test_tensor_free(past);
    test_tensor_free(acts);
    // the prediction term of one batch in inference and training mode, before and after a refit
    sample_batch(&ds, &m, 64, 77, &b);
    float terms[JEPA_WM_MAX_TERMS], pred[3];
    const char *names[JEPA_WM_MAX_TERMS];
    int n = 0;
    for (int k = 0; k < 3; k++) {
        if (k == 1) jepa_model_refit_norms(ctx, &m, &b, 0);
        jepa_ctx_reset(ctx);
        // k = 2 is training mode: it moves the running statistics, so it comes last
        jepa_model_loss(ctx, &m, &b, 0, k == 2, terms, names, &n);
        pred[k] = terms[0];
    }
    printf("pred_proj: the prediction term in inference mode %.6f before the refit, %.6f after; "
           "in training mode %.6f\n", pred[0], pred[1], pred[2]);
    CHECK(fabs(pred[1] - pred[2]) < 1e-2 * pred[2]);
    CHECK(fabs(pred[0] - pred[2]) > 1e-2 * pred[2]);
    jepa_ctx_free(ctx);
    jepa_batch_free(&b);
    jepa_model_free(&m);
    jepa_dataset_close(&ds);
    test_loss_falls("lewm_pred_proj", LEWM_BASE ", " PRED_PROJ);
    test_resume("lewm_pred_proj", LEWM_BASE, PRED_PROJ, NULL);
}

// freeze_encoder: a run started (--init) from a trained model changes its predictor only, its
// first step's loss terms from the cached latents are those of the same weights encoding the
// frames in inference mode, the loss falls, a resume is exact, and the misuses are named
#define FROZEN_FIELDS "\"use_proprio\": 1, \"w_rollout\": 1, \"seed\": 4"
static void test_frozen_encoder(void) {
    char err[1024], cfg[512], json[1024], init[512];
    jepa_dataset ds;
    jepa_model base, frozen, twin;
    if (!train_and_load("frozen_base", "\"use_proprio\": 1, \"seed\": 4", 6, &ds, &base)) return;
    snprintf(init, sizeof init, "%s", test_path("run_frozen_base", "last.safetensors"));
    // a window of 2 + 2 frames: the predictor's positions grow from the base's 3 to 4
    write_config(cfg, "frozen.json", LEWM_WINDOW(2, 2),
                 FROZEN_FIELDS ", \"freeze_encoder\": 1, \"steps\": 40, \"warmup\": 0, "
                 "\"lr\": 0.003, \"log_every\": 1, \"val_every\": 20, \"ckpt_every\": 20");
    jepa_status st = train_from(init, cfg, "data", "frozen", 0, 0, 0, err, sizeof err);
    if (st != JEPA_OK) fprintf(stderr, "  frozen: %s\n", err);
    CHECK(st == JEPA_OK);
    jepa_train_state state;
    CHECK(jepa_model_load(&frozen, test_path("frozen", "last.safetensors"), &state, err, sizeof err) == JEPA_OK);
    int kept = 0, moved = 0;
    for (int i = 0; i < frozen.params.count; i++) {
        const jepa_param *p = &frozen.params.items[i];
        int j = jepa_params_find(&base.params, p->name);
        const jepa_tensor *t = &base.params.items[j].tensor;
        int predictor = strncmp(p->name, "predictor.", 10) == 0;
        int same = jepa_same_shape(t, &p->tensor) &&
                   memcmp(t->data, p->tensor.data, sizeof(float) * (size_t)jepa_numel(t)) == 0;
        CHECK(j >= 0 && (predictor || same));
        kept += !predictor && same;
        moved += predictor && !same;
    }
    printf("frozen encoder: %d tensors kept bit for bit, %d predictor tensors moved\n", kept, moved);
    CHECK(kept > 10 && moved > 10);
    // the first step's terms: the twin without freeze_encoder, started from the same checkpoint,
    // on the loader's first batch (frames), in inference mode
    snprintf(json, sizeof json, "{%s, %s}", LEWM_WINDOW(2, 2), FROZEN_FIELDS);
    CHECK(make_model(&twin, json, err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_init_from(&twin, init, err, sizeof err) == JEPA_OK);
    int64_t *tr = NULL, *va = NULL, n_tr = 0, n_va = 0;
    CHECK(jepa_dataset_split(&ds, twin.cfg.val_fraction, 4, &tr, &n_tr, &va, &n_va) == JEPA_OK);
    jepa_window w = jepa_model_window(&twin);
    jepa_batch b;
    CHECK(jepa_batch_alloc(&b, &ds, &w, twin.cfg.batch) == JEPA_OK);
    jepa_dataset_sample(&ds, &w, tr, n_tr, 4, 0, &b);
    float terms[JEPA_WM_MAX_TERMS];
    const char *names[JEPA_WM_MAX_TERMS];
    int n_terms;
    jepa_ctx *ctx = jepa_ctx_create(0);
    jepa_ctx_set_grad(ctx, 0);
    jepa_model_loss(ctx, &twin, &b, 0, 0, terms, names, &n_terms);
    cJSON *lines[64];
    int nl = read_metrics("frozen", lines, 64);
    CHECK(nl > 40 && number(lines[0], "step") == 1 && !cJSON_GetObjectItem(lines[0], "sigreg"));
    for (int k = 0; k < 2 && nl > 0; k++) {
        double got = number(lines[0], names[k]);
        printf("frozen encoder: step 1's '%s' %.7f, the twin's on frames %.7f\n", names[k], got, terms[k]);
        CHECK_NEAR(got, terms[k], 1e-5 * (1 + fabs(terms[k])));
    }
    // the total falls: the last 10 steps' mean under the first 10's (validation lines have none)
    double first = 0, last = 0, totals[64];
    int nt = 0;
    for (int i = 0; i < nl; i++)
        if (!isnan(number(lines[i], "total"))) totals[nt++] = number(lines[i], "total");
    CHECK(nt == 40);
    for (int i = 0; i < 10 && nt == 40; i++) {
        first += totals[i] / 10;
        last += totals[nt - 1 - i] / 10;
    }
    printf("frozen encoder: total %.5f over the first 10 steps, %.5f over the last 10\n", first, last);
    CHECK(last < 0.8 * first);
    free_lines(lines, nl);
    // redraw_predictor: the checkpoint's encoder, bit for bit, and the predictor (of another
    // depth here) as the config's seed draws it
    snprintf(json, sizeof json, "{%s, %s, \"pred_depth\": 2, \"redraw_predictor\": 1}",
             LEWM_WINDOW(2, 2), FROZEN_FIELDS);
    jepa_model drawn, redrawn;
    CHECK(make_model(&drawn, json, err, sizeof err) == JEPA_OK);
    CHECK(make_model(&redrawn, json, err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_init_from(&redrawn, init, err, sizeof err) == JEPA_OK);
    CHECK(jepa_model_same_encoder(&base, &redrawn, err, sizeof err) == JEPA_OK);
    int as_drawn = 0;
    for (int i = 0; i < redrawn.params.count; i++) {
        const jepa_tensor *t = &redrawn.params.items[i].tensor, *u = &drawn.params.items[i].tensor;
        if (strncmp(redrawn.params.items[i].name, "predictor.", 10) == 0)
            as_drawn += memcmp(t->data, u->data, sizeof(float) * (size_t)jepa_numel(t)) == 0;
    }
    printf("redraw_predictor: %d predictor tensors as drawn, the encoder the checkpoint's\n", as_drawn);
    CHECK(as_drawn > 10);
    jepa_model_free(&drawn);
    jepa_model_free(&redrawn);
    jepa_ctx_free(ctx);
    jepa_batch_free(&b);
    free(tr);
    free(va);
    jepa_model_free(&twin);
    jepa_model_free(&frozen);
    jepa_model_free(&base);
    jepa_dataset_close(&ds);
    test_resume("lewm_frozen", LEWM_WINDOW(2, 2), FROZEN_FIELDS ", \"freeze_encoder\": 1", init);
    // misuses: no checkpoint to freeze; another architecture; --init with --resume
    CHECK(train(cfg, "data", "frozen_noinit", 0, 0, 0, err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "freeze_encoder") && strstr(err, "--init"));
    write_config(cfg, "redraw_noinit.json", LEWM_WINDOW(2, 2), "\"use_proprio\": 1, \"redraw_predictor\": 1");
    CHECK(train(cfg, "data", "redraw_noinit", 0, 0, 0, err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "redraw_predictor") && strstr(err, "--init"));
    write_config(cfg, "frozen_wide.json", LEWM_WINDOW(2, 2), "\"use_proprio\": 1, \"pred_depth\": 2");
    CHECK(train_from(init, cfg, "data", "frozen_wide", 0, 0, 0, err, sizeof err) == JEPA_ERR_SHAPE);
    CHECK(strstr(err, "predictor.blocks.1") != NULL);
    CHECK(train_from(init, NULL, "data", "frozen", 0, 0, 1, err, sizeof err) == JEPA_ERR_INVALID);
    CHECK(strstr(err, "--init") != NULL);
}

int main(void) {
    jepa_threads_set(1);
    if (!test_tmpdir("train")) return 1;
    char err[256];
    // the data; copies whose actions are NaN and 1e15; frames of another size
    int ok = collect("data", 12, 10, 16, 3) && collect("nandata", 12, 10, 16, 3) &&
             collect("hugedata", 12, 10, 16, 3) && collect("data32", 3, 10, 32, 3);
    static float nans[12 * 10 * 2], huge[12 * 10 * 2];
    for (int i = 0; i < 12 * 10 * 2; i++) {
        nans[i] = NAN;
        huge[i] = 1e15f;
    }
    ok = ok && jepa_npy_write(test_path("nandata", "actions.npy"), JEPA_NPY_F32, 3,
                              (int64_t[]){12, 10, 2}, nans, err, sizeof err) == JEPA_OK;
    ok = ok && jepa_npy_write(test_path("hugedata", "actions.npy"), JEPA_NPY_F32, 3,
                              (int64_t[]){12, 10, 2}, huge, err, sizeof err) == JEPA_OK;
    CHECK(ok);
    if (ok) {
        test_loss_falls("pldm", PLDM_BASE);
        test_loss_falls("lewm", LEWM_BASE);
        test_resume("pldm", PLDM_BASE, "\"target\": \"ema\"", NULL);
        test_resume("lewm", LEWM_BASE, NULL, NULL);
        test_errors();
        test_clipping();
        test_checkpoints();
        test_proprio_normalization();
        test_state_readout();
        test_keypoints();
        test_refit_norms();
        test_target_frames();
        test_rollout_term();
        test_rollout_shared_history("");
        test_rollout_shared_history(", \"pred_proj_hidden\": 8");
        test_pred_proj();
        test_shipped_configs();
        test_frozen_encoder();
        test_cli();
    }
    // everything made here lives under test_root()
    test_tmpdir_remove();
    return test_finish("test_train");
}
