// jepa eval: the success rate of a checkpoint and a planner under an environment's protocol.
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "jepa.h"

static int usage(FILE *f) {
    fprintf(f,
            "usage: jepa eval (--ckpt C | --oracle | --ckpt C --oracle) --env NAME --episodes N\n"
            "                 [--seed S]\n"
            "                 [--planner ...]\n"
            "                 [--json out.json] [--timings t.json] [--gif-dir D]\n"
            "                 [planning options of jepa plan]\n"
            "\n"
            "Runs N episodes of the environment's protocol (in parallel over --threads) and\n"
            "prints the success rate with its 95%% Wilson interval, the mean final distance,\n"
            "ms per plan (median, p95) and the total time. Where each plan is executed whole\n"
            "(--execute = --horizon) and the cost is a distance alone at the last step, it also\n"
            "prints the exploitation gap: the mean cost the plans predicted for their end, and\n"
            "the mean goal distance of the latents observed there. --gif-dir writes the first\n"
            "episodes' GIFs (observation beside the goal), at most 8. --oracle plans on the\n"
            "simulator itself (see jepa plan --help): alone, the success of the planner with\n"
            "perfect predictions; with --ckpt, of the checkpoint's encoder without its\n"
            "predictor. --ensemble plans with several predictors (see jepa plan --help).\n"
            "\n"
            "--json writes the results alone (the command's settings, successes, rate, interval,\n"
            "mean final distance, plans, the gap): the same command and seed write the same\n"
            "bytes, and the same results on any --threads. The wall-clock figures (ms per plan,\n"
            "seconds, threads) change from run to run: they are printed, and --timings writes\n"
            "them.\n");
    return f == stdout ? 0 : 2;
}

#define MAX_GIFS 8

// re-run the first episodes with frames (same seeds, so the same episodes) and write them
static int write_gifs(jepa_model *m, int img, const jepa_env_model *env,
                      const jepa_eval_config *cfg, const char *dir) {
    float s[JEPA_ENV_MAX_DIM], g[JEPA_ENV_MAX_DIM];
    char err[1024], path[4096];
    for (int e = 0; e < cfg->episodes && e < MAX_GIFS; e++) {
        int budget, nf = 0;
        jepa_eval_task(env, cfg->seed, e, s, g, &budget);
        if (cfg->max_steps > 0) budget = cfg->max_steps;
        uint8_t *frames = malloc((size_t)(budget + 1) * 2 * img * img * 3);
        jepa_eval_episode ep = {0};
        jepa_status st = frames ? jepa_eval_episode_run(m, env, cfg, e, &ep, NULL, frames, &nf,
                                                        NULL, NULL, err, sizeof err)
                                : jepa_fail(err, sizeof err, JEPA_ERR_NOMEM, "out of memory");
        snprintf(path, sizeof path, "%s/episode_%03d_%s.gif", dir, e,
                 ep.success ? "success" : "failure");
        if (st == JEPA_OK) st = jepa_gif_write(path, frames, nf, 2 * img, img, 8, err, sizeof err);
        free(frames);
        if (st != JEPA_OK) {
            fprintf(stderr, "jepa eval: %s\n", err);
            return 1;
        }
    }
    return 0;
}

// a JSON object into a file opened before the episodes ran (so that a path it cannot write fails
// at once), indented, with a final newline; the file appears whole or not at all; frees j
static int write_object(jepa_atomic_file *af, cJSON *j) {
    char *text = cJSON_Print(j), err[1024];
    cJSON_Delete(j);
    if (!text || fputs(text, af->f) < 0 || fputc('\n', af->f) == EOF) {
        fprintf(stderr, "jepa eval: %s: %s\n", af->path, text ? "cannot write" : "out of memory");
        free(text);
        jepa_atomic_abort(af);
        return 1;
    }
    free(text);
    if (jepa_atomic_commit(af, err, sizeof err) != JEPA_OK) {
        fprintf(stderr, "jepa eval: %s\n", err);
        return 1;
    }
    return 0;
}

// the results as a JSON object (cJSON escapes the strings): nothing that depends on the clock
static int write_json(jepa_atomic_file *af, const jepa_cli_plan *o, const jepa_eval_result *res,
                      const jepa_eval_episode *eps, int state_dim) {
    cJSON *j = cJSON_CreateObject();
    cJSON *w = cJSON_CreateArray();
    cJSON_AddStringToObject(j, "env", o->env);
    if (o->ckpt) cJSON_AddStringToObject(j, "ckpt", o->ckpt);
    if (o->n_ensemble)
        cJSON_AddItemToObject(j, "ensemble", cJSON_CreateStringArray(o->ensemble, o->n_ensemble));
    cJSON_AddBoolToObject(j, "oracle", o->oracle);
    if (o->reader) {
        cJSON_AddStringToObject(j, "reader", o->reader);
        cJSON_AddStringToObject(j, "read", o->read);
        cJSON_AddNumberToObject(j, "refused", res->refused);
    }
    cJSON_AddStringToObject(j, "planner", jepa_planner_name(o->eval.planner.kind));
    cJSON_AddNumberToObject(j, "seed", (double)o->eval.seed);
    cJSON_AddNumberToObject(j, "episodes", res->episodes);
    cJSON_AddNumberToObject(j, "successes", res->successes);
    cJSON_AddNumberToObject(j, "success_rate", res->rate);
    cJSON_AddItemToArray(w, cJSON_CreateNumber(res->rate_lo));
    cJSON_AddItemToArray(w, cJSON_CreateNumber(res->rate_hi));
    cJSON_AddItemToObject(j, "wilson95", w);
    cJSON_AddNumberToObject(j, "mean_final_distance", res->mean_distance);
    cJSON_AddNumberToObject(j, "plans", res->plans);
    if (res->gap_plans) {
        cJSON_AddNumberToObject(j, "gap_plans", res->gap_plans);
        cJSON_AddNumberToObject(j, "cost_predicted", res->cost_predicted);
        cJSON_AddNumberToObject(j, "cost_reached", res->cost_reached);
    }
    cJSON_AddNumberToObject(j, "horizon", o->eval.horizon);
    cJSON_AddNumberToObject(j, "execute", o->eval.execute > 0 ? o->eval.execute : o->eval.horizon);
    cJSON_AddBoolToObject(j, "shrink", o->eval.shrink);
    if (o->eval.respan) cJSON_AddNumberToObject(j, "respan", o->eval.respan);
    if (o->eval.hold) cJSON_AddBoolToObject(j, "hold", 1);
    cJSON_AddNumberToObject(j, "samples", o->eval.planner.samples);
    cJSON_AddNumberToObject(j, "iterations", o->eval.planner.iterations);
    // each episode: whether and when it succeeded, its plans and their gap (its means), its
    // goal and final states
    cJSON *list = cJSON_AddArrayToObject(j, "per_episode");
    for (int e = 0; e < res->episodes; e++) {
        cJSON *one = cJSON_CreateObject();
        cJSON_AddBoolToObject(one, "success", eps[e].success);
        cJSON_AddNumberToObject(one, "steps", eps[e].steps);
        cJSON_AddNumberToObject(one, "plans", eps[e].plans);
        cJSON_AddNumberToObject(one, "final_distance", eps[e].final_distance);
        cJSON_AddItemToObject(one, "goal", cJSON_CreateFloatArray(eps[e].goal, state_dim));
        cJSON_AddItemToObject(one, "final", cJSON_CreateFloatArray(eps[e].final, state_dim));
        if (eps[e].gap_plans) {
            cJSON_AddNumberToObject(one, "gap_plans", eps[e].gap_plans);
            cJSON_AddNumberToObject(one, "cost_predicted",
                                    eps[e].cost_predicted / eps[e].gap_plans);
            cJSON_AddNumberToObject(one, "cost_reached", eps[e].cost_reached / eps[e].gap_plans);
        }
        cJSON_AddItemToArray(list, one);
    }
    return write_object(af, j);
}

// the wall-clock figures of the run, apart from the results
static int write_timings(jepa_atomic_file *af, const jepa_eval_result *res) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "plans", res->plans);
    cJSON_AddNumberToObject(j, "plan_ms_median", res->plan_ms_median);
    cJSON_AddNumberToObject(j, "plan_ms_p95", res->plan_ms_p95);
    cJSON_AddNumberToObject(j, "seconds", res->seconds);
    cJSON_AddNumberToObject(j, "threads", res->threads);
    return write_object(af, j);
}

int jepa_cli_eval_parse(int argc, char **argv, jepa_cli_eval_opts *o) {
    const char *cmd = "eval";
    memset(o, 0, sizeof *o);
    jepa_cli_plan_defaults(&o->plan);
    o->plan.eval.episodes = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        long long n;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout);
        if (!strcmp(a, "--json") || !strcmp(a, "--timings") || !strcmp(a, "--gif-dir") ||
            !strcmp(a, "--episodes")) {
            if (!(v = jepa_cli_value(cmd, argc, argv, &i))) return 2;
            if (!strcmp(a, "--json"))
                o->json = v;
            else if (!strcmp(a, "--timings"))
                o->timings = v;
            else if (!strcmp(a, "--gif-dir"))
                o->gif_dir = v;
            else if (!jepa_cli_int(cmd, a, v, 1, 1000000, &n))
                return 1;
            else
                o->plan.eval.episodes = (int)n;
            continue;
        }
        int r = jepa_cli_plan_option(cmd, argc, argv, &i, &o->plan);
        if (r < 0) return 1;
        if (r == 0) {
            fprintf(stderr, "jepa eval: unknown option '%s' (see jepa eval --help)\n", a);
            return 2;
        }
    }
    if (!o->plan.env || o->plan.eval.episodes < 1) {
        fprintf(stderr, "jepa eval: missing %s (see jepa eval --help)\n",
                !o->plan.env ? "--env" : "--episodes");
        return 2;
    }
    return jepa_cli_plan_finish(cmd, &o->plan);
}

int jepa_cli_eval_run(const jepa_cli_eval_opts *opts) {
    const jepa_cli_plan *o = &opts->plan;
    jepa_cli_loaded l;
    if (jepa_cli_plan_open("eval", o, &l)) return 1;
    jepa_eval_result res;
    jepa_eval_episode *eps = NULL;
    char err[1024];
    int rc = 0;
    // the output files are opened (beside their paths) and the GIF folder is made (or refused)
    // once the inputs are known good, before the episodes run
    jepa_atomic_file json = {0}, timings = {0};
    if ((opts->json && jepa_atomic_open(&json, opts->json, err, sizeof err) != JEPA_OK) ||
        (opts->timings && jepa_atomic_open(&timings, opts->timings, err, sizeof err) != JEPA_OK)) {
        fprintf(stderr, "jepa eval: %s\n", err);
        rc = 1;
    } else if (opts->gif_dir && mkdir(opts->gif_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "jepa eval: --gif-dir %s: %s\n", opts->gif_dir, strerror(errno));
        rc = 1;
    } else if (!(eps = calloc((size_t)l.eval.episodes, sizeof *eps))) {
        fprintf(stderr, "jepa eval: out of memory\n");
        rc = 1;
    } else if (jepa_eval_run(l.model, l.env, &l.eval, &res, eps, err, sizeof err) != JEPA_OK) {
        fprintf(stderr, "jepa eval: %s\n", err);
        rc = 1;
    } else {
        printf("%s, %s, %d episodes (seed %llu): success %.1f%% [%.1f, %.1f] (95%% Wilson), "
               "mean final distance %.3f\n",
               o->env, jepa_planner_name(o->eval.planner.kind), res.episodes,
               (unsigned long long)o->eval.seed, 100 * res.rate, 100 * res.rate_lo,
               100 * res.rate_hi, res.mean_distance);
        printf("%d plans: %.1f ms median, %.1f ms p95; total %.1f s on %d thread%s\n", res.plans,
               res.plan_ms_median, res.plan_ms_p95, res.seconds, res.threads,
               res.threads == 1 ? "" : "s");
        if (res.gap_plans)
            printf("the %d plans executed whole: predicted cost %.4g at their end, reached %.4g "
                   "(the goal distance of the latent observed there)\n",
                   res.gap_plans, res.cost_predicted, res.cost_reached);
        jepa_cli_plan_print_refused(o->env, res.refused);
        if (opts->json && write_json(&json, o, &res, eps, jepa_env_state_dim(l.env))) rc = 1;
        if (opts->timings && write_timings(&timings, &res)) rc = 1;
        if (opts->gif_dir && write_gifs(l.model, l.image, l.env, &l.eval, opts->gif_dir))
            rc = 1;
    }
    // what was not written (a failure before): its temporary file removed
    if (json.f) jepa_atomic_abort(&json);
    if (timings.f) jepa_atomic_abort(&timings);
    free(eps);
    jepa_cli_plan_close(&l);
    return rc;
}

int jepa_cmd_eval(int argc, char **argv) {
    jepa_cli_eval_opts o;
    int code = jepa_cli_eval_parse(argc, argv, &o);
    return code >= 0 ? code : jepa_cli_eval_run(&o);
}
