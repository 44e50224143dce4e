// What pointmaze and reacher share on top of MuJoCo: a model compiled from MJCF text held in
// memory, and the physics data of an instance (for the tests, which check MuJoCo's own numbers).
#ifndef JEPA_ENV_MUJOCO_MODEL_H
#define JEPA_ENV_MUJOCO_MODEL_H

#ifdef JEPA_HAVE_MUJOCO
#include <stddef.h>

#include <mujoco/mujoco.h>

#include "env/env_impl.h"

// Compile the MJCF document xml through MuJoCo's virtual file system (nothing touches the disk).
// NULL on failure, with MuJoCo's message in err. The caller owns the model (mj_deleteModel).
mjModel *jepa_mujoco_load_xml(const char *env, const char *xml, char *err, size_t err_size);

// Round qpos and qvel to float after a control step, so that the float state of get_state
// captures the instance exactly and set_state restores it bit for bit.
void jepa_mujoco_round_state(const mjModel *m, mjData *d);

// The MuJoCo model and data of pointmaze or reacher (both keep them first in their structs).
const mjModel *jepa_mujoco_model(const jepa_env_model *m);
const mjData *jepa_mujoco_data(const jepa_env_data *d);

#endif
#endif
