// Data collection: parallel rollouts written straight into mapped NPY files in a hidden
// temporary folder, then a manifest, then one rename. The temporary folders of killed
// collections into the same folder are removed first.
#define _POSIX_C_SOURCE 200809L
#include "jepa/collect.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env/env_impl.h"
#include "jepa/log.h"
#include "jepa/npy.h"
#include "jepa/progress.h"
#include "jepa/threads.h"
#include "jepa/timer.h"

#define PATH_CAP 4096

// the arrays of a dataset, in file order
enum { ARR_FRAMES, ARR_ACTIONS, ARR_STATES, ARR_PROPRIO, ARR_COUNT };
static const char *const ARRAY_NAMES[ARR_COUNT] = {"frames", "actions", "states", "proprio"};
static const char *const POLICY_NAMES[] = {"random", "expert", "mixed"};

uint64_t jepa_collect_episode_seed(uint64_t seed, int64_t index) {
    // splitmix64's finalizer over seed and index
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + (uint64_t)index + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static jepa_status check_config(const jepa_collect_config *c, char *err, size_t err_size) {
    if (c->episodes < 1 || c->episodes > JEPA_COLLECT_MAX_EPISODES)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "episodes = %d is outside 1..%d",
                         c->episodes, JEPA_COLLECT_MAX_EPISODES);
    if (c->steps < 1 || c->steps > JEPA_COLLECT_MAX_STEPS)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "steps = %d is outside 1..%d", c->steps,
                         JEPA_COLLECT_MAX_STEPS);
    if (c->size < JEPA_COLLECT_MIN_SIZE || c->size > JEPA_COLLECT_MAX_SIZE)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "size = %d is outside %d..%d", c->size,
                         JEPA_COLLECT_MIN_SIZE, JEPA_COLLECT_MAX_SIZE);
    if (c->seed > JEPA_COLLECT_MAX_SEED)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "seed = %llu is above 2^53 - 1",
                         (unsigned long long)c->seed);
    if ((int)c->policy < 0 || (int)c->policy > JEPA_POLICY_MIXED)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "unknown policy %d", (int)c->policy);
    const jepa_collect_agent *ag = c->agent;
    if (ag && (!ag->name || !ag->create || !ag->begin || !ag->act || !ag->destroy))
        return jepa_fail(err, err_size, JEPA_ERR_INVALID,
                         "the caller's policy lacks its name or a callback");
    return JEPA_OK;
}

// whether name is a file a dataset folder holds (and --force may replace)
static int is_dataset_file(const char *name) {
    size_t n = strlen(name);
    return strcmp(name, "manifest.json") == 0 || (n > 4 && strcmp(name + n - 4, ".npy") == 0);
}

// dir must be absent, empty, or (with force) hold only dataset files; *exists says which
static jepa_status check_target(const char *dir, int force, int *exists, char *err,
                                size_t err_size) {
    struct stat st;
    *exists = 0;
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT) return JEPA_OK;
        return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: %s", dir, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: exists and is not a folder", dir);
    *exists = 1;
    DIR *dp = opendir(dir);
    if (!dp) return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: %s", dir, strerror(errno));
    int entries = 0, foreign = 0;
    for (struct dirent *e; (e = readdir(dp));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        entries++;
        foreign += !is_dataset_file(e->d_name);
    }
    closedir(dp);
    if (entries && !force)
        return jepa_fail(err, err_size, JEPA_ERR_IO,
                         "%s: folder is not empty (use --force to replace a dataset)", dir);
    if (foreign)
        return jepa_fail(err, err_size, JEPA_ERR_IO,
                         "%s: holds files that are not part of a dataset; refusing to replace it",
                         dir);
    return JEPA_OK;
}

// delete a dataset folder's own files (manifest.json, *.npy), then the folder
static int remove_dataset_dir(const char *dir) {
    DIR *dp = opendir(dir);
    if (!dp) return -1;
    char path[PATH_CAP];
    for (struct dirent *e; (e = readdir(dp));) {
        if (!is_dataset_file(e->d_name)) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(dp);
    return rmdir(dir);
}

// dir's parent folder ("." when it has none) and its last name, trailing slashes dropped
static int split_dir(const char *dir, char *parent, size_t parent_size, char *base,
                     size_t base_size) {
    char clean[PATH_CAP];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof clean - 64) return -1;
    memcpy(clean, dir, n + 1);
    while (n > 1 && clean[n - 1] == '/') clean[--n] = '\0';
    char *slash = strrchr(clean, '/');
    int a = !slash           ? snprintf(parent, parent_size, ".")
            : slash == clean ? snprintf(parent, parent_size, "/")
                             : snprintf(parent, parent_size, "%.*s", (int)(slash - clean), clean);
    int b = snprintf(base, base_size, "%s", slash ? slash + 1 : clean);
    return a > 0 && (size_t)a < parent_size && b > 0 && (size_t)b < base_size ? 0 : -1;
}

// the hidden sibling "<parent>/.<name>.partial-<pid>" of dir
static int temp_sibling(const char *dir, char *out, size_t out_size) {
    char parent[PATH_CAP], base[PATH_CAP];
    if (split_dir(dir, parent, sizeof parent, base, sizeof base) != 0) return -1;
    int len = snprintf(out, out_size, "%s/.%s.partial-%ld", parent, base, (long)getpid());
    return len > 0 && (size_t)len < out_size ? 0 : -1;
}

// Remove the temporary siblings of dir left by collections that were killed: those whose
// process no longer exists (kill(pid, 0) fails with ESRCH). A live process's folder, or one
// holding other files, stays.
static void remove_stale_partials(const char *dir) {
    char parent[PATH_CAP], base[PATH_CAP], prefix[PATH_CAP + 16], path[2 * PATH_CAP];
    if (split_dir(dir, parent, sizeof parent, base, sizeof base) != 0) return;
    int plen = snprintf(prefix, sizeof prefix, ".%s.partial-", base);
    DIR *dp = opendir(parent);
    if (!dp || plen <= 0 || (size_t)plen >= sizeof prefix) {
        if (dp) closedir(dp);
        return;
    }
    for (struct dirent *e; (e = readdir(dp));) {
        if (strncmp(e->d_name, prefix, (size_t)plen) != 0) continue;
        const char *digits = e->d_name + plen;
        char *end;
        errno = 0;
        long long pid = strtoll(digits, &end, 10);
        // a whole positive number: kill() with 0 or less would name process groups
        if (end == digits || *end || errno || pid < 1 || pid != (long long)(pid_t)pid ||
            pid == (long long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        snprintf(path, sizeof path, "%s/%s", parent, e->d_name);
        if (remove_dataset_dir(path) == 0)
            JEPA_INFO("removed %s, left by a collection that was killed (process %lld)", path, pid);
    }
    closedir(dp);
}

static jepa_status write_manifest(const char *path, const jepa_collect_config *c,
                                  const jepa_env_model *m, const jepa_npy *arrays,
                                  double crossed_door, char *err, size_t err_size) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "jepa-dataset");
    cJSON_AddNumberToObject(root, "format_version", 1);
    cJSON_AddStringToObject(root, "env", jepa_env_name(m));
    cJSON *options = cJSON_Parse(jepa_env_options_json(m));
    cJSON_AddItemToObject(root, "options", options ? options : cJSON_CreateObject());
    cJSON_AddNumberToObject(root, "seed", (double)c->seed);
    cJSON_AddNumberToObject(root, "episodes", c->episodes);
    cJSON_AddNumberToObject(root, "steps", c->steps);
    cJSON_AddNumberToObject(root, "width", c->size);
    cJSON_AddNumberToObject(root, "height", c->size);
    cJSON_AddStringToObject(root, "policy", c->agent ? c->agent->name : POLICY_NAMES[c->policy]);
    cJSON_AddStringToObject(root, "jepa_version", jepa_version());
    cJSON_AddNumberToObject(root, "action_dim", jepa_env_action_dim(m));
    cJSON_AddNumberToObject(root, "state_dim", jepa_env_state_dim(m));
    cJSON_AddNumberToObject(root, "proprio_dim", jepa_env_proprio_dim(m));
    cJSON *names = cJSON_AddArrayToObject(root, "state_names");
    cJSON *angles = cJSON_AddArrayToObject(root, "angle_states");
    for (int i = 0; i < jepa_env_state_dim(m); i++) {
        cJSON_AddItemToArray(names, cJSON_CreateString(jepa_env_state_name(m, i)));
        if (jepa_env_state_is_angle(m, i)) cJSON_AddItemToArray(angles, cJSON_CreateNumber(i));
    }
    float lo[JEPA_ENV_MAX_DIM], hi[JEPA_ENV_MAX_DIM];
    jepa_env_action_bounds(m, lo, hi);
    cJSON_AddItemToObject(root, "action_low", cJSON_CreateFloatArray(lo, jepa_env_action_dim(m)));
    cJSON_AddItemToObject(root, "action_high", cJSON_CreateFloatArray(hi, jepa_env_action_dim(m)));
    cJSON *files = cJSON_AddObjectToObject(root, "arrays");
    for (int i = 0; i < ARR_COUNT; i++) {
        cJSON *a = cJSON_AddObjectToObject(files, ARRAY_NAMES[i]);
        char file[32];
        snprintf(file, sizeof file, "%s.npy", ARRAY_NAMES[i]);
        cJSON_AddStringToObject(a, "file", file);
        cJSON_AddStringToObject(a, "dtype", arrays[i].dtype == JEPA_NPY_U8 ? "uint8" : "float32");
        cJSON *shape = cJSON_AddArrayToObject(a, "shape");
        for (int k = 0; k < arrays[i].ndim; k++)
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)arrays[i].shape[k]));
    }
    if (crossed_door >= 0) cJSON_AddNumberToObject(root, "crossed_door_fraction", crossed_door);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory");
    FILE *f = fopen(path, "w");
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF && fflush(f) == 0 &&
             fsync(fileno(f)) == 0;
    if (f) ok = fclose(f) == 0 && ok;
    cJSON_free(text);
    return ok ? JEPA_OK : jepa_fail(err, err_size, JEPA_ERR_IO, "%s: %s", path, strerror(errno));
}

// one episode into slot e of the mapped arrays; agent: the caller's policy instance (or NULL)
static jepa_status run_episode(const jepa_collect_config *c, const jepa_env_model *m,
                               jepa_env_data *d, void *agent, jepa_npy *arrays, int64_t e,
                               char *err, size_t err_size) {
    int T = c->steps, A = jepa_env_action_dim(m), S = jepa_env_state_dim(m);
    int P = jepa_env_proprio_dim(m);
    size_t frame_bytes = (size_t)c->size * (size_t)c->size * 3;
    uint8_t *frames =
        (uint8_t *)arrays[ARR_FRAMES].data + (size_t)e * (size_t)(T + 1) * frame_bytes;
    float *actions = (float *)arrays[ARR_ACTIONS].data + (size_t)e * (size_t)T * (size_t)A;
    float *states = (float *)arrays[ARR_STATES].data + (size_t)e * (size_t)(T + 1) * (size_t)S;
    float *proprio =
        P ? (float *)arrays[ARR_PROPRIO].data + (size_t)e * (size_t)(T + 1) * (size_t)P : NULL;
    float lo[JEPA_ENV_MAX_DIM], hi[JEPA_ENV_MAX_DIM];
    jepa_env_action_bounds(m, lo, hi);
    // stream 2 of the episode's seed drives the policy (0 and 1 belong to the environment)
    uint64_t seed = jepa_collect_episode_seed(c->seed, e);
    jepa_rng rng;
    jepa_rng_init(&rng, seed, 2);
    jepa_env_reset(m, d, seed);
    jepa_status st = agent ? c->agent->begin(agent, e, d, err, err_size) : JEPA_OK;
    if (st != JEPA_OK) return st;
    for (int t = 0;; t++) {
        jepa_env_render(m, d, frames + (size_t)t * frame_bytes, c->size, c->size, NULL);
        jepa_env_get_state(m, d, states + (size_t)t * (size_t)S);
        if (P) jepa_env_proprio(m, d, proprio + (size_t)t * (size_t)P);
        if (t == T) return JEPA_OK;
        // the action as the environment applies it: clipped to the bounds
        float *a = actions + (size_t)t * (size_t)A;
        if (agent)
            c->agent->act(agent, d, a);
        else
            jepa_env_policy_act(m, d, c->policy, &rng, a);
        for (int k = 0; k < A; k++) a[k] = a[k] < lo[k] ? lo[k] : (a[k] > hi[k] ? hi[k] : a[k]);
        if (jepa_env_step(m, d, a) != JEPA_OK)
            return jepa_fail(err, err_size, JEPA_ERR_NUMERIC,
                             "%s: the policy produced a non-finite action (episode %lld, step %d)",
                             jepa_env_name(m), (long long)e, t);
    }
}

// roll every episode on nt threads, one env data (and agent instance) per thread
static jepa_status run_episodes(const jepa_collect_config *c, const jepa_env_model *m,
                                jepa_npy *arrays, char *err, size_t err_size) {
    int nt = c->agent && c->agent->serial ? 1 : jepa_threads_get();
    if (nt > c->episodes) nt = c->episodes;
    jepa_env_data **datas = calloc((size_t)nt, sizeof *datas);
    void **agents = calloc((size_t)nt, sizeof *agents);
    jepa_status st = datas && agents ? JEPA_OK : JEPA_ERR_NOMEM;
    for (int i = 0; st == JEPA_OK && i < nt; i++)
        st = (datas[i] = jepa_env_data_create(m)) ? JEPA_OK : JEPA_ERR_NOMEM;
    if (st != JEPA_OK) jepa_fail(err, err_size, st, "%s: out of memory", jepa_env_name(m));
    for (int i = 0; st == JEPA_OK && c->agent && i < nt; i++)
        st = c->agent->create(c->agent->user, m, &agents[i], err, err_size);
    // the failure of the lowest episode, whatever the thread count
    int64_t failed = c->episodes;
    char *fail_err = st == JEPA_OK ? calloc((size_t)nt, 512) : NULL;
    if (st == JEPA_OK && !fail_err) st = jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory");
    jepa_status fail_st = JEPA_OK;
    jepa_progress bar;
    int64_t done = 0;
    if (st == JEPA_OK) {
        jepa_progress_begin(&bar, "collect", c->episodes);
#pragma omp parallel for schedule(dynamic) num_threads(nt)
        for (int64_t e = 0; e < c->episodes; e++) {
            int tid = jepa_thread_index();
            int64_t first;
#pragma omp atomic read
            first = failed;
            if ((c->stop && *c->stop) || e > first) continue;
            char *msg = fail_err + (size_t)tid * 512;
            jepa_status est = run_episode(c, m, datas[tid], agents[tid], arrays, e, msg, 512);
            if (est != JEPA_OK) {
#pragma omp critical(jepa_collect_failure)
                if (e < failed) {
                    failed = e;
                    fail_st = est;
                    jepa_fail(err, err_size, est, "%s", msg);
                }
            }
            int64_t now;
#pragma omp atomic capture
            now = ++done;
            if (tid == 0 && c->progress) jepa_progress_update(&bar, now, NULL);
        }
        if (c->progress) jepa_progress_end(&bar, NULL);
    }
    for (int i = 0; i < nt; i++) {
        if (datas) jepa_env_data_free(datas[i]);
        if (agents && agents[i]) c->agent->destroy(agents[i]);
    }
    free(datas), free(agents), free(fail_err);
    if (st != JEPA_OK) return st;
    if (c->stop && *c->stop)
        return jepa_fail(err, err_size, JEPA_ERR_INTERRUPTED, "interrupted; nothing was written");
    return fail_st;
}

jepa_status jepa_collect(const jepa_collect_config *c, const char *dir, jepa_collect_result *result,
                         char *err, size_t err_size) {
    double start = jepa_time_now();
    jepa_status st = check_config(c, err, err_size);
    if (st != JEPA_OK) return st;
    jepa_env_model *m = jepa_env_create(c->env, c->options_json, err, err_size);
    if (!m) return JEPA_ERR_INVALID;
    int exists;
    char tmp[PATH_CAP], path[PATH_CAP + 32];
    if ((st = check_target(dir, c->force, &exists, err, err_size)) != JEPA_OK) {
        jepa_env_free(m);
        return st;
    }
    remove_stale_partials(dir);
    if (temp_sibling(dir, tmp, sizeof tmp) != 0 || mkdir(tmp, 0755) != 0) {
        jepa_env_free(m);
        return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: cannot create a temporary folder: %s",
                         dir, strerror(errno));
    }
    // the arrays, mapped
    int64_t N = c->episodes, T = c->steps;
    int64_t shapes[ARR_COUNT][5] = {
        {N, T + 1, c->size, c->size, 3},
        {N, T, jepa_env_action_dim(m)},
        {N, T + 1, jepa_env_state_dim(m)},
        {N, T + 1, jepa_env_proprio_dim(m)},
    };
    static const int ranks[ARR_COUNT] = {5, 3, 3, 3};
    jepa_npy arrays[ARR_COUNT];
    memset(arrays, 0, sizeof arrays);
    for (int i = 0; i < ARR_COUNT && st == JEPA_OK; i++) {
        snprintf(path, sizeof path, "%s/%s.npy", tmp, ARRAY_NAMES[i]);
        st = jepa_npy_create(&arrays[i], path, i == ARR_FRAMES ? JEPA_NPY_U8 : JEPA_NPY_F32,
                             ranks[i], shapes[i], err, err_size);
    }
    if (st == JEPA_OK) st = run_episodes(c, m, arrays, err, err_size);
    // the door-crossing statistic of tworoom
    double crossed = -1.0;
    if (st == JEPA_OK && strcmp(jepa_env_name(m), "tworoom") == 0) {
        int64_t count = 0;
        int S = jepa_env_state_dim(m);
        for (int64_t e = 0; e < N; e++)
            count += jepa_tworoom_crossed(
                (const float *)arrays[ARR_STATES].data + (size_t)(e * (T + 1) * S), (int)T + 1, S);
        crossed = (double)count / (double)N;
    }
    jepa_npy described[ARR_COUNT];
    memcpy(described, arrays, sizeof arrays);
    for (int i = 0; i < ARR_COUNT; i++) {
        snprintf(path, sizeof path, "%s/%s.npy", tmp, ARRAY_NAMES[i]);
        if (st == JEPA_OK && arrays[i].map)
            st = jepa_npy_finish(&arrays[i], path, err, err_size);
        else
            jepa_npy_close(&arrays[i]);
    }
    if (st == JEPA_OK) {
        snprintf(path, sizeof path, "%s/manifest.json", tmp);
        st = write_manifest(path, c, m, described, crossed, err, err_size);
    }
    // publish: replace an empty folder or an old dataset, then rename
    if (st == JEPA_OK && exists && remove_dataset_dir(dir) != 0)
        st = jepa_fail(err, err_size, JEPA_ERR_IO, "%s: cannot replace it: %s", dir,
                       strerror(errno));
    if (st == JEPA_OK && rename(tmp, dir) != 0)
        st = jepa_fail(err, err_size, JEPA_ERR_IO, "%s: rename: %s", dir, strerror(errno));
    if (st != JEPA_OK) remove_dataset_dir(tmp);
    if (st == JEPA_OK && result) {
        result->frames = N * (T + 1);
        result->seconds = jepa_time_now() - start;
        result->crossed_door = crossed;
    }
    jepa_env_free(m);
    return st;
}
