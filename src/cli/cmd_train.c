// jepa train: learn a world model from a dataset.
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "jepa.h"

#ifdef JEPA_HAVE_MPI
#define JEPA_TRAIN_MPI_NOTE "This jepa was built with MPI."
#else
#define JEPA_TRAIN_MPI_NOTE "This jepa was built without MPI (scripts/install-deps.sh installs Open MPI)."
#endif

static int usage(FILE *f) {
    fprintf(f, "usage: jepa train --config configs/ENV_RECIPE.json --data DIR --out RUN\n"
               "                  [--steps N | --minutes M] [--resume | --init CKPT] [--quiet]\n"
               "                  [--threads N]\n"
               "\n"
               "Writes RUN/metrics.jsonl, RUN/last.safetensors and RUN/best.safetensors.\n"
               "--resume continues RUN from its last checkpoint (same losses as an uninterrupted\n"
               "run on one thread). Ctrl-C saves and stops.\n"
               "--init CKPT starts a new run from CKPT's weights (the config must make the same\n"
               "model). With the config's \"freeze_encoder\": 1 only the predictor trains, on the\n"
               "latents of CKPT's encoder, computed once for every frame of DIR.\n"
               "\n"
               "Data-parallel: mpirun -np N jepa train ... (same options for every process; add\n"
               "--threads T to give each T cores). The config's batch is per process: N processes\n"
               "of batch B train as one process of batch N*B (gradients averaged; batch statistics\n"
               "such as VICReg's and BatchNorm's are each process's own). Rank 0 writes RUN.\n"
               "%s\n"
               "\n"
               "Config keys (default, meaning):\n",
               JEPA_TRAIN_MPI_NOTE);
    if (f == stdout) jepa_wm_config_print_doc();
    return f == stdout ? 0 : 2;
}

int jepa_cli_train_parse(int argc, char **argv, jepa_train_options *o) {
    const char *cmd = "train";
    memset(o, 0, sizeof *o);
    o->progress = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        long long steps;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout);
        if (!strcmp(a, "--resume")) o->resume = 1;
        else if (!strcmp(a, "--quiet")) o->progress = 0;
        else if (!strcmp(a, "--config") || !strcmp(a, "--data") || !strcmp(a, "--out") ||
                 !strcmp(a, "--steps") || !strcmp(a, "--minutes") || !strcmp(a, "--init")) {
            if (!(v = jepa_cli_value(cmd, argc, argv, &i))) return 2;
            if (!strcmp(a, "--config")) o->config_path = v;
            else if (!strcmp(a, "--init")) o->init_path = v;
            else if (!strcmp(a, "--data")) o->data_dir = v;
            else if (!strcmp(a, "--out")) o->run_dir = v;
            else if (!strcmp(a, "--steps")) {
                if (!jepa_cli_int(cmd, a, v, 1, 100000000, &steps)) return 1;
                o->steps = steps;
            } else {
                char *end;
                o->minutes = strtod(v, &end);
                if (*end || !(o->minutes > 0 && o->minutes < 1e6)) {
                    fprintf(stderr, "jepa train: --minutes: expected a positive number, got '%s'\n", v);
                    return 1;
                }
            }
        } else {
            fprintf(stderr, "jepa train: unknown option '%s' (see jepa train --help)\n", a);
            return 2;
        }
    }
    if (!o->data_dir || !o->run_dir || (!o->config_path && !o->resume)) {
        fprintf(stderr, "jepa train: --config, --data and --out are required (--config may be\n"
                        "omitted with --resume)\n");
        return usage(stderr);
    }
    return -1;
}

int jepa_cli_train_run(jepa_train_options *o) {
    int code = jepa_cli_parallel_begin(o);
    if (code >= 0) return code;
    o->stop = jepa_cli_stop_flag(); // Ctrl-C saves and stops
    char err[1024] = "";
    jepa_status st = jepa_train(o, err, sizeof err);
    if (st == JEPA_OK && o->rank == 0)
        printf("trained: %s/last.safetensors, %s/best.safetensors, %s/metrics.jsonl\n", o->run_dir,
               o->run_dir, o->run_dir);
    return jepa_cli_parallel_end(o, st, err);
}

int jepa_cmd_train(int argc, char **argv) {
    jepa_train_options o;
    int code = jepa_cli_train_parse(argc, argv, &o);
    return code >= 0 ? code : jepa_cli_train_run(&o);
}
