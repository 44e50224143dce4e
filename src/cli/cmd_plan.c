// jepa plan: one goal-reaching episode with a checkpoint and a planner, printing each step.
// Also the planning options shared with jepa eval.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "jepa.h"

// a finite float in [lo, hi]
static int parse_float(const char *cmd, const char *flag, const char *text, double lo, double hi,
                       float *out) {
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "jepa %s: %s: expected a number in [%g, %g], got '%s'\n", cmd, flag, lo, hi,
                text);
        return 0;
    }
    *out = (float)v;
    return 1;
}

void jepa_cli_plan_defaults(jepa_cli_plan *o) {
    memset(o, 0, sizeof *o);
    jepa_planner_config_default(&o->eval.planner, JEPA_PLANNER_CEM);
    o->eval.planner.gd_steps = 0; // 0: the planner kind's default, filled in by open
    o->eval.horizon = 5;
    o->eval.episodes = 1;
}

int jepa_cli_plan_option(const char *cmd, int argc, char **argv, int *i, jepa_cli_plan *o) {
    const char *a = argv[*i], *v;
    jepa_planner_config *p = &o->eval.planner;
    long long n;
    // options without a value
    if (!strcmp(a, "--all-steps")) {
        o->eval.cost.all_steps = 1;
        return 1;
    }
    if (!strcmp(a, "--bf16")) {
        p->bf16 = 1;
        return 1;
    }
    if (!strcmp(a, "--oracle")) {
        o->oracle = 1;
        return 1;
    }
    if (!strcmp(a, "--shrink")) {
        o->eval.shrink = 1;
        return 1;
    }
    if (!strcmp(a, "--hold")) {
        o->eval.hold = 1;
        return 1;
    }
    static const char *const WITH_VALUE[] = {
        "--ckpt",        "--env",      "--env-options", "--seed",       "--ensemble",
        "--planner",     "--horizon",  "--execute",     "--samples",
        "--iterations",  "--elites",   "--max-steps",   "--temperature",
        "--noise-std",   "--init-std", "--beta",        "--gd-steps",
        "--gd-restarts", "--gd-lr",    "--cost",        "--w-action",
        "--w-smooth",    "--frameskip", "--respan",     "--reader",
        "--read",        NULL};
    int known = 0;
    for (int k = 0; WITH_VALUE[k]; k++) known |= !strcmp(a, WITH_VALUE[k]);
    if (!known) return 0;
    if (!(v = jepa_cli_value(cmd, argc, argv, i))) return -1;
    if (!strcmp(a, "--ckpt"))
        o->ckpt = v;
    else if (!strcmp(a, "--ensemble")) {
        if (o->n_ensemble == JEPA_EVAL_MAX_ENSEMBLE) {
            fprintf(stderr, "jepa %s: --ensemble: at most %d members besides --ckpt\n", cmd,
                    JEPA_EVAL_MAX_ENSEMBLE);
            return -1;
        }
        o->ensemble[o->n_ensemble++] = v;
    } else if (!strcmp(a, "--env"))
        o->env = v;
    else if (!strcmp(a, "--env-options"))
        o->env_options = v;
    else if (!strcmp(a, "--reader"))
        o->reader = v;
    else if (!strcmp(a, "--read"))
        o->read = v;
    else if (!strcmp(a, "--seed")) {
        if (!jepa_cli_int(cmd, a, v, 0, 0x7FFFFFFFFFFFFFFFll, &n)) return -1;
        o->eval.seed = (uint64_t)n;
    } else if (!strcmp(a, "--planner")) {
        int kind = jepa_planner_parse(v);
        if (kind < 0) {
            fprintf(stderr,
                    "jepa %s: --planner: expected cem, icem, mppi, gd or cem+gd, got '%s'\n", cmd,
                    v);
            return -1;
        }
        p->kind = kind;
    } else if (!strcmp(a, "--cost")) {
        if (strcmp(v, "l2") && strcmp(v, "l1")) {
            fprintf(stderr, "jepa %s: --cost: expected l2 or l1, got '%s'\n", cmd, v);
            return -1;
        }
        o->eval.cost.distance = !strcmp(v, "l1") ? JEPA_DIST_L1 : JEPA_DIST_L2SQ;
    } else if (!strcmp(a, "--horizon") || !strcmp(a, "--execute") || !strcmp(a, "--samples") ||
               !strcmp(a, "--iterations") || !strcmp(a, "--elites") || !strcmp(a, "--max-steps") ||
               !strcmp(a, "--gd-steps") || !strcmp(a, "--gd-restarts") ||
               !strcmp(a, "--frameskip") || !strcmp(a, "--respan")) {
        long long hi = !strcmp(a, "--horizon") || !strcmp(a, "--execute") || !strcmp(a, "--respan")
                           ? JEPA_WM_MAX_ROLLOUT
                           : 1000000;
        if (!jepa_cli_int(cmd, a, v, 1, hi, &n)) return -1;
        int *dst = !strcmp(a, "--horizon")      ? &o->eval.horizon
                   : !strcmp(a, "--execute")    ? &o->eval.execute
                   : !strcmp(a, "--samples")    ? &p->samples
                   : !strcmp(a, "--iterations") ? &p->iterations
                   : !strcmp(a, "--elites")     ? &p->elites
                   : !strcmp(a, "--max-steps")  ? &o->eval.max_steps
                   : !strcmp(a, "--gd-steps")   ? &p->gd_steps
                   : !strcmp(a, "--frameskip")  ? &o->eval.frameskip
                   : !strcmp(a, "--respan")     ? &o->eval.respan
                                                : &p->gd_restarts;
        *dst = (int)n;
    } else {
        float *dst = !strcmp(a, "--temperature") ? &p->temperature
                     : !strcmp(a, "--noise-std") ? &p->noise_std
                     : !strcmp(a, "--init-std")  ? &p->init_std
                     : !strcmp(a, "--beta")      ? &p->beta
                     : !strcmp(a, "--gd-lr")     ? &p->gd_lr
                     : !strcmp(a, "--w-action")  ? &o->eval.cost.w_action
                                                 : &o->eval.cost.w_smooth;
        if (!parse_float(cmd, a, v, 0.0, 1e6, dst)) return -1;
        if (dst == &p->temperature && !(*dst > 0.0f)) { // MPPI's weights divide by it
            fprintf(stderr, "jepa %s: --temperature: expected a number above 0, got '%s'\n", cmd,
                    v);
            return -1;
        }
    }
    return 1;
}

int jepa_cli_plan_finish(const char *cmd, jepa_cli_plan *o) {
    if (!o->ckpt && !o->oracle) {
        fprintf(stderr, "jepa %s: missing --ckpt (or --oracle) (see jepa %s --help)\n", cmd, cmd);
        return 2;
    }
    if (o->eval.frameskip && o->ckpt) {
        fprintf(stderr, "jepa %s: --frameskip goes with --oracle alone (a checkpoint has its own)\n",
                cmd);
        return 2;
    }
    if (o->n_ensemble && (!o->ckpt || o->oracle)) {
        fprintf(stderr, "jepa %s: --ensemble goes with --ckpt, without --oracle\n", cmd);
        return 2;
    }
    if (!o->reader != !o->read || (o->reader && (!o->ckpt || o->oracle))) {
        fprintf(stderr, "jepa %s: --reader and --read go together, with --ckpt, without --oracle\n",
                cmd);
        return 2;
    }
    o->eval.oracle = o->oracle;
    if (o->eval.planner.gd_steps == 0) {
        jepa_planner_config d;
        jepa_planner_config_default(&d, o->eval.planner.kind);
        o->eval.planner.gd_steps = d.gd_steps;
    }
    if (o->eval.planner.bf16 && o->eval.planner.kind != JEPA_PLANNER_CEM &&
        o->eval.planner.kind != JEPA_PLANNER_ICEM && o->eval.planner.kind != JEPA_PLANNER_MPPI) {
        fprintf(stderr, "jepa %s: --bf16 works with --planner cem, icem or mppi\n", cmd);
        return 1;
    }
    int horizon = o->eval.horizon ? o->eval.horizon : 5;
    if (o->eval.execute > horizon) {
        fprintf(stderr, "jepa %s: --execute (%d) must not exceed --horizon (%d)\n", cmd,
                o->eval.execute, horizon);
        return 1;
    }
    if (o->eval.respan && (!o->eval.shrink || o->eval.respan > horizon)) {
        fprintf(stderr, "jepa %s: --respan (%d) goes with --shrink, at most --horizon (%d)\n", cmd,
                o->eval.respan, horizon);
        return 1;
    }
    if (o->eval.planner.elites > o->eval.planner.samples) {
        fprintf(stderr, "jepa %s: --elites (%d) must not exceed --samples (%d)\n", cmd,
                o->eval.planner.elites, o->eval.planner.samples);
        return 1;
    }
    return -1;
}

// --read's comma-separated state names as a mask of env's state values; 0 with a message printed
static int read_mask(const char *cmd, const char *names, const jepa_env_model *env,
                     uint64_t *mask) {
    int sd = jepa_env_state_dim(env);
    *mask = 0;
    for (const char *p = names; *p;) {
        size_t len = strcspn(p, ",");
        int found = -1;
        for (int i = 0; i < sd && found < 0; i++) {
            const char *name = jepa_env_state_name(env, i);
            if (strlen(name) == len && !strncmp(name, p, len)) found = i;
        }
        if (found < 0) {
            fprintf(stderr, "jepa %s: --read: %s has no state value '%.*s' (it has", cmd,
                    jepa_env_name(env), (int)len, p);
            for (int i = 0; i < sd; i++)
                fprintf(stderr, "%s %s", i ? "," : "", jepa_env_state_name(env, i));
            fprintf(stderr, ")\n");
            return 0;
        }
        *mask |= 1ull << found;
        p += len + (p[len] == ',');
    }
    if (!*mask) fprintf(stderr, "jepa %s: --read: no state value named\n", cmd);
    return *mask != 0;
}

int jepa_cli_plan_open(const char *cmd, const jepa_cli_plan *o, jepa_cli_loaded *l) {
    char err[1024];
    memset(l, 0, sizeof *l);
    l->eval = o->eval;
    if (o->ckpt && jepa_model_load(&l->m, o->ckpt, NULL, err, sizeof err) != JEPA_OK) {
        fprintf(stderr, "jepa %s: %s\n", cmd, err);
        return 1;
    }
    l->model = o->ckpt ? &l->m : NULL;
    l->image = o->ckpt ? l->m.cfg.image : JEPA_EVAL_ORACLE_IMAGE;
    int ok = 1;
    if (o->n_ensemble && !(l->members = calloc((size_t)o->n_ensemble, sizeof *l->members))) {
        fprintf(stderr, "jepa %s: out of memory\n", cmd);
        ok = 0;
    }
    for (int k = 0; ok && k < o->n_ensemble; k++) {
        if (jepa_model_load(&l->members[k], o->ensemble[k], NULL, err, sizeof err) != JEPA_OK) {
            fprintf(stderr, "jepa %s: %s\n", cmd, err);
            ok = 0;
        } else if (jepa_model_same_encoder(&l->m, &l->members[k], err, sizeof err) != JEPA_OK) {
            fprintf(stderr, "jepa %s: --ensemble %s does not fit %s: %s\n", cmd, o->ensemble[k],
                    o->ckpt, err);
            jepa_model_free(&l->members[k]);
            ok = 0;
        } else {
            l->member_ptrs[l->eval.ensemble_size++] = &l->members[k];
        }
    }
    l->eval.ensemble = l->member_ptrs;
    if (ok && !(l->env = jepa_env_create(o->env, o->env_options, err, sizeof err))) {
        fprintf(stderr, "jepa %s: %s\n", cmd, err);
        ok = 0;
    }
    if (ok && o->ckpt && jepa_eval_check(&l->m, l->env, err, sizeof err) != JEPA_OK) {
        fprintf(stderr, "jepa %s: %s does not fit %s: %s\n", cmd, o->ckpt, o->env, err);
        ok = 0;
    }
    if (ok && o->reader) {
        if (jepa_model_load(&l->reader, o->reader, NULL, err, sizeof err) != JEPA_OK) {
            fprintf(stderr, "jepa %s: %s\n", cmd, err);
            ok = 0;
        } else {
            l->eval.reader = &l->reader;
            ok = read_mask(cmd, o->read, l->env, &l->eval.read);
        }
    }
    if (!ok) jepa_cli_plan_close(l);
    return !ok;
}

void jepa_cli_plan_print_refused(const char *env, int refused) {
    if (refused)
        printf("the reader: %d readings refused by %s as states (the simulator's values used for "
               "those observations)\n", refused, env);
}

void jepa_cli_plan_close(jepa_cli_loaded *l) {
    jepa_env_free(l->env);
    for (int k = 0; k < l->eval.ensemble_size; k++) jepa_model_free(l->member_ptrs[k]);
    free(l->members);
    if (l->model) jepa_model_free(l->model);
    if (l->eval.reader) jepa_model_free(l->eval.reader);
    memset(l, 0, sizeof *l);
}

static int usage(FILE *f) {
    fprintf(f,
            "usage: jepa plan (--ckpt C | --oracle | --ckpt C --oracle) --env NAME [--seed S]\n"
            "                 [--planner cem|icem|mppi|gd|cem+gd]\n"
            "                 [--horizon H] [--execute K] [--samples N] [--iterations I]\n"
            "                 [--elites E] [--max-steps T] [--gif out.gif] [planning options]\n"
            "\n"
            "Runs one episode of the environment's evaluation protocol (episode 0 of --seed),\n"
            "printing each step's plan cost and distance to the goal, then the success.\n"
            "--oracle plans on the simulator itself: alone, with its state as the latent\n"
            "(--frameskip K, default 5): the planner with perfect predictions; with --ckpt, with\n"
            "the checkpoint's encodings of its frames (the encoder's cost without the predictor).\n"
            "\n"
            "planning options: --temperature T --noise-std S --init-std S --beta B (iCEM)\n"
            "  --gd-steps N --gd-restarts R --gd-lr LR --cost l2|l1 --all-steps\n"
            "  --w-action W --w-smooth W --env-options JSON\n"
            "  --shrink: the plans shrink to the end the first one set (after K of H steps, the\n"
            "          next plans the H - K left; the full H again once that end is reached), so\n"
            "          the last step's cost keeps its arrival time while each plan sees afresh\n"
            "  --respan R: with --shrink, the plans after the first one's end span R steps (a\n"
            "          new end every R steps; default the horizon), shorter tries near the goal\n"
            "  --hold: each planned step is one action held for the frameskip's env steps (the\n"
            "          planner searches 2 numbers a step on pusht, not 10)\n"
            "  --ensemble C2 (repeatable, up to 8): more checkpoints whose predictors plan beside\n"
            "          --ckpt's, on its encodings (they must share its encoder: trained with\n"
            "          --init and freeze_encoder); the cost is the members' mean distance, which\n"
            "          penalizes what they disagree on\n"
            "  --reader R --read NAME,...: the state values named (e.g. block_x,block_y,\n"
            "          block_angle) are read from each frame by R's state read-out (a model\n"
            "          trained with w_state on frames alone), not taken from the simulator, before\n"
            "          the env's proprio is formed: a model trained with that part of the state\n"
            "          as proprio (pusht --env-options '{\"proprio\":\"agent_pose\"}') plans\n"
            "          from what the frames show\n"
            "  --bf16: cem/icem/mppi rollouts in bf16 with fp32 sums (AVX512_BF16 CPUs; about\n"
            "          twice as fast; fp32 elsewhere)\n");
    return f == stdout ? 0 : 2;
}

typedef struct step_printer {
    const jepa_env_model *env;
    const float *goal;
} step_printer;

static void print_step(void *user, int step, const float *state, float cost) {
    step_printer *p = user;
    printf("step %4d  plan cost %10.4f  distance %8.3f\n", step, cost,
           jepa_env_distance(p->env, state, p->goal));
}

int jepa_cli_plan_parse(int argc, char **argv, jepa_cli_plan_opts *o) {
    const char *cmd = "plan";
    memset(o, 0, sizeof *o);
    jepa_cli_plan_defaults(&o->plan);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return usage(stdout);
        if (!strcmp(argv[i], "--gif")) {
            if (!(o->gif = jepa_cli_value(cmd, argc, argv, &i))) return 2;
            continue;
        }
        int r = jepa_cli_plan_option(cmd, argc, argv, &i, &o->plan);
        if (r < 0) return 1;
        if (r == 0) {
            fprintf(stderr, "jepa plan: unknown option '%s' (see jepa plan --help)\n", argv[i]);
            return 2;
        }
    }
    if (!o->plan.env) {
        fprintf(stderr, "jepa plan: missing --env (see jepa plan --help)\n");
        return 2;
    }
    return jepa_cli_plan_finish(cmd, &o->plan);
}

// whether a file can be made beside path (one is made and removed), else why in err
static int can_write(const char *path, char *err, size_t err_size) {
    jepa_atomic_file af;
    if (jepa_atomic_open(&af, path, err, err_size) != JEPA_OK) return 0;
    jepa_atomic_abort(&af);
    return 1;
}

int jepa_cli_plan_run(const jepa_cli_plan_opts *opts) {
    const char *cmd = "plan", *gif_path = opts->gif;
    const jepa_cli_plan *o = &opts->plan;
    jepa_cli_loaded l;
    if (jepa_cli_plan_open(cmd, o, &l)) return 1;
    const jepa_env_model *env = l.env;
    // the episode's task, for the printer and the buffers' sizes
    float start[JEPA_ENV_MAX_DIM], goal[JEPA_ENV_MAX_DIM];
    int budget;
    jepa_eval_task(env, o->eval.seed, 0, start, goal, &budget);
    if (o->eval.max_steps > 0) budget = o->eval.max_steps;
    int img = l.image, nf = 0;
    float *ms = malloc(sizeof(float) * budget);
    uint8_t *gif = gif_path ? malloc((size_t)(budget + 1) * 2 * img * img * 3) : NULL;
    step_printer sp = {env, goal};
    jepa_eval_episode ep;
    char err[1024];
    int rc = 0;
    if (!ms || (gif_path && !gif)) {
        fprintf(stderr, "jepa plan: out of memory\n");
        rc = 1;
    } else if (gif_path && !can_write(gif_path, err, sizeof err)) { // before the episode runs
        fprintf(stderr, "jepa plan: %s\n", err);
        rc = 1;
    } else if (jepa_eval_episode_run(l.model, env, &l.eval, 0, &ep, ms, gif, &nf, print_step, &sp,
                                     err, sizeof err) != JEPA_OK) {
        fprintf(stderr, "jepa plan: %s\n", err);
        rc = 1;
    } else {
        double total = 0;
        for (int i = 0; i < ep.plans; i++) total += ms[i];
        printf("%s: %s after %d steps, final distance %.3f, %d plans, %.1f ms per plan (%s)\n",
               o->env, ep.success ? "success" : "failure", ep.steps, ep.final_distance, ep.plans,
               ep.plans ? total / ep.plans : 0.0, jepa_planner_name(o->eval.planner.kind));
        jepa_cli_plan_print_refused(o->env, ep.refused);
        if (gif && jepa_gif_write(gif_path, gif, nf, 2 * img, img, 8, err, sizeof err) != JEPA_OK) {
            fprintf(stderr, "jepa plan: %s\n", err);
            rc = 1;
        }
    }
    free(ms);
    free(gif);
    jepa_cli_plan_close(&l);
    return rc;
}

int jepa_cmd_plan(int argc, char **argv) {
    jepa_cli_plan_opts o;
    int code = jepa_cli_plan_parse(argc, argv, &o);
    return code >= 0 ? code : jepa_cli_plan_run(&o);
}
