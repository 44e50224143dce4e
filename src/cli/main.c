// The jepa command: dispatch to sub-commands.
#include <stdio.h>
#include <string.h>

#include "jepa.h"

static int usage(FILE *f) {
    fprintf(f, "usage: jepa <command> [options]\n"
               "\n"
               "commands:\n"
               "  version     print the version\n"
               "\n"
               "common options: --threads N (or JEPA_THREADS=N)\n");
    return f == stdout ? 0 : 2;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage(stderr);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) return usage(stdout);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("jepa %s\n", jepa_version());
        return 0;
    }
    fprintf(stderr, "jepa: unknown command '%s' (see jepa --help)\n", cmd);
    return 2;
}
