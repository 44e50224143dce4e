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
    int progress;            // draw a progress bar on stderr
    // polled every step (may be NULL): when it turns non-zero the run saves and stops with
    // JEPA_ERR_INTERRUPTED (a SIGINT handler sets it)
    const volatile sig_atomic_t *stop;
} jepa_train_options;

// Train. Writes run_dir/metrics.jsonl (one JSON line per log interval and per validation),
// run_dir/last.safetensors (every ckpt_every steps and at the end) and best.safetensors (best
// validation loss), each atomically. A NaN or Inf in a loss term, a gradient, a weight or
// AdamW's second moment (a finite gradient too large to square in float, which grad_clip
// prevents) stops the run with JEPA_ERR_NUMERIC and a message naming the step and the term or
// tensor; the last good checkpoint stays as it was.
jepa_status jepa_train(const jepa_train_options *o, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
