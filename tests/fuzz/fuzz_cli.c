// libFuzzer target: the jepa command line, split into arguments at NUL bytes, through the common
// --threads option and the parse step of each command (no command runs).
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    // argv[0] = "jepa", then the NUL-separated words of the input
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[MAX_ARGS + 2] = {"jepa"};
    int argc = 1;
    for (size_t at = 0; at < size && argc < MAX_ARGS; at += strlen(text + at) + 1)
        argv[argc++] = text + at;
    argv[argc] = NULL;
    if (jepa_cli_threads(&argc, argv) < 0 && argc >= 2) {
        const char *cmd = argv[1];
        if (!strcmp(cmd, "collect")) {
            jepa_cli_collect_opts o;
            if (jepa_cli_collect_parse(argc - 1, argv + 1, &o) < 0) jepa_cli_collect_free(&o);
        } else if (!strcmp(cmd, "merge")) {
            jepa_cli_merge_opts o;
            jepa_cli_merge_parse(argc - 1, argv + 1, &o);
        } else if (!strcmp(cmd, "view")) {
            jepa_cli_view_opts o;
            jepa_cli_view_parse(argc - 1, argv + 1, &o);
        } else if (!strcmp(cmd, "train")) {
            jepa_train_options o;
            jepa_cli_train_parse(argc - 1, argv + 1, &o);
        } else if (!strcmp(cmd, "probe")) {
            jepa_cli_probe_opts o;
            jepa_cli_probe_parse(argc - 1, argv + 1, &o);
        } else if (!strcmp(cmd, "plan")) {
            jepa_cli_plan_opts o;
            jepa_cli_plan_parse(argc - 1, argv + 1, &o);
        } else if (!strcmp(cmd, "eval")) {
            jepa_cli_eval_opts o;
            jepa_cli_eval_parse(argc - 1, argv + 1, &o);
        }
    }
    free(text);
    return 0;
}
