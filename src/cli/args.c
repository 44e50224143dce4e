// Argument helpers shared by the sub-commands.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"

int jepa_cli_int(const char *cmd, const char *flag, const char *text, long long lo, long long hi,
                 long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE) {
        fprintf(stderr, "jepa %s: %s: expected an integer, got '%s'\n", cmd, flag, text);
        return 0;
    }
    if (v < lo || v > hi) {
        fprintf(stderr, "jepa %s: %s: %lld is outside %lld..%lld\n", cmd, flag, v, lo, hi);
        return 0;
    }
    *out = v;
    return 1;
}

const char *jepa_cli_value(const char *cmd, int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "jepa %s: %s needs a value (see jepa %s --help)\n", cmd, argv[*i], cmd);
        return NULL;
    }
    return argv[++*i];
}
