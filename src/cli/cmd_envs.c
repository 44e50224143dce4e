// jepa envs: the environments of this build, their dimensions and default options.
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "jepa.h"

int jepa_cmd_envs(int argc, char **argv) {
    if (argc > 1) {
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
            printf("usage: jepa envs\n");
            return 0;
        }
        fprintf(stderr, "jepa envs: unexpected argument '%s'\n", argv[1]);
        return 2;
    }
    printf("%-10s %6s %5s %7s  %s\n", "env", "action", "state", "proprio", "default options");
    const char *const *names = jepa_env_names();
    for (int i = 0; names[i]; i++) {
        char err[256];
        jepa_env_model *m = jepa_env_create(names[i], NULL, err, sizeof err);
        if (!m) {
            fprintf(stderr, "jepa envs: %s\n", err);
            return 1;
        }
        printf("%-10s %6d %5d %7d  %s\n", names[i], jepa_env_action_dim(m), jepa_env_state_dim(m),
               jepa_env_proprio_dim(m), jepa_env_options_json(m));
        jepa_env_free(m);
    }
    return 0;
}
