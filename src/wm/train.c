// The training loop: batches from the loader, loss, backward, clipping, AdamW, EMA, metrics,
// validation with a linear probe, and atomic checkpoints that a resume continues exactly; with
// several processes, each takes its rows of the batch and the gradients are averaged.
#define _POSIX_C_SOURCE 200809L
#include "jepa/train.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jepa/log.h"
#include "jepa/probe.h"
#include "jepa/progress.h"
#include "jepa/timer.h"
#include "jepa/wm.h"

#define VAL_BATCHES 4
#define RECAL_BATCHES 8
#define RECAL_SEED 0xBA7C4ull

typedef struct run {
    const jepa_train_options *o;
    jepa_model model;
    jepa_dataset data;
    jepa_adamw opt;
    jepa_train_state state;
    int64_t *train_eps, *val_eps, n_train, n_val;
    jepa_loader *loader;
    jepa_batch val_batch;
    jepa_ctx *ctx;
    FILE *metrics;          // rank 0's
    float *buffers;         // world > 1: the non-trainable values (BatchNorm's running statistics)
    int64_t n_buffers;
    float *cache;           // freeze_encoder: every frame's latent (episodes, steps + 1, D)
    float *latents;         // freeze_encoder: a batch's latents (B, T, D)
    char last[4096], best[4096], metrics_path[4096];
    int64_t recalibrated_at; // the step whose weights the batch-norm statistics were fit to (-1)
} run;

static jepa_status make_dir(const char *dir, char *err, size_t n) {
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat sb;
        if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) return JEPA_OK;
    }
    return jepa_fail(err, n, JEPA_ERR_IO, "%s: cannot create the run folder: %s", dir, strerror(errno));
}

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

// keep the metrics lines up to `step` (a resume rewrites what came after its checkpoint)
static jepa_status open_metrics(run *r, char *err, size_t n) {
    if (r->o->resume && file_exists(r->metrics_path)) {
        FILE *in = fopen(r->metrics_path, "r");
        char tmp[4200], line[8192];
        snprintf(tmp, sizeof tmp, "%s.tmp", r->metrics_path);
        FILE *out = in ? fopen(tmp, "w") : NULL;
        while (out && fgets(line, sizeof line, in)) {
            const char *s = strstr(line, "\"step\":");
            if (s && strtoll(s + 7, NULL, 10) <= r->state.step) fputs(line, out);
        }
        if (in) fclose(in);
        if (!out || fclose(out) != 0 || rename(tmp, r->metrics_path) != 0)
            return jepa_fail(err, n, JEPA_ERR_IO, "%s: cannot rewrite", r->metrics_path);
    }
    r->metrics = fopen(r->metrics_path, r->o->resume ? "a" : "w");
    if (!r->metrics) return jepa_fail(err, n, JEPA_ERR_IO, "%s: %s", r->metrics_path, strerror(errno));
    return JEPA_OK;
}

// add v across the processes (each gets the sums); nothing with one process
static void sum_all(const run *r, float *v, int64_t count) {
    if (r->o->world > 1) r->o->sum(v, count, r->o->sum_user);
}

// the mean of v across the processes
static void average(const run *r, float *v, int64_t count) {
    if (r->o->world <= 1) return;
    sum_all(r, v, count);
    for (int64_t i = 0; i < count; i++) v[i] /= (float)r->o->world;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t size) {
    const unsigned char *b = data;
    for (size_t i = 0; i < size; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

// every process must start from the same weights, optimizer state, config, data and step: a hash
// of them from each, gathered by a sum (rank r fills row r; 16-bit pieces are exact in floats)
static jepa_status check_same_start(run *r, char *err, size_t n) {
    const jepa_model *m = &r->model;
    int world = r->o->world;
    uint64_t h = 0xcbf29ce484222325ull;
    char *cfg = jepa_wm_config_json(&m->cfg);
    if (cfg) h = fnv1a(h, cfg, strlen(cfg));
    cJSON_free(cfg);
    h = fnv1a(h, m->params.data, sizeof(float) * (size_t)m->params.total);
    if (m->has_target) h = fnv1a(h, m->target.data, sizeof(float) * (size_t)m->target.total);
    h = fnv1a(h, r->opt.m, sizeof(float) * (size_t)r->opt.n);
    h = fnv1a(h, r->opt.v, sizeof(float) * (size_t)r->opt.n);
    h = fnv1a(h, &r->state.step, sizeof r->state.step);
    h = fnv1a(h, r->train_eps, sizeof(int64_t) * (size_t)r->n_train);
    int64_t shape[3] = {r->data.episodes, r->data.steps, r->data.height};
    h = fnv1a(h, shape, sizeof shape);
    float *rows = calloc((size_t)world * 4, sizeof(float));
    if (!rows) return jepa_fail(err, n, JEPA_ERR_NOMEM, "out of memory");
    for (int k = 0; k < 4; k++) rows[r->o->rank * 4 + k] = (float)((h >> (16 * k)) & 0xffff);
    sum_all(r, rows, (int64_t)world * 4);
    int differs = 0;
    for (int q = 1; q < world && !differs; q++)
        if (memcmp(rows, rows + q * 4, 4 * sizeof(float)) != 0) differs = q;
    free(rows);
    if (differs)
        return jepa_fail(err, n, JEPA_ERR_INVALID,
                         "the processes start from different weights, config, data or step (process "
                         "%d of %d differs from process 0): give them all the same config, data and "
                         "run folder",
                         differs, world);
    return JEPA_OK;
}

// give every process rank 0's buffers, as PyTorch's DistributedDataParallel broadcasts them: rank 0
// packs its values, the others zeros, and the sum (exact) is unpacked by all
static void share_buffers(run *r) {
    jepa_params *p = &r->model.params;
    if (r->n_buffers == 0) return;
    for (int unpack = 0; unpack < 2; unpack++) {
        float *packed = r->buffers;
        for (int i = 0; i < p->count; i++) {
            if (p->items[i].trainable) continue;
            float *v = p->data + p->items[i].offset;
            int64_t numel = jepa_numel(&p->items[i].tensor);
            size_t bytes = sizeof(float) * (size_t)numel;
            if (unpack) memcpy(v, packed, bytes);
            else if (r->o->rank == 0) memcpy(packed, v, bytes);
            else memset(packed, 0, bytes);
            packed += numel;
        }
        if (!unpack) sum_all(r, r->buffers, r->n_buffers);
    }
}

// freeze_encoder: encode every frame of the dataset once, as planning encodes (inference mode)
static jepa_status build_cache(run *r, char *err, size_t n) {
    jepa_model *m = &r->model;
    const jepa_batch *b = &r->val_batch;
    int64_t N = r->data.episodes, frames = 0, *all = malloc(sizeof(int64_t) * (size_t)N);
    float *states = NULL;
    if (!all || !(r->latents = malloc(sizeof(float) * (size_t)(b->B * b->T * m->cfg.latent))))
        return free(all), jepa_fail(err, n, JEPA_ERR_NOMEM, "out of memory");
    for (int64_t e = 0; e < N; e++) all[e] = e;
    if (r->o->rank == 0)
        JEPA_INFO("freeze_encoder: encoding the %lld frames of %s", (long long)(N * (r->data.steps + 1)),
                  r->o->data_dir);
    jepa_progress bar;
    jepa_status st = jepa_probe_encode(m, &r->data, all, N, INT64_MAX, &r->cache, &states, &frames,
                                       r->o->progress && r->o->rank == 0 ? &bar : NULL, err, n);
    free(all);
    free(states);
    return st;
}

// the batch as the loss takes it: with a frozen encoder, its frames' latents from the cache
static const jepa_batch *with_latents(run *r, const jepa_batch *b, jepa_batch *view) {
    if (!r->cache) return b;
    const jepa_wm_config *c = &r->model.cfg;
    int64_t D = c->latent, T1 = r->data.steps + 1;
    *view = *b;
    for (int64_t i = 0; i < b->B; i++)
        for (int64_t k = 0; k < b->T; k++)
            memcpy(r->latents + (i * b->T + k) * D,
                   r->cache + (b->episode[i] * T1 + b->start[i] + k * c->frameskip) * D,
                   sizeof(float) * (size_t)D);
    view->latents = r->latents;
    return view;
}

static jepa_status setup(run *r, char *err, size_t n) {
    const jepa_train_options *o = r->o;
    snprintf(r->last, sizeof r->last, "%s/last.safetensors", o->run_dir);
    snprintf(r->best, sizeof r->best, "%s/best.safetensors", o->run_dir);
    snprintf(r->metrics_path, sizeof r->metrics_path, "%s/metrics.jsonl", o->run_dir);
    if (o->resume && o->init_path)
        return jepa_fail(err, n, JEPA_ERR_INVALID, "--init starts a new run; a resumed run has its weights");
    jepa_status st = jepa_dataset_open(&r->data, o->data_dir, err, n);
    if (st != JEPA_OK) return st;
    if (o->resume) {
        if (!file_exists(r->last))
            return jepa_fail(err, n, JEPA_ERR_INVALID, "%s: nothing to resume (no last.safetensors)", o->run_dir);
        st = jepa_model_load(&r->model, r->last, &r->state, err, n);
        if (st != JEPA_OK) return st;
        if (o->config_path) {
            // a config given with --resume must be the run's own (its step count aside)
            jepa_wm_config cfg;
            if ((st = jepa_wm_config_load(&cfg, o->config_path, err, n)) != JEPA_OK) return st;
            cfg.steps = r->model.cfg.steps;
            char *given = jepa_wm_config_json(&cfg), *own = jepa_wm_config_json(&r->model.cfg);
            int same = given && own && strcmp(given, own) == 0;
            cJSON_free(given);
            cJSON_free(own);
            if (!same)
                return jepa_fail(err, n, JEPA_ERR_INVALID,
                                 "%s differs from the config of the run in %s (drop --config to resume it)",
                                 o->config_path, o->run_dir);
        }
        if (o->rank == 0) JEPA_INFO("resuming %s at step %lld", r->last, (long long)r->state.step);
    } else {
        jepa_wm_config cfg;
        if ((st = jepa_wm_config_load(&cfg, o->config_path, err, n)) != JEPA_OK) return st;
        if (file_exists(r->last))
            return jepa_fail(err, n, JEPA_ERR_INVALID,
                             "%s already holds a run: add --resume to continue it, or choose another --out",
                             o->run_dir);
        st = jepa_model_create(&r->model, &cfg, (int)r->data.action_dim, (int)r->data.proprio_dim,
                               (int)r->data.state_dim, r->data.angle_states, err, n);
        if (st != JEPA_OK) {
            // name the config file in the model's message
            char why[512];
            snprintf(why, sizeof why, "%s", err ? err : "");
            return jepa_fail(err, n, st, "%s: %s", o->config_path, why);
        }
        r->state.best_val = INFINITY;
        r->state.data_seed = (uint64_t)cfg.seed;
        snprintf(r->model.env, sizeof r->model.env, "%s", r->data.env);
        if ((cfg.freeze_encoder || cfg.redraw_predictor) && !o->init_path)
            return jepa_fail(err, n, JEPA_ERR_INVALID, "%s: '%s' needs a checkpoint to start from: add --init CKPT",
                             o->config_path, cfg.freeze_encoder ? "freeze_encoder" : "redraw_predictor");
        if (o->init_path && (st = jepa_model_init_from(&r->model, o->init_path, err, n)) != JEPA_OK) return st;
    }
    jepa_model *m = &r->model;
    // a step count given for this run is the schedule's length, kept in its checkpoints
    if (o->steps > 0) m->cfg.steps = (int)o->steps;
    const jepa_wm_config *c = &m->cfg;
    // the data must fit the model
    if (r->data.height != c->image || r->data.width != c->image)
        return jepa_fail(err, n, JEPA_ERR_SHAPE, "%s: frames are %lldx%lld, the config's 'image' is %d",
                         o->data_dir, (long long)r->data.height, (long long)r->data.width, c->image);
    if (r->data.action_dim != m->action_dim || (c->use_proprio && r->data.proprio_dim != m->proprio_dim))
        return jepa_fail(err, n, JEPA_ERR_SHAPE, "%s: actions of %lld (proprio %lld), the model takes %d (%d)",
                         o->data_dir, (long long)r->data.action_dim, (long long)r->data.proprio_dim,
                         m->action_dim, m->proprio_dim);
    if (c->w_state > 0 && (r->data.state_dim != m->state_dim || r->data.angle_states != m->state_angles))
        return jepa_fail(err, n, JEPA_ERR_SHAPE,
                         "%s: states of %lld values, the model's read-out takes %d (or their angles differ)",
                         o->data_dir, (long long)r->data.state_dim, m->state_dim);
    if (r->data.state_dim > JEPA_PROBE_MAX_STATE)
        return jepa_fail(err, n, JEPA_ERR_SHAPE, "%s: states of %lld values (at most %d)", o->data_dir,
                         (long long)r->data.state_dim, JEPA_PROBE_MAX_STATE);
    jepa_window w = jepa_model_window(m);
    if (jepa_window_span(&w) > r->data.steps)
        return jepa_fail(err, n, JEPA_ERR_SHAPE,
                         "%s: episodes of %lld steps are shorter than a training window (%lld steps)",
                         o->data_dir, (long long)r->data.steps, (long long)jepa_window_span(&w));
    st = jepa_dataset_split(&r->data, c->val_fraction, (uint64_t)c->seed, &r->train_eps, &r->n_train,
                            &r->val_eps, &r->n_val);
    if (st != JEPA_OK) return jepa_fail(err, n, st, "out of memory");
    // a new run's proprio and state normalizations come from its training episodes (a resumed run
    // loads them) (an --init run keeps its checkpoint's)
    if (!o->resume && !o->init_path) jepa_model_fit_data(m, &r->data, r->train_eps, r->n_train);
    if (r->n_val < 1)
        return jepa_fail(err, n, JEPA_ERR_INVALID,
                         "%s: no episode held out for validation (%lld episodes, val_fraction %g)",
                         o->data_dir, (long long)r->data.episodes, c->val_fraction);
    if (o->rank == 0 && (st = make_dir(o->run_dir, err, n)) != JEPA_OK) return st;
    if (jepa_adamw_init(&r->opt, &m->params, 0.9f, 0.999f, 1e-8f, (float)c->weight_decay) != JEPA_OK ||
        jepa_batch_alloc(&r->val_batch, &r->data, &w, c->batch) != JEPA_OK || !(r->ctx = jepa_ctx_create(0)))
        return jepa_fail(err, n, JEPA_ERR_NOMEM, "out of memory");
    if (o->resume && (st = jepa_model_load_optimizer(m, &r->opt, r->last, err, n)) != JEPA_OK) return st;
    if (c->freeze_encoder && (st = build_cache(r, err, n)) != JEPA_OK) return st;
    r->loader = jepa_loader_create(&r->data, &w, c->batch, o->rank * (int64_t)c->batch, r->train_eps,
                                   r->n_train, r->state.data_seed, (uint64_t)r->state.step, err, n);
    if (!r->loader) return JEPA_ERR_NOMEM;
    if (o->world > 1) {
        r->n_buffers = m->params.total - jepa_params_trainable_count(&m->params);
        if (!(r->buffers = malloc(sizeof(float) * (size_t)(r->n_buffers + 1))))
            return jepa_fail(err, n, JEPA_ERR_NOMEM, "out of memory");
        if ((st = check_same_start(r, err, n)) != JEPA_OK) return st;
    }
    return o->rank == 0 ? open_metrics(r, err, n) : JEPA_OK;
}

static void teardown(run *r) {
    jepa_loader_free(r->loader);
    jepa_batch_free(&r->val_batch);
    jepa_ctx_free(r->ctx);
    jepa_adamw_free(&r->opt);
    jepa_model_free(&r->model);
    jepa_dataset_close(&r->data);
    free(r->train_eps);
    free(r->val_eps);
    free(r->buffers);
    free(r->cache);
    free(r->latents);
    if (r->metrics) fclose(r->metrics);
}

// the name of the first parameter (or gradient) holding a non-finite value, or NULL
static const char *first_non_finite(const jepa_params *p, const float *base) {
    for (int i = 0; i < p->count; i++) {
        const float *v = base + p->items[i].offset;
        int64_t numel = jepa_numel(&p->items[i].tensor);
        for (int64_t j = 0; j < numel; j++)
            if (!isfinite(v[j])) return p->items[i].name;
    }
    return NULL;
}

// precise batch-norm statistics (jepa_model_refit_norms) for validation and every checkpoint,
// so neither depends on the steps before (resume stays exact)
static void recalibrate_norms(run *r) {
    jepa_model *m = &r->model;
    if (m->recipe != JEPA_RECIPE_LEWM || m->cfg.freeze_encoder || r->recalibrated_at == r->state.step) return;
    jepa_window w = jepa_model_window(m);
    for (int i = 0; i < RECAL_BATCHES; i++) {
        jepa_dataset_sample(&r->data, &w, r->train_eps, r->n_train, r->state.data_seed ^ RECAL_SEED, (uint64_t)i,
                            &r->val_batch);
        jepa_model_refit_norms(r->ctx, m, &r->val_batch, i);
    }
    r->recalibrated_at = r->state.step;
}

// mean loss over fixed validation batches (drawn from the val episodes, the same every time; with
// several processes, each takes its rows of batches of world * B)
static double validate(run *r, float *terms, const char **names, int *n_terms) {
    jepa_model *m = &r->model;
    jepa_window w = jepa_model_window(m);
    double total = 0;
    float sum[JEPA_WM_MAX_TERMS] = {0};
    recalibrate_norms(r);
    jepa_ctx_set_grad(r->ctx, 0);
    for (int i = 0; i < VAL_BATCHES; i++) {
        jepa_dataset_sample_rows(&r->data, &w, r->val_eps, r->n_val, r->state.data_seed ^ 0x5eed,
                                 (uint64_t)i, r->o->rank * r->val_batch.B, &r->val_batch);
        jepa_ctx_reset(r->ctx);
        // inference: batch norm uses its running statistics, which must not move here
        jepa_batch view;
        jepa_tensor *loss =
            jepa_model_loss(r->ctx, m, with_latents(r, &r->val_batch, &view), 0, 0, terms, names, n_terms);
        total += loss->data[0];
        for (int k = 0; k < *n_terms; k++) sum[k] += terms[k] / VAL_BATCHES;
    }
    jepa_ctx_set_grad(r->ctx, 1);
    for (int k = 0; k < *n_terms; k++) terms[k] = sum[k];
    if (r->o->world <= 1) return total / VAL_BATCHES;
    float mean[JEPA_WM_MAX_TERMS + 1];
    memcpy(mean, terms, sizeof(float) * (size_t)*n_terms);
    mean[*n_terms] = (float)(total / VAL_BATCHES);
    average(r, mean, *n_terms + 1);
    memcpy(terms, mean, sizeof(float) * (size_t)*n_terms);
    return mean[*n_terms];
}

// rank 0 writes; the others hold the same model
static jepa_status save(run *r, const char *path, char *err, size_t n) {
    recalibrate_norms(r); // on every rank: their statistics stay equal
    if (r->o->rank != 0) return JEPA_OK;
    return jepa_model_save(&r->model, &r->opt, &r->state, path, err, n);
}

// ,"<prefix><name>":value for each term; a non-finite value is JSON null
static void write_terms(FILE *f, const char *prefix, const float *terms, const char **names, int k) {
    for (int i = 0; i < k; i++) {
        if (isfinite(terms[i])) fprintf(f, ",\"%s%s\":%.9g", prefix, names[i], terms[i]);
        else fprintf(f, ",\"%s%s\":null", prefix, names[i]);
    }
}

// rank 0: the validation line of metrics.jsonl, with the linear probe's scores
static void write_validation(run *r, double val, const float *terms, const char **names,
                             int n_terms, char *err, size_t n) {
    double r2[JEPA_PROBE_MAX_STATE];
    float mon[2];
    jepa_status ps = jepa_probe_run(&r->model, &r->data, r->train_eps, r->n_train, r->val_eps,
                                    r->n_val, JEPA_PROBE_FRAMES, r2, mon, err, n);
    fprintf(r->metrics, "{\"step\":%lld,\"val_loss\":%.9g", (long long)r->state.step, val);
    write_terms(r->metrics, "val_", terms, names, n_terms);
    if (ps == JEPA_OK) {
        fprintf(r->metrics, ",\"embedding_std\":%.6g,\"effective_rank\":%.4g", mon[0], mon[1]);
        fprintf(r->metrics, ",\"probe_r2\":[");
        // a constant variable has no R^2 (NaN): JSON null
        for (int64_t s = 0; s < r->data.state_dim; s++)
            if (isnan(r2[s])) fprintf(r->metrics, "%snull", s ? "," : "");
            else fprintf(r->metrics, "%s%.4f", s ? "," : "", r2[s]);
        fprintf(r->metrics, "]");
    }
    fprintf(r->metrics, "}\n");
    fflush(r->metrics);
}

jepa_status jepa_train(const jepa_train_options *o, char *err, size_t n) {
    JEPA_CHECK_MSG(o->world > 1 ? o->sum && o->rank >= 0 && o->rank < o->world : o->rank == 0,
                   "jepa_train: a rank outside the world, or several processes without a sum");
    run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.recalibrated_at = -1;
    jepa_status st = setup(&r, err, n);
    jepa_model *m = &r.model;
    const jepa_wm_config *c = &m->cfg;
    int64_t total_steps = c->steps;
    double start = jepa_time_now(), last_log = start;
    int progress = o->progress && o->rank == 0, world = o->world > 1 ? o->world : 1;
    jepa_progress bar;
    if (st == JEPA_OK && progress)
        jepa_progress_begin_from(&bar, "train", total_steps, r.state.step);
    int64_t logged_at = r.state.step;
    float terms[JEPA_WM_MAX_TERMS];
    const char *names[JEPA_WM_MAX_TERMS];
    int n_terms = 0;
    while (st == JEPA_OK && r.state.step < total_steps) {
        // a stop request or the time limit of any process stops them all at this step
        float stops[2] = {(float)(o->stop && *o->stop),
                          (float)(o->minutes > 0 && jepa_time_now() - start > 60.0 * o->minutes)};
        sum_all(&r, stops, 2);
        if (stops[0] > 0) {
            st = save(&r, r.last, err, n);
            if (st == JEPA_OK) st = jepa_fail(err, n, JEPA_ERR_INTERRUPTED, "interrupted at step %lld; saved %s",
                                              (long long)r.state.step, r.last);
            break;
        }
        if (stops[1] > 0) break;
        if (o->stop_after > 0 && r.state.step >= o->stop_after) break;
        jepa_batch view;
        const jepa_batch *b = with_latents(&r, jepa_loader_next(r.loader), &view);
        jepa_ctx_reset(r.ctx);
        jepa_tensor *loss = jepa_model_loss(r.ctx, m, b, r.state.step, 1, terms, names, &n_terms);
        average(&r, terms, n_terms);
        for (int k = 0; k < n_terms; k++)
            if (!isfinite(terms[k])) {
                st = jepa_fail(err, n, JEPA_ERR_NUMERIC,
                               "step %lld: the loss term '%s' is %g; stopped, %s is the last good checkpoint",
                               (long long)r.state.step, names[k], terms[k], r.last);
                break;
            }
        if (st != JEPA_OK) break;
        jepa_params_zero_grad(&m->params);
        jepa_backward(r.ctx, loss);
        average(&r, m->params.grad, m->params.total);
        const char *bad = first_non_finite(&m->params, m->params.grad);
        if (bad) {
            st = jepa_fail(err, n, JEPA_ERR_NUMERIC,
                           "step %lld: the gradient of '%s' is not finite; stopped, %s is the last good checkpoint",
                           (long long)r.state.step, bad, r.last);
            break;
        }
        if (c->grad_clip > 0) jepa_clip_grad_norm(&m->params, (float)c->grad_clip);
        float lr = jepa_lr_warmup_cosine(r.state.step, c->warmup, total_steps, (float)c->lr, 0.1f * (float)c->lr);
        jepa_adamw_step(&r.opt, &m->params, lr);
        if ((bad = first_non_finite(&m->params, m->params.data))) {
            st = jepa_fail(err, n, JEPA_ERR_NUMERIC,
                           "step %lld: the weight '%s' is not finite; stopped, %s is the last good checkpoint",
                           (long long)r.state.step, bad, r.last);
            break;
        }
        // a finite gradient beyond 1.8e19 squares to Inf in AdamW's second moment, which then
        // freezes the weight for good (and would be saved): grad_clip keeps it in range
        if ((bad = first_non_finite(&m->params, r.opt.v))) {
            st = jepa_fail(err, n, JEPA_ERR_NUMERIC,
                           "step %lld: the gradient of '%s' overflows AdamW's second moment (turn "
                           "grad_clip on); stopped, %s is the last good checkpoint",
                           (long long)r.state.step, bad, r.last);
            break;
        }
        if (world > 1) share_buffers(&r);
        jepa_model_update_target(m);
        r.state.step++;
        int64_t step = r.state.step;
        float train_total = terms[n_terms - 1];
        if (r.metrics && (step % c->log_every == 0 || step == total_steps)) {
            double now = jepa_time_now();
            double rate = (double)(step - logged_at) * c->batch * world / (now - last_log);
            fprintf(r.metrics, "{\"step\":%lld,\"time\":%.3f,\"lr\":%.6g,\"samples_per_s\":%.1f",
                    (long long)step, now - start, lr, rate);
            write_terms(r.metrics, "", terms, names, n_terms);
            fprintf(r.metrics, "}\n");
            fflush(r.metrics);
            last_log = now;
            logged_at = step;
        }
        if (step % c->val_every == 0 || step == total_steps) {
            double val = validate(&r, terms, names, &n_terms);
            if (r.metrics) write_validation(&r, val, terms, names, n_terms, err, n);
            if (val < r.state.best_val) {
                r.state.best_val = val;
                st = save(&r, r.best, err, n);
            }
        }
        if (st == JEPA_OK && (step % c->ckpt_every == 0 || step == total_steps)) st = save(&r, r.last, err, n);
        if (progress) {
            char extra[96];
            snprintf(extra, sizeof extra, "loss %.4f", train_total);
            jepa_progress_update(&bar, step, extra);
        }
    }
    // a time limit or the end: the last checkpoint holds the final step
    if (st == JEPA_OK && r.state.step % c->ckpt_every != 0) st = save(&r, r.last, err, n);
    if (progress && st == JEPA_OK) jepa_progress_end(&bar, NULL);
    teardown(&r);
    return st;
}
