// Data collection: the same bytes on 1 and 2 threads, datasets that replay (frames from states,
// states from actions), refusal to overwrite, nothing written on bad input, the temporary folder
// of a killed collection removed by the next one, and the CLI's exit codes and files
// (test_jepa_bin, run from the repository root).
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

// the number of entries in test_root() (temporary siblings included)
static int root_entries(void) {
    DIR *dp = opendir(test_root());
    int n = 0;
    for (struct dirent *e; dp && (e = readdir(dp));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (dp) closedir(dp);
    return n;
}

static void remove_dataset(const char *dir) {
    static const char *files[] = {"manifest.json", "frames.npy",  "actions.npy",
                                  "states.npy",    "proprio.npy", "extra.txt"};
    for (int i = 0; i < 6; i++) unlink(test_path(dir, files[i]));
    rmdir(test_path(dir, NULL));
}

static int same_file(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = 0;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static jepa_collect_config config(void) {
    jepa_collect_config c = {.env = "tworoom",
                             .options_json = "{\"door\": \"random\"}",
                             .episodes = 7,
                             .steps = 9,
                             .seed = 123,
                             .policy = JEPA_POLICY_MIXED,
                             .size = 32};
    return c;
}

static void test_threads_identical(void) {
    jepa_collect_config c = config();
    char err[256];
    jepa_collect_result r;
    jepa_threads_set(1);
    CHECK(jepa_collect(&c, test_path("one", NULL), &r, err, sizeof err) == JEPA_OK);
    CHECK(r.frames == 7 * 10 && r.crossed_door >= 0.0 && r.crossed_door <= 1.0);
    jepa_threads_set(2);
    CHECK(jepa_collect(&c, test_path("two", NULL), NULL, err, sizeof err) == JEPA_OK);
    static const char *files[] = {"manifest.json", "frames.npy", "actions.npy", "states.npy",
                                  "proprio.npy"};
    for (int i = 0; i < 5; i++)
        CHECK(same_file(test_path("one", files[i]), test_path("two", files[i])));
    // another seed gives other frames
    c.seed = 124;
    CHECK(jepa_collect(&c, test_path("other", NULL), NULL, err, sizeof err) == JEPA_OK);
    CHECK(!same_file(test_path("one", "frames.npy"), test_path("other", "frames.npy")));
    remove_dataset("two");
    remove_dataset("other");
}

// the arrays agree with the environment: each frame renders from its state, and replaying the
// recorded actions from the episode's seed reproduces the states
static void test_replay(void) {
    jepa_collect_config c = config();
    char err[256];
    jepa_npy frames, actions, states, proprio;
    CHECK(jepa_npy_map(&frames, test_path("one", "frames.npy"), err, sizeof err) == JEPA_OK);
    CHECK(jepa_npy_map(&actions, test_path("one", "actions.npy"), err, sizeof err) == JEPA_OK);
    CHECK(jepa_npy_map(&states, test_path("one", "states.npy"), err, sizeof err) == JEPA_OK);
    CHECK(jepa_npy_map(&proprio, test_path("one", "proprio.npy"), err, sizeof err) == JEPA_OK);
    CHECK(frames.ndim == 5 && frames.shape[0] == 7 && frames.shape[1] == 10 &&
          frames.shape[2] == 32 && frames.shape[3] == 32 && frames.shape[4] == 3);
    CHECK(actions.ndim == 3 && actions.shape[1] == 9 && actions.shape[2] == 2);
    CHECK(states.ndim == 3 && states.shape[1] == 10 && states.shape[2] == 4);
    CHECK(proprio.ndim == 3 && proprio.shape[2] == 2);
    if (!frames.data || !actions.data || !states.data || !proprio.data) return;
    jepa_env_model *m = jepa_env_create("tworoom", c.options_json, err, sizeof err);
    jepa_env_data *d = jepa_env_data_create(m);
    uint8_t frame[32 * 32 * 3];
    int frames_ok = 1, states_ok = 1, proprio_ok = 1;
    for (int e = 0; e < 7; e++) {
        const float *S = (const float *)states.data + e * 10 * 4;
        const float *A = (const float *)actions.data + e * 9 * 2;
        const float *P = (const float *)proprio.data + e * 10 * 2;
        const uint8_t *F = (const uint8_t *)frames.data + (size_t)e * 10 * sizeof frame;
        for (int t = 0; t < 10; t++) {
            jepa_env_set_state(m, d, S + t * 4);
            jepa_env_render(m, d, frame, 32, 32, NULL);
            frames_ok &= memcmp(frame, F + (size_t)t * sizeof frame, sizeof frame) == 0;
            proprio_ok &= P[2 * t] == S[4 * t] && P[2 * t + 1] == S[4 * t + 1];
        }
        jepa_env_reset(m, d, jepa_collect_episode_seed(123, e));
        float s[4];
        for (int t = 0; t < 10; t++) {
            jepa_env_get_state(m, d, s);
            states_ok &= memcmp(s, S + t * 4, sizeof s) == 0;
            if (t < 9) jepa_env_step(m, d, A + t * 2);
        }
    }
    CHECK(frames_ok && states_ok && proprio_ok);
    jepa_env_data_free(d);
    jepa_env_free(m);
    jepa_npy_close(&frames);
    jepa_npy_close(&actions);
    jepa_npy_close(&states);
    jepa_npy_close(&proprio);
}

static void test_refusals(void) {
    jepa_collect_config c = config();
    char err[256];
    int before = root_entries();
    // a dataset is not overwritten without force, and is replaced with it
    CHECK(jepa_collect(&c, test_path("one", NULL), NULL, err, sizeof err) == JEPA_ERR_IO &&
          strstr(err, "not empty") != NULL);
    c.force = 1;
    c.seed = 5;
    CHECK(jepa_collect(&c, test_path("one", NULL), NULL, err, sizeof err) == JEPA_OK);
    // force never replaces a folder with other files
    FILE *f = fopen(test_path("one", "extra.txt"), "w");
    if (f) fclose(f);
    CHECK(jepa_collect(&c, test_path("one", NULL), NULL, err, sizeof err) == JEPA_ERR_IO &&
          strstr(err, "not part of a dataset") != NULL);
    CHECK(test_exists(test_path("one", "extra.txt")) && test_exists(test_path("one", "frames.npy")));
    // an empty folder is fine; a file in the way is not
    mkdir(test_path("empty", NULL), 0755);
    c.force = 0;
    CHECK(jepa_collect(&c, test_path("empty", NULL), NULL, err, sizeof err) == JEPA_OK);
    CHECK(test_exists(test_path("empty", "manifest.json")));
    remove_dataset("empty");
    // bad values fail before anything is written
    jepa_collect_config bad[6];
    for (int i = 0; i < 6; i++) bad[i] = config();
    bad[0].options_json = "{\"door_center\": 99}";
    bad[1].options_json = "{\"colour\": 1}";
    bad[2].episodes = -1;
    bad[3].size = 100000;
    bad[4].env = "pong";
    bad[5].steps = 0;
    const char *culprit[6] = {"door_center", "colour", "episodes", "size", "pong", "steps"};
    for (int i = 0; i < 6; i++) {
        CHECK(jepa_collect(&bad[i], test_path("bad", NULL), NULL, err, sizeof err) ==
              JEPA_ERR_INVALID);
        CHECK(strstr(err, culprit[i]) != NULL);
    }
    CHECK(!test_exists(test_path("bad", NULL)));
    // a stop request (a signal) ends the run with nothing written
    jepa_collect_config stopped = config();
    volatile sig_atomic_t stop = 1;
    stopped.stop = &stop;
    CHECK(jepa_collect(&stopped, test_path("bad", NULL), NULL, err, sizeof err) ==
          JEPA_ERR_INTERRUPTED);
    CHECK(!test_exists(test_path("bad", NULL)));
    CHECK(root_entries() == before);
}

// run the jepa tool with args; its exit code
static int jepa_cli(const char *args) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s >/dev/null 2>&1", test_jepa_bin(), args);
    if (getenv("JEPA_TEST_VERBOSE")) snprintf(cmd, sizeof cmd, "%s %s", test_jepa_bin(), args);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int file_starts_with(const char *path, const char *magic, size_t n) {
    char buf[16] = {0};
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(buf, 1, n, f) : 0;
    if (f) fclose(f);
    return got == n && memcmp(buf, magic, n) == 0;
}

static void test_cli(void) {
    if (!test_have_jepa_bin()) {
        CHECK(0);
        return;
    }
    char args[512], out[256];
    snprintf(out, sizeof out, "%s", test_path("cli", NULL));
    snprintf(args, sizeof args,
             "collect --env tworoom --episodes 3 --steps 4 --seed 9 --size 24 --quiet --threads 2 "
             "--option door=random --option door_center=20 --out %s",
             out);
    CHECK(jepa_cli(args) == 0);
    CHECK(test_exists(test_path("cli", "frames.npy")));
    CHECK(jepa_cli(args) == 1); // not empty
    // view: a GIF and a PNG
    snprintf(args, sizeof args, "view %s --episode 2 --out %s/v.gif", out, test_root());
    CHECK(jepa_cli(args) == 0 && file_starts_with(test_path("v.gif", NULL), "GIF89a", 6));
    snprintf(args, sizeof args, "view %s --out %s/v.png", out, test_root());
    CHECK(jepa_cli(args) == 0 && file_starts_with(test_path("v.png", NULL), "\x89PNG", 4));
    snprintf(args, sizeof args, "view %s --episode 3 --out %s/x.png", out, test_root());
    CHECK(jepa_cli(args) == 1 && !test_exists(test_path("x.png", NULL)));
    snprintf(args, sizeof args, "view %s --out %s/x.bmp", out, test_root());
    CHECK(jepa_cli(args) == 1);
    snprintf(args, sizeof args, "view %s/nothing --out %s/x.png", test_root(), test_root());
    CHECK(jepa_cli(args) == 1 && !test_exists(test_path("x.png", NULL)));
    unlink(test_path("v.gif", NULL));
    unlink(test_path("v.png", NULL));
    remove_dataset("cli");
    // bad values exit 1, bad usage 2, and write nothing
    static const struct {
        const char *args;
        int code;
    } cases[] = {
        {"--env pong --episodes 2 --steps 3", 1},
        {"--env tworoom --episodes -1 --steps 3", 1},
        {"--env tworoom --episodes two --steps 3", 1},
        {"--env tworoom --episodes 2 --steps 3 --size 100000", 1},
        {"--env tworoom --episodes 2 --steps 3 --option door_center=x", 1},
        {"--env tworoom --episodes 2 --steps 3 --option speed=2", 1},
        {"--env tworoom --episodes 2 --steps 3 --option door_center", 1},
        {"--env tworoom --episodes 2 --steps 3 --policy greedy", 1},
        {"--env tworoom --episodes 2 --steps 3 --threads 0", 1},
        {"--env tworoom --episodes 2 --steps 3 --colour red", 2},
        {"--env tworoom --steps 3", 2},
        {"--env tworoom --episodes 2 --steps", 2},
        // the plan policy: its options go with it, it needs a checkpoint (or --oracle) that loads
        {"--env tworoom --episodes 2 --steps 3 --ckpt a.safetensors", 2},
        {"--env tworoom --episodes 2 --steps 3 --samples 30", 2},
        {"--env tworoom --episodes 2 --steps 3 --policy plan", 2},
        {"--env tworoom --episodes 2 --steps 3 --policy plan --oracle --env-options {}", 2},
        {"--env tworoom --episodes 2 --steps 3 --policy plan --oracle --max-steps 9", 2},
        {"--env tworoom --episodes 2 --steps 3 --policy plan --oracle --samples 0", 1},
        {"--env tworoom --episodes 2 --steps 3 --policy plan --ckpt nothing.safetensors", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args, "collect --quiet --out %s %s", out, cases[i].args);
        int code = jepa_cli(args);
        if (code != cases[i].code)
            fprintf(stderr, "  jepa %s: exit %d, expected %d\n", args, code, cases[i].code);
        CHECK(code == cases[i].code && !test_exists(out));
    }
    CHECK(jepa_cli("nonsense") == 2 && jepa_cli("") == 2 && jepa_cli("envs") == 0);
    // merge: usage errors exit 2, a missing dataset 1, and nothing is written
    static const struct {
        int with_out; // --out OUT first
        const char *args;
        int code;
    } merges[] = {{0, "a b", 2}, {1, "a", 2}, {1, "a b --colour red", 2}, {1, "a b --out", 2},
                  {1, "a b", 1}};
    for (size_t i = 0; i < sizeof merges / sizeof merges[0]; i++) {
        snprintf(args, sizeof args, "merge %s%s %s", merges[i].with_out ? "--out " : "",
                 merges[i].with_out ? out : "", merges[i].args);
        int code = jepa_cli(args);
        if (code != merges[i].code)
            fprintf(stderr, "  jepa %s: exit %d, expected %d\n", args, code, merges[i].code);
        CHECK(code == merges[i].code && !test_exists(out));
    }
}

// `jepa collect` killed by SIGKILL leaves its hidden .DIR.partial-PID folder; the next collect
// into DIR removes it (its process is gone), and keeps a live process's folder and other names
static void test_stale_partials(void) {
    char out[512], partial[640], live[640], other[640], cmd[1024];
    snprintf(out, sizeof out, "%s", test_path("killed", NULL));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        execl(test_jepa_bin(), "jepa", "collect", "--env", "tworoom", "--episodes", "2000",
              "--steps", "50", "--size", "32", "--quiet", "--threads", "1", "--out", out,
              (char *)NULL);
        _exit(127);
    }
    CHECK(pid > 0);
    if (pid <= 0) return;
    // kill it once its temporary folder is there (within 10 s)
    snprintf(partial, sizeof partial, "%s/.killed.partial-%ld", test_root(), (long)pid);
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 10000 && !test_exists(partial); i++) nanosleep(&ms, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(test_exists(partial) && !test_exists(out));
    // a live process's temporary folder (this test's) and a name that is no PID
    snprintf(live, sizeof live, "%s/.killed.partial-%ld", test_root(), (long)getpid());
    snprintf(other, sizeof other, "%s/.killed.partial-x1", test_root());
    CHECK(mkdir(live, 0755) == 0 && mkdir(other, 0755) == 0);
    snprintf(cmd, sizeof cmd,
             "collect --env tworoom --episodes 2 --steps 3 --size 16 --quiet --out %s", out);
    CHECK(jepa_cli(cmd) == 0);
    CHECK(!test_exists(partial) && test_exists(test_path("killed", "manifest.json")));
    CHECK(test_exists(live) && test_exists(other));
    rmdir(live);
    rmdir(other);
    remove_dataset("killed");
}

// every environment names each state variable, once; the angles are the ones that wrap
static void test_state_names(void) {
    char err[256];
    for (const char *const *name = jepa_env_names(); *name; name++) {
        jepa_env_model *m = jepa_env_create(*name, NULL, err, sizeof err);
        CHECK(m != NULL);
        if (!m) continue;
        int S = jepa_env_state_dim(m), distinct = 1, angles = 0;
        for (int i = 0; i < S; i++) {
            const char *a = jepa_env_state_name(m, i);
            distinct &= a && a[0] && strlen(a) < JEPA_DATASET_NAME_SIZE;
            for (int j = 0; j < i && a; j++) distinct &= strcmp(a, jepa_env_state_name(m, j)) != 0;
            angles |= jepa_env_state_is_angle(m, i) << i;
        }
        CHECK(distinct);
        if (!strcmp(*name, "pusht"))
            CHECK(angles == 1 << 4 && !strcmp(jepa_env_state_name(m, 4), "block_angle"));
        else if (!strcmp(*name, "reacher"))
            CHECK(angles == 3);
        else
            CHECK(angles == 0);
        jepa_env_free(m);
    }
}

// jepa merge: the episodes of several datasets, in order, the bytes as they were; datasets that
// do not fit together are refused by name and nothing is written
static void test_merge(void) {
    jepa_collect_config c = config();
    char err[256] = "";
    c.episodes = 2, c.seed = 5;
    CHECK(jepa_collect(&c, test_path("second", NULL), NULL, err, sizeof err) == JEPA_OK);
    char one[512], second[512], out[512];
    snprintf(one, sizeof one, "%s", test_path("one", NULL));
    snprintf(second, sizeof second, "%s", test_path("second", NULL));
    snprintf(out, sizeof out, "%s", test_path("merged", NULL));
    const char *dirs[3] = {one, second, second};
    CHECK(jepa_dataset_merge(dirs, 3, out, 0, err, sizeof err) == JEPA_OK);
    jepa_dataset a, b, m;
    CHECK(jepa_dataset_open(&a, one, err, sizeof err) == JEPA_OK);
    CHECK(jepa_dataset_open(&b, second, err, sizeof err) == JEPA_OK);
    CHECK(jepa_dataset_open(&m, out, err, sizeof err) == JEPA_OK);
    CHECK(m.episodes == 7 + 2 + 2 && m.steps == 9 && m.width == 32 && m.n_named == a.n_named &&
          !strcmp(m.options_json, a.options_json));
    const jepa_npy *pa[4] = {&a.frames, &a.actions, &a.states, &a.proprio};
    const jepa_npy *pb[4] = {&b.frames, &b.actions, &b.states, &b.proprio};
    const jepa_npy *pm[4] = {&m.frames, &m.actions, &m.states, &m.proprio};
    for (int i = 0; i < 4; i++) {
        const char *got = pm[i]->data;
        CHECK(pm[i]->nbytes == pa[i]->nbytes + 2 * pb[i]->nbytes);
        CHECK(!memcmp(got, pa[i]->data, pa[i]->nbytes));
        CHECK(!memcmp(got + pa[i]->nbytes, pb[i]->data, pb[i]->nbytes));
        CHECK(!memcmp(got + pa[i]->nbytes + pb[i]->nbytes, pb[i]->data, pb[i]->nbytes));
    }
    jepa_dataset_close(&a), jepa_dataset_close(&b), jepa_dataset_close(&m);
    size_t size = 0;
    char *manifest = test_read_file(test_path("merged", "manifest.json"), &size);
    CHECK(manifest && strstr(manifest, "\"merged_from\"") && strstr(manifest, "\"policy\":\t\"mixed\""));
    free(manifest);
    // refusals, each naming the culprit; nothing written
    c.steps = 5;
    CHECK(jepa_collect(&c, test_path("short", NULL), NULL, err, sizeof err) == JEPA_OK);
    c.steps = 9, c.options_json = "{\"door\": \"fixed\"}";
    CHECK(jepa_collect(&c, test_path("fixed", NULL), NULL, err, sizeof err) == JEPA_OK);
    static const struct {
        const char *second, *says;
    } bad[] = {{"short", "steps per episode"}, {"fixed", "environment options"},
               {"absent", "absent/manifest.json"}};
    for (int i = 0; i < 3; i++) {
        char other[512];
        snprintf(other, sizeof other, "%s", test_path(bad[i].second, NULL));
        const char *pair[2] = {one, other};
        snprintf(out, sizeof out, "%s", test_path("refused", NULL));
        jepa_status st = jepa_dataset_merge(pair, 2, out, 0, err, sizeof err);
        printf("  merge with '%s': %s\n", bad[i].second, err);
        CHECK(st != JEPA_OK && strstr(err, bad[i].says) && !test_exists(out));
    }
    // an existing dataset is replaced with force alone
    snprintf(out, sizeof out, "%s", test_path("merged", NULL));
    CHECK(jepa_dataset_merge(dirs, 2, out, 0, err, sizeof err) == JEPA_ERR_IO);
    CHECK(jepa_dataset_merge(dirs, 2, out, 1, err, sizeof err) == JEPA_OK);
    CHECK(jepa_dataset_open(&m, out, err, sizeof err) == JEPA_OK && m.episodes == 9);
    jepa_dataset_close(&m);
    remove_dataset("merged"), remove_dataset("short"), remove_dataset("fixed");
    remove_dataset("second");
}

int main(void) {
    if (!test_tmpdir("collect")) return 1;
    test_state_names();
    test_threads_identical();
    test_replay();
    test_merge();
    test_refusals();
    test_cli();
    test_stale_partials();
    remove_dataset("one");
    rmdir(test_root());
    test_tmpdir_remove();
    return test_finish("test_collect");
}
