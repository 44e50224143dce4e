// Argument helpers shared by the sub-commands.
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "jepa/threads.h"

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

int jepa_cli_threads(int *argc, char **argv) {
    int n = 0;
    for (int i = 0; i < *argc; i++) {
        if (i > 0 && strcmp(argv[i], "--threads") == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "jepa: --threads needs a value\n");
                return 2;
            }
            int threads = jepa_threads_parse(argv[i + 1]);
            if (threads < 0) {
                fprintf(stderr, "jepa: --threads: expected an integer in 1..1024, got '%s'\n",
                        argv[i + 1]);
                return 1;
            }
            jepa_threads_set(threads);
            i++;
            continue;
        }
        argv[n++] = argv[i];
    }
    *argc = n;
    argv[n] = NULL;
    return -1;
}

static volatile sig_atomic_t g_stop = 0;

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

const volatile sig_atomic_t *jepa_cli_stop_flag(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    return &g_stop;
}
