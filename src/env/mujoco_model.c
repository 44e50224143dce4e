// MJCF from memory and the float-exact state shared by the MuJoCo environments.
#include "env/mujoco_model.h"

#ifdef JEPA_HAVE_MUJOCO
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mjModel *jepa_mujoco_load_xml(const char *env, const char *xml, char *err, size_t err_size) {
    // the virtual file system holds 2000 names of 1000 bytes: keep it off the stack
    mjVFS *vfs = malloc(sizeof *vfs);
    if (!vfs) {
        jepa_fail(err, err_size, JEPA_ERR_NOMEM, "%s: out of memory", env);
        return NULL;
    }
    mj_defaultVFS(vfs);
    char name[64];
    snprintf(name, sizeof name, "%s.xml", env);
    int len = (int)strlen(xml);
    mjModel *m = NULL;
    if (mj_makeEmptyFileVFS(vfs, name, len) == 0) {
        memcpy(vfs->filedata[mj_findFileVFS(vfs, name)], xml, (size_t)len);
        char mjerr[512] = "";
        m = mj_loadXML(name, vfs, mjerr, (int)sizeof mjerr);
        if (!m)
            jepa_fail(err, err_size, JEPA_ERR_INVALID, "%s: MuJoCo rejected the model: %s", env,
                      mjerr);
    } else {
        jepa_fail(err, err_size, JEPA_ERR_NOMEM, "%s: MuJoCo's virtual file system is full", env);
    }
    mj_deleteVFS(vfs);
    free(vfs);
    return m;
}

void jepa_mujoco_round_state(const mjModel *m, mjData *d) {
    for (int i = 0; i < m->nq; i++) d->qpos[i] = (mjtNum)(float)d->qpos[i];
    for (int i = 0; i < m->nv; i++) d->qvel[i] = (mjtNum)(float)d->qvel[i];
}

const mjModel *jepa_mujoco_model(const jepa_env_model *m) {
    return *(mjModel *const *)m->impl;
}

const mjData *jepa_mujoco_data(const jepa_env_data *d) {
    return *(mjData *const *)d->impl;
}

#else
typedef int jepa_mujoco_model_off; // ISO C wants a declaration in every translation unit
#endif
