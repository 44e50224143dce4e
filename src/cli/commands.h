// The sub-commands of the jepa CLI (one file each) and the argument helpers they share.
// Each command gets argv without the program name: argv[0] is the command's own name. It returns
// the process exit code: 0 ok, 1 failure (bad values, I/O), 2 usage.
#ifndef JEPA_CLI_COMMANDS_H
#define JEPA_CLI_COMMANDS_H

int jepa_cmd_envs(int argc, char **argv);
int jepa_cmd_collect(int argc, char **argv);
int jepa_cmd_view(int argc, char **argv);
int jepa_cmd_train(int argc, char **argv);
int jepa_cmd_probe(int argc, char **argv);
int jepa_cmd_plan(int argc, char **argv);
int jepa_cmd_eval(int argc, char **argv);

// Parse a whole decimal integer in [lo, hi] from text into *out. On failure print
// "jepa CMD: FLAG: ..." to stderr and return 0.
int jepa_cli_int(const char *cmd, const char *flag, const char *text, long long lo, long long hi,
                 long long *out);

// The value after flag argv[*i], advancing *i; NULL (with a usage message) when missing.
const char *jepa_cli_value(const char *cmd, int argc, char **argv, int *i);

// The planning options shared by plan and eval (cmd_plan.c).
#include "jepa/eval.h"
#include "jepa/wm.h"
typedef struct jepa_cli_plan {
    const char *ckpt, *env, *env_options;
    jepa_eval_config eval;
} jepa_cli_plan;
void jepa_cli_plan_defaults(jepa_cli_plan *o);
// Consume argv[*i] (and its value) when it is a planning option: 1; not one: 0; a bad value
// (message printed): -1.
int jepa_cli_plan_option(const char *cmd, int argc, char **argv, int *i, jepa_cli_plan *o);
// Load the checkpoint and create the environment, checking that they fit; 0, or 1 with a
// message printed (nothing to free then).
int jepa_cli_plan_open(const char *cmd, jepa_cli_plan *o, jepa_model *m, jepa_env_model **env);

#endif
