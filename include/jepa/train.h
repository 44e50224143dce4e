// Training a world model on a dataset: the loop behind `jepa train`.
#ifndef JEPA_TRAIN_H
#define JEPA_TRAIN_H

#include <signal.h>
#include <stdint.h>

#include "jepa/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jepa_train_options {
    const char *config_path; // configs/<env>_<recipe>.json (NULL when resuming: the run's own)
    const char *data_dir;    // a dataset made by jepa collect
    const char *run_dir;     // where metrics.jsonl, last.safetensors, best.safetensors go
    int64_t steps;           // > 0: override the config's step count (the schedule's length;
                             // recorded in the checkpoints, so a resume keeps it)
    int64_t stop_after;      // > 0: save and stop once this many steps are done, as an
                             // interruption would (the schedule stays `steps` long)
    double minutes;          // > 0: stop (and save) after this much wall time
    int resume;              // continue from run_dir/last.safetensors
    const char *init_path;   // a new run's weights start from this checkpoint's (NULL: drawn);
                             // the config must make the same architecture (jepa_model_init_from)
    int progress;            // draw a progress bar on stderr
    // polled every step (may be NULL): when it turns non-zero the run saves and stops with
    // JEPA_ERR_INTERRUPTED (a SIGINT handler sets it)
    const volatile sig_atomic_t *stop;
    // data-parallel training (`mpirun -np N jepa train`): this process is `rank` of `world`
    // (0 and 0 or 1: one process). Each takes rows [rank * B, (rank + 1) * B) of the batch of
    // world * B that one process would draw (B is the config's batch), and the gradients and the
    // logged losses are averaged: for losses that are means over samples, the run is one process's
    // with a batch of world * B, up to float rounding. Statistics of a batch (VICReg's variance and
    // covariance, SIGReg, BatchNorm's) are each process's own over its B rows, as in PyTorch's
    // DistributedDataParallel, and BatchNorm's running statistics are rank 0's after every step.
    // Only rank 0 writes files and draws the progress bar. Every process must get the same options.
    int rank, world;
    // world > 1: add the n values of every process element-wise, in place, so that each process
    // ends with the same sums (MPI_Allreduce with MPI_SUM); called by all processes in the same
    // order. sum_user is passed through.
    void (*sum)(float *values, int64_t n, void *sum_user);
    void *sum_user;
} jepa_train_options;

// With the config's freeze_encoder, the encoder (init_path's) encodes every frame of the dataset
// once, in inference mode, and only the predictor trains, on those latents.
// Train. Writes run_dir/metrics.jsonl (one JSON line per log interval and per validation),
// run_dir/last.safetensors (every ckpt_every steps and at the end) and best.safetensors (best
// validation loss), each atomically. A NaN or Inf in a loss term, a gradient, a weight or
// AdamW's second moment (a finite gradient too large to square in float, which grad_clip
// prevents) stops the run with JEPA_ERR_NUMERIC and a message naming the step and the term or
// tensor; the last good checkpoint stays as it was. With world > 1, processes that start from
// different weights, configs, data or steps fail with JEPA_ERR_INVALID before the first step; a
// numeric failure, an interruption (any process's stop flag) and the time limit stop every
// process at the same step.
jepa_status jepa_train(const jepa_train_options *o, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
