// The sub-commands of the jepa CLI (one file each) and the argument helpers they share.
// Each command gets argv without the program name: argv[0] is the command's own name. It returns
// the process exit code: 0 ok, 1 failure (bad values, I/O), 2 usage.
// The commands with options split in two: `parse` reads argv into an options struct and returns
// -1 to go on, or the exit code to stop with (0 after --help, 1 a bad value, 2 usage), having
// printed the message; `run` does the work. Parsing touches no file (tests/fuzz/fuzz_cli.c).
#ifndef JEPA_CLI_COMMANDS_H
#define JEPA_CLI_COMMANDS_H

#include <signal.h>

#include <stdint.h>

#include "jepa/collect.h"
#include "jepa/dataset.h"
#include "jepa/train.h"

int jepa_cmd_envs(int argc, char **argv);
int jepa_cmd_collect(int argc, char **argv);
int jepa_cmd_merge(int argc, char **argv);
int jepa_cmd_view(int argc, char **argv);
int jepa_cmd_train(int argc, char **argv);
int jepa_cmd_probe(int argc, char **argv);
int jepa_cmd_plan(int argc, char **argv);
int jepa_cmd_eval(int argc, char **argv);


// jepa merge
typedef struct jepa_cli_merge_opts {
    const char *out;                           // inside argv
    const char *dirs[JEPA_DATASET_MAX_MERGE]; // inside argv
    int n, force;
} jepa_cli_merge_opts;
int jepa_cli_merge_parse(int argc, char **argv, jepa_cli_merge_opts *o);
int jepa_cli_merge_run(const jepa_cli_merge_opts *o);

// jepa view
typedef struct jepa_cli_view_opts {
    const char *dir, *out; // inside argv
    long long episode, scale;
    int gif; // 1: a GIF, 0: a PNG contact sheet
} jepa_cli_view_opts;
int jepa_cli_view_parse(int argc, char **argv, jepa_cli_view_opts *o);
int jepa_cli_view_run(const jepa_cli_view_opts *o);

// jepa train: its options are the library's jepa_train_options
int jepa_cli_train_parse(int argc, char **argv, jepa_train_options *o);
int jepa_cli_train_run(jepa_train_options *o);

// Data-parallel training (parallel.c). Begin: when mpirun started this process, join the job
// (MPI_Init) and set o's rank, world and sum (without MPI in the build: a message and exit code 1);
// -1 to go on. End: print err for a failed st (rank 0, or any process for its own failure), leave
// the job (MPI_Abort on a failure other than an interruption, so no process waits forever) and
// return the exit code.
int jepa_cli_parallel_begin(jepa_train_options *o);
int jepa_cli_parallel_end(const jepa_train_options *o, jepa_status st, const char *err);

// jepa probe
typedef struct jepa_cli_probe_opts {
    const char *ckpt, *data; // inside argv
    int rollout, from;       // --rollout H (0: the encoder's probe alone), --from N
    long long windows;       // --windows W
    long long frames;        // --frames F (JEPA_PROBE_FRAMES)
} jepa_cli_probe_opts;
int jepa_cli_probe_parse(int argc, char **argv, jepa_cli_probe_opts *o);
int jepa_cli_probe_run(const jepa_cli_probe_opts *o);

// The common option --threads N, anywhere after argv[0]: applied, then removed from argv (argc
// updated, argv[*argc] = NULL). -1 to go on, or the exit code.
int jepa_cli_threads(int *argc, char **argv);

// Catch SIGINT and SIGTERM from now on: they set the returned flag, which long commands poll
// to save and stop cleanly.
const volatile sig_atomic_t *jepa_cli_stop_flag(void);

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
    int oracle; // --oracle: plan on the simulator (with --ckpt: on its encoder's latents)
    const char *ensemble[JEPA_EVAL_MAX_ENSEMBLE]; // --ensemble, in order
    int n_ensemble;
    const char *reader, *read; // --reader C --read NAME,... (jepa_eval_config.reader)
    jepa_eval_config eval;
} jepa_cli_plan;
void jepa_cli_plan_defaults(jepa_cli_plan *o);
// Consume argv[*i] (and its value) when it is a planning option: 1; not one: 0; a bad value
// (message printed): -1.
int jepa_cli_plan_option(const char *cmd, int argc, char **argv, int *i, jepa_cli_plan *o);
// After the last option: the planner's defaults filled in and the options checked together;
// -1 to go on, or the exit code with a message printed.
int jepa_cli_plan_finish(const char *cmd, jepa_cli_plan *o);
// What the planning commands load.
typedef struct jepa_cli_loaded {
    jepa_model m;          // the checkpoint's model (zeroed when there is none)
    jepa_model *model;     // what plans: &m, or NULL for the oracle
    jepa_model *members;   // (n) --ensemble's models
    jepa_model *member_ptrs[JEPA_EVAL_MAX_ENSEMBLE];
    jepa_model reader;     // --reader's model (zeroed when there is none)
    int image;             // the size frames are drawn at
    jepa_env_model *env;
    jepa_eval_config eval; // the options' config, its ensemble pointed at the members
} jepa_cli_loaded;
// Load the checkpoint and the ensemble's, and create the environment, checking that they fit;
// 0, or 1 with a message printed (nothing to free then).
int jepa_cli_plan_open(const char *cmd, const jepa_cli_plan *o, jepa_cli_loaded *l);
// Free what jepa_cli_plan_open made.
void jepa_cli_plan_close(jepa_cli_loaded *l);
// The line plan and eval print when the env refused some of --reader's readings (none: nothing).
void jepa_cli_plan_print_refused(const char *env, int refused);

// jepa collect: a parsed command line; free options_json with jepa_cli_collect_free (run does)
typedef struct jepa_cli_collect_opts {
    const char *env, *out; // inside argv
    int episodes, steps, size, policy, force, quiet;
    uint64_t seed;
    char *options_json; // the --option pairs as a JSON object (owned)
    int plan;           // --policy plan: the planner of `planning` drives the episodes
    jepa_cli_plan planning;
} jepa_cli_collect_opts;
int jepa_cli_collect_parse(int argc, char **argv, jepa_cli_collect_opts *o);
int jepa_cli_collect_run(jepa_cli_collect_opts *o); // frees o
void jepa_cli_collect_free(jepa_cli_collect_opts *o);

// jepa plan
typedef struct jepa_cli_plan_opts {
    jepa_cli_plan plan;
    const char *gif; // inside argv; NULL: no GIF
} jepa_cli_plan_opts;
int jepa_cli_plan_parse(int argc, char **argv, jepa_cli_plan_opts *o);
int jepa_cli_plan_run(const jepa_cli_plan_opts *o);

// jepa eval
typedef struct jepa_cli_eval_opts {
    jepa_cli_plan plan;
    const char *json, *timings, *gif_dir; // inside argv; NULL: not written
} jepa_cli_eval_opts;
int jepa_cli_eval_parse(int argc, char **argv, jepa_cli_eval_opts *o);
int jepa_cli_eval_run(const jepa_cli_eval_opts *o);

#endif
