// jepa collect: roll a policy in an environment and write a dataset folder.
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "jepa.h"

static int usage(FILE *f) {
    fprintf(f, "usage: jepa collect --env NAME --episodes N --steps T --out DIR [--seed S]\n"
               "                    [--policy random|expert|mixed] [--size 64]\n"
               "                    [--option key=value ...] [--force] [--quiet] [--threads N]\n"
               "       jepa collect --policy plan --ckpt C [planning options of jepa eval] ...\n"
               "\n"
               "Writes DIR/manifest.json and frames, actions, states, proprio .npy arrays\n"
               "(docs/datasets.md). --option sets an environment option (jepa envs lists them);\n"
               "--force replaces an existing dataset in DIR.\n"
               "--policy plan: episode i is jepa eval's episode i of seed S (its start and goal),\n"
               "driven by the checkpoint's planner (or the simulator's, --oracle) for T steps,\n"
               "on past a success: the states a planner visits, to train on (DAgger). Collect\n"
               "with seeds you do not evaluate on.\n");
    return f == stdout ? 0 : 2;
}

// key=value into options: a number, true/false, or else a string
static int add_option(cJSON *options, const char *text) {
    const char *eq = strchr(text, '=');
    if (!eq || eq == text) {
        fprintf(stderr, "jepa collect: --option: expected key=value, got '%s'\n", text);
        return 0;
    }
    char key[128];
    size_t n = (size_t)(eq - text);
    if (n >= sizeof key) {
        fprintf(stderr, "jepa collect: --option: key too long in '%s'\n", text);
        return 0;
    }
    memcpy(key, text, n);
    key[n] = '\0';
    const char *value = eq + 1;
    char *end;
    double number = strtod(value, &end);
    cJSON *item;
    if (*value && *end == '\0')
        item = cJSON_CreateNumber(number);
    else if (!strcmp(value, "true") || !strcmp(value, "false"))
        item = cJSON_CreateBool(!strcmp(value, "true"));
    else
        item = cJSON_CreateString(value);
    cJSON_DeleteItemFromObjectCaseSensitive(options, key);
    cJSON_AddItemToObject(options, key, item);
    return 1;
}

int jepa_cli_collect_parse(int argc, char **argv, jepa_cli_collect_opts *o) {
    const char *cmd = "collect";
    long long episodes = -1, steps = -1, seed = 0, size = 64;
    int bad = 0, planning;
    const char *planned_flag = NULL; // the first planning option given
    memset(o, 0, sizeof *o);
    o->policy = JEPA_POLICY_MIXED;
    jepa_cli_plan_defaults(&o->planning);
    cJSON *options = cJSON_CreateObject();
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            cJSON_Delete(options);
            return usage(stdout);
        } else if (!strcmp(a, "--force")) {
            o->force = 1;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--env") || !strcmp(a, "--out") || !strcmp(a, "--episodes") ||
                   !strcmp(a, "--steps") || !strcmp(a, "--seed") || !strcmp(a, "--size") ||
                   !strcmp(a, "--policy") || !strcmp(a, "--option")) {
            if (!(v = jepa_cli_value(cmd, argc, argv, &i)))
                bad = 2;
            else if (!strcmp(a, "--env"))
                o->env = v;
            else if (!strcmp(a, "--out"))
                o->out = v;
            else if (!strcmp(a, "--episodes"))
                bad = !jepa_cli_int(cmd, a, v, 1, JEPA_COLLECT_MAX_EPISODES, &episodes);
            else if (!strcmp(a, "--steps"))
                bad = !jepa_cli_int(cmd, a, v, 1, JEPA_COLLECT_MAX_STEPS, &steps);
            else if (!strcmp(a, "--seed"))
                bad = !jepa_cli_int(cmd, a, v, 0, (long long)JEPA_COLLECT_MAX_SEED, &seed);
            else if (!strcmp(a, "--size"))
                bad = !jepa_cli_int(cmd, a, v, JEPA_COLLECT_MIN_SIZE, JEPA_COLLECT_MAX_SIZE, &size);
            else if (!strcmp(a, "--policy")) {
                o->plan = !strcmp(v, "plan");
                o->policy = o->plan ? JEPA_POLICY_MIXED : jepa_env_policy_parse(v);
                if (o->policy < 0) {
                    fprintf(stderr,
                            "jepa collect: --policy: expected random, expert, mixed or plan, got "
                            "'%s'\n",
                            v);
                    bad = 1;
                }
            } else
                bad = !add_option(options, v);
        } else if (!strcmp(a, "--env-options") || !strcmp(a, "--max-steps")) {
            fprintf(stderr, "jepa collect: %s: not with collect (%s sets it)\n", a,
                    a[2] == 'e' ? "--option" : "--steps");
            bad = 2;
        } else if ((planning = jepa_cli_plan_option(cmd, argc, argv, &i, &o->planning)) != 0) {
            bad = planning < 0;
            planned_flag = planned_flag ? planned_flag : a;
        } else {
            fprintf(stderr, "jepa collect: unknown argument '%s' (see jepa collect --help)\n", a);
            bad = 2;
        }
    }
    if (!bad && planned_flag && !o->plan) {
        fprintf(stderr, "jepa collect: %s goes with --policy plan\n", planned_flag);
        bad = 2;
    }
    if (!bad && o->plan && (bad = jepa_cli_plan_finish(cmd, &o->planning)) < 0) bad = 0;
    if (!bad && (!o->env || !o->out || episodes < 0 || steps < 0)) {
        fprintf(stderr, "jepa collect: missing %s (see jepa collect --help)\n",
                !o->env        ? "--env"
                : !o->out      ? "--out"
                : episodes < 0 ? "--episodes"
                               : "--steps");
        bad = 2;
    }
    if (!bad && !(o->options_json = cJSON_PrintUnformatted(options))) {
        fprintf(stderr, "jepa collect: out of memory\n");
        bad = 1;
    }
    cJSON_Delete(options);
    if (bad) return bad;
    o->episodes = (int)episodes;
    o->steps = (int)steps;
    o->seed = (uint64_t)seed;
    o->size = (int)size;
    return -1;
}

int jepa_cli_collect_run(jepa_cli_collect_opts *o) {
    if (o->quiet) jepa_log_set_level(JEPA_LOG_WARN);
    jepa_collect_config config = {.env = o->env,
                                  .options_json = o->options_json,
                                  .episodes = o->episodes,
                                  .steps = o->steps,
                                  .seed = o->seed,
                                  .policy = (jepa_env_policy)o->policy,
                                  .size = o->size,
                                  .force = o->force,
                                  .progress = !o->quiet,
                                  // Ctrl-C or a TERM stops the run: the temporary folder goes
                                  .stop = jepa_cli_stop_flag()};
    // --policy plan: the checkpoint (and ensemble) loaded and checked against the environment
    jepa_cli_loaded loaded;
    jepa_eval_collect_plan plan;
    jepa_collect_agent agent;
    if (o->plan) {
        o->planning.env = o->env;
        o->planning.env_options = o->options_json;
        o->planning.eval.seed = o->seed;
        if (jepa_cli_plan_open("collect", &o->planning, &loaded) != 0) {
            jepa_cli_collect_free(o);
            return 1;
        }
        plan = (jepa_eval_collect_plan){loaded.model, loaded.eval};
        agent = jepa_eval_collect_agent(&plan);
        config.agent = &agent;
    }
    jepa_collect_result result;
    char err[512];
    jepa_status st = jepa_collect(&config, o->out, &result, err, sizeof err);
    if (o->plan) jepa_cli_plan_close(&loaded);
    jepa_cli_collect_free(o);
    if (st != JEPA_OK) {
        fprintf(stderr, "jepa collect: %s\n", err);
        return 1;
    }
    if (!o->quiet) {
        printf("wrote %s: %lld frames in %.2f s (%.0f frames/s)", o->out, (long long)result.frames,
               result.seconds, result.seconds > 0 ? (double)result.frames / result.seconds : 0.0);
        if (result.crossed_door >= 0)
            printf(", %.1f %% of episodes crossed the door", 100.0 * result.crossed_door);
        if (result.reached >= 0)
            printf(", %lld of %d episodes reached their goal", (long long)result.reached,
                   o->episodes);
        printf("\n");
    }
    return 0;
}

void jepa_cli_collect_free(jepa_cli_collect_opts *o) {
    cJSON_free(o->options_json);
    o->options_json = NULL;
}

int jepa_cmd_collect(int argc, char **argv) {
    jepa_cli_collect_opts o;
    int code = jepa_cli_collect_parse(argc, argv, &o);
    return code >= 0 ? code : jepa_cli_collect_run(&o);
}
