// Writing a dataset folder atomically: a hidden temporary sibling, synced, then one rename.
#define _POSIX_C_SOURCE 200809L
#include "env/publish.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jepa/log.h"

const char *const jepa_dataset_array_names[JEPA_ARR_COUNT] = {"frames", "actions", "states",
                                                              "proprio"};

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
    char path[JEPA_PUBLISH_PATH_CAP];
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
    char clean[JEPA_PUBLISH_PATH_CAP];
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
    char parent[JEPA_PUBLISH_PATH_CAP], base[JEPA_PUBLISH_PATH_CAP];
    if (split_dir(dir, parent, sizeof parent, base, sizeof base) != 0) return -1;
    int len = snprintf(out, out_size, "%s/.%s.partial-%ld", parent, base, (long)getpid());
    return len > 0 && (size_t)len < out_size ? 0 : -1;
}

// Remove the temporary siblings of dir left by collections that were killed: those whose
// process no longer exists (kill(pid, 0) fails with ESRCH). A live process's folder, or one
// holding other files, stays.
static void remove_stale_partials(const char *dir) {
    char parent[JEPA_PUBLISH_PATH_CAP], base[JEPA_PUBLISH_PATH_CAP], prefix[JEPA_PUBLISH_PATH_CAP + 16], path[2 * JEPA_PUBLISH_PATH_CAP];
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

jepa_status jepa_publish_begin(jepa_publish *p, const char *dir, int force, char *err,
                               size_t err_size) {
    memset(p, 0, sizeof *p);
    if (strlen(dir) >= sizeof p->dir)
        return jepa_fail(err, err_size, JEPA_ERR_INVALID, "%.64s...: path too long", dir);
    memcpy(p->dir, dir, strlen(dir) + 1);
    jepa_status st = check_target(dir, force, &p->exists, err, err_size);
    if (st != JEPA_OK) return st;
    remove_stale_partials(dir);
    if (temp_sibling(dir, p->tmp, sizeof p->tmp) != 0 || mkdir(p->tmp, 0755) != 0) {
        p->tmp[0] = '\0';
        return jepa_fail(err, err_size, JEPA_ERR_IO, "%s: cannot create a temporary folder: %s",
                         dir, strerror(errno));
    }
    return JEPA_OK;
}

jepa_status jepa_publish_arrays(jepa_publish *p, int64_t N, int64_t T, int64_t H, int64_t W,
                                int64_t A, int64_t S, int64_t P, char *err, size_t err_size) {
    int64_t shapes[JEPA_ARR_COUNT][5] = {
        {N, T + 1, H, W, 3},
        {N, T, A},
        {N, T + 1, S},
        {N, T + 1, P},
    };
    static const int ranks[JEPA_ARR_COUNT] = {5, 3, 3, 3};
    char path[JEPA_PUBLISH_PATH_CAP + 32];
    jepa_status st = JEPA_OK;
    for (int i = 0; i < JEPA_ARR_COUNT && st == JEPA_OK; i++) {
        snprintf(path, sizeof path, "%s/%s.npy", p->tmp, jepa_dataset_array_names[i]);
        st = jepa_npy_create(&p->arrays[i], path,
                             i == JEPA_ARR_FRAMES ? JEPA_NPY_U8 : JEPA_NPY_F32, ranks[i],
                             shapes[i], err, err_size);
    }
    return st;
}

void jepa_publish_describe(const jepa_publish *p, cJSON *root) {
    cJSON_DeleteItemFromObjectCaseSensitive(root, "arrays");
    cJSON *files = cJSON_AddObjectToObject(root, "arrays");
    for (int i = 0; i < JEPA_ARR_COUNT; i++) {
        const jepa_npy *arr = &p->arrays[i];
        cJSON *a = cJSON_AddObjectToObject(files, jepa_dataset_array_names[i]);
        char file[32];
        snprintf(file, sizeof file, "%s.npy", jepa_dataset_array_names[i]);
        cJSON_AddStringToObject(a, "file", file);
        cJSON_AddStringToObject(a, "dtype", arr->dtype == JEPA_NPY_U8 ? "uint8" : "float32");
        cJSON *shape = cJSON_AddArrayToObject(a, "shape");
        for (int k = 0; k < arr->ndim; k++)
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)arr->shape[k]));
    }
}

cJSON *jepa_publish_manifest(const jepa_publish *p, const jepa_env_model *m, const char *policy) {
    const jepa_npy *frames = &p->arrays[JEPA_ARR_FRAMES];
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "jepa-dataset");
    cJSON_AddNumberToObject(root, "format_version", 1);
    cJSON_AddStringToObject(root, "env", jepa_env_name(m));
    cJSON *options = cJSON_Parse(jepa_env_options_json(m));
    cJSON_AddItemToObject(root, "options", options ? options : cJSON_CreateObject());
    cJSON_AddNumberToObject(root, "episodes", (double)frames->shape[0]);
    cJSON_AddNumberToObject(root, "steps", (double)frames->shape[1] - 1);
    cJSON_AddNumberToObject(root, "width", (double)frames->shape[3]);
    cJSON_AddNumberToObject(root, "height", (double)frames->shape[2]);
    cJSON_AddStringToObject(root, "policy", policy);
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
    jepa_publish_describe(p, root);
    return root;
}

// root as path, indented, synced
static jepa_status write_json(const char *path, cJSON *root, char *err, size_t err_size) {
    char *text = cJSON_Print(root);
    if (!text) return jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory");
    FILE *f = fopen(path, "w");
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF && fflush(f) == 0 &&
             fsync(fileno(f)) == 0;
    if (f) ok = fclose(f) == 0 && ok;
    cJSON_free(text);
    return ok ? JEPA_OK : jepa_fail(err, err_size, JEPA_ERR_IO, "%s: %s", path, strerror(errno));
}

jepa_status jepa_publish_end(jepa_publish *p, jepa_status st, cJSON *root, char *err,
                             size_t err_size) {
    char path[JEPA_PUBLISH_PATH_CAP + 32];
    for (int i = 0; i < JEPA_ARR_COUNT; i++) {
        snprintf(path, sizeof path, "%s/%s.npy", p->tmp, jepa_dataset_array_names[i]);
        if (st == JEPA_OK && p->arrays[i].map)
            st = jepa_npy_finish(&p->arrays[i], path, err, err_size);
        else
            jepa_npy_close(&p->arrays[i]);
    }
    if (st == JEPA_OK && !root) st = jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory");
    if (st == JEPA_OK) {
        snprintf(path, sizeof path, "%s/manifest.json", p->tmp);
        st = write_json(path, root, err, err_size);
    }
    cJSON_Delete(root);
    // publish: replace an empty folder or an old dataset, then rename
    if (st == JEPA_OK && p->exists && remove_dataset_dir(p->dir) != 0)
        st = jepa_fail(err, err_size, JEPA_ERR_IO, "%s: cannot replace it: %s", p->dir,
                       strerror(errno));
    if (st == JEPA_OK && rename(p->tmp, p->dir) != 0)
        st = jepa_fail(err, err_size, JEPA_ERR_IO, "%s: rename: %s", p->dir, strerror(errno));
    if (st != JEPA_OK && p->tmp[0]) remove_dataset_dir(p->tmp);
    return st;
}
