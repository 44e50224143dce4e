// Monotonic timers.
#ifndef JEPA_TIMER_H
#define JEPA_TIMER_H

#ifdef __cplusplus
extern "C" {
#endif

// Seconds on a monotonic clock (only differences mean anything).
double jepa_time_now(void);

#ifdef __cplusplus
}
#endif
#endif
