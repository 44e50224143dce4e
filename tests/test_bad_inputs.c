// The catalogue of bad inputs (issue 7's "tests/bad/"): each one fed to the jepa tool
// (test_jepa_bin) must fail with one line on stderr that names the file or option and the
// problem, exit code 1 or 2, no signal (no core dump) and no output left behind. The bad files
// are not committed: they are made here, at run time, from a small valid dataset and checkpoint
// (each by one edit, so the cause is known), in a temporary folder removed at the end.
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define JEPA_BIN test_jepa_bin()

static char g_tmp[64];

static int exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

// a shell command in the test's folder, from a format
static int shell(const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static char *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (buf) buf[n] = '\0';
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static void write_all(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(data, 1, size, f) == size);
    fclose(f);
}

static void write_text(const char *path, const char *text) { write_all(path, text, strlen(text)); }

// the first occurrence of `from` in the file replaced by `to` (same length)
static void patch(const char *path, const char *from, const char *to) {
    size_t size;
    char *b = read_all(path, &size);
    CHECK(b != NULL && strlen(from) == strlen(to));
    char *at = NULL;
    for (size_t i = 0; b && i + strlen(from) <= size && !at; i++)
        if (memcmp(b + i, from, strlen(from)) == 0) at = b + i;
    CHECK(at != NULL);
    if (at) {
        memcpy(at, to, strlen(to));
        write_all(path, b, size);
    }
    free(b);
}

// a copy of the valid dataset under a new name
static void copy_dataset(const char *name) {
    shell("rm -rf %s/%s && cp -r %s/ds %s/%s", g_tmp, name, g_tmp, g_tmp, name);
}

// Run `jepa ARGS` (ARGS with %T for the temp folder) and check the failure: exit code 1 or 2,
// one line on stderr holding every `want` (NULL-terminated), and `leftover` (if any) absent.
static void expect_fail(const char *args, const char *leftover, ...) {
    char expanded[2048] = "", err_path[128], cmd[4096];
    for (const char *p = args; *p; p++) {
        size_t len = strlen(expanded);
        if (p[0] == '%' && p[1] == 'T') {
            snprintf(expanded + len, sizeof expanded - len, "%s", g_tmp);
            p++;
        } else if (len + 1 < sizeof expanded) {
            expanded[len] = *p;
            expanded[len + 1] = '\0';
        }
    }
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", g_tmp);
    snprintf(cmd, sizeof cmd, "ulimit -c 0; JEPA_THREADS=1 %s %s >/dev/null 2>%s", JEPA_BIN,
             expanded, err_path);
    int status = system(cmd);
    // the shell reports a signal as 128 + its number
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    size_t size = 0;
    char *err = read_all(err_path, &size);
    int lines = 0;
    for (size_t i = 0; err && i < size; i++) lines += err[i] == '\n';
    int ok = (code == 1 || code == 2) && err && lines == 1 && err[size - 1] == '\n';
    va_list ap;
    va_start(ap, leftover);
    for (const char *want; (want = va_arg(ap, const char *));) {
        char w[1024];
        snprintf(w, sizeof w, "%s", want);
        // %T in a wanted text is the temp folder too
        char *t = strstr(w, "%T");
        if (t) {
            char rest[1024];
            snprintf(rest, sizeof rest, "%s", t + 2);
            snprintf(t, sizeof w - (size_t)(t - w), "%s%s", g_tmp, rest);
        }
        if (!err || !strstr(err, w)) {
            ok = 0;
            fprintf(stderr, "  missing '%s'\n", w);
        }
    }
    va_end(ap);
    char left[1024] = "";
    if (leftover) snprintf(left, sizeof left, "%s/%s", g_tmp, leftover);
    if (leftover && exists(left)) {
        ok = 0;
        fprintf(stderr, "  left behind: %s\n", left);
    }
    if (!ok) fprintf(stderr, "FAIL jepa %s: exit %d, stderr:\n%s", expanded, code, err ? err : "");
    else if (getenv("JEPA_TEST_VERBOSE")) fprintf(stderr, "exit %d: %s", code, err);
    CHECK(ok);
    free(err);
}

// a bad checkpoint %T/<name> fed to jepa probe and to jepa eval (whose --gif-dir, holding its
// --json, must not appear): the error names the file and holds `problem`
static void bad_checkpoint(const char *name, const char *problem) {
    char args[512], file[128];
    snprintf(file, sizeof file, "%%T/%s", name);
    snprintf(args, sizeof args, "probe --ckpt %%T/%s --data %%T/ds", name);
    expect_fail(args, NULL, file, problem, NULL);
    snprintf(args, sizeof args,
             "eval --ckpt %%T/%s --env tworoom --episodes 1 --max-steps 2 --gif-dir %%T/e "
             "--json %%T/e/r.json",
             name);
    expect_fail(args, "e", file, problem, NULL);
}

// the valid checkpoint ck with `from` replaced by `to` (same length) in <tmp>/name, fed to
// bad_checkpoint
static void bad_patched_checkpoint(const char *ck, size_t ck_size, const char *name, const char *from,
                                   const char *to, const char *problem) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_tmp, name);
    write_all(path, ck, ck_size);
    patch(path, from, to);
    bad_checkpoint(name, problem);
}

// the library's own parsers on inputs the fuzzers found (tests/fuzz/corpus/*/regress_*)
static void parser_regressions(void) {
    jepa_wm_config c;
    char err[256];
    jepa_wm_config_defaults(&c);
    // an integer field far beyond long long: once a float-to-integer overflow
    CHECK(jepa_wm_config_parse(&c, "{\"latent\": 3e39}", "x.json", err, sizeof err) ==
          JEPA_ERR_INVALID);
    CHECK(strstr(err, "'latent'") != NULL);
    CHECK(jepa_wm_config_parse(&c, "{\"batch\": -1e300}", "x.json", err, sizeof err) ==
          JEPA_ERR_INVALID);
    CHECK(jepa_wm_config_parse(&c, "{\"batch\": 2.5}", "x.json", err, sizeof err) ==
          JEPA_ERR_INVALID);
    CHECK(strstr(err, "whole number") != NULL);
}

int main(void) {
    parser_regressions();
    if (!exists(JEPA_BIN)) {
        fprintf(stderr, "FAIL: %s not built (run from the repository root)\n", JEPA_BIN);
        return 1;
    }
    snprintf(g_tmp, sizeof g_tmp, "/tmp/jepa-bad.XXXXXX");
    if (!mkdtemp(g_tmp)) return 1;

    // ---- the valid inputs: a tiny dataset, a tiny config and a checkpoint trained for one step ----
    CHECK(shell("%s collect --env tworoom --episodes 4 --steps 6 --size 16 --out %s/ds --quiet",
                JEPA_BIN, g_tmp) == 0);
    const char *tiny = "{\"recipe\": \"pldm\", \"image\": 16, \"cnn_stages\": 2, \"cnn_width\": 8,"
                       " \"latent\": 8, \"predictor_hidden\": 16, \"horizon\": 2, \"batch\": 4,"
                       " \"steps\": 1, \"warmup\": 0, \"val_every\": 1, \"ckpt_every\": 1,"
                       " \"val_fraction\": 0.25}";
    char path[256];
    snprintf(path, sizeof path, "%s/tiny.json", g_tmp);
    write_text(path, tiny);
    CHECK(shell("JEPA_THREADS=1 %s train --config %s/tiny.json --data %s/ds --out %s/run --quiet "
                ">/dev/null",
                JEPA_BIN, g_tmp, g_tmp, g_tmp) == 0);
    CHECK(shell("JEPA_THREADS=1 %s probe --ckpt %s/run/best.safetensors --data %s/ds >/dev/null",
                JEPA_BIN, g_tmp, g_tmp) == 0);
    size_t ck_size = 0;
    snprintf(path, sizeof path, "%s/run/best.safetensors", g_tmp);
    char *ck = read_all(path, &ck_size);
    CHECK(ck != NULL && ck_size > 64);
    if (!ck || ck_size <= 64) {
        shell("rm -rf %s", g_tmp);
        return test_finish("bad_inputs");
    }

    // ---- checkpoints, fed to jepa probe ----
    snprintf(path, sizeof path, "%s/truncated.safetensors", g_tmp);
    write_all(path, ck, ck_size / 2);
    bad_checkpoint("truncated.safetensors", "data_offsets outside the data area");
    snprintf(path, sizeof path, "%s/empty.safetensors", g_tmp);
    write_all(path, ck, 0);
    bad_checkpoint("empty.safetensors", "too short");
    // a header length of 2^40
    snprintf(path, sizeof path, "%s/hlen.safetensors", g_tmp);
    char *edited = malloc(ck_size);
    memcpy(edited, ck, ck_size);
    memcpy(edited, "\0\0\0\0\0\1\0\0", 8);
    write_all(path, edited, ck_size);
    bad_checkpoint("hlen.safetensors", "header length");
    free(edited);
    // two tensors over the same bytes: the second tensor's offsets set to the first's
    {
        const char *h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        unsigned char file[256] = {0};
        size_t hl = strlen(h);
        file[0] = (unsigned char)hl;
        memcpy(file + 8, h, hl);
        snprintf(path, sizeof path, "%s/overlap.safetensors", g_tmp);
        write_all(path, file, 8 + hl + 8);
        bad_checkpoint("overlap.safetensors", "overlap");
    }
    // an unknown dtype, a known one of the same width that is not float, a recipe's name and a
    // size changed in place (same byte lengths)
    bad_patched_checkpoint(ck, ck_size, "dtype.safetensors", "\"F32\"", "\"F8 \"", "unknown dtype");
    bad_patched_checkpoint(ck, ck_size, "int.safetensors", "\"F32\"", "\"I32\"",
                           "dtype I32 cannot load as float32");
    bad_patched_checkpoint(ck, ck_size, "recipe.safetensors", "\\\"recipe\\\":\\\"pldm\\\"",
                           "\\\"recipe\\\":\\\"lewm\\\"", "another recipe");
    bad_patched_checkpoint(ck, ck_size, "size.safetensors", "\\\"latent\\\":8,", "\\\"latent\\\":9,",
                           "another size");
    // a NaN and an Inf in the first weight of the file (the data area's first 4 bytes)
    size_t data_at = 8;
    for (int i = 0; i < 8; i++) data_at += (size_t)(unsigned char)ck[i] << (8 * i);
    CHECK(data_at + 4 <= ck_size);
    snprintf(path, sizeof path, "%s/nan.safetensors", g_tmp);
    memcpy(ck + data_at, "\0\0\xc0\x7f", 4);
    write_all(path, ck, ck_size);
    bad_checkpoint("nan.safetensors", "NaN or Inf");
    snprintf(path, sizeof path, "%s/inf.safetensors", g_tmp);
    memcpy(ck + data_at, "\0\0\x80\xff", 4);
    write_all(path, ck, ck_size);
    bad_checkpoint("inf.safetensors", "NaN or Inf");
    free(ck);

    // ---- datasets, fed to jepa train (no run folder may appear) and jepa probe ----
    struct {
        const char *name, *file, *problem;
    } bad_data[] = {
        {"shape", "states.npy", "float32 [4, 6, 4], the manifest needs float32 [4, 7, *]"},
        {"dtype", "actions.npy", "uint8 [4, 6, 2], the manifest needs float32 [4, 6, *]"},
        {"bigendian", "actions.npy", "unsupported dtype"},
        {"fortran", "states.npy", "fortran_order True"},
        {"missing", "proprio.npy", "No such file"},
        {"truncated", "frames.npy", "file size does not match"},
    };
    int64_t shape[3] = {4, 6, 4};
    copy_dataset("shape");
    snprintf(path, sizeof path, "%s/shape/states.npy", g_tmp);
    float zeros[4 * 7 * 4] = {0};
    char err[256];
    CHECK(jepa_npy_write(path, JEPA_NPY_F32, 3, shape, zeros, err, sizeof err) == JEPA_OK);
    copy_dataset("dtype");
    snprintf(path, sizeof path, "%s/dtype/actions.npy", g_tmp);
    int64_t ashape[3] = {4, 6, 2};
    CHECK(jepa_npy_write(path, JEPA_NPY_U8, 3, ashape, zeros, err, sizeof err) == JEPA_OK);
    copy_dataset("bigendian");
    snprintf(path, sizeof path, "%s/bigendian/actions.npy", g_tmp);
    patch(path, "'<f4'", "'>f4'");
    copy_dataset("fortran");
    snprintf(path, sizeof path, "%s/fortran/states.npy", g_tmp);
    patch(path, "False", "True ");
    copy_dataset("missing");
    shell("rm %s/missing/proprio.npy", g_tmp);
    copy_dataset("truncated");
    CHECK(shell("truncate -s -10 %s/truncated/frames.npy", g_tmp) == 0);
    for (size_t i = 0; i < sizeof bad_data / sizeof bad_data[0]; i++) {
        char args[512], file[256];
        snprintf(file, sizeof file, "%%T/%s/%s", bad_data[i].name, bad_data[i].file);
        snprintf(args, sizeof args, "train --config %%T/tiny.json --data %%T/%s --out %%T/run_%s",
                 bad_data[i].name, bad_data[i].name);
        char run[64];
        snprintf(run, sizeof run, "run_%s", bad_data[i].name);
        expect_fail(args, run, file, bad_data[i].problem, NULL);
        snprintf(args, sizeof args, "probe --ckpt %%T/run/best.safetensors --data %%T/%s",
                 bad_data[i].name);
        expect_fail(args, NULL, file, bad_data[i].problem, NULL);
    }

    // a manifest that is not JSON, and a run folder with nothing to resume
    copy_dataset("manifest");
    snprintf(path, sizeof path, "%s/manifest/manifest.json", g_tmp);
    write_text(path, "{\"env\": \"tworoom\", ");
    expect_fail("train --config %T/tiny.json --data %T/manifest --out %T/r8", "r8",
                "%T/manifest/manifest.json", "not a JSON object", NULL);
    expect_fail("train --resume --data %T/ds --out %T/r9", "r9", "%T/r9", "nothing to resume",
                NULL);

    // frames with no time steps, shown by jepa view (once a division by zero and an abort)
    shell("mkdir -p %s/noframes", g_tmp);
    snprintf(path, sizeof path, "%s/noframes/frames.npy", g_tmp);
    CHECK(jepa_npy_write(path, JEPA_NPY_U8, 5, (int64_t[]){1, 0, 16, 16, 3}, NULL, err,
                         sizeof err) == JEPA_OK);
    expect_fail("view %T/noframes --out %T/noframes/x.png", "noframes/x.png",
                "%T/noframes/frames.npy", "T >= 1", NULL);
    expect_fail("view %T/noframes --out %T/noframes/x.gif", "noframes/x.gif",
                "%T/noframes/frames.npy", "T >= 1", NULL);
    expect_fail("view %T/ds --out %T/x.jpg", "x.jpg", "--out", ".gif or .png", NULL);
    expect_fail("view %T/ds --out %T/x.gif --episode 4", "x.gif", "--episode", "outside", NULL);
    expect_fail("view %T/ds --out %T/x.gif --episode -1", "x.gif", "--episode: -1 is outside 0..",
                NULL);

    // ---- unknown names: env, option, config key ----
    expect_fail("collect --env nowhere --episodes 1 --steps 1 --out %T/c1", "c1", "nowhere", NULL);
    expect_fail("collect --env tworoom --episodes 1 --steps 1 --out %T/c2 --option nope=1", "c2",
                "nope", NULL);
    expect_fail("train --config %T/tiny.json --data %T/ds --out %T/r1 --bogus", "r1", "--bogus",
                NULL);
    expect_fail("probe --ckpt %T/run/best.safetensors --data %T/ds --bogus", NULL, "--bogus", NULL);
    expect_fail("probe --ckpt %T/run/best.safetensors --data %T/ds --frames 1", NULL, "--frames",
                NULL);
    expect_fail("plan --ckpt %T/run/best.safetensors --env tworoom --bogus", NULL, "--bogus", NULL);
    expect_fail("eval --ckpt %T/run/best.safetensors --env tworoom --episodes 1 --bogus --json "
                "%T/e.json",
                "e.json", "--bogus", NULL);
    expect_fail("eval --ckpt %T/run/best.safetensors --env nowhere --episodes 1 --json %T/e.json",
                "e.json", "nowhere", NULL);
    expect_fail("plan --ckpt %T/run/best.safetensors --env tworoom --env-options {\\\"nope\\\":1} "
                "--gif %T/p.gif",
                "p.gif", "unknown option 'nope'", NULL);
    // the oracle: its frameskip only without a checkpoint
    expect_fail("eval --oracle --ckpt %T/run/best.safetensors --env tworoom --episodes 1 "
                "--frameskip 2 --json %T/e.json",
                "e.json", "--frameskip", "--oracle alone", NULL);
    expect_fail("plan --env tworoom", NULL, "missing --ckpt", NULL);
    expect_fail("plan --ckpt %T/run/best.safetensors --env tworoom --frameskip 3", NULL,
                "--frameskip", "--oracle", NULL);
    expect_fail("eval --oracle --env tworoom --episodes 1 --frameskip 0 --json %T/e.json", "e.json",
                "--frameskip", "0 is outside", NULL);
    // an ensemble: with a checkpoint, of at most 8 more, each one loadable
    expect_fail("eval --oracle --ensemble %T/run/best.safetensors --env tworoom --episodes 1 "
                "--json %T/e.json",
                "e.json", "--ensemble", "--ckpt", NULL);
    expect_fail("eval --ckpt %T/run/best.safetensors --ensemble %T/nan.safetensors --env tworoom "
                "--episodes 1 --json %T/e.json",
                "e.json", "nan.safetensors", "NaN or Inf", NULL);
    {
        char args[4096] = "plan --ckpt %T/run/best.safetensors --env tworoom";
        for (int k = 0; k < 9; k++) strcat(args, " --ensemble %T/run/best.safetensors");
        expect_fail(args, NULL, "--ensemble", "at most 8", NULL);
    }
    // a reader: with --read, a loadable checkpoint, state values the env has, and a read-out
    expect_fail("eval --ckpt %T/run/best.safetensors --env tworoom --episodes 1 --reader "
                "%T/run/best.safetensors --json %T/e.json",
                "e.json", "--reader and --read go together", NULL);
    expect_fail("eval --ckpt %T/run/best.safetensors --env tworoom --episodes 1 --reader "
                "%T/nan.safetensors --read x --json %T/e.json",
                "e.json", "nan.safetensors", "NaN or Inf", NULL);
    expect_fail("eval --ckpt %T/run/best.safetensors --env tworoom --episodes 1 --reader "
                "%T/run/best.safetensors --read x,nope --json %T/e.json",
                "e.json", "--read", "tworoom has no state value 'nope' (it has x, y, door, wall_x)",
                NULL);
    expect_fail("eval --ckpt %T/run/best.safetensors --env tworoom --episodes 1 --reader "
                "%T/run/best.safetensors --read x --json %T/e.json",
                "e.json", "the reader ", NULL);
    // a checkpoint of another environment
    expect_fail("eval --ckpt %T/run/best.safetensors --env pusht --episodes 1 --json %T/e.json",
                "e.json", "%T/run/best.safetensors", "trained on tworoom", NULL);
    snprintf(path, sizeof path, "%s/typo.json", g_tmp);
    write_text(path, "{\"latnet\": 8}");
    expect_fail("train --config %T/typo.json --data %T/ds --out %T/r2", "r2", "%T/typo.json",
                "unknown key 'latnet'", NULL);
    snprintf(path, sizeof path, "%s/widths.json", g_tmp);
    write_text(path, "{\"image\": 16, \"cnn_width\": 4}");
    expect_fail("train --config %T/widths.json --data %T/ds --out %T/r7", "r7", "%T/widths.json",
                "multiples of 8", NULL);
    expect_fail("train --config %T/nothere.json --data %T/ds --out %T/r3", "r3",
                "%T/nothere.json", "No such file", NULL);

    // ---- negative or absurd sizes ----
    expect_fail("collect --env tworoom --episodes -1 --steps 5 --out %T/c3", "c3", "--episodes",
                "-1 is outside", NULL);
    expect_fail("collect --env tworoom --episodes 1 --steps 5 --size 100000 --out %T/c4", "c4",
                "--size", "100000 is outside", NULL);
    // the largest sizes each in range: 3e18 bytes of frames cannot be reserved
    expect_fail("collect --env tworoom --episodes 10000000 --steps 100000 --size 1024 --out %T/c6",
                "c6", "frames.npy", NULL);
    expect_fail("collect --env tworoom --episodes 1 --steps abc --out %T/c5", "c5", "--steps",
                "expected an integer", NULL);
    expect_fail("train --config %T/tiny.json --data %T/ds --out %T/r4 --steps -5", "r4", "--steps",
                "-5 is outside", NULL);
    expect_fail("train --config %T/tiny.json --data %T/ds --out %T/r5 --minutes -1", "r5",
                "--minutes", NULL);
    expect_fail("--threads 0 envs", NULL, "--threads", NULL);
    expect_fail("eval --ckpt %T/run/best.safetensors --env tworoom --episodes -1 --json %T/e.json",
                "e.json", "--episodes", "-1 is outside", NULL);
    expect_fail("plan --ckpt %T/run/best.safetensors --env tworoom --horizon 100000", NULL,
                "--horizon", "100000 is outside", NULL);
    expect_fail("eval --ckpt %T/run/best.safetensors --env tworoom --episodes 1 --samples 4 "
                "--elites 8",
                NULL, "--elites", "--samples", NULL);
    expect_fail("eval --ckpt %T/run/best.safetensors --env tworoom --episodes 1 --planner mppi "
                "--temperature 0 --json %T/e.json",
                "e.json", "--temperature", "above 0", NULL);
    expect_fail("eval --ckpt %T/run/best.safetensors --env tworoom --episodes 1 --horizon 4 "
                "--execute 8 --json %T/e.json",
                "e.json", "--execute (8)", "--horizon (4)", NULL);
    // an output it cannot write fails before the episodes run (one line: no progress), and leaves
    // nothing: neither the file nor the other output's
    expect_fail("eval --ckpt %T/run/best.safetensors --env tworoom --episodes 1 --json %T/e.json "
                "--timings %T/nowhere/t.json",
                "e.json", "%T/nowhere/t.json", NULL);
    expect_fail("plan --ckpt %T/run/best.safetensors --env tworoom --gif %T/nowhere/p.gif", NULL,
                "%T/nowhere/p.gif", NULL);
    snprintf(path, sizeof path, "%s/huge.json", g_tmp);
    write_text(path, "{\"image\": 100000}");
    expect_fail("train --config %T/huge.json --data %T/ds --out %T/r6", "r6", "'image'",
                "outside", NULL);

    // no temporary folder or file of a failed command is left either
    CHECK(shell("ls -aR %s | grep -q -e partial -e '\\.tmp'", g_tmp) != 0);
    shell("rm -rf %s", g_tmp);
    return test_finish("bad_inputs");
}
