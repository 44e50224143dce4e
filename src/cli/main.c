// The jepa command: common options, then dispatch to a sub-command from one table.
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "jepa.h"

static int cmd_version(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("jepa %s\n", jepa_version());
    return 0;
}

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command COMMANDS[] = {
    {"version", cmd_version, "print the version"},
    {"envs", jepa_cmd_envs, "list the environments with their dimensions and options"},
    {"collect", jepa_cmd_collect, "roll a policy in an environment and write a dataset"},
    {"merge", jepa_cmd_merge, "join the episodes of datasets of one environment into one"},
    {"view", jepa_cmd_view, "draw an episode of a dataset as a GIF or a PNG contact sheet"},
    {"train", jepa_cmd_train, "learn a world model from a dataset"},
    {"probe", jepa_cmd_probe, "score a checkpoint's latents with a linear probe"},
    {"plan", jepa_cmd_plan, "run one goal-reaching episode with a checkpoint and a planner"},
    {"eval", jepa_cmd_eval, "success rate of a checkpoint and a planner over many episodes"},
};
#define N_COMMANDS (int)(sizeof COMMANDS / sizeof COMMANDS[0])

static int usage(FILE *f) {
    fprintf(f, "usage: jepa <command> [options]\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s  %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\ncommon options: --threads N (or JEPA_THREADS=N)\n");
    return f == stdout ? 0 : 2;
}

int main(int argc, char **argv) {
    int code = jepa_cli_threads(&argc, argv);
    if (code >= 0) return code;
    if (argc < 2) return usage(stderr);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) return usage(stdout);
    if (!strcmp(cmd, "--version")) return cmd_version(0, NULL);
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(cmd, COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "jepa: unknown command '%s' (see jepa --help)\n", cmd);
    return 2;
}
