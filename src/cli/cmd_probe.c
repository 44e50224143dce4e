// jepa probe: how much of the state a checkpoint's latents hold (linear probe, R^2 per variable).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "jepa.h"

static int usage(FILE *f) {
    fprintf(f, "usage: jepa probe --ckpt RUN/best.safetensors --data DIR [--threads N]\n"
               "                  [--frames 4000] [--rollout H [--from N] [--windows 1600]]\n"
               "\n"
               "Fits a ridge regression from latents to each state variable on the training\n"
               "episodes and prints R^2 on the held-out ones (the split of the checkpoint's seed).\n"
               "--frames F: fit on at most F frames of the training episodes and score on F/2 of\n"
               "the held-out ones, spread evenly over them (the trainer's probe: 4000).\n"
               "--rollout H: the predictor's latents too. On windows of the held-out episodes it\n"
               "starts from the first N encodings (default 1, as planning's first plan; up to the\n"
               "history) and rolls out H model steps with the data's actions; each step ahead gets\n"
               "the read-out's R^2 per state variable and the latents' MSE against the encodings.\n");
    return f == stdout ? 0 : 2;
}

int jepa_cli_probe_parse(int argc, char **argv, jepa_cli_probe_opts *o) {
    const char *cmd = "probe";
    memset(o, 0, sizeof *o);
    long long rollout = 0, from = 1;
    o->windows = 1600;
    o->frames = JEPA_PROBE_FRAMES;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout);
        if (!strcmp(a, "--ckpt") || !strcmp(a, "--data") || !strcmp(a, "--rollout") ||
            !strcmp(a, "--from") || !strcmp(a, "--windows") || !strcmp(a, "--frames")) {
            if (!(v = jepa_cli_value(cmd, argc, argv, &i))) return 2;
            if (!strcmp(a, "--ckpt")) o->ckpt = v;
            else if (!strcmp(a, "--data")) o->data = v;
            else if (!strcmp(a, "--rollout")) {
                if (!jepa_cli_int(cmd, a, v, 1, JEPA_WM_MAX_ROLLOUT, &rollout)) return 1;
            } else if (!strcmp(a, "--from")) {
                if (!jepa_cli_int(cmd, a, v, 1, 16, &from)) return 1;
            } else if (!strcmp(a, "--frames")) {
                if (!jepa_cli_int(cmd, a, v, 2, 100000000, &o->frames)) return 1;
            } else if (!jepa_cli_int(cmd, a, v, 1, 1000000, &o->windows)) {
                return 1;
            }
        } else {
            fprintf(stderr, "jepa probe: unknown option '%s'\n", a);
            return 2;
        }
    }
    if (!o->ckpt || !o->data) return usage(stderr);
    o->rollout = (int)rollout;
    o->from = (int)from;
    return -1;
}

// a state variable's printed name: the manifest's (older datasets have none); an angle marked
// as probed by its cos and sin when cos_sin
static void state_name(const jepa_dataset *ds, int64_t s, int cos_sin, char *name, size_t size) {
    if (ds->n_named)
        snprintf(name, size, "%s", ds->state_names[s]);
    else
        snprintf(name, size, "state[%lld]", (long long)s);
    if (cos_sin && ds->angle_states >> s & 1u) strncat(name, " (cos, sin)", size - strlen(name) - 1);
}

// the model's own state read-out (w_state) on the held-out frames: a row per value it reads
static jepa_status print_readout(jepa_model *m, const jepa_dataset *ds,
                                 const jepa_cli_probe_opts *o, const int64_t *val, int64_t n_val,
                                 char *err, size_t err_size) {
    double mae[JEPA_WM_MAX_STATE], rmse[JEPA_WM_MAX_STATE];
    jepa_status st =
        jepa_probe_readout(m, ds, val, n_val, o->frames / 2, mae, rmse, err, err_size);
    if (st != JEPA_OK) return st;
    printf("\nthe model's state read-out (w_state) on the same held-out frames: mean |error|, "
           "root mean square (angles in degrees)\n");
    for (int64_t s = 0; s < ds->state_dim; s++) {
        if (isnan(mae[s])) continue;
        double k = ds->angle_states >> s & 1u ? 57.29577951308232 : 1.0; // degrees a radian
        char name[64];
        state_name(ds, s, 0, name, sizeof name);
        printf("  %-24s  %10.4g  %10.4g\n", name, k * mae[s], k * rmse[s]);
    }
    return JEPA_OK;
}

// the predictor's probe: a row per step ahead
static jepa_status print_rollout(jepa_model *m, const jepa_dataset *ds,
                                 const jepa_cli_probe_opts *o, const int64_t *train,
                                 int64_t n_train, const int64_t *val, int64_t n_val, char *err,
                                 size_t err_size) {
    int64_t S = ds->state_dim, n = 0;
    double *r2 = malloc(sizeof(double) * (size_t)(o->rollout * S)), r2_true[JEPA_PROBE_MAX_STATE];
    double *mse = malloc(sizeof(double) * (size_t)o->rollout);
    jepa_status st = r2 && mse ? jepa_probe_rollout(m, ds, train, n_train, val, n_val, o->frames,
                                                    o->from, o->rollout, o->windows, r2, mse,
                                                    r2_true, &n, err, err_size)
                               : jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory");
    if (st == JEPA_OK) {
        printf("\nthe predictor from %d encoding%s, %lld windows, its latents k steps ahead "
               "(%d env steps each):\n%-24s", o->from, o->from > 1 ? "s" : "", (long long)n,
               m->cfg.frameskip, "");
        for (int h = 0; h < o->rollout; h++) printf("  k=%-5d", h + 1);
        printf("  true\n");
        for (int64_t s = 0; s < S; s++) {
            char name[64];
            state_name(ds, s, 1, name, sizeof name);
            printf("  %-22s", name);
            for (int h = 0; h <= o->rollout; h++) {
                double v = h < o->rollout ? r2[(int64_t)h * S + s] : r2_true[s];
                if (isnan(v))
                    printf("  %7s", "const");
                else
                    printf("  %7.4f", v);
            }
            printf("\n");
        }
        printf("  %-22s", "latent MSE");
        for (int h = 0; h < o->rollout; h++) printf("  %7.4f", mse[h]);
        printf("\n");
    }
    free(r2), free(mse);
    return st;
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
    if (st == JEPA_OK)
        st = jepa_probe_run(&m, &ds, train, n_train, val, n_val, o->frames, r2, NULL, err,
                            sizeof err);
    if (st == JEPA_OK) {
        printf("probe R^2 on %lld held-out episodes (fit on at most %lld training frames, scored "
               "on at most %lld):\n",
               (long long)n_val, o->frames, o->frames / 2);
        for (int64_t s = 0; s < ds.state_dim; s++) {
            char name[64];
            state_name(&ds, s, 1, name, sizeof name);
            if (isnan(r2[s]))
                printf("  %-24s  constant in the held-out episodes\n", name);
            else
                printf("  %-24s  %.4f\n", name, r2[s]);
        }
        if (m.cfg.w_state > 0) st = print_readout(&m, &ds, o, val, n_val, err, sizeof err);
        if (st == JEPA_OK && o->rollout)
            st = print_rollout(&m, &ds, o, train, n_train, val, n_val, err, sizeof err);
    }
    if (st != JEPA_OK) {
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
