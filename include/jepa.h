// jepa.c: JEPA world models and latent-space planning in C. The whole public API.
#ifndef JEPA_H
#define JEPA_H

#include "jepa/status.h"
#include "jepa/log.h"
#include "jepa/arena.h"
#include "jepa/rng.h"
#include "jepa/threads.h"
#include "jepa/timer.h"
#include "jepa/progress.h"
#include "jepa/tensor.h"
#include "jepa/autograd.h"
#include "jepa/ops_view.h"
#include "jepa/ops_linalg.h"
#include "jepa/ops_norm.h"
#include "jepa/ops_attention.h"
#include "jepa/ops_elementwise.h"
#include "jepa/ops_reduce.h"
#include "jepa/ops_activation.h"
#include "jepa/ops_loss.h"
#include "jepa/ops_shape.h"
#include "jepa/regularizers.h"
#include "jepa/params.h"
#include "jepa/optim.h"
#include "jepa/atomic_file.h"
#include "jepa/safetensors.h"
#include "jepa/npy.h"
#include "jepa/image.h"
#include "jepa/env.h"
#include "jepa/collect.h"

#endif
