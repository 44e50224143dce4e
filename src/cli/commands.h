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

// Parse a whole decimal integer in [lo, hi] from text into *out. On failure print
// "jepa CMD: FLAG: ..." to stderr and return 0.
int jepa_cli_int(const char *cmd, const char *flag, const char *text, long long lo, long long hi,
                 long long *out);

// The value after flag argv[*i], advancing *i; NULL (with a usage message) when missing.
const char *jepa_cli_value(const char *cmd, int argc, char **argv, int *i);

#endif
