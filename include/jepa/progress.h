// A progress bar with rate and ETA on stderr; plain lines when stderr is not a terminal.
#ifndef JEPA_PROGRESS_H
#define JEPA_PROGRESS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jepa_progress {
    char label[32];
    int64_t total, done;
    int64_t first; // units done before this run began (a resumed run's steps): not in the rate
    double start, last_print;
    int tty;   // redraw one line in place
    int quiet; // print nothing
} jepa_progress;

// Begin tracking `total` units of work (e.g. steps, episodes). Quiet under JEPA_LOG=warn or above.
void jepa_progress_begin(jepa_progress *p, const char *label, int64_t total);

// The same for work resumed with `first` of the `total` units already done (a resumed training
// run): the bar starts there, and the rate and ETA count only the units done from now on.
void jepa_progress_begin_from(jepa_progress *p, const char *label, int64_t total, int64_t first);

// Record that `done` units are finished; `extra` (may be NULL) is shown after the rate, e.g.
// "loss 0.123". Redraws at most 10 times a second on a terminal; otherwise a line every
// 10 %, and at least once a minute.
void jepa_progress_update(jepa_progress *p, int64_t done, const char *extra);

// Print the final line with the total time.
void jepa_progress_end(jepa_progress *p, const char *extra);

#ifdef __cplusplus
}
#endif
#endif
