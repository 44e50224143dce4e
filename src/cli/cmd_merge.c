// jepa merge: the episodes of several datasets of one environment, as one dataset.
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "jepa.h"

static int usage(FILE *f) {
    fprintf(f, "usage: jepa merge --out DIR [--force] DATA1 DATA2 [...]\n"
               "\n"
               "Writes DIR: the episodes of DATA1, then DATA2's, ... (a folder named twice is in\n"
               "it twice, to weigh it). The datasets must be of one environment with the same\n"
               "options, steps, frame size and sizes. DIR is written as jepa collect writes\n"
               "(atomically; --force replaces a dataset there). For instance a DAgger round:\n"
               "  jepa merge --out data/round1 data/pusht data/plan1 data/plan1\n");
    return f == stdout ? 0 : 2;
}

int jepa_cli_merge_parse(int argc, char **argv, jepa_cli_merge_opts *o) {
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout);
        if (!strcmp(a, "--force")) {
            o->force = 1;
        } else if (!strcmp(a, "--out")) {
            if (!(o->out = jepa_cli_value("merge", argc, argv, &i))) return 2;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "jepa merge: unknown option '%s' (see jepa merge --help)\n", a);
            return 2;
        } else if (o->n == JEPA_DATASET_MAX_MERGE) {
            fprintf(stderr, "jepa merge: at most %d datasets\n", JEPA_DATASET_MAX_MERGE);
            return 1;
        } else {
            o->dirs[o->n++] = a;
        }
    }
    if (!o->out || o->n < 2) {
        fprintf(stderr, "jepa merge: missing %s (see jepa merge --help)\n",
                !o->out ? "--out" : "two datasets or more");
        return 2;
    }
    return -1;
}

int jepa_cli_merge_run(const jepa_cli_merge_opts *o) {
    char err[1024];
    if (jepa_dataset_merge(o->dirs, o->n, o->out, o->force, err, sizeof err) != JEPA_OK) {
        fprintf(stderr, "jepa merge: %s\n", err);
        return 1;
    }
    jepa_dataset ds;
    if (jepa_dataset_open(&ds, o->out, err, sizeof err) != JEPA_OK) {
        fprintf(stderr, "jepa merge: %s\n", err);
        return 1;
    }
    printf("wrote %s: %lld episodes of %lld steps from %d datasets\n", o->out,
           (long long)ds.episodes, (long long)ds.steps, o->n);
    jepa_dataset_close(&ds);
    return 0;
}

int jepa_cmd_merge(int argc, char **argv) {
    jepa_cli_merge_opts o;
    int code = jepa_cli_merge_parse(argc, argv, &o);
    return code >= 0 ? code : jepa_cli_merge_run(&o);
}
