// jepa probe: how much of the state a checkpoint's latents hold (linear probe, R^2 per variable).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "jepa.h"

static int usage(FILE *f) {
    fprintf(f, "usage: jepa probe --ckpt RUN/best.safetensors --data DIR [--threads N]\n"
               "\n"
               "Fits a ridge regression from latents to each state variable on the training\n"
               "episodes and prints R^2 on the held-out ones (the split of the checkpoint's seed).\n");
    return f == stdout ? 0 : 2;
}

int jepa_cli_probe_parse(int argc, char **argv, jepa_cli_probe_opts *o) {
    const char *cmd = "probe";
    o->ckpt = o->data = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout);
        if (!strcmp(a, "--ckpt") || !strcmp(a, "--data")) {
            if (!(v = jepa_cli_value(cmd, argc, argv, &i))) return 2;
            if (!strcmp(a, "--ckpt")) o->ckpt = v;
            else o->data = v;
        } else {
            fprintf(stderr, "jepa probe: unknown option '%s'\n", a);
            return 2;
        }
    }
    if (!o->ckpt || !o->data) return usage(stderr);
    return -1;
}

int jepa_cli_probe_run(const jepa_cli_probe_opts *o) {
    const char *ckpt = o->ckpt, *data = o->data;
    char err[1024];
    jepa_model m;
    jepa_dataset ds;
    jepa_status st = jepa_model_load(&m, ckpt, NULL, err, sizeof err);
    if (st != JEPA_OK) {
        fprintf(stderr, "jepa probe: %s\n", err);
        return 1;
    }
    if ((st = jepa_dataset_open(&ds, data, err, sizeof err)) != JEPA_OK) {
        fprintf(stderr, "jepa probe: %s\n", err);
        jepa_model_free(&m);
        return 1;
    }
    int64_t *train = NULL, *val = NULL, n_train = 0, n_val = 0;
    double r2[JEPA_PROBE_MAX_STATE];
    // (frames of another size are refused by the probe itself)
    if (ds.state_dim > JEPA_PROBE_MAX_STATE)
        st = jepa_fail(err, sizeof err, JEPA_ERR_SHAPE, "%s: states of %lld values (at most %d)",
                       data, (long long)ds.state_dim, JEPA_PROBE_MAX_STATE);
    if (st == JEPA_OK)
        st = jepa_dataset_split(&ds, m.cfg.val_fraction > 0 ? m.cfg.val_fraction : 0.1,
                                (uint64_t)m.cfg.seed, &train, &n_train, &val, &n_val);
    if (st == JEPA_OK) st = jepa_probe_run(&m, &ds, train, n_train, val, n_val, r2, NULL, err, sizeof err);
    if (st == JEPA_OK) {
        printf("probe R^2 on %lld held-out episodes:\n", (long long)n_val);
        for (int64_t s = 0; s < ds.state_dim; s++) {
            // the manifest's name (older datasets have none), an angle as its cosine and sine
            char name[64];
            if (ds.n_named)
                snprintf(name, sizeof name, "%s", ds.state_names[s]);
            else
                snprintf(name, sizeof name, "state[%lld]", (long long)s);
            if (ds.angle_states >> s & 1u) strcat(name, " (cos, sin)");
            if (isnan(r2[s]))
                printf("  %-24s  constant in the held-out episodes\n", name);
            else
                printf("  %-24s  %.4f\n", name, r2[s]);
        }
    } else {
        fprintf(stderr, "jepa probe: %s\n", err);
    }
    free(train);
    free(val);
    jepa_dataset_close(&ds);
    jepa_model_free(&m);
    return st == JEPA_OK ? 0 : 1;
}

int jepa_cmd_probe(int argc, char **argv) {
    jepa_cli_probe_opts o;
    int code = jepa_cli_probe_parse(argc, argv, &o);
    return code >= 0 ? code : jepa_cli_probe_run(&o);
}
